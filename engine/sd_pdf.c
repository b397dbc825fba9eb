
/*
 * Copyright (C) scandoc authors
 *
 * PDF work with mupdf: probing, and merge (pages grafted, not re-rendered,
 * so fonts, images and links survive; images become pages).  One mupdf
 * context for the life of the helper; every mupdf call runs inside
 * fz_try so a damaged document fails the job, never the helper.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <leptonica/allheaders.h>

#include "sd_engine.h"
#include "sd_pdf.h"
#include "sd_pages.h"


#define SD_PDF_DPI_MIN        50     /* image resolution taken as given */
#define SD_PDF_DPI_MAX        1200
#define SD_PDF_DPI_DEFAULT    150


static fz_context  *sd_ctx;


static void
sd_pdf_quiet(void *user, const char *message)
{
    /* mupdf's warnings about repairs are noise; errors reach the job */
}


int
sd_pdf_init(void)
{
    sd_ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (sd_ctx == NULL) {
        return -1;
    }

    fz_set_warning_callback(sd_ctx, sd_pdf_quiet, NULL);
    fz_set_error_callback(sd_ctx, sd_pdf_quiet, NULL);

    return 0;
}


fz_context *
sd_pdf_context(void)
{
    return sd_ctx;
}


int
sd_pdf_caught(sd_job_t *job, const char *code, const char *what)
{
    if (job->code != NULL) {
        return -1;      /* thrown after the job said precisely why */
    }

    if (fz_caught(sd_ctx) == FZ_ERROR_MEMORY) {
        return sd_image_fail_memory(job, "%s: it needs more memory than "
                                    "allowed.", what);
    }

    return sd_job_fail(job, code, "%s: %s.", what,
                       fz_caught_message(sd_ctx));
}


int
sd_pdf_encrypted(fz_context *ctx, pdf_document *doc)
{
    return pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Encrypt))
           != NULL;
}


int
sd_pdf_probe(const char *path, json_t *properties, const char **code,
    char *error, size_t size)
{
    int            encrypted, locked, count, readable;
    fz_context    *ctx;
    pdf_document  *doc;

    ctx = sd_ctx;
    doc = NULL;
    count = -1;
    readable = 0;
    encrypted = 0;
    locked = 0;

    fz_var(doc);
    fz_var(count);
    fz_var(readable);
    fz_var(encrypted);
    fz_var(locked);

    fz_try(ctx) {
        doc = pdf_open_document(ctx, path);
        encrypted = sd_pdf_encrypted(ctx, doc);
        locked = pdf_needs_password(ctx, doc);

        /*
         * A locked page tree may still be readable (only strings and
         * streams are encrypted); when it is not, page_count is null.
         */

        fz_try(ctx) {
            sd_pdf_fix_page_tree(ctx, doc);
            count = pdf_count_pages(ctx, doc);

            if (count > 0) {
                pdf_lookup_page_obj(ctx, doc, 0);
                readable = 1;
            }

        } fz_catch(ctx) {
            if (!locked) {
                fz_rethrow(ctx);
            }
            count = -1;
        }

    } fz_always(ctx) {
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        *code = fz_caught(ctx) == FZ_ERROR_MEMORY ? SD_LIMIT : SD_UNSUPPORTED;
        snprintf(error, size, "The file type is not supported.");
        return -1;
    }

    if (!locked && !readable) {
        *code = SD_UNSUPPORTED;
        snprintf(error, size, "The file type is not supported.");
        return -1;
    }

    if (locked && !readable) {
        count = -1;
    }

    json_object_set_new(properties, "page_count",
                        count < 0 ? json_null() : json_integer(count));

    if (encrypted) {
        json_object_set_new(properties, "encrypted", json_true());
    }

    return 0;
}


pdf_document *
sd_pdf_open(sd_job_t *job, size_t i)
{
    return sd_pdf_open_fixed(job, i, NULL);
}


