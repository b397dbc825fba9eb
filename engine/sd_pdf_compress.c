
/*
 * Copyright (C) scandoc authors
 *
 * compress: the document saved again with unused and duplicate objects
 * dropped, every stream that is not an image or a font compressed anew,
 * and the other objects packed into object streams.  The output is
 * never larger than the input: when saving does not gain, the output is
 * the input's bytes, unless mupdf had to repair the input (its xref, its
 * page tree): those bytes are the damage, the saved document is not.
 */


#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sd_pdf.h"


/* output = the input's bytes */

static int
sd_pdf_copy_file(sd_job_t *job, const char *from, const char *to)
{
    int      in, out, rc;
    char     buf[65536];
    ssize_t  n;

    rc = -1;
    in = open(from, O_RDONLY);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) >= 0) {
        if (n == 0) {
            rc = 0;
            break;
        }

        if (write(out, buf, n) != n) {
            break;
        }
    }

    if (in >= 0) {
        close(in);
    }

    if (out >= 0 && close(out) != 0) {
        rc = -1;
    }

    if (rc != 0) {
        return sd_job_fail(job, errno == EFBIG ? SD_LIMIT : SD_INTERNAL,
                           "The output cannot be written: %s.",
                           strerror(errno));
    }

    return 0;
}


int
sd_pdf_compress(sd_job_t *job)
{
    int                 rc, damaged;
    json_t             *props;
    fz_context         *ctx;
    const char         *path;
    fz_stream          *stm;
    fz_buffer          *buf;
    fz_output          *out;
    long long           size;
    pdf_document       *doc, *clean;
    pdf_write_options   opts;

    ctx = sd_pdf_context();
    doc = NULL;
    clean = NULL;
    buf = NULL;
    out = NULL;
    stm = NULL;
    damaged = 0;

    if (sd_pdf_outputs(job, "application/pdf", NULL, 1) != 0) {
        return -1;
    }

    path = sd_pdf_output(job, 0, &props);

    opts = pdf_default_write_options;
    opts.do_garbage = 4;            /* duplicate objects and streams merged */
    opts.do_decompress = 1;
    opts.do_compress = 1;
    opts.do_compress_images = 1;
    opts.do_compress_fonts = 1;
    opts.do_encrypt = PDF_ENCRYPT_NONE;

    fz_var(doc);
    fz_var(clean);
    fz_var(buf);
    fz_var(out);
    fz_var(stm);
    fz_var(damaged);

    errno = 0;

    fz_try(ctx) {
        doc = sd_pdf_open_fixed(job, 0, &damaged);
        damaged |= pdf_was_repaired(ctx, doc);
        json_object_set_new(props, "page_count",
                            json_integer(pdf_count_pages(ctx, doc)));

        /* mupdf's writer cleans; what it wrote is packed in object streams */

        buf = fz_new_buffer(ctx, 65536);
        out = fz_new_output_with_buffer(ctx, buf);
        pdf_write_document(ctx, doc, out, &opts);
        fz_close_output(ctx, out);

        stm = fz_open_buffer(ctx, buf);
        clean = pdf_open_document_with_stream(ctx, stm);
        sd_pdf_write_objstm(ctx, clean, path);

        if (!sd_pdf_sound(ctx, path, pdf_count_pages(ctx, doc))) {
            sd_job_fail(job, SD_CORRUPT, "The input is too damaged to be "
                        "written as a sound document.");
            fz_throw(ctx, FZ_ERROR_GENERIC, "unsound output");
        }

    } fz_always(ctx) {
        pdf_drop_document(ctx, clean);
        fz_drop_stream(ctx, stm);
        fz_drop_output(ctx, out);
        fz_drop_buffer(ctx, buf);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        return sd_pdf_caught(job, errno == EFBIG ? SD_LIMIT : SD_CORRUPT,
                             "The document cannot be compressed");
    }

    size = sd_file_size(job->inputs[0].path);
    rc = 0;

    if (!damaged && size >= 0 && sd_file_size(path) >= size) {
        rc = sd_pdf_copy_file(job, job->inputs[0].path, path);
    }

    json_object_set_new(props, "size", json_integer(sd_file_size(path)));

    return rc;
}
