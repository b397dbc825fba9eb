
/*
 * Copyright (C) scandoc authors
 *
 * Perspective correction: a quadrilateral of the image mapped onto an
 * upright rectangle whose sides are the longer of each pair of opposite
 * edges (API.md), bilinear-sampled through the projective transform.
 * Also the warp and scan operations, which end with it.
 */


#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sd_imgops.h"


/* a code of API.md that sd_engine.h does not name */
#define SD_INPUT_FAILED       "input_failed"


PIX *
sd_pix_plain(PIX *pix)
{
    PIX  *t, *u;

    if (pixGetSpp(pix) == 4) {
        t = pixAlphaBlendUniform(pix, 0xffffff00);

    } else {
        t = pixRemoveColormap(pix, REMOVE_CMAP_BASED_ON_SRC);
    }

    if (t == NULL) {
        return NULL;
    }

    if (pixGetDepth(t) == 32) {
        pixSetSpp(t, 3);
        return t;
    }

    if (pixGetDepth(t) == 8) {
        return t;
    }

    u = pixConvertTo8(t, 0);
    pixDestroy(&t);

    return u;
}


int
sd_pix_output(sd_job_t *job, PIX *out, const char *what)
{
    int  rc;

    if (out == NULL) {
        if (job->code != NULL) {
            return -1;
        }

        if (sd_image_memory_short(0)) {
            return sd_image_fail_memory(job, "The image cannot be %s within "
                                        "the memory the helper is "
                                        "allowed.", what);
        }

        return sd_job_fail(job, SD_INTERNAL, "The image cannot be %s.",
                           what);
    }

    rc = sd_image_write(job, out, "image/png", 0);
    pixDestroy(&out);

    return rc;
}


void
sd_quad_whole(PIX *pix, sd_quad_t *q)
{
    double  w, h;

    w = pixGetWidth(pix) - 1;
    h = pixGetHeight(pix) - 1;

    q->p[0].x = 0; q->p[0].y = 0;
    q->p[1].x = w; q->p[1].y = 0;
    q->p[2].x = w; q->p[2].y = h;
    q->p[3].x = 0; q->p[3].y = h;
}


static double
sd_dist(sd_point_t a, sd_point_t b)
{
    return hypot(a.x - b.x, a.y - b.y);
}


/*
 * The homography taking the output rectangle's corners (0,0), (w,0),
 * (w,h), (0,h) onto q: c[0..7] with x' = (c0 x + c1 y + c2) / (c6 x +
 * c7 y + 1) and y' = (c3 x + c4 y + c5) / (same).  Solved as the
 * unit-square map (Heckbert) scaled by the rectangle.
 */
static int
sd_warp_coeffs(const sd_quad_t *q, double w, double h, double *c)
{
    double  x0, y0, x1, y1, x2, y2, x3, y3, sx, sy, dx1, dy1, dx2, dy2;
    double  det, g, k, a, b, d, e;

    x0 = q->p[0].x; y0 = q->p[0].y;
    x1 = q->p[1].x; y1 = q->p[1].y;
    x2 = q->p[2].x; y2 = q->p[2].y;
    x3 = q->p[3].x; y3 = q->p[3].y;

    sx = x0 - x1 + x2 - x3;
    sy = y0 - y1 + y2 - y3;
    dx1 = x1 - x2; dy1 = y1 - y2;
    dx2 = x3 - x2; dy2 = y3 - y2;

    det = dx1 * dy2 - dx2 * dy1;

    if (fabs(det) < 1e-12) {
        return -1;
    }

    g = (sx * dy2 - dx2 * sy) / det;
    k = (dx1 * sy - sx * dy1) / det;

    a = x1 - x0 + g * x1;
    b = x3 - x0 + k * x3;
    d = y1 - y0 + g * y1;
    e = y3 - y0 + k * y3;

    /* (u, v) in the unit square is (x / w, y / h) */

    c[0] = a / w; c[1] = b / h; c[2] = x0;
    c[3] = d / w; c[4] = e / h; c[5] = y0;
    c[6] = g / w; c[7] = k / h;

    return 0;
}


