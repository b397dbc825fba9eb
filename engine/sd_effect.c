
/*
 * Copyright (C) scandoc authors
 *
 * Effects on a page image (apply-effect, and the last step of scan):
 * grayscale is luminance; scanner is the look of a flatbed scan, the
 * paper flattened to white whatever the light was, text darkened and
 * sharpened; black-background is the page's content on black.
 */


#include <errno.h>
#include <string.h>

#include "sd_imgops.h"


/* background tiles: big enough to hold no whole letter of body text */
#define SD_BG_TILE            40
#define SD_BG_THRESH          60     /* darker than this is not paper */
#define SD_BG_MINCOUNT        80     /* paper pixels a tile needs */

/* levels of the final curve: ink at or below black, paper at or above */
#define SD_INK_LEVEL          90
#define SD_PAPER_LEVEL        225

/*
 * half bytes a pixel pixBackgroundNorm() takes at its peak: its result
 * (4 or 1 bytes), more than the gray copy and 1-bit masks it finds the
 * paper with (about 1.4), plus half a byte of margin
 */
#define SD_BG_ROOM_HALVES(d)  ((d) == 32 ? 9 : 3)


/* luminance with the weights of Rec. 601, as image tools compute it */

static PIX *
sd_effect_gray(PIX *pix)
{
    return pixGetDepth(pix) == 32
           ? pixConvertRGBToGray(pix, 0.299f, 0.587f, 0.114f)
           : pixCopy(NULL, pix);
}


/*
 * The paper's brightness (8 or 32 bpp), estimated tile by tile from its
 * light pixels and smoothed, divides the image, so shadows and uneven
 * light vanish and the paper maps to white (bgval 255).  Small images
 * get smaller tiles: leptonica needs at least a few of them.
 */
static PIX *
sd_effect_flatten(PIX *pix)
{
    int            tile, side;
    PIX           *norm;
    size_t         n;
    unsigned long  refused;

    side = pixGetWidth(pix) < pixGetHeight(pix) ? pixGetWidth(pix)
                                                 : pixGetHeight(pix);
    tile = side / 4 < SD_BG_TILE ? side / 4 : SD_BG_TILE;

    if (tile < 4) {
        return pixCopy(NULL, pix);
    }

    /*
     * pixBackgroundNorm() dereferences the NULL of a refused allocation
     * (its foreground mask): the room it takes is asked for first.
     */

    n = (size_t) pixGetWidth(pix) * pixGetHeight(pix);

    if (!sd_image_room(n * SD_BG_ROOM_HALVES(pixGetDepth(pix)) / 2)) {
        errno = ENOMEM;
        return NULL;
    }

    refused = sd_image_refused();
    errno = 0;

    norm = pixBackgroundNorm(pix, NULL, NULL, tile, tile, SD_BG_THRESH,
                             tile * tile / 20 < SD_BG_MINCOUNT
                             ? tile * tile / 20 : SD_BG_MINCOUNT,
                             255, 2, 2);

    /*
     * leptonica refuses tiles without enough paper: keep the image; but
     * an image kept for want of memory would be a wrong answer
     */

    if (norm == NULL
        && (sd_image_refused() != refused || errno == ENOMEM))
    {
        return NULL;
    }

    return norm ? norm : pixCopy(NULL, pix);
}


static PIX *
sd_effect_scanner(PIX *pix)
{
    PIX  *gray, *flat, *sharp, *out;

    gray = sd_effect_gray(pix);
    if (gray == NULL) {
        return NULL;
    }

    flat = sd_effect_flatten(gray);
    pixDestroy(&gray);

    if (flat == NULL) {
        return NULL;
    }

    sharp = pixUnsharpMasking(flat, 2, 0.5);
    pixDestroy(&flat);

    if (sharp == NULL) {
        return NULL;
    }

    /* paper noise goes white, faint strokes get the weight of ink */

    out = pixGammaTRC(NULL, sharp, 1.0, SD_INK_LEVEL, SD_PAPER_LEVEL);
    pixDestroy(&sharp);

    return out;
}


/*
 * Content on black: the page flattened to white first, so that paper,
 * not the light on it, turns black; its noise is cut like scanner's,
 * then everything is inverted, colours kept.
 */
static PIX *
sd_effect_black(PIX *pix)
{
    PIX  *flat, *clean;

    flat = sd_effect_flatten(pix);
    if (flat == NULL) {
        return NULL;
    }

    clean = pixGammaTRC(NULL, flat, 1.0, 0, SD_PAPER_LEVEL);
    pixDestroy(&flat);

    if (clean == NULL) {
        return NULL;
    }

    return pixInvert(clean, clean);
}


PIX *
sd_effect_pix(PIX *pix, const char *effect)
{
    PIX  *plain, *out;

    plain = sd_pix_plain(pix);
    if (plain == NULL) {
        return NULL;
    }

    if (strcmp(effect, "grayscale") == 0) {
        out = sd_effect_gray(plain);

    } else if (strcmp(effect, "scanner") == 0) {
        out = sd_effect_scanner(plain);

    } else if (strcmp(effect, "black-background") == 0) {
        out = sd_effect_black(plain);

    } else {
        return plain;
    }

    pixDestroy(&plain);

    return out;
}


int
sd_effect_run(sd_job_t *job)
{
    PIX         *pix, *out;
    const char  *effect;

    effect = json_string_value(json_object_get(job->params, "effect"));

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    errno = 0;      /* an ENOMEM from here on is this step's */
    out = sd_effect_pix(pix, effect ? effect : "grayscale");
    pixDestroy(&pix);

    return sd_pix_output(job, out, "given the effect");
}
