
/*
 * Copyright (C) scandoc authors
 *
 * Image operations with leptonica.  Pixels are decoded only after the
 * header has shown they fit within limits.max_pixels, so a small file
 * declaring a huge image fails before it can claim the memory.
 */


#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>

#include "sd_engine.h"


#define SD_WEBP_SIDE_MAX      16383   /* the format stores 14 bits a side */
#define SD_JPEG_SIDE_MAX      65500   /* libjpeg's JPEG_MAX_DIMENSION */


void
sd_image_init(void)
{
    /* errors reach the job as codes; leptonica's stderr chatter is noise */
    setMsgSeverity(L_SEVERITY_NONE);
}


/*
 * The header of input i against limits.max_pixels, before any pixel is
 * decoded.  Returns -1 with the job failed.
 */
int
sd_image_check(sd_job_t *job, size_t i)
{
    l_int32  format, w, h, bps, spp, cmap;

    if (pixReadHeader(job->inputs[i].path, &format, &w, &h, &bps, &spp,
                      &cmap)
        != 0 || w <= 0 || h <= 0)
    {
        return sd_job_fail(job, SD_CORRUPT, "The header of input %zu "
                           "cannot be read.", i + 1);
    }

    if ((unsigned long long) w * h > job->limits.max_pixels) {
        sd_job_fail(job, SD_LIMIT, "Input %zu has %lld pixels, more than "
                    "the limit of %lu.", i + 1, (long long) w * h,
                    job->limits.max_pixels);
        sd_job_detail(job, "limit", json_string("max_pixels"));
        sd_job_detail(job, "value", json_integer((json_int_t) w * h));
        sd_job_detail(job, "max", json_integer(job->limits.max_pixels));
        return -1;
    }

    return 0;
}


/*
 * The decoders answer NULL alike for broken data and for a failed
 * allocation under the helper's RLIMIT_AS; a file that is fine must not be
 * called corrupt, so a failed decode asks whether what decoding it takes
 * could be allocated at all: the file's bytes (PNGs are read into memory)
 * and twice its pixels at 32 bits (leptonica's image and the decoder's
 * rows and conversions).
 */
static int
sd_image_memory_short(const char *path)
{
    void       *p;
    l_int32     format, w, h, bps, spp, cmap;
    long long   size;

    if (pixReadHeader(path, &format, &w, &h, &bps, &spp, &cmap) != 0
        || w <= 0 || h <= 0)
    {
        return 0;
    }

    size = sd_file_size(path);

    p = malloc((size_t) (size > 0 ? size : 0) + (size_t) w * h * 8);
    if (p == NULL) {
        return 1;
    }

    free(p);

    return 0;
}


PIX *
sd_image_decode(sd_job_t *job, size_t i)
{
    PIX            *pix;
    size_t          size;
    unsigned char  *data;

    if (sd_image_check(job, i) != 0) {
        return NULL;
    }

    switch (job->inputs[i].type) {

    case SD_TYPE_PNG:
        data = sd_png_load(job, job->inputs[i].path, &size);
        if (data == NULL) {
            return NULL;
        }

        pix = pixReadMemPng(data, size);
        free(data);
        break;

    case SD_TYPE_JPEG:

        /*
         * libjpeg's "corrupt data" warnings (stray bytes between markers)
         * leave the pixels intact; viewers show such files, so do we.
         */

        pix = pixReadJpeg(job->inputs[i].path, 0, 1, NULL,
                          L_JPEG_CONTINUE_WITH_BAD_DATA);
        break;

    default:
        pix = pixRead(job->inputs[i].path);
        break;
    }

    if (pix == NULL) {
        if (sd_image_memory_short(job->inputs[i].path)) {
            sd_job_fail(job, SD_LIMIT, "Input %zu needs more memory to "
                        "decode than the helper is allowed.", i + 1);
            sd_job_detail(job, "limit", json_string("memory"));
            return NULL;
        }

        sd_job_fail(job, SD_CORRUPT, "The image data cannot be decoded.");
        return NULL;
    }

    /* text chunks and comments are not carried into outputs */

    pixSetText(pix, NULL);

    return pix;
}


/* writes pix as type into a new output and fills its properties */

int
sd_image_write(sd_job_t *job, PIX *pix, const char *type, int quality)
{
    int          rc, max, side;
    PIX         *flat;
    json_t      *props;
    long long    size;
    const char  *path;

    /*
     * A PNG may be a strip of 50 megapixels within max_pixels; WebP and
     * JPEG cannot hold such a side, and their writers only answer
     * "failed": refuse it as a limit of the format, before writing.
     */

    max = strcmp(type, "image/webp") == 0 ? SD_WEBP_SIDE_MAX
          : strcmp(type, "image/jpeg") == 0 ? SD_JPEG_SIDE_MAX : 0;
    side = pixGetWidth(pix) > pixGetHeight(pix) ? pixGetWidth(pix)
                                                : pixGetHeight(pix);

    if (max != 0 && side > max) {
        sd_job_fail(job, SD_LIMIT, "The image is %dx%d pixels; %s holds at "
                    "most %d pixels a side.", pixGetWidth(pix),
                    pixGetHeight(pix), type, max);
        sd_job_detail(job, "limit", json_string("format_side"));
        sd_job_detail(job, "value", json_integer(side));
        sd_job_detail(job, "max", json_integer(max));
        return -1;
    }

    path = sd_job_output(job, type, &props);
    if (path == NULL) {
        return -1;
    }

    if (strcmp(type, "image/jpeg") == 0) {

        /*
         * JPEG has no alpha: transparent areas would show whatever color
         * they hide (often black); they show the white of a page instead.
         */

        flat = pixGetSpp(pix) == 4 ? pixAlphaBlendUniform(pix, 0xffffff00)
                                   : NULL;
        rc = pixWriteJpeg(path, flat ? flat : pix, quality, 0);
        pixDestroy(&flat);

    } else if (strcmp(type, "image/webp") == 0) {
        rc = pixWriteWebP(path, pix, quality, 0);

    } else {
        rc = pixWrite(path, pix, IFF_PNG);
    }

    size = sd_file_size(path);

    if (rc != 0 || size <= 0) {
        return sd_job_fail(job, SD_INTERNAL, "The %s output cannot be "
                           "written.", type);
    }

    json_object_set_new(props, "size", json_integer(size));
    json_object_set_new(props, "width", json_integer(pixGetWidth(pix)));
    json_object_set_new(props, "height", json_integer(pixGetHeight(pix)));

    return 0;
}


int
sd_image_convert(sd_job_t *job)
{
    int          rc, quality;
    PIX         *pix;
    const char  *type;

    type = json_string_value(json_object_get(job->params, "target_format"));
    quality = (int) json_integer_value(json_object_get(job->params,
                                                        "quality"));

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    rc = sd_image_write(job, pix, type, quality);
    pixDestroy(&pix);

    return rc;
}
