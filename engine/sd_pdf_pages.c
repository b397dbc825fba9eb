
/*
 * Copyright (C) scandoc authors
 *
 * PDF operations on whole pages: split (one document per page),
 * extract-pages (one document of the pages named, in order) and rotate
 * (/Rotate of the pages named).  Pages are copied as they are, never
 * rendered, so their text, fonts, images and links survive.
 */


#include "sd_pdf.h"


/* a new document of pages[0..n-1] of src, written as output k */

static void
sd_pdf_write_pages(sd_job_t *job, pdf_document *src, const int *pages,
    int n, int k)
{
    json_t        *props;
    fz_context    *ctx;
    const char    *path;
    pdf_document  *out;

    ctx = sd_pdf_context();
    path = sd_pdf_output(job, k, &props);
    out = pdf_create_document(ctx);

    fz_try(ctx) {
        sd_pdf_copy_pages(ctx, out, src, pages, n);

        if (sd_pdf_write(job, out, path, props) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "write");
        }

    } fz_always(ctx) {
        pdf_drop_document(ctx, out);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/*
 * split: each selected page (all of them) in its own document, named
 * after its page (-1, -2, ...); extract-pages: one document of the
 * selected pages, in order, repeats included.
 */
static int
sd_pdf_copy_run(sd_job_t *job, int split)
{
    int            k, n, *pages;
    fz_context    *ctx;
    pdf_document  *src;

    ctx = sd_pdf_context();
    src = NULL;
    pages = NULL;

    fz_var(src);
    fz_var(pages);

    fz_try(ctx) {
        src = sd_pdf_open(job, 0);
        pages = sd_pdf_select(job, pdf_count_pages(ctx, src), &n);

        if (sd_pdf_outputs(job, "application/pdf", split ? pages : NULL,
                           split ? n : 1)
            != 0)
        {
            fz_throw(ctx, FZ_ERROR_GENERIC, "outputs");
        }

        if (!split) {
            sd_pdf_write_pages(job, src, pages, n, 0);
        }

        for (k = 0; split && k < n; k++) {
            sd_pdf_write_pages(job, src, &pages[k], 1, k);
            sd_job_progress(job, k + 1, n);
        }

    } fz_always(ctx) {
        fz_free(ctx, pages);
        pdf_drop_document(ctx, src);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, SD_CORRUPT, "The document cannot be read");
    }

    return 0;
}


int
sd_pdf_split(sd_job_t *job)
{
    return sd_pdf_copy_run(job, 1);
}


int
sd_pdf_extract_pages(sd_job_t *job)
{
    return sd_pdf_copy_run(job, 0);
}


/*
 * The document itself is saved again with the pages turned, so what is
 * not page content (outlines, forms, metadata) stays.  A page named
 * twice turns once.
 */
int
sd_pdf_rotate(sd_job_t *job)
{
    int            i, n, count, angle, rotate, *pages;
    char          *seen;
    json_t        *props;
    pdf_obj       *page;
    fz_context    *ctx;
    const char    *path;
    pdf_document  *doc;

    ctx = sd_pdf_context();
    doc = NULL;
    pages = NULL;
    seen = NULL;
    angle = (int) json_integer_value(json_object_get(job->params, "angle"));

    fz_var(doc);
    fz_var(pages);
    fz_var(seen);

    fz_try(ctx) {
        doc = sd_pdf_open(job, 0);
        count = pdf_count_pages(ctx, doc);
        pages = sd_pdf_select(job, count, &n);
        seen = fz_calloc(ctx, count, 1);

        for (i = 0; i < n; i++) {
            if (seen[pages[i]]) {
                continue;
            }

            seen[pages[i]] = 1;

            /* the page's own /Rotate, or the one it inherits */

            page = pdf_lookup_page_obj(ctx, doc, pages[i]);
            rotate = pdf_to_int(ctx, pdf_dict_get_inheritable(ctx, page,
                                                     PDF_NAME(Rotate)));

            /* reduced first: /Rotate 2147483647 must not overflow */

            rotate = ((rotate % 360 / 90 * 90 + angle) % 360 + 360) % 360;
            pdf_dict_put_int(ctx, page, PDF_NAME(Rotate), rotate);
        }

        if (sd_pdf_outputs(job, "application/pdf", NULL, 1) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "outputs");
        }

        path = sd_pdf_output(job, 0, &props);

        if (sd_pdf_write(job, doc, path, props) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "write");
        }

    } fz_always(ctx) {
        fz_free(ctx, seen);
        fz_free(ctx, pages);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, SD_CORRUPT, "The document cannot be read");
    }

    return 0;
}
