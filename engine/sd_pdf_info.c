
/*
 * Copyright (C) scandoc authors
 *
 * info: the facts of a document (pages, their sizes and whether they
 * have text, metadata, encryption) as the result, with no output file.
 */


#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sd_pdf.h"


#define SD_PDF_META_MAX       4096


static const struct {
    const char           *key;           /* the result's name */
    const char           *meta;          /* fz_lookup_metadata's */
    unsigned              date:1;
} sd_pdf_meta[] = {
    { "title", FZ_META_INFO_TITLE, 0 },
    { "author", FZ_META_INFO_AUTHOR, 0 },
    { "subject", FZ_META_INFO_SUBJECT, 0 },
    { "keywords", FZ_META_INFO_KEYWORDS, 0 },
    { "creator", FZ_META_INFO_CREATOR, 0 },
    { "producer", FZ_META_INFO_PRODUCER, 0 },
    { "creation_date", FZ_META_INFO_CREATIONDATE, 1 },
    { "modification_date", FZ_META_INFO_MODIFICATIONDATE, 1 },
    { NULL, NULL, 0 }
};


int
sd_pdf_page_has_text(fz_context *ctx, fz_page *page)
{
    int                 found;
    fz_stext_page      *text;
    fz_stext_block     *block;
    fz_stext_line      *line;
    fz_stext_char      *ch;

    found = 0;
    text = fz_new_stext_page_from_page(ctx, page, NULL);

    /* invisible text (an OCR layer) counts: it is what a search finds */

    for (block = text->first_block; block && !found; block = block->next) {
        if (block->type != FZ_STEXT_BLOCK_TEXT) {
            continue;
        }

        for (line = block->u.t.first_line; line && !found; line = line->next)
        {
            for (ch = line->first_char; ch; ch = ch->next) {
                if (ch->c > ' ' && ch->c != 0xa0) {
                    found = 1;
                    break;
                }
            }
        }
    }

    fz_drop_stext_page(ctx, text);

    return found;
}


/* points, to the hundredth */

static json_t *
sd_pdf_points(float v)
{
    return json_real(round(v * 100.0) / 100.0);
}


/* PDF dates (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601 UTC; else as written */

static json_t *
sd_pdf_date(fz_context *ctx, const char *s)
{
    char       buf[32];
    time_t     t;
    int64_t    secs;
    struct tm  tm;

    secs = pdf_parse_date(ctx, s);
    t = (time_t) secs;

    if (secs <= 0 || gmtime_r(&t, &tm) == NULL
        || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        return json_string(s);
    }

    return json_string(buf);
}


static json_t *
sd_pdf_metadata(fz_context *ctx, fz_document *doc)
{
    int      i, n;
    json_t  *meta, *v;
    char     buf[SD_PDF_META_MAX];

    meta = json_object();

    for (i = 0; sd_pdf_meta[i].key; i++) {
        n = fz_lookup_metadata(ctx, doc, sd_pdf_meta[i].meta, buf,
                               sizeof(buf));

        /* absent, empty or not text: null */

        v = NULL;

        if (n > 1) {
            v = sd_pdf_meta[i].date ? sd_pdf_date(ctx, buf) : json_string(buf);
        }

        json_object_set_new(meta, sd_pdf_meta[i].key, v ? v : json_null());
    }

    return meta;
}


static json_t *
sd_pdf_page_info(fz_context *ctx, pdf_document *doc, int p)
{
    int         rotation, has_text;
    fz_rect     box;
    pdf_obj    *obj;
    fz_page    *page;
    fz_matrix   ctm;

    obj = pdf_lookup_page_obj(ctx, doc, p);

    /* the visible box (CropBox within MediaBox), before /Rotate */

    pdf_page_obj_transform(ctx, obj, &box, &ctm);
    rotation = pdf_to_int(ctx, pdf_dict_get_inheritable(ctx, obj,
                                                        PDF_NAME(Rotate)));
    rotation = ((rotation / 90 * 90) % 360 + 360) % 360;

    page = fz_load_page(ctx, &doc->super, p);
    has_text = 0;

    fz_var(has_text);

    fz_try(ctx) {
        has_text = sd_pdf_page_has_text(ctx, page);

    } fz_always(ctx) {
        fz_drop_page(ctx, page);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }

    return json_pack("{s:o, s:o, s:i, s:b}",
                     "width", sd_pdf_points(box.x1 - box.x0),
                     "height", sd_pdf_points(box.y1 - box.y0),
                     "rotation", rotation,
                     "has_text", has_text);
}


int
sd_pdf_info(sd_job_t *job)
{
    int            p, n;
    json_t        *pages, *result;
    fz_context    *ctx;
    pdf_document  *doc;

    ctx = sd_pdf_context();
    doc = NULL;
    pages = json_array();
    result = NULL;

    fz_var(doc);
    fz_var(result);

    fz_try(ctx) {
        doc = sd_pdf_open(job, 0);
        n = pdf_count_pages(ctx, doc);

        for (p = 0; p < n; p++) {
            json_array_append_new(pages, sd_pdf_page_info(ctx, doc, p));
            sd_job_progress(job, p + 1, n);
        }

        result = json_pack("{s:i, s:O, s:o, s:b}",
                           "page_count", n,
                           "pages", pages,
                           "metadata", sd_pdf_metadata(ctx, &doc->super),
                           "encrypted", sd_pdf_encrypted(ctx, doc));

    } fz_always(ctx) {
        json_decref(pages);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        json_decref(result);
        return sd_pdf_caught(job, SD_CORRUPT, "The document cannot be read");
    }

    job->result = result;

    return 0;
}
