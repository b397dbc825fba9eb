
/*
 * Copyright (C) scandoc authors
 *
 * Image operations with leptonica.  Pixels are decoded only after the
 * header has shown they fit within limits.max_pixels, so a small file
 * declaring a huge image fails before it can claim the memory.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>

#include "sd_engine.h"


#define SD_WEBP_SIDE_MAX      16383   /* the format stores 14 bits a side */
#define SD_JPEG_SIDE_MAX      65500   /* libjpeg's JPEG_MAX_DIMENSION */

/*
 * What writing takes beyond the image itself, in bytes a pixel, measured
 * with margin: leptonica's 32-bit copy and the encoder's planes for WebP,
 * a 32-bit copy (alpha blended on white) for JPEG, rows for PNG.
 */
#define SD_WRITE_WEBP_BYTES   8
#define SD_WRITE_JPEG_BYTES   4
#define SD_WRITE_PNG_BYTES    1


static unsigned long  sd_pix_refused;  /* pixel buffers malloc() refused */


/*
 * leptonica answers NULL alike for bad arguments and for a refused
 * allocation; its pixel buffers, where the memory of an image operation
 * goes, are counted when refused, so a failed step can tell which.
 */
static void *
sd_pix_alloc(size_t size)
{
    void  *p;

    p = malloc(size);

    if (p == NULL) {
        sd_pix_refused++;
    }

    return p;
}


void
sd_image_init(void)
{
    /* errors reach the job as codes; leptonica's stderr chatter is noise */
    setMsgSeverity(L_SEVERITY_NONE);

    setPixMemoryManager(sd_pix_alloc, free);
}


void
sd_image_memory_reset(void)
{
    sd_pix_refused = 0;
}


unsigned long
sd_image_refused(void)
{
    return sd_pix_refused;
}


/*
 * Whether size bytes can be had now, under the helper's RLIMIT_AS: asked
 * for and given back at once (untouched, they cost nothing).
 */
int
sd_image_room(size_t size)
{
    void  *p;

    p = malloc(size);
    if (p == NULL) {
        return 0;
    }

    free(p);

    return 1;
}


/*
 * After a step that failed: whether memory was short, i.e. a pixel
 * buffer was refused during the job, an allocation left ENOMEM (errno is
 * cleared before the step), or need bytes, what the step takes, cannot
 * be had now.
 */
int
sd_image_memory_short(size_t need)
{
    return sd_pix_refused != 0 || errno == ENOMEM
           || (need != 0 && !sd_image_room(need));
}


int
sd_image_fail_memory(sd_job_t *job, const char *fmt, ...)
{
    char     error[sizeof(job->error)];
    va_list  args;

    /* the first failure is the precise one: it keeps its details too */

    if (job->code != NULL) {
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(error, sizeof(error), fmt, args);
    va_end(args);

    sd_job_fail(job, SD_LIMIT, "%s", error);
    sd_job_detail(job, "limit", json_string("memory"));

    return -1;
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
sd_image_decode_short(const char *path)
{
    l_int32     format, w, h, bps, spp, cmap;
    long long   size;

    if (pixReadHeader(path, &format, &w, &h, &bps, &spp, &cmap) != 0
        || w <= 0 || h <= 0)
    {
        return 0;
    }

    size = sd_file_size(path);

    return !sd_image_room((size_t) (size > 0 ? size : 0)
                          + (size_t) w * h * 8);
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
        if (sd_image_decode_short(job->inputs[i].path)) {
            sd_image_fail_memory(job, "Input %zu needs more memory to "
                                 "decode than the helper is allowed.", i + 1);
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
    size_t       need;
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

    errno = 0;

    if (strcmp(type, "image/jpeg") == 0) {

        /*
         * JPEG has no alpha: transparent areas would show whatever color
         * they hide (often black); they show the white of a page instead.
         */

        flat = pixGetSpp(pix) == 4 ? pixAlphaBlendUniform(pix, 0xffffff00)
                                   : NULL;
        rc = (pixGetSpp(pix) == 4 && flat == NULL)
             ? 1 : pixWriteJpeg(path, flat ? flat : pix, quality, 0);
        pixDestroy(&flat);
        need = SD_WRITE_JPEG_BYTES;

    } else if (strcmp(type, "image/webp") == 0) {
        rc = pixWriteWebP(path, pix, quality, 0);
        need = SD_WRITE_WEBP_BYTES;

    } else {
        rc = pixWrite(path, pix, IFF_PNG);
        need = SD_WRITE_PNG_BYTES;
    }

    size = sd_file_size(path);

    if (rc != 0 || size <= 0) {

        /*
         * The writers answer "failed" alike for a full disk and for a
         * refused allocation (libpng's and libjpeg's errors, an empty
         * WebP); a disk error leaves its own errno, memory ENOMEM or
         * nothing usable, so the room the writer takes is asked for again.
         */

        if (errno != ENOSPC && errno != EFBIG && errno != EIO
            && sd_image_memory_short((size_t) pixGetWidth(pix)
                                     * pixGetHeight(pix) * need))
        {
            return sd_image_fail_memory(job, "Writing the %dx%d image as "
                                        "%s needs more memory than the "
                                        "helper is allowed.",
                                        pixGetWidth(pix), pixGetHeight(pix),
                                        type);
        }

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