pdf_document *
sd_pdf_open_fixed(sd_job_t *job, size_t i, int *fixed)
{
    int            n, rebuilt;
    fz_context    *ctx;
    pdf_document  *doc;

    ctx = sd_ctx;
    doc = pdf_open_document(ctx, job->inputs[i].path);

    fz_try(ctx) {
        if (pdf_needs_password(ctx, doc)
            && (job->password == NULL
                || !sd_pdf_authenticate(ctx, doc, job->password)))
        {
            sd_job_fail(job, SD_ENCRYPTED, job->password == NULL
                        ? "Input %zu is encrypted and no password was given."
                        : "The password does not open input %zu.", i + 1);
            fz_throw(ctx, FZ_ERROR_GENERIC, "encrypted");
        }

        rebuilt = sd_pdf_fix_page_tree(ctx, doc);

        if (fixed != NULL) {
            *fixed = rebuilt;
        }

        n = pdf_count_pages(ctx, doc);

        if (n <= 0) {
            sd_job_fail(job, SD_CORRUPT, "Input %zu has no readable page.",
                        i + 1);
            fz_throw(ctx, FZ_ERROR_GENERIC, "no page");
        }

        if ((unsigned long) n > job->limits.max_pages) {
            sd_job_fail(job, SD_LIMIT, "Input %zu has more than %lu pages.",
                        i + 1, job->limits.max_pages);
            sd_job_detail(job, "limit", json_string("max_pages"));
            sd_job_detail(job, "max", json_integer(job->limits.max_pages));
            fz_throw(ctx, FZ_ERROR_GENERIC, "too many pages");
        }

    } fz_catch(ctx) {
        pdf_drop_document(ctx, doc);
        fz_rethrow(ctx);
    }

    return doc;
}


int *
sd_pdf_select(sd_job_t *job, int count, int *n)
{
    int               k, *pages;
    long              items, i;
    unsigned          p;
    json_t           *v;
    fz_context       *ctx;
    const char       *err;
    unsigned long     total;
    sd_page_range_t  *ranges;

    ctx = sd_ctx;
    v = json_object_get(job->params, "pages");

    if (!json_is_string(v)) {
        pages = fz_malloc_array(ctx, count, int);

        for (k = 0; k < count; k++) {
            pages[k] = k;
        }

        *n = count;
        return pages;
    }

    /* validated already: parsing cannot fail, but stay safe */

    items = sd_pages_parse(json_string_value(v), json_string_length(v), 0,
                           NULL, 0, NULL, &err);
    if (items <= 0) {
        sd_job_fail(job, SD_INTERNAL, "The pages field is not valid.");
        fz_throw(ctx, FZ_ERROR_GENERIC, "pages");
    }

    ranges = fz_malloc_array(ctx, items, sd_page_range_t);
    pages = NULL;

    fz_var(pages);

    fz_try(ctx) {
        sd_pages_parse(json_string_value(v), json_string_length(v), 0,
                       ranges, items, NULL, &err);

        for (i = 0; i < items; i++) {
            if (ranges[i].last > (unsigned) count) {
                p = ranges[i].first > (unsigned) count ? ranges[i].first
                                                       : (unsigned) count + 1;
                sd_job_fail(job, SD_PAGE_RANGE, "Page %u is beyond the last "
                            "page of the document (%d page%s).", p, count,
                            count == 1 ? "" : "s");
                sd_job_detail(job, "page", json_integer(p));
                sd_job_detail(job, "page_count", json_integer(count));
                fz_throw(ctx, FZ_ERROR_GENERIC, "page out of range");
            }
        }

        /* repeats may name more pages than a document may have */

        total = sd_pages_count(ranges, items);

        if (total > job->limits.max_pages) {
            sd_job_fail(job, SD_LIMIT, "The pages field selects more than "
                        "%lu pages.", job->limits.max_pages);
            sd_job_detail(job, "limit", json_string("max_pages"));
            sd_job_detail(job, "max", json_integer(job->limits.max_pages));
            fz_throw(ctx, FZ_ERROR_GENERIC, "too many pages");
        }

        pages = fz_malloc_array(ctx, total, int);
        k = 0;

        for (i = 0; i < items; i++) {
            for (p = ranges[i].first; p <= ranges[i].last; p++) {
                pages[k++] = (int) p - 1;
            }
        }

        *n = k;

    } fz_always(ctx) {
        fz_free(ctx, ranges);

    } fz_catch(ctx) {
        fz_free(ctx, pages);
        fz_rethrow(ctx);
    }

    return pages;
}


