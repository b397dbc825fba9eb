
/*
 * Copyright (C) scandoc authors
 *
 * render: one PNG per page at the task's dpi, drawn by mupdf on white.
 * The pixel size is what mupdf computes for the page at that scale
 * (the rotated page box times dpi / 72, rounded out), as `mutool draw
 * -r` does; every page is measured against max_pixels before the first
 * one is drawn.
 */


#include <string.h>
#include <leptonica/allheaders.h>

#include "sd_pdf.h"


#define SD_PDF_RENDER_DPI     300


/* the pixel box of page p at the scale ctm */

static fz_irect
sd_pdf_render_box(fz_context *ctx, fz_document *doc, int p, fz_matrix ctm)
{
    fz_rect    bounds;
    fz_page   *page;

    page = fz_load_page(ctx, doc, p);

    fz_try(ctx) {
        bounds = fz_bound_page(ctx, page);

    } fz_always(ctx) {
        fz_drop_page(ctx, page);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }

    return fz_round_rect(fz_transform_rect(bounds, ctm));
}


static void
sd_pdf_render_check(sd_job_t *job, fz_document *doc, const int *pages,
    int n, fz_matrix ctm)
{
    int                  k;
    fz_irect             box;
    fz_context          *ctx;
    unsigned long long   pixels;

    ctx = sd_pdf_context();

    for (k = 0; k < n; k++) {
        box = sd_pdf_render_box(ctx, doc, pages[k], ctm);
        pixels = (unsigned long long) (box.x1 - box.x0)
                 * (unsigned long long) (box.y1 - box.y0);

        if (pixels > job->limits.max_pixels) {
            sd_job_fail(job, SD_LIMIT, "Page %d would be %dx%d pixels, more "
                        "than %lu.", pages[k] + 1, box.x1 - box.x0,
                        box.y1 - box.y0, job->limits.max_pixels);
            sd_job_detail(job, "limit", json_string("max_pixels"));
            sd_job_detail(job, "max", json_integer(job->limits.max_pixels));
            sd_job_detail(job, "value", json_integer(pixels));
            sd_job_detail(job, "page", json_integer(pages[k] + 1));
            fz_throw(ctx, FZ_ERROR_GENERIC, "too many pixels");
        }
    }
}


/* page p drawn as output k */

static void
sd_pdf_render_page(sd_job_t *job, fz_document *doc, int p, int k,
    fz_matrix ctm, int dpi)
{
    json_t      *props;
    fz_page     *page;
    fz_pixmap   *pix;
    fz_context  *ctx;
    const char  *path;

    ctx = sd_pdf_context();
    path = sd_pdf_output(job, k, &props);
    pix = NULL;
    page = fz_load_page(ctx, doc, p);

    fz_var(pix);

    fz_try(ctx) {
        pix = fz_new_pixmap_from_page(ctx, page, ctm, fz_device_rgb(ctx), 0);
        fz_set_pixmap_resolution(ctx, pix, dpi, dpi);
        fz_save_pixmap_as_png(ctx, pix, path);

        json_object_set_new(props, "size",
                            json_integer(sd_file_size(path)));
        json_object_set_new(props, "width", json_integer(pix->w));
        json_object_set_new(props, "height", json_integer(pix->h));

    } fz_always(ctx) {
        fz_drop_pixmap(ctx, pix);
        fz_drop_page(ctx, page);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


int
sd_pdf_render(sd_job_t *job)
{
    int            k, n, dpi, drawing, *pages;
    json_t        *v;
    fz_matrix      ctm;
    fz_context    *ctx;
    pdf_document  *doc;

    ctx = sd_pdf_context();
    doc = NULL;
    pages = NULL;
    drawing = 0;

    v = json_object_get(job->params, "dpi");
    dpi = json_is_integer(v) ? (int) json_integer_value(v)
                             : SD_PDF_RENDER_DPI;
    ctm = fz_scale(dpi / 72.0f, dpi / 72.0f);

    fz_var(doc);
    fz_var(pages);
    fz_var(drawing);

    fz_try(ctx) {
        doc = sd_pdf_open(job, 0);
        pages = sd_pdf_select(job, pdf_count_pages(ctx, doc), &n);

        sd_pdf_render_check(job, &doc->super, pages, n, ctm);

        if (sd_pdf_outputs(job, "image/png", pages, n) != 0) {
            fz_throw(ctx, FZ_ERROR_GENERIC, "outputs");
        }

        drawing = 1;

        for (k = 0; k < n; k++) {
            sd_pdf_render_page(job, &doc->super, pages[k], k, ctm, dpi);
            sd_job_progress(job, k + 1, n);
        }

    } fz_always(ctx) {
        fz_free(ctx, pages);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, SD_CORRUPT, drawing
                             ? "A page cannot be rendered"
                             : "The document cannot be read");
    }

    return 0;
}


/*
 * A page as gray pixels for recognition (extract-text and ocr on pages
 * without text), within max_pixels.  Throws, with the job failed when
 * the page is too large.
 */
PIX *
sd_pdf_page_pix(sd_job_t *job, fz_page *page, int dpi)
{
    int          x, y;
    PIX         *pix;
    fz_irect     box;
    fz_matrix    ctm;
    fz_pixmap   *pm;
    fz_context  *ctx;
    l_uint32    *line;
    unsigned char       *row;
    unsigned long long   pixels;

    ctx = sd_pdf_context();
    ctm = fz_scale(dpi / 72.0f, dpi / 72.0f);
    box = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), ctm));
    pixels = (unsigned long long) (box.x1 - box.x0)
             * (unsigned long long) (box.y1 - box.y0);

    if (pixels > job->limits.max_pixels) {
        sd_job_fail(job, SD_LIMIT, "A page would be %dx%d pixels to "
                    "recognize, more than %lu.", box.x1 - box.x0,
                    box.y1 - box.y0, job->limits.max_pixels);
        sd_job_detail(job, "limit", json_string("max_pixels"));
        sd_job_detail(job, "max", json_integer(job->limits.max_pixels));
        sd_job_detail(job, "value", json_integer(pixels));
        fz_throw(ctx, FZ_ERROR_GENERIC, "too many pixels");
    }

    pm = fz_new_pixmap_from_page(ctx, page, ctm, fz_device_gray(ctx), 0);
    pix = pixCreate(pm->w, pm->h, 8);

    if (pix == NULL) {
        fz_drop_pixmap(ctx, pm);
        fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory (page pixels)");
    }

    for (y = 0; y < pm->h; y++) {
        line = pixGetData(pix) + (size_t) y * pixGetWpl(pix);
        row = pm->samples + (size_t) y * pm->stride;

        for (x = 0; x < pm->w; x++) {
            SET_DATA_BYTE(line, x, row[x]);
        }
    }

    pixSetResolution(pix, dpi, dpi);
    fz_drop_pixmap(ctx, pm);

    return pix;
}
