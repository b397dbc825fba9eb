
/*
 * Copyright (C) scandoc authors
 *
 * Upload probing: the type from the magic number, confirmed by parsing
 * the header (images: leptonica's header readers, which never decode
 * pixels; PDFs: mupdf opens the document and counts its pages).
 */


#define _GNU_SOURCE            /* memmem() */

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <leptonica/allheaders.h>

#include "sd_engine.h"


#define SD_PDF_MAGIC_WINDOW   1024   /* readers accept junk before %PDF- */


static unsigned
sd_probe_magic(const unsigned char *b, size_t n)
{
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) {
        return SD_TYPE_PNG;
    }

    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) {
        return SD_TYPE_JPEG;
    }

    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
    {
        return SD_TYPE_WEBP;
    }

    if (n >= 5 && memmem(b, n, "%PDF-", 5) != NULL) {
        return SD_TYPE_PDF;
    }

    return 0;
}


static int
sd_probe_image(const char *path, unsigned type, json_t *properties)
{
    l_int32  format, w, h, bps, spp, iscmap, want;

    want = type == SD_TYPE_PNG ? IFF_PNG
           : type == SD_TYPE_JPEG ? IFF_JFIF_JPEG : IFF_WEBP;

    if (pixReadHeader(path, &format, &w, &h, &bps, &spp, &iscmap) != 0
        || format != want || w <= 0 || h <= 0)
    {
        return -1;
    }

    json_object_set_new(properties, "width", json_integer(w));
    json_object_set_new(properties, "height", json_integer(h));

    return 0;
}


int
sd_probe_file(const char *path, json_t **result, const char **code,
    char *error, size_t size)
{
    int            fd;
    ssize_t        n;
    json_t        *props;
    unsigned       type;
    long long      bytes;
    unsigned char  head[SD_PDF_MAGIC_WINDOW];

    *result = NULL;
    *code = SD_UNSUPPORTED;
    snprintf(error, size, "The file type is not supported.");

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        *code = SD_INTERNAL;
        snprintf(error, size, "The file cannot be opened.");
        return -1;
    }

    n = read(fd, head, sizeof(head));
    close(fd);

    bytes = sd_file_size(path);

    if (n <= 0 || bytes < 0) {
        return -1;
    }

    type = sd_probe_magic(head, (size_t) n);
    if (type == 0) {
        return -1;
    }

    props = json_object();
    json_object_set_new(props, "size", json_integer(bytes));

    if (type == SD_TYPE_PDF) {
        if (sd_pdf_probe(path, props, code, error, size) != 0) {
            json_decref(props);
            return -1;
        }

    } else if (sd_probe_image(path, type, props) != 0) {
        json_decref(props);
        return -1;
    }

    *result = json_pack("{s:s, s:o}", "type", sd_type_name(type),
                        "properties", props);

    return 0;
}


int
sd_probe(sd_job_t *job)
{
    const char  *code;

    if (job->ninputs != 1) {
        return sd_job_fail(job, SD_INTERNAL, "A probe takes one input.");
    }

    if (sd_probe_file(job->inputs[0].path, &job->result, &code, job->error,
                      sizeof(job->error))
        != 0)
    {
        job->code = code;
        return -1;
    }

    return 0;
}