/* bilinear sample of an 8 or 32 bpp image at (x, y), edges clamped */

static inline void
sd_warp_sample(l_uint32 *data, l_int32 wpl, int depth, int w, int h,
    double x, double y, l_uint32 *out)
{
    int        x0, y0, x1, y1, ch;
    double     fx, fy, v;
    l_uint32   p[4], r;
    l_uint32  *l0, *l1;

    x = x < 0 ? 0 : (x > w - 1 ? w - 1 : x);
    y = y < 0 ? 0 : (y > h - 1 ? h - 1 : y);

    x0 = (int) x;
    y0 = (int) y;
    x1 = x0 + 1 < w ? x0 + 1 : x0;
    y1 = y0 + 1 < h ? y0 + 1 : y0;
    fx = x - x0;
    fy = y - y0;

    l0 = data + (size_t) y0 * wpl;
    l1 = data + (size_t) y1 * wpl;

    if (depth == 8) {
        v = (1 - fy) * ((1 - fx) * GET_DATA_BYTE(l0, x0)
                        + fx * GET_DATA_BYTE(l0, x1))
            + fy * ((1 - fx) * GET_DATA_BYTE(l1, x0)
                    + fx * GET_DATA_BYTE(l1, x1));
        *out = (l_uint32) (v + 0.5);
        return;
    }

    p[0] = l0[x0]; p[1] = l0[x1]; p[2] = l1[x0]; p[3] = l1[x1];
    r = 0;

    /* red, green and blue sit in the top three bytes */

    for (ch = 24; ch >= 8; ch -= 8) {
        v = (1 - fy) * ((1 - fx) * ((p[0] >> ch) & 0xff)
                        + fx * ((p[1] >> ch) & 0xff))
            + fy * ((1 - fx) * ((p[2] >> ch) & 0xff)
                    + fx * ((p[3] >> ch) & 0xff));
        r |= (l_uint32) (v + 0.5) << ch;
    }

    *out = r;
}


PIX *
sd_warp_pix(sd_job_t *job, PIX *pix, const sd_quad_t *q)
{
    int        w, h, ow, oh, depth, x, y;
    PIX       *src, *dst;
    double     c[8], wl, hl, den;
    l_int32    wpl, dwpl;
    l_uint32  *data, *line, v;

    wl = fmax(sd_dist(q->p[0], q->p[1]), sd_dist(q->p[3], q->p[2]));
    hl = fmax(sd_dist(q->p[0], q->p[3]), sd_dist(q->p[1], q->p[2]));

    ow = (int) lround(wl);
    oh = (int) lround(hl);

    if (ow < 1 || oh < 1) {
        sd_job_fail(job, SD_INTERNAL, "The quadrilateral has no area.");
        return NULL;
    }

    /* a long, thin quadrilateral can make more pixels than its image */

    if ((unsigned long long) ow * oh > job->limits.max_pixels) {
        sd_job_fail(job, SD_LIMIT, "The warped image would have %lld "
                    "pixels, more than the limit of %lu.",
                    (long long) ow * oh, job->limits.max_pixels);
        sd_job_detail(job, "limit", json_string("max_pixels"));
        sd_job_detail(job, "value", json_integer((json_int_t) ow * oh));
        sd_job_detail(job, "max", json_integer(job->limits.max_pixels));
        return NULL;
    }

    /* output pixel centres 0 .. ow-1 span the edge from end to end */

    if (sd_warp_coeffs(q, ow > 1 ? ow - 1 : 1, oh > 1 ? oh - 1 : 1, c)
        != 0)
    {
        return NULL;
    }

    src = sd_pix_plain(pix);
    if (src == NULL) {
        return NULL;
    }

    depth = pixGetDepth(src);
    w = pixGetWidth(src);
    h = pixGetHeight(src);
    data = pixGetData(src);
    wpl = pixGetWpl(src);

    dst = pixCreate(ow, oh, depth);
    if (dst == NULL) {
        pixDestroy(&src);
        return NULL;
    }

    pixCopyResolution(dst, src);
    dwpl = pixGetWpl(dst);

    for (y = 0; y < oh; y++) {
        line = pixGetData(dst) + (size_t) y * dwpl;

        for (x = 0; x < ow; x++) {
            den = c[6] * x + c[7] * y + 1;
            sd_warp_sample(data, wpl, depth, w, h,
                           (c[0] * x + c[1] * y + c[2]) / den,
                           (c[3] * x + c[4] * y + c[5]) / den, &v);

            if (depth == 8) {
                SET_DATA_BYTE(line, x, v);

            } else {
                line[x] = v;
            }
        }
    }

    pixDestroy(&src);

    return dst;
}


