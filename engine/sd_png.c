
/*
 * Copyright (C) scandoc authors
 *
 * A walk over a PNG's chunks before any decoder sees it.  libpng
 * allocates what a chunk declares and inflates compressed text and ICC
 * chunks whole, so a 57-byte file can claim a gigabyte and a 6 KB one
 * can expand to megabytes of "metadata": both are refused here, cheaply.
 * A file cut inside its last chunks after complete image data is
 * closed with an IEND so its pixels can still be read.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sd_engine.h"


#define SD_PNG_META_MAX       (1 << 20)    /* inflated bytes per chunk */


static uint32_t
sd_png_u32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


/* the size a zlib stream inflates to, counted up to max + 1 */

static size_t
sd_png_inflated(const unsigned char *data, size_t len, size_t max)
{
    int            rc;
    size_t         total;
    z_stream       z;
    unsigned char  buf[16384];

    memset(&z, 0, sizeof(z_stream));

    if (inflateInit(&z) != Z_OK) {
        return 0;
    }

    z.next_in = (unsigned char *) data;
    z.avail_in = len;
    total = 0;

    do {
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        rc = inflate(&z, Z_NO_FLUSH);
        total += sizeof(buf) - z.avail_out;

    } while (rc == Z_OK && total <= max && z.avail_out == 0);

    inflateEnd(&z);

    return total;
}


/* where the zlib data of a compressed ancillary chunk starts, or NULL */

static const unsigned char *
sd_png_compressed(const unsigned char *type, const unsigned char *p,
    size_t len, size_t *zlen)
{
    const unsigned char  *end, *q;

    end = p + len;
    q = memchr(p, '\0', len);           /* keyword or profile name */

    if (q == NULL) {
        return NULL;
    }

    if (memcmp(type, "iTXt", 4) == 0) {
        if (end - q < 3 || q[1] == 0) {
            return NULL;                /* not compressed */
        }

        q = memchr(q + 3, '\0', end - (q + 3));            /* language */
        q = q ? memchr(q + 1, '\0', end - (q + 1)) : NULL; /* translated */

        if (q == NULL) {
            return NULL;
        }

        q++;

    } else {
        q += 2;                          /* NUL and compression method */
    }

    if (q > end) {
        return NULL;
    }

    *zlen = end - q;

    return q;
}


unsigned char *
sd_png_load(sd_job_t *job, const char *path, size_t *size)
{
    FILE           *f;
    size_t          len, off, zlen, n;
    uint32_t        clen;
    long long       fsize;
    unsigned char  *data, *type;
    unsigned        idat;
    const unsigned char  *z;

    static const unsigned char  iend[12] =
        { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

    fsize = sd_file_size(path);
    f = fopen(path, "rb");

    if (f == NULL || fsize < 8) {
        if (f) {
            fclose(f);
        }
        sd_job_fail(job, SD_CORRUPT, "The PNG file cannot be read.");
        return NULL;
    }

    len = (size_t) fsize;
    data = malloc(len + sizeof(iend));
    n = data ? fread(data, 1, len, f) : 0;
    fclose(f);

    if (n != len) {
        free(data);
        sd_job_fail(job, SD_CORRUPT, "The PNG file cannot be read.");
        return NULL;
    }

    idat = 0;

    for (off = 8; off < len; off += 12 + clen) {
        if (len - off < 12 || (clen = sd_png_u32(data + off)) > len - off - 12)
        {
            /* cut short: keep what precedes, if it holds image data */

            if (idat == 0) {
                sd_job_fail(job, SD_CORRUPT, "The PNG file is truncated %s "
                            "its image data.",
                            len - off >= 8 && memcmp(data + off + 4, "IDAT", 4)
                            == 0 ? "inside" : "before");
                free(data);
                return NULL;
            }

            memcpy(data + off, iend, sizeof(iend));
            len = off + sizeof(iend);
            break;
        }

        type = data + off + 4;

        if (memcmp(type, "IDAT", 4) == 0) {
            idat++;
        }

        if (memcmp(type, "IEND", 4) == 0) {
            break;
        }

        if (memcmp(type, "zTXt", 4) != 0 && memcmp(type, "iTXt", 4) != 0
            && memcmp(type, "iCCP", 4) != 0)
        {
            continue;
        }

        z = sd_png_compressed(type, data + off + 8, clen, &zlen);

        if (z != NULL
            && sd_png_inflated(z, zlen, SD_PNG_META_MAX) > SD_PNG_META_MAX)
        {
            sd_job_fail(job, SD_LIMIT, "The image carries a compressed %.4s "
                        "chunk that expands beyond %d bytes.",
                        (const char *) type, SD_PNG_META_MAX);
            free(data);
            sd_job_detail(job, "limit", json_string("png_metadata"));
            sd_job_detail(job, "max", json_integer(SD_PNG_META_MAX));
            return NULL;
        }
    }

    *size = len;

    return data;
}