int
sd_pdf_outputs(sd_job_t *job, const char *type, const int *pages, int n)
{
    int          k;
    json_t      *props;
    const char  *path;

    for (k = 0; k < n; k++) {
        path = sd_job_output(job, type, &props);
        if (path == NULL) {
            return -1;
        }

        if (pages != NULL) {
            json_object_set_new(json_array_get(job->outputs, k), "suffix",
                                json_integer(pages[k] + 1));
        }
    }

    return 0;
}


const char *
sd_pdf_output(sd_job_t *job, int k, json_t **props)
{
    json_t  *out;

    out = json_array_get(job->outputs, k);
    *props = json_object_get(out, "properties");

    return json_string_value(json_object_get(out, "path"));
}


void
sd_pdf_copy_pages(fz_context *ctx, pdf_document *dst, pdf_document *src,
    const int *pages, int n)
{
    int             i, count, first, *page_map;
    pdf_graft_map  *map;

    count = pdf_count_pages(ctx, src);
    first = pdf_count_pages(ctx, dst);
    map = NULL;
    page_map = fz_malloc_array(ctx, count, int);

    fz_var(map);

    fz_try(ctx) {

        /* a link goes to the first copy of the page it points to */

        for (i = 0; i < count; i++) {
            page_map[i] = -1;
        }

        for (i = n - 1; i >= 0; i--) {
            page_map[pages[i]] = first + i;
        }

        /* one map per source: resources shared by its pages stay shared */

        map = pdf_new_graft_map(ctx, dst);

        for (i = 0; i < n; i++) {
            pdf_graft_mapped_page(ctx, map, -1, src, pages[i]);
            sd_pdf_prune_resources(ctx, dst,
                                   pdf_lookup_page_obj(ctx, dst, first + i));
        }

        /* links may point forward: annotations once every page is in */

        for (i = 0; i < n; i++) {
            sd_pdf_copy_annots(ctx, map, src, pages[i], dst, first + i,
                               page_map, count);
        }

    } fz_always(ctx) {
        fz_free(ctx, page_map);
        pdf_drop_graft_map(ctx, map);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/*
 * Filters that decode without loss into bytes flate compresses at least
 * as well; image codecs (DCT, JPX, JBIG2, CCITT) are not among them.
 */
static int
sd_pdf_lossless(fz_context *ctx, pdf_obj *f)
{
    return pdf_name_eq(ctx, f, PDF_NAME(FlateDecode))
           || pdf_name_eq(ctx, f, PDF_NAME(LZWDecode))
           || pdf_name_eq(ctx, f, PDF_NAME(ASCII85Decode))
           || pdf_name_eq(ctx, f, PDF_NAME(ASCIIHexDecode))
           || pdf_name_eq(ctx, f, PDF_NAME(RunLengthDecode));
}


/*
 * Streams under other lossless filters than one FlateDecode (LZW,
 * ASCII85, chains) are decoded, so the writer compresses them anew: a
 * damaged one comes out as the part mupdf could read, in a valid
 * stream.  Flate streams are copied as they are, which saves decoding
 * and compressing every page again.
 */
static void
sd_pdf_recode(fz_context *ctx, pdf_document *doc)
{
    int         num, n, i, len, lossless;
    pdf_obj    *obj, *filter;
    fz_buffer  *buf;

    n = pdf_xref_len(ctx, doc);

    for (num = 1; num < n; num++) {
        obj = NULL;
        buf = NULL;

        fz_var(obj);
        fz_var(buf);

        fz_try(ctx) {
            obj = pdf_new_indirect(ctx, doc, num, 0);
            filter = pdf_is_stream(ctx, obj)
                     ? pdf_dict_get(ctx, obj, PDF_NAME(Filter)) : NULL;
            len = pdf_is_array(ctx, filter) ? pdf_array_len(ctx, filter)
                                            : filter != NULL;
            lossless = len > 0;

            for (i = 0; i < len; i++) {
                lossless &= sd_pdf_lossless(ctx, pdf_is_array(ctx, filter)
                                ? pdf_array_get(ctx, filter, i) : filter);
            }

            if (lossless
                && !(len == 1 && pdf_name_eq(ctx, pdf_is_array(ctx, filter)
                                             ? pdf_array_get(ctx, filter, 0)
                                             : filter,
                                             PDF_NAME(FlateDecode))))
            {
                buf = pdf_load_stream(ctx, obj);
                pdf_update_stream(ctx, doc, obj, buf, 0);
            }

        } fz_always(ctx) {
            fz_drop_buffer(ctx, buf);
            pdf_drop_obj(ctx, obj);

        } fz_catch(ctx) {
            if (fz_caught(ctx) == FZ_ERROR_MEMORY) {
                fz_rethrow(ctx);
            }

            /* unreadable: the writer copies it as it is, or drops it */
        }
    }
}


/*
 * Saving reads what the operation left unread of its inputs (rotate and
 * ocr save the input document itself), so a broken object or stream
 * surfaces only here: that is the input's fault, unless the output
 * could not be written.  (ENOENT is no sign: mupdf removes the output
 * path before it opens it.)
 */
static const char *
sd_pdf_write_code(int err)
{
    switch (err) {

    case EFBIG:
        return SD_LIMIT;

    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EROFS:
    case EACCES:
    case EPERM:
    case EBADF:
        return SD_INTERNAL;

    default:
        return SD_CORRUPT;
    }
}


/*
 * Whether a PDF just written opens without repair and has its pages.
 * mupdf's writer, renumbering a repaired input, can lose the catalog
 * (a fuzzed pdfjs bug1782186.pdf: /Root points to null); such a file
 * must fail the job, not be delivered.
 */
int
sd_pdf_sound(fz_context *ctx, const char *path, int pages)
{
    int            sound;
    pdf_document  *doc;

    doc = NULL;
    sound = 0;

    fz_var(doc);
    fz_var(sound);

    fz_try(ctx) {
        doc = pdf_open_document(ctx, path);

        if (pdf_count_pages(ctx, doc) == pages) {
            pdf_lookup_page_obj(ctx, doc, 0);
            sound = !pdf_was_repaired(ctx, doc);
        }

    } fz_always(ctx) {
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        if (fz_caught(ctx) == FZ_ERROR_MEMORY) {
            fz_rethrow(ctx);
        }

        sound = 0;
    }

    return sound;
}


int
sd_pdf_write(sd_job_t *job, pdf_document *doc, const char *path,
    json_t *props)
{
    int                 pages, repaired;
    fz_context         *ctx;
    pdf_write_options   opts;

    ctx = sd_ctx;

    /*
     * Streams stored uncompressed are compressed; an input's encryption
     * is not carried over: the task's password opened it.
     */

    /*
     * A document mupdf repaired (rotate and ocr save their input) is
     * renumbered (garbage 2), so every object has generation 0: objects
     * numbered "n 65535 obj" would otherwise be written with generations
     * that references do not match.  And it is opened again before it is
     * delivered.  A sound document, or one built of grafted pages, needs
     * neither, and split writes hundreds of them.
     */

    repaired = pdf_was_repaired(ctx, doc);

    opts = pdf_default_write_options;
    opts.do_garbage = repaired ? 2 : 1;
    opts.do_compress = 1;
    opts.do_compress_images = 1;
    opts.do_compress_fonts = 1;
    opts.do_encrypt = PDF_ENCRYPT_NONE;

    pages = 0;
    errno = 0;

    fz_var(pages);

    fz_try(ctx) {
        pages = pdf_count_pages(ctx, doc);
        sd_pdf_recode(ctx, doc);
        pdf_save_document(ctx, doc, path, &opts);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, sd_pdf_write_code(errno),
                             "The document cannot be written");
    }

    if (repaired && !sd_pdf_sound(ctx, path, pages)) {
        return sd_job_fail(job, SD_CORRUPT, "The input is too damaged to be "
                           "written as a sound document.");
    }

    json_object_set_new(props, "size", json_integer(sd_file_size(path)));
    json_object_set_new(props, "page_count", json_integer(pages));

    return 0;
}


/* appends every page of one PDF input; throws on mupdf errors */

static void
sd_pdf_append_pdf(sd_job_t *job, pdf_document *out, size_t i,
    unsigned long *pages)
{
    int            n, p, *all;
    fz_context    *ctx;
    pdf_document  *src;

    ctx = sd_ctx;
    all = NULL;
    src = sd_pdf_open(job, i);

    fz_var(all);

    fz_try(ctx) {
        n = pdf_count_pages(ctx, src);

        if (*pages + (unsigned long) n > job->limits.max_pages) {
            sd_job_fail(job, SD_LIMIT,
                        "The merged document would have more than %lu "
                        "pages.", job->limits.max_pages);
            sd_job_detail(job, "limit", json_string("max_pages"));
            sd_job_detail(job, "max", json_integer(job->limits.max_pages));
            fz_throw(ctx, FZ_ERROR_GENERIC, "too many pages");
        }

        all = fz_malloc_array(ctx, n, int);

        for (p = 0; p < n; p++) {
            all[p] = p;
        }

        sd_pdf_copy_pages(ctx, out, src, all, n);
        *pages += n;

    } fz_always(ctx) {
        fz_free(ctx, all);
        pdf_drop_document(ctx, src);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/*
 * PNG and WebP pages are decoded by leptonica, as convert does (mupdf
 * 1.21 has no WebP decoder, and a PNG that convert refuses must not
 * become a page either), after the PNG chunk walk.  Transparency is
 * composited on white, the page's own color.
 */
static fz_image *
sd_pdf_pix_image(sd_job_t *job, size_t i)
{
    int             x, y, w, h, wpl, gray, spp;
    PIX            *pix, *conv;
    l_uint32       *line, v, a;
    fz_image       *img;
    fz_pixmap      *pm;
    fz_context     *ctx;
    unsigned char  *d;

    ctx = sd_ctx;
    pix = sd_image_decode(job, i);

    if (pix == NULL) {
        fz_throw(ctx, FZ_ERROR_GENERIC, "unusable image");
    }

    /* scans are gray or bilevel: keep them one channel */

    gray = pixGetDepth(pix) <= 8 && pixGetColormap(pix) == NULL;
    spp = pixGetSpp(pix);
    errno = 0;      /* an ENOMEM from here on is the conversion's */
    conv = gray ? pixConvertTo8(pix, 0) : pixConvertTo32(pix);
    pixDestroy(&pix);

    if (conv == NULL && sd_image_memory_short(0)) {
        sd_image_fail_memory(job, "Input %zu needs more memory to convert "
                             "than the helper is allowed.", i + 1);
        fz_throw(ctx, FZ_ERROR_GENERIC, "conversion");
    }

    if (conv == NULL) {
        sd_job_fail(job, SD_INTERNAL, "Input %zu cannot be converted.",
                    i + 1);
        fz_throw(ctx, FZ_ERROR_GENERIC, "conversion");
    }

    w = pixGetWidth(conv);
    h = pixGetHeight(conv);
    wpl = pixGetWpl(conv);
    pm = NULL;
    img = NULL;

    fz_var(pm);
    fz_var(img);

    fz_try(ctx) {
        pm = fz_new_pixmap(ctx, gray ? fz_device_gray(ctx)
                                     : fz_device_rgb(ctx), w, h, NULL, 0);

        /* 0 (no resolution stored) makes the caller use its default */

        pm->xres = pixGetXRes(conv);
        pm->yres = pixGetYRes(conv);

        for (y = 0; y < h; y++) {
            line = pixGetData(conv) + (size_t) y * wpl;
            d = pm->samples + (size_t) y * pm->stride;

            for (x = 0; x < w; x++) {
                if (gray) {
                    *d++ = GET_DATA_BYTE(line, x);
                    continue;
                }

                v = line[x];
                a = spp == 4 ? (v & 0xff) : 255;
                *d++ = ((v >> 24) * a + 255 * (255 - a)) / 255;
                *d++ = (((v >> 16) & 0xff) * a + 255 * (255 - a)) / 255;
                *d++ = (((v >> 8) & 0xff) * a + 255 * (255 - a)) / 255;
            }
        }

        img = fz_new_image_from_pixmap(ctx, pm, NULL);

    } fz_always(ctx) {
        fz_drop_pixmap(ctx, pm);
        pixDestroy(&conv);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }

    return img;
}


/* one image input becomes one page the size of the image */

static void
sd_pdf_append_image(sd_job_t *job, pdf_document *out, size_t i,
    unsigned long *pages)
{
    int          xres, yres;
    float        w, h;
    pdf_obj     *ref, *res, *xobj, *page;
    fz_image    *img;
    fz_buffer   *content;
    fz_context  *ctx;

    ctx = sd_ctx;
    img = NULL;
    content = NULL;
    res = NULL;

    fz_var(img);
    fz_var(content);
    fz_var(res);

    if (*pages + 1 > job->limits.max_pages) {
        sd_job_fail(job, SD_LIMIT,
                    "The merged document would have more than %lu pages.",
                    job->limits.max_pages);
        sd_job_detail(job, "limit", json_string("max_pages"));
        fz_throw(ctx, FZ_ERROR_GENERIC, "too many pages");
    }

    fz_try(ctx) {
        if (job->inputs[i].type != SD_TYPE_JPEG) {
            img = sd_pdf_pix_image(job, i);

        } else if (sd_image_check(job, i) == 0) {

            /* JPEG data goes into the PDF as it is: no loss, no growth */

            img = fz_new_image_from_file(ctx, job->inputs[i].path);

        } else {
            fz_throw(ctx, FZ_ERROR_GENERIC, "unusable image");
        }

        xres = img->xres;
        yres = img->yres;

        if (xres < SD_PDF_DPI_MIN || xres > SD_PDF_DPI_MAX
            || yres < SD_PDF_DPI_MIN || yres > SD_PDF_DPI_MAX)
        {
            xres = SD_PDF_DPI_DEFAULT;
            yres = SD_PDF_DPI_DEFAULT;
        }

        w = img->w * 72.0f / xres;
        h = img->h * 72.0f / yres;

        ref = pdf_add_image(ctx, out, img);

        res = pdf_new_dict(ctx, out, 1);
        xobj = pdf_dict_put_dict(ctx, res, PDF_NAME(XObject), 1);
        pdf_dict_puts(ctx, xobj, "Im0", ref);
        pdf_drop_obj(ctx, ref);

        content = fz_new_buffer(ctx, 64);
        fz_append_printf(ctx, content, "q %g 0 0 %g 0 0 cm /Im0 Do Q\n",
                         w, h);

        page = pdf_add_page(ctx, out, fz_make_rect(0, 0, w, h), 0, res,
                            content);
        pdf_insert_page(ctx, out, -1, page);
        pdf_drop_obj(ctx, page);
        (*pages)++;

    } fz_always(ctx) {
        pdf_drop_obj(ctx, res);
        fz_drop_buffer(ctx, content);
        fz_drop_image(ctx, img);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


int
sd_pdf_merge(sd_job_t *job)
{
    int            rc;
    size_t         i;
    json_t        *props;
    fz_context    *ctx;
    const char    *path;
    pdf_document  *out;
    unsigned long  pages;
    char           label[64];

    ctx = sd_ctx;
    out = NULL;
    pages = 0;
    i = 0;

    path = sd_job_output(job, "application/pdf", &props);
    if (path == NULL) {
        return -1;
    }

    fz_var(out);
    fz_var(i);

    fz_try(ctx) {
        out = pdf_create_document(ctx);

        for (i = 0; i < job->ninputs; i++) {
            if (job->inputs[i].type == SD_TYPE_PDF) {
                sd_pdf_append_pdf(job, out, i, &pages);

            } else {
                sd_pdf_append_image(job, out, i, &pages);
            }

            sd_job_progress(job, i + 1, job->ninputs);
        }

    } fz_catch(ctx) {
        pdf_drop_document(ctx, out);

        snprintf(label, sizeof(label), "Input %zu cannot be read", i + 1);
        sd_pdf_caught(job, SD_CORRUPT, label);
        sd_job_detail(job, "input", json_integer(i + 1));

        return -1;
    }

    rc = sd_pdf_write(job, out, path, props);
    pdf_drop_document(ctx, out);

    return rc;
}