/* vertices of params (validated: 4 {x,y}) within the decoded image */

static int
sd_warp_vertices(sd_job_t *job, PIX *pix, sd_quad_t *q)
{
    size_t   i;
    json_t  *v, *pt;

    v = json_object_get(job->params, "vertices");

    json_array_foreach(v, i, pt) {
        q->p[i].x = (double) json_integer_value(json_object_get(pt, "x"));
        q->p[i].y = (double) json_integer_value(json_object_get(pt, "y"));

        /* the module checks this for files; a task's output is new here */

        if (q->p[i].x > pixGetWidth(pix) - 1
            || q->p[i].y > pixGetHeight(pix) - 1)
        {
            sd_job_fail(job, SD_INPUT_FAILED, "Vertex %zu lies outside the "
                        "%ux%u input image.", i + 1, pixGetWidth(pix),
                        pixGetHeight(pix));
            sd_job_detail(job, "field", json_string("vertices"));
            return -1;
        }
    }

    return 0;
}


int
sd_warp_run(sd_job_t *job)
{
    PIX        *pix, *out;
    sd_quad_t   q;

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    if (sd_warp_vertices(job, pix, &q) != 0) {
        pixDestroy(&pix);
        return -1;
    }

    errno = 0;      /* an ENOMEM from here on is this step's */
    out = sd_warp_pix(job, pix, &q);
    pixDestroy(&pix);

    return sd_pix_output(job, out, "warped");
}


/*
 * scan: the document found, warped, with the effect applied to the
 * warped pixels only.  Without a document, or with scan_mode none, or
 * when the document is the whole image, the image is taken as it is.
 */
int
sd_scan_run(sd_job_t *job)
{
    int          rc, standard;
    PIX         *pix, *flat, *out;
    sd_quad_t    q, whole;
    const char  *effect, *mode;

    effect = json_string_value(json_object_get(job->params, "effect"));
    mode = json_string_value(json_object_get(job->params, "scan_mode"));
    standard = mode != NULL && strcmp(mode, "standard") == 0;

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    errno = 0;      /* an ENOMEM from here on is this job's */
    rc = standard ? sd_detect_quad(pix, &q) : 0;
    sd_quad_whole(pix, &whole);

    if (rc < 0 && sd_image_memory_short(0)) {
        sd_image_fail_memory(job, "Searching the %dx%d image for a document "
                             "needs more memory than the helper is "
                             "allowed.", pixGetWidth(pix), pixGetHeight(pix));
        pixDestroy(&pix);
        return -1;
    }

    if (rc == 1 && memcmp(&q, &whole, sizeof(sd_quad_t)) != 0) {
        flat = sd_warp_pix(job, pix, &q);

    } else {
        flat = rc >= 0 ? sd_pix_plain(pix) : NULL;
    }

    pixDestroy(&pix);

    out = flat ? sd_effect_pix(flat, effect ? effect : "none") : NULL;
    pixDestroy(&flat);

    return sd_pix_output(job, out, "scanned");
}
