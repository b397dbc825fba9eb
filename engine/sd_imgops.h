
/*
 * Copyright (C) scandoc authors
 *
 * Inside scandoc-engine: the image operations that look at pixels as a
 * page (sd_effect.c, sd_detect.c, sd_warp.c) and what they share: a
 * document's quadrilateral and the pixel formats they work on.
 */


#ifndef _SD_IMGOPS_H_INCLUDED_
#define _SD_IMGOPS_H_INCLUDED_


#include <leptonica/allheaders.h>

#include "sd_engine.h"


typedef struct {
    double                x;
    double                y;
} sd_point_t;


/* top-left, top-right, bottom-right, bottom-left, in pixel centres */
typedef struct {
    sd_point_t            p[4];
} sd_quad_t;


/*
 * A decoded image as 8 bpp gray or 32 bpp RGB, without colormap or
 * alpha (transparent parts become white, as on paper); NULL on failure.
 */
PIX *sd_pix_plain(PIX *pix);

/*
 * out written as the next PNG output, then destroyed; NULL fails the job
 * (unless a step already did, with its own code).
 */
int sd_pix_output(sd_job_t *job, PIX *out, const char *what);

/* the whole image: (0,0), (w-1,0), (w-1,h-1), (0,h-1) */
void sd_quad_whole(PIX *pix, sd_quad_t *q);

/* effects (sd_effect.c): "none", "grayscale", "scanner", "black-background" */
PIX *sd_effect_pix(PIX *pix, const char *effect);

/*
 * Document detection (sd_detect.c): the paper's quadrilateral in pix,
 * the whole image when the image is a page by itself.  Returns 1 found,
 * 0 no document, -1 out of memory.
 */
int sd_detect_quad(PIX *pix, sd_quad_t *q);

/*
 * Perspective correction (sd_warp.c): q onto an upright rectangle; NULL
 * with the job failed (limit_exceeded beyond limits.max_pixels).
 */
PIX *sd_warp_pix(sd_job_t *job, PIX *pix, const sd_quad_t *q);

/* the runners of the sd_runners table */
int sd_effect_run(sd_job_t *job);
int sd_detect_run(sd_job_t *job);
int sd_warp_run(sd_job_t *job);
int sd_scan_run(sd_job_t *job);


#endif /* _SD_IMGOPS_H_INCLUDED_ */
