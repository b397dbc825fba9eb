
/*
 * Copyright (C) scandoc authors
 *
 * ocr: a searchable PDF.  Each selected page without text is rendered
 * and recognized by sd_ocr.c (turned upright and deskewed as an image
 * is); its words are written back over the page as invisible text
 * (render mode 3) in Helvetica with WinAnsi encoding, each word scaled
 * to its box, so viewers show the page as it was and pdftotext and
 * search find the words where they are printed.  Pages that have text
 * are kept as they are.  The page's own content is wrapped in q/Q so a
 * graphics state it leaves behind cannot move the text; a page that was
 * read turned gets a /Rotate that shows it upright.
 */


#include <string.h>

#include "sd_pdf.h"


#define SD_PDF_OCR_FONT       "SdOcrText"
#define SD_PDF_OCR_BASELINE   0.2    /* of a line's height, below it */


typedef struct {
    pdf_obj              *font;         /* the font dictionary, shared */
    fz_font              *metrics;      /* Helvetica, for the widths */
} sd_pdf_ocr_t;


/* a code point in WinAnsiEncoding, or '?' */

static int
sd_pdf_winansi(int c)
{
    size_t  i;

    static const int  high[][2] = {
        { 0x20ac, 0x80 }, { 0x2026, 0x85 }, { 0x2018, 0x91 },
        { 0x2019, 0x92 }, { 0x201c, 0x93 }, { 0x201d, 0x94 },
        { 0x2022, 0x95 }, { 0x2013, 0x96 }, { 0x2014, 0x97 },
        { 0x2122, 0x99 }, { 0x0152, 0x8c }, { 0x0153, 0x9c },
        { 0x0160, 0x8a }, { 0x0161, 0x9a }, { 0x0178, 0x9f },
        { 0x017d, 0x8e }, { 0x017e, 0x9e }, { 0x0192, 0x83 },
        { 0x201e, 0x84 }, { 0x2020, 0x86 }, { 0x2021, 0x87 },
        { 0x02c6, 0x88 }, { 0x2030, 0x89 }, { 0x2039, 0x8b },
        { 0x203a, 0x9b }, { 0x02dc, 0x98 }, { 0x201a, 0x82 }
    };

    if ((c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff)) {
        return c;
    }

    for (i = 0; i < sizeof(high) / sizeof(high[0]); i++) {
        if (high[i][0] == c) {
            return high[i][1];
        }
    }

    return '?';
}


/*
 * One word as a text object: its text as a hex string, and the width it
 * has in Helvetica at size 1, which the caller scales to the word's box.
 */
static float
sd_pdf_ocr_word(fz_context *ctx, sd_pdf_ocr_t *o, const char *text,
    fz_buffer *hex)
{
    int    c, n, glyph;
    float  width;

    width = 0;

    while (*text) {
        n = fz_chartorune(&c, text);
        text += n;

        glyph = fz_encode_character(ctx, o->metrics, c);
        width += glyph ? fz_advance_glyph(ctx, o->metrics, glyph, 0) : 0.5f;

        fz_append_printf(ctx, hex, "%02x", sd_pdf_winansi(c));
    }

    return width;
}


/*
 * From the frame the words were read in (the image turned by quads
 * quarter turns clockwise, then rotated by skew degrees about its
 * centre) back to the page's PDF space.
 */
static fz_matrix
sd_pdf_ocr_frame(fz_context *ctx, pdf_page *page, const sd_ocr_page_t *ocr,
    fz_irect box)
{
    int        w, h;
    float      cx, cy, scale;
    fz_rect    media;
    fz_matrix  m, orth, pctm;

    w = box.x1 - box.x0;
    h = box.y1 - box.y0;
    cx = ocr->turned_w / 2.0f;
    cy = ocr->turned_h / 2.0f;

    m = fz_translate(-cx, -cy);
    m = fz_concat(m, fz_rotate(ocr->skew));
    m = fz_concat(m, fz_translate(cx, cy));

    switch (ocr->quads) {

    case 1:
        orth = fz_make_matrix(0, -1, 1, 0, 0, h);
        break;

    case 2:
        orth = fz_make_matrix(-1, 0, 0, -1, w, h);
        break;

    case 3:
        orth = fz_make_matrix(0, 1, -1, 0, w, 0);
        break;

    default:
        orth = fz_identity;
    }

    scale = 72.0f / SD_PDF_OCR_DPI;

    m = fz_concat(m, orth);
    m = fz_concat(m, fz_translate(box.x0, box.y0));
    m = fz_concat(m, fz_scale(scale, scale));

    pdf_page_transform(ctx, page, &media, &pctm);

    return fz_concat(m, fz_invert_matrix(pctm));
}


/* the invisible text of the words of ocr, in PDF space through m */

static void
sd_pdf_ocr_text(fz_context *ctx, sd_pdf_ocr_t *o, const sd_ocr_page_t *ocr,
    fz_matrix m, fz_buffer *out)
{
    size_t                l, i;
    float                 width, size, base;
    fz_matrix             tm;
    fz_buffer            *hex;
    const sd_ocr_line_t  *line;
    const sd_ocr_word_t  *word;

    hex = fz_new_buffer(ctx, 64);

    fz_try(ctx) {
        fz_append_string(ctx, out, "BT\n3 Tr\n/" SD_PDF_OCR_FONT " 1 Tf\n");

        for (l = 0; l < ocr->nlines; l++) {
            line = &ocr->lines[l];
            size = line->box.y1 - line->box.y0;
            base = line->box.y1 - SD_PDF_OCR_BASELINE * size;

            for (i = line->word; i < line->word + line->nwords; i++) {
                word = &ocr->words[i];

                fz_clear_buffer(ctx, hex);
                width = sd_pdf_ocr_word(ctx, o, word->text, hex);

                if (width <= 0 || size <= 0) {
                    continue;
                }

                /* glyph space is y up, the frame y down */

                tm = fz_make_matrix((word->box.x1 - word->box.x0) / width, 0,
                                    0, -size, word->box.x0, base);
                tm = fz_concat(tm, m);

                fz_append_printf(ctx, out, "%g %g %g %g %g %g Tm <",
                                 tm.a, tm.b, tm.c, tm.d, tm.e, tm.f);
                fz_append_data(ctx, out, hex->data, hex->len);
                fz_append_string(ctx, out, "> Tj\n");
            }
        }

        fz_append_string(ctx, out, "ET\n");

    } fz_always(ctx) {
        fz_drop_buffer(ctx, hex);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/* the font in the page's resources, which become the page's own */

static void
sd_pdf_ocr_resources(fz_context *ctx, pdf_document *doc, pdf_obj *page,
    pdf_obj *font)
{
    pdf_obj  *res, *fonts;

    res = pdf_dict_get(ctx, page, PDF_NAME(Resources));

    if (res == NULL) {
        res = pdf_dict_get_inheritable(ctx, page, PDF_NAME(Resources));
        res = res ? pdf_copy_dict(ctx, res) : pdf_new_dict(ctx, doc, 2);
        pdf_dict_put_drop(ctx, page, PDF_NAME(Resources), res);
    }

    fonts = pdf_dict_get(ctx, res, PDF_NAME(Font));

    if (fonts == NULL) {
        fonts = pdf_dict_put_dict(ctx, res, PDF_NAME(Font), 1);
    }

    pdf_dict_puts(ctx, fonts, SD_PDF_OCR_FONT, font);
}


/* the page's contents as [q, contents..., Q text] */

static void
sd_pdf_ocr_contents(fz_context *ctx, pdf_document *doc, pdf_obj *page,
    fz_buffer *text)
{
    int         i, n;
    pdf_obj    *old, *arr;
    fz_buffer  *q;

    old = pdf_dict_get(ctx, page, PDF_NAME(Contents));
    arr = pdf_new_array(ctx, doc, 3);
    q = NULL;

    fz_var(q);

    fz_try(ctx) {
        q = fz_new_buffer_from_copied_data(ctx, (const unsigned char *) "q\n",
                                           2);
        pdf_array_push_drop(ctx, arr, pdf_add_stream(ctx, doc, q, NULL, 0));

        if (pdf_is_array(ctx, old)) {
            n = pdf_array_len(ctx, old);

            for (i = 0; i < n; i++) {
                pdf_array_push(ctx, arr, pdf_array_get(ctx, old, i));
            }

        } else if (old != NULL) {
            pdf_array_push(ctx, arr, old);
        }

        pdf_array_push_drop(ctx, arr, pdf_add_stream(ctx, doc, text, NULL,
                                                     0));
        pdf_dict_put(ctx, page, PDF_NAME(Contents), arr);

    } fz_always(ctx) {
        fz_drop_buffer(ctx, q);
        pdf_drop_obj(ctx, arr);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/* page p recognized, its words laid over it */

static void
sd_pdf_ocr_page(sd_job_t *job, sd_pdf_ocr_t *o, pdf_document *doc, int p)
{
    int             rotate;
    fz_irect        box;
    fz_matrix       m;
    fz_buffer      *text;
    fz_context     *ctx;
    pdf_page       *page;
    sd_ocr_page_t   ocr;

    ctx = sd_pdf_context();
    page = pdf_load_page(ctx, doc, p);
    text = NULL;
    memset(&ocr, 0, sizeof(sd_ocr_page_t));

    fz_var(text);

    fz_try(ctx) {
        if (sd_pdf_page_has_text(ctx, &page->super)) {
            break;                      /* kept as it is */
        }

        sd_pdf_page_read(job, &page->super, &ocr);

        if (ocr.nwords == 0) {
            break;
        }

        box = fz_round_rect(fz_transform_rect(fz_bound_page(ctx,
                                                            &page->super),
                                              fz_scale(SD_PDF_OCR_DPI / 72.0f,
                                                       SD_PDF_OCR_DPI
                                                       / 72.0f)));
        m = sd_pdf_ocr_frame(ctx, page, &ocr, box);

        text = fz_new_buffer(ctx, 4096);
        fz_append_string(ctx, text, "Q\n");
        sd_pdf_ocr_text(ctx, o, &ocr, m, text);

        sd_pdf_ocr_resources(ctx, doc, page->obj, o->font);
        sd_pdf_ocr_contents(ctx, doc, page->obj, text);

        /*
         * A page read turned is shown upright, as its text reads: the
         * text is in PDF space already, /Rotate only turns the view.
         */

        if (ocr.quads) {
            rotate = pdf_to_int(ctx, pdf_dict_get_inheritable(ctx, page->obj,
                                                    PDF_NAME(Rotate)));
            rotate = ((rotate + 90 * ocr.quads) % 360 + 360) % 360;
            pdf_dict_put_int(ctx, page->obj, PDF_NAME(Rotate), rotate);
        }

    } fz_always(ctx) {
        fz_drop_buffer(ctx, text);
        sd_ocr_page_free(&ocr);
        fz_drop_page(ctx, &page->super);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


static pdf_obj *
sd_pdf_ocr_font(fz_context *ctx, pdf_document *doc)
{
    pdf_obj  *font;

    font = pdf_new_dict(ctx, doc, 4);

    fz_try(ctx) {
        pdf_dict_put(ctx, font, PDF_NAME(Type), PDF_NAME(Font));
        pdf_dict_put(ctx, font, PDF_NAME(Subtype), PDF_NAME(Type1));
        pdf_dict_put_name(ctx, font, PDF_NAME(BaseFont), "Helvetica");
        pdf_dict_put(ctx, font, PDF_NAME(Encoding),
                     PDF_NAME(WinAnsiEncoding));

    } fz_catch(ctx) {
        pdf_drop_obj(ctx, font);
        fz_rethrow(ctx);
    }

    return pdf_add_object_drop(ctx, doc, font);
}


int
sd_pdf_ocr(sd_job_t *job)
{
    int             k, n, count, *pages;
    char           *done;
    json_t         *props;
    fz_context     *ctx;
    const char     *path;
    pdf_document   *doc;
    sd_pdf_ocr_t    o;

    ctx = sd_pdf_context();
    doc = NULL;
    pages = NULL;
    done = NULL;
    memset(&o, 0, sizeof(sd_pdf_ocr_t));

    fz_var(doc);
    fz_var(pages);
    fz_var(done);

    fz_try(ctx) {
        doc = sd_pdf_open(job, 0);
        count = pdf_count_pages(ctx, doc);
        pages = sd_pdf_select(job, count, &n);

        if (sd_pdf_outputs(job, "application/pdf", NULL, 1) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "outputs");
        }

        o.metrics = fz_new_base14_font(ctx, "Helvetica");
        o.font = sd_pdf_ocr_font(ctx, doc);
        done = fz_malloc(ctx, count);
        memset(done, 0, count);

        for (k = 0; k < n; k++) {

            /* a page named twice in "pages" is recognized once */

            if (!done[pages[k]]) {
                done[pages[k]] = 1;
                sd_pdf_ocr_page(job, &o, doc, pages[k]);
            }

            sd_job_progress(job, k + 1, n);
        }

        path = sd_pdf_output(job, 0, &props);

        if (sd_pdf_write(job, doc, path, props) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "write");
        }

    } fz_always(ctx) {
        fz_free(ctx, done);
        fz_free(ctx, pages);
        fz_drop_font(ctx, o.metrics);
        pdf_drop_obj(ctx, o.font);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, SD_CORRUPT, "The document cannot be made "
                             "searchable");
    }

    return 0;
}
