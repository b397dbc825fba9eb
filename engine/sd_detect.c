
/*
 * Copyright (C) scandoc authors
 *
 * Finding the paper in a photo (detect-documents, and the first step of
 * scan).  On a reduced copy, text and thin rules are closed away, then
 * the colour gradient's structure tensor gives, at every pixel, how
 * strongly and in which direction the image steps.  Straight boundaries
 * vote in a Hough transform; pairs of nearly parallel lines make
 * quadrilaterals, each scored by how much of its outline is a real step
 * across it, and kept only if the colour inside differs from the colour
 * outside on every side (a sheet, not a block of text on one).  The
 * best outline's sides are then fitted again to the strongest step near
 * them, and their intersections are the corners (so rounded corners give
 * the virtual sharp one).  Without an outline, an image that is mostly
 * light paper is a page by itself.
 */


#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sd_imgops.h"


#define SD_DET_SIDE           512     /* long side of the working copy */
#define SD_DET_MORPH          3       /* closes text, opens speckle */
#define SD_DET_LINES          32      /* Hough lines kept */
#define SD_DET_MIN_VOTES      20      /* edge pixels on a line, at least */
#define SD_DET_THETA          180     /* one-degree bins */
#define SD_DET_SPREAD         2       /* degrees voted either side */
#define SD_DET_PARALLEL       25.0    /* degrees: opposite sides */
#define SD_DET_CROSS          45.0    /* degrees: adjacent sides, at least */
#define SD_DET_MIN_AREA       0.08    /* of the image */
#define SD_DET_MIN_COVER      0.5     /* of each side that steps */
#define SD_DET_MARGIN         0.02    /* corners may lie this far outside */
#define SD_DET_FIT_REACH      4       /* pixels searched across a side */
#define SD_DET_BAND           4       /* pixels off a side, for its colours */
#define SD_DET_MIN_CONTRAST   5       /* grey levels across each side */


typedef struct {
    int                   w;
    int                   h;
    float                *jxx;         /* structure tensor, smoothed */
    float                *jxy;
    float                *jyy;
    float                 thresh;      /* a step worth counting */
    PIX                  *pix;         /* the reduced copy itself */
} sd_det_map_t;


typedef struct {
    double                theta;       /* normal direction, radians */
    double                rho;         /* x cos + y sin = rho */
    double                votes;
} sd_det_line_t;


typedef struct {
    sd_quad_t             q;
    double                score;
} sd_det_best_t;


/*
 * A small allocation of the search was refused: the answer it gave
 * without that allocation may be wrong, so the search fails instead.
 */
static int  sd_det_nomem;


/* the reduced, text-free colour copy the search runs on */

static PIX *
sd_det_reduce(PIX *pix)
{
    int     w, h, sw, sh;
    PIX    *rgb, *small, *closed, *opened;
    double  scale;

    w = pixGetWidth(pix);
    h = pixGetHeight(pix);

    scale = (double) SD_DET_SIDE / (w > h ? w : h);

    if (scale > 1) {
        scale = 1;
    }

    sw = (int) lround(w * scale);
    sh = (int) lround(h * scale);
    sw = sw < 1 ? 1 : sw;
    sh = sh < 1 ? 1 : sh;

    /* reduced first, so no full-size colour copy is ever made */

    small = (sw == w && sh == h) ? pixClone(pix)
                                 : pixScaleAreaMapToSize(pix, sw, sh);
    if (small == NULL) {
        return NULL;
    }

    rgb = pixConvertTo32(small);
    pixDestroy(&small);

    if (rgb == NULL) {
        return NULL;
    }

    closed = pixColorMorph(rgb, L_MORPH_CLOSE, SD_DET_MORPH, SD_DET_MORPH);
    pixDestroy(&rgb);

    if (closed == NULL) {
        return NULL;
    }

    opened = pixColorMorph(closed, L_MORPH_OPEN, SD_DET_MORPH, SD_DET_MORPH);
    pixDestroy(&closed);

    return opened;
}


static int
sd_det_cmp_float(const void *a, const void *b)
{
    float  x, y;

    x = *(const float *) a;
    y = *(const float *) b;

    return (x > y) - (x < y);
}


/*
 * The structure tensor of the three channels' gradients (3x3 smoothed
 * differences), summed and blurred once more: its leading eigenvector
 * is the step's normal whatever the colours on each side.
 */
static int
sd_det_map(PIX *small, sd_det_map_t *m)
{
    int        x, y, c, w, h, n, k;
    float     *ch[3], *t[3], gx, gy, *mag;
    size_t     i, size;
    l_int32    wpl;
    l_uint32  *data, *line;

    w = pixGetWidth(small);
    h = pixGetHeight(small);
    size = (size_t) w * h;

    m->w = w;
    m->h = h;
    m->pix = small;
    m->jxx = calloc(size, sizeof(float));
    m->jxy = calloc(size, sizeof(float));
    m->jyy = calloc(size, sizeof(float));

    for (c = 0; c < 3; c++) {
        ch[c] = calloc(size, sizeof(float));
        t[c] = calloc(size, sizeof(float));
    }

    mag = calloc(size, sizeof(float));

    if (m->jxx == NULL || m->jxy == NULL || m->jyy == NULL || ch[0] == NULL
        || ch[1] == NULL || ch[2] == NULL || t[0] == NULL || t[1] == NULL
        || t[2] == NULL || mag == NULL)
    {
        goto failed;
    }

    data = pixGetData(small);
    wpl = pixGetWpl(small);

    for (y = 0; y < h; y++) {
        line = data + (size_t) y * wpl;

        for (x = 0; x < w; x++) {
            ch[0][(size_t) y * w + x] = (line[x] >> 24) & 0xff;
            ch[1][(size_t) y * w + x] = (line[x] >> 16) & 0xff;
            ch[2][(size_t) y * w + x] = (line[x] >> 8) & 0xff;
        }
    }

    for (y = 1; y < h - 1; y++) {
        for (x = 1; x < w - 1; x++) {
            i = (size_t) y * w + x;

            for (c = 0; c < 3; c++) {
                gx = (ch[c][i - w + 1] + 2 * ch[c][i + 1] + ch[c][i + w + 1]
                      - ch[c][i - w - 1] - 2 * ch[c][i - 1]
                      - ch[c][i + w - 1]) / 8;
                gy = (ch[c][i + w - 1] + 2 * ch[c][i + w] + ch[c][i + w + 1]
                      - ch[c][i - w - 1] - 2 * ch[c][i - w]
                      - ch[c][i - w + 1]) / 8;

                t[0][i] += gx * gx;
                t[1][i] += gx * gy;
                t[2][i] += gy * gy;
            }
        }
    }

    /* a 3x3 box blur keeps a step's energy on its line */

    for (y = 1; y < h - 1; y++) {
        for (x = 1; x < w - 1; x++) {
            i = (size_t) y * w + x;

            for (k = -1; k <= 1; k++) {
                m->jxx[i] += t[0][i + k * w - 1] + t[0][i + k * w]
                             + t[0][i + k * w + 1];
                m->jxy[i] += t[1][i + k * w - 1] + t[1][i + k * w]
                             + t[1][i + k * w + 1];
                m->jyy[i] += t[2][i + k * w - 1] + t[2][i + k * w]
                             + t[2][i + k * w + 1];
            }

            m->jxx[i] /= 9;
            m->jxy[i] /= 9;
            m->jyy[i] /= 9;
        }
    }

    /*
     * What counts as a step is relative to the image's strong steps, so
     * a white receipt on a white table still has edges: 3% of the 99th
     * percentile of the gradient, and no less than a grey level and a
     * half against sensor noise.
     */

    n = 0;

    for (i = 0; i < size; i++) {
        mag[i] = sqrtf(m->jxx[i] + m->jyy[i]);

        if (mag[i] > 0) {
            mag[n++] = mag[i];
        }
    }

    qsort(mag, n, sizeof(float), sd_det_cmp_float);

    m->thresh = n ? mag[(size_t) (n * 0.99)] * 0.03f : 0;

    if (m->thresh < 1.5f) {
        m->thresh = 1.5f;
    }

    for (c = 0; c < 3; c++) {
        free(ch[c]);
        free(t[c]);
    }

    free(mag);

    return 0;

failed:

    for (c = 0; c < 3; c++) {
        free(ch[c]);
        free(t[c]);
    }

    free(mag);

    return -1;
}


static void
sd_det_map_free(sd_det_map_t *m)
{
    free(m->jxx);
    free(m->jxy);
    free(m->jyy);
}


/*
 * The oriented step at a pixel across normal (nx, ny): energy across
 * minus energy along, so texture and text, which step every way, count
 * little and a straight boundary counts fully.
 */
static inline float
sd_det_step(const sd_det_map_t *m, int x, int y, double nx, double ny)
{
    size_t  i;
    double  across, along;

    if (x < 1 || y < 1 || x >= m->w - 1 || y >= m->h - 1) {
        return 0;
    }

    i = (size_t) y * m->w + x;

    across = nx * nx * m->jxx[i] + 2 * nx * ny * m->jxy[i]
             + ny * ny * m->jyy[i];
    along = ny * ny * m->jxx[i] - 2 * nx * ny * m->jxy[i]
            + nx * nx * m->jyy[i];

    return across > along ? (float) sqrt(across - along) : 0;
}


/* Hough lines of the step map, strongest first; returns their number */

static int
sd_det_lines(const sd_det_map_t *m, sd_det_line_t *lines, int max)
{
    int        x, y, t, tt, r, nrho, diag, n, k, dt, dr, peak;
    float     *acc, v, s;
    double     phi, cs[SD_DET_THETA], sn[SD_DET_THETA], nx, ny;
    size_t     i;

    diag = (int) ceil(hypot(m->w, m->h));
    nrho = 2 * diag + 1;

    acc = calloc((size_t) SD_DET_THETA * nrho, sizeof(float));
    if (acc == NULL) {
        return -1;
    }

    for (t = 0; t < SD_DET_THETA; t++) {
        cs[t] = cos(t * M_PI / SD_DET_THETA);
        sn[t] = sin(t * M_PI / SD_DET_THETA);
    }

    for (y = 1; y < m->h - 1; y++) {
        for (x = 1; x < m->w - 1; x++) {
            i = (size_t) y * m->w + x;

            phi = 0.5 * atan2(2 * m->jxy[i], m->jxx[i] - m->jyy[i]);
            nx = cos(phi);
            ny = sin(phi);

            s = sd_det_step(m, x, y, nx, ny);

            if (s < m->thresh) {
                continue;
            }

            /* only the crest of a step votes, so each edge is one line */

            if (sd_det_step(m, (int) lround(x + nx), (int) lround(y + ny),
                            nx, ny) > s
                || sd_det_step(m, (int) lround(x - nx),
                               (int) lround(y - ny), nx, ny) > s)
            {
                continue;
            }

            tt = (int) lround(phi * SD_DET_THETA / M_PI);

            for (dt = -SD_DET_SPREAD; dt <= SD_DET_SPREAD; dt++) {
                t = ((tt + dt) % SD_DET_THETA + SD_DET_THETA) % SD_DET_THETA;
                r = (int) lround(x * cs[t] + y * sn[t]) + diag;
                acc[(size_t) t * nrho + r] += 1;
            }
        }
    }

    /* local maxima over +-3 degrees and +-4 pixels of rho */

    n = 0;

    for (t = 0; t < SD_DET_THETA; t++) {
        for (r = 0; r < nrho; r++) {
            v = acc[(size_t) t * nrho + r];

            if (v < SD_DET_MIN_VOTES) {
                continue;
            }

            peak = 1;

            for (dt = -3; dt <= 3 && peak; dt++) {
                tt = ((t + dt) % SD_DET_THETA + SD_DET_THETA) % SD_DET_THETA;

                for (dr = -4; dr <= 4; dr++) {
                    k = r + dr;

                    /* across the 0/180 seam the same line has -rho */

                    if (t + dt < 0 || t + dt >= SD_DET_THETA) {
                        k = 2 * diag - k;
                    }

                    if (k < 0 || k >= nrho || (dt == 0 && dr == 0)) {
                        continue;
                    }

                    if (acc[(size_t) tt * nrho + k] > v
                        || (acc[(size_t) tt * nrho + k] == v
                            && (dt < 0 || (dt == 0 && dr < 0))))
                    {
                        peak = 0;
                        break;
                    }
                }
            }

            if (!peak || (n == max && v <= lines[n - 1].votes)) {
                continue;
            }

            /* into the list, strongest first, the weakest falling off */

            k = n < max ? n++ : n - 1;

            for ( /* void */ ; k > 0 && lines[k - 1].votes < v; k--) {
                lines[k] = lines[k - 1];
            }

            lines[k].theta = t * M_PI / SD_DET_THETA;
            lines[k].rho = r - diag;
            lines[k].votes = v;
        }
    }

    free(acc);

    return n;
}


/* the image's own edges as four more lines */

static void
sd_det_borders(const sd_det_map_t *m, sd_det_line_t *line)
{
    line[0].theta = 0;
    line[0].rho = 0;
    line[1].theta = 0;
    line[1].rho = m->w - 1;
    line[2].theta = M_PI / 2;
    line[2].rho = 0;
    line[3].theta = M_PI / 2;
    line[3].rho = m->h - 1;
    line[0].votes = line[1].votes = line[2].votes = line[3].votes = 0;
}


static int
sd_det_cross(const sd_det_line_t *a, const sd_det_line_t *b, sd_point_t *p)
{
    double  det;

    det = cos(a->theta) * sin(b->theta) - sin(a->theta) * cos(b->theta);

    if (fabs(det) < 1e-9) {
        return -1;
    }

    p->x = (a->rho * sin(b->theta) - b->rho * sin(a->theta)) / det;
    p->y = (cos(a->theta) * b->rho - cos(b->theta) * a->rho) / det;

    return 0;
}


/* angle between two line directions, in degrees, 0..90 */

static double
sd_det_angle(double a, double b)
{
    double  d;

    d = fabs(a - b) * 180 / M_PI;
    d = fmod(d, 180);

    return d > 90 ? 180 - d : d;
}


/*
 * Puts four points in the order of API.md: clockwise on screen (y
 * down), starting with the top-left one; returns -1 unless the result
 * is strictly convex.
 */
static int
sd_det_order(sd_quad_t *q)
{
    int         i, j, first;
    double      cx, cy, a[4], t, cross, best;
    sd_point_t  p;

    cx = (q->p[0].x + q->p[1].x + q->p[2].x + q->p[3].x) / 4;
    cy = (q->p[0].y + q->p[1].y + q->p[2].y + q->p[3].y) / 4;

    for (i = 0; i < 4; i++) {
        a[i] = atan2(q->p[i].y - cy, q->p[i].x - cx);
    }

    for (i = 1; i < 4; i++) {
        for (j = i; j > 0 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t;
            p = q->p[j]; q->p[j] = q->p[j - 1]; q->p[j - 1] = p;
        }
    }

    first = 0;
    best = q->p[0].x + q->p[0].y;

    for (i = 1; i < 4; i++) {
        if (q->p[i].x + q->p[i].y < best) {
            best = q->p[i].x + q->p[i].y;
            first = i;
        }
    }

    for (i = 0; i < first; i++) {
        p = q->p[0];
        q->p[0] = q->p[1]; q->p[1] = q->p[2]; q->p[2] = q->p[3];
        q->p[3] = p;
    }

    for (i = 0; i < 4; i++) {
        cross = (q->p[(i + 1) % 4].x - q->p[i].x)
                * (q->p[(i + 2) % 4].y - q->p[(i + 1) % 4].y)
                - (q->p[(i + 1) % 4].y - q->p[i].y)
                  * (q->p[(i + 2) % 4].x - q->p[(i + 1) % 4].x);

        if (cross <= 0) {
            return -1;
        }
    }

    return 0;
}


static double
sd_det_area(const sd_quad_t *q)
{
    int     i;
    double  a;

    a = 0;

    for (i = 0; i < 4; i++) {
        a += q->p[i].x * q->p[(i + 1) % 4].y - q->p[(i + 1) % 4].x * q->p[i].y;
    }

    return fabs(a) / 2;
}


/*
 * How much of the side a..b is a step across it: the share of points
 * (corners left out, they may be rounded or hidden) where a step of
 * at least the threshold lies within a pixel of the side.
 */
static double
sd_det_cover(const sd_det_map_t *m, sd_point_t a, sd_point_t b,
    double *length)
{
    int     k, n, hit, d;
    double  len, nx, ny, t, x, y;

    len = hypot(b.x - a.x, b.y - a.y);
    *length = len;

    if (len < 4) {
        return 0;
    }

    nx = -(b.y - a.y) / len;
    ny = (b.x - a.x) / len;

    n = (int) len;
    hit = 0;

    for (k = 0; k < n; k++) {
        t = 0.04 + 0.92 * (k + 0.5) / n;
        x = a.x + t * (b.x - a.x);
        y = a.y + t * (b.y - a.y);

        for (d = -1; d <= 1; d++) {
            if (sd_det_step(m, (int) lround(x + d * nx),
                            (int) lround(y + d * ny), nx, ny)
                >= m->thresh)
            {
                hit++;
                break;
            }
        }
    }

    return (double) hit / n;
}


/* whether the side a..b runs along an edge of the image */

static int
sd_det_on_border(const sd_det_map_t *m, sd_point_t a, sd_point_t b)
{
    return (fabs(a.x) < 1 && fabs(b.x) < 1)
           || (fabs(a.y) < 1 && fabs(b.y) < 1)
           || (fabs(a.x - (m->w - 1)) < 1 && fabs(b.x - (m->w - 1)) < 1)
           || (fabs(a.y - (m->h - 1)) < 1 && fabs(b.y - (m->h - 1)) < 1);
}


/*
 * An outline's worth: each side adds the length that steps and takes
 * away the length that does not, so a side running on past the paper
 * along some other edge costs what it wrongly claims.  A side on an
 * edge of the image (a sheet going on beyond the photo) counts nothing;
 * one at most.
 */
static double
sd_det_score(const sd_det_map_t *m, const sd_quad_t *q)
{
    int     i, borders;
    double  c, len, score;

    score = 0;
    borders = 0;

    for (i = 0; i < 4; i++) {
        if (sd_det_on_border(m, q->p[i], q->p[(i + 1) % 4])) {
            if (++borders > 1) {
                return -1;
            }

            continue;
        }

        c = sd_det_cover(m, q->p[i], q->p[(i + 1) % 4], &len);

        if (c < SD_DET_MIN_COVER) {
            return -1;
        }

        score += len * (2 * c - 1);
    }

    return score;
}


static int
sd_det_cmp_int(const void *a, const void *b)
{
    return *(const int *) a - *(const int *) b;
}


/*
 * The colour a few pixels inside a side against the colour as far
 * outside, each the median along the side: a sheet differs from what
 * it lies on, while the edge of a block of text, a rule or a picture on
 * a page has paper on both hands.  Returns the smallest difference of
 * the four sides, in grey levels of the most different channel.
 */
static int
sd_det_contrast(const sd_det_map_t *m, const sd_quad_t *q)
{
    int         i, k, n, c, side, x, y, d, diff, least, *v[2][3];
    double      len, nx, ny, t, px, py, cx, cy;
    l_int32     wpl;
    l_uint32   *data, rgb;
    sd_point_t  a, b;

    data = pixGetData(m->pix);
    wpl = pixGetWpl(m->pix);
    cx = (q->p[0].x + q->p[1].x + q->p[2].x + q->p[3].x) / 4;
    cy = (q->p[0].y + q->p[1].y + q->p[2].y + q->p[3].y) / 4;
    least = 255;

    for (i = 0; i < 4; i++) {
        a = q->p[i];
        b = q->p[(i + 1) % 4];

        if (sd_det_on_border(m, a, b)) {
            continue;
        }

        len = hypot(b.x - a.x, b.y - a.y);
        n = (int) len;

        if (n < 4) {
            return 0;
        }

        nx = -(b.y - a.y) / len;
        ny = (b.x - a.x) / len;

        /* n points outwards */

        if (nx * (a.x - cx) + ny * (a.y - cy) < 0) {
            nx = -nx;
            ny = -ny;
        }

        for (side = 0; side < 2; side++) {
            for (c = 0; c < 3; c++) {
                v[side][c] = malloc(n * sizeof(int));
                sd_det_nomem |= (v[side][c] == NULL);
            }
        }

        k = 0;

        for (d = 0; d < n; d++) {
            t = 0.1 + 0.8 * (d + 0.5) / n;
            px = a.x + t * (b.x - a.x);
            py = a.y + t * (b.y - a.y);

            for (side = 0; side < 2; side++) {
                x = (int) lround(px + (side ? -1 : 1) * SD_DET_BAND * nx);
                y = (int) lround(py + (side ? -1 : 1) * SD_DET_BAND * ny);
                x = x < 0 ? 0 : (x >= m->w ? m->w - 1 : x);
                y = y < 0 ? 0 : (y >= m->h ? m->h - 1 : y);
                rgb = data[(size_t) y * wpl + x];

                for (c = 0; c < 3; c++) {
                    if (v[side][c] != NULL) {
                        v[side][c][k] = (rgb >> (24 - 8 * c)) & 0xff;
                    }
                }
            }

            k++;
        }

        diff = 0;

        for (c = 0; c < 3; c++) {
            if (v[0][c] != NULL && v[1][c] != NULL) {
                qsort(v[0][c], k, sizeof(int), sd_det_cmp_int);
                qsort(v[1][c], k, sizeof(int), sd_det_cmp_int);
                d = abs(v[0][c][k / 2] - v[1][c][k / 2]);
                diff = d > diff ? d : diff;
            }

            free(v[0][c]);
            free(v[1][c]);
        }

        least = diff < least ? diff : least;
    }

    return least;
}


static void
sd_det_search(const sd_det_map_t *m, sd_det_line_t *l, int n,
    sd_det_best_t *best)
{
    int         a, b, c, d, k;
    double      margin, s;
    sd_quad_t   q;

    margin = SD_DET_MARGIN * (m->w > m->h ? m->w : m->h);

    for (a = 0; a < n; a++) {
        for (b = a + 1; b < n; b++) {
            if (sd_det_angle(l[a].theta, l[b].theta) > SD_DET_PARALLEL) {
                continue;
            }

            for (c = a + 1; c < n; c++) {
                if (c == b
                    || sd_det_angle(l[a].theta, l[c].theta) < SD_DET_CROSS
                    || sd_det_angle(l[b].theta, l[c].theta) < SD_DET_CROSS)
                {
                    continue;
                }

                for (d = c + 1; d < n; d++) {
                    if (d == b
                        || sd_det_angle(l[c].theta, l[d].theta)
                           > SD_DET_PARALLEL
                        || sd_det_angle(l[a].theta, l[d].theta)
                           < SD_DET_CROSS
                        || sd_det_angle(l[b].theta, l[d].theta)
                           < SD_DET_CROSS)
                    {
                        continue;
                    }

                    if (sd_det_cross(&l[a], &l[c], &q.p[0]) != 0
                        || sd_det_cross(&l[a], &l[d], &q.p[1]) != 0
                        || sd_det_cross(&l[b], &l[c], &q.p[2]) != 0
                        || sd_det_cross(&l[b], &l[d], &q.p[3]) != 0
                        || sd_det_order(&q) != 0)
                    {
                        continue;
                    }

                    for (k = 0; k < 4; k++) {
                        if (q.p[k].x < -margin || q.p[k].y < -margin
                            || q.p[k].x > m->w - 1 + margin
                            || q.p[k].y > m->h - 1 + margin)
                        {
                            break;
                        }
                    }

                    if (k < 4 || sd_det_area(&q)
                                 < SD_DET_MIN_AREA * m->w * m->h)
                    {
                        continue;
                    }

                    s = sd_det_score(m, &q);

                    if (s > best->score
                        && sd_det_contrast(m, &q) >= SD_DET_MIN_CONTRAST)
                    {
                        best->score = s;
                        best->q = q;
                    }
                }
            }
        }
    }
}


/*
 * Each side fitted again: along it, the strongest step within a few
 * pixels, to a fraction of a pixel; a least-squares line through those
 * points, twice, the second time without the worst third.
 */
static int
sd_det_fit_side(const sd_det_map_t *m, sd_point_t a, sd_point_t b,
    sd_det_line_t *line)
{
    int      k, n, d, kept, pass, j;
    float   *sorted;
    double   len, nx, ny, t, x, y, best, off, s0, s1, s2, *px, *py, *res;
    double   mx, my, sxx, sxy, syy, theta, lim;

    len = hypot(b.x - a.x, b.y - a.y);
    n = (int) len;

    if (n < 8) {
        return -1;
    }

    nx = -(b.y - a.y) / len;
    ny = (b.x - a.x) / len;

    px = malloc(3 * n * sizeof(double));
    sorted = malloc(n * sizeof(float));

    if (px == NULL || sorted == NULL) {
        free(px);
        free(sorted);
        sd_det_nomem = 1;
        return -1;
    }

    py = px + n;
    res = py + n;
    kept = 0;

    for (k = 0; k < n; k++) {
        t = 0.1 + 0.8 * (k + 0.5) / n;
        x = a.x + t * (b.x - a.x);
        y = a.y + t * (b.y - a.y);

        best = 0;
        off = 0;

        for (d = -SD_DET_FIT_REACH; d <= SD_DET_FIT_REACH; d++) {
            s1 = sd_det_step(m, (int) lround(x + d * nx),
                             (int) lround(y + d * ny), nx, ny);

            if (s1 > best) {
                s0 = sd_det_step(m, (int) lround(x + (d - 1) * nx),
                                 (int) lround(y + (d - 1) * ny), nx, ny);
                s2 = sd_det_step(m, (int) lround(x + (d + 1) * nx),
                                 (int) lround(y + (d + 1) * ny), nx, ny);
                best = s1;
                off = d;

                if (s0 + s2 < 2 * s1) {
                    off += 0.5 * (s0 - s2) / (s0 - 2 * s1 + s2);
                }
            }
        }

        if (best >= m->thresh) {
            px[kept] = x + off * nx;
            py[kept] = y + off * ny;
            kept++;
        }
    }

    lim = -1;

    for (pass = 0; pass < 2; pass++) {
        mx = my = 0;
        j = 0;

        for (k = 0; k < kept; k++) {
            if (lim < 0 || res[k] <= lim) {
                mx += px[k];
                my += py[k];
                j++;
            }
        }

        if (j < 8) {
            free(px);
            free(sorted);
            return -1;
        }

        mx /= j;
        my /= j;
        sxx = sxy = syy = 0;

        for (k = 0; k < kept; k++) {
            if (lim < 0 || res[k] <= lim) {
                sxx += (px[k] - mx) * (px[k] - mx);
                sxy += (px[k] - mx) * (py[k] - my);
                syy += (py[k] - my) * (py[k] - my);
            }
        }

        /* the normal is the direction of least spread */

        theta = 0.5 * atan2(2 * sxy, sxx - syy) + M_PI / 2;
        line->theta = theta;
        line->rho = mx * cos(theta) + my * sin(theta);

        for (k = 0; k < kept; k++) {
            res[k] = fabs(px[k] * cos(theta) + py[k] * sin(theta)
                          - line->rho);
        }

        /* the residual below which two thirds of the points lie */

        for (k = 0; k < kept; k++) {
            sorted[k] = (float) res[k];
        }

        qsort(sorted, kept, sizeof(float), sd_det_cmp_float);
        lim = sorted[2 * kept / 3];
    }

    free(px);
    free(sorted);

    return 0;
}


static void
sd_det_refine(const sd_det_map_t *m, sd_quad_t *q)
{
    int            i;
    sd_quad_t      r;
    sd_point_t     a, b;
    sd_det_line_t  side[4];

    for (i = 0; i < 4; i++) {
        a = q->p[i];
        b = q->p[(i + 1) % 4];

        if (sd_det_on_border(m, a, b)) {
            side[i].theta = atan2(b.x - a.x, -(b.y - a.y));
            side[i].rho = a.x * cos(side[i].theta)
                          + a.y * sin(side[i].theta);

        } else if (sd_det_fit_side(m, a, b, &side[i]) != 0) {
            return;
        }
    }

    /* corner i joins side i-1 and side i */

    for (i = 0; i < 4; i++) {
        if (sd_det_cross(&side[(i + 3) % 4], &side[i], &r.p[i]) != 0
            || hypot(r.p[i].x - q->p[i].x, r.p[i].y - q->p[i].y)
               > 2 * SD_DET_FIT_REACH)
        {
            return;
        }
    }

    *q = r;
}


/*
 * Without an outline, the image may be the page itself (a scan, a
 * rendered page): mostly light and unsaturated, it is taken whole.
 */
static int
sd_det_is_page(PIX *small)
{
    int        x, y, w, h, r, g, b, light, max, min;
    l_int32    wpl;
    l_uint32  *line;

    w = pixGetWidth(small);
    h = pixGetHeight(small);
    wpl = pixGetWpl(small);
    light = 0;

    for (y = 0; y < h; y++) {
        line = pixGetData(small) + (size_t) y * wpl;

        for (x = 0; x < w; x++) {
            r = (line[x] >> 24) & 0xff;
            g = (line[x] >> 16) & 0xff;
            b = (line[x] >> 8) & 0xff;
            max = r > g ? (r > b ? r : b) : (g > b ? g : b);
            min = r < g ? (r < b ? r : b) : (g < b ? g : b);

            light += max > 150 && max - min < 60;
        }
    }

    return light >= 0.6 * w * h;
}


int
sd_detect_quad(PIX *pix, sd_quad_t *q)
{
    int            i, n, rc;
    PIX           *plain, *small;
    double         w, h, sx, sy, x, y;
    sd_det_map_t   m;
    sd_det_best_t  best;
    sd_det_line_t  lines[SD_DET_LINES + 4];

    /* an outline needs room to be strictly convex */

    if (pixGetWidth(pix) < 2 || pixGetHeight(pix) < 2) {
        return 0;
    }

    sd_det_nomem = 0;

    plain = sd_pix_plain(pix);
    if (plain == NULL) {
        return -1;
    }

    small = sd_det_reduce(plain);
    pixDestroy(&plain);

    if (small == NULL) {
        return -1;
    }

    memset(&m, 0, sizeof(sd_det_map_t));

    if (sd_det_map(small, &m) != 0) {
        sd_det_map_free(&m);
        pixDestroy(&small);
        return -1;
    }

    n = sd_det_lines(&m, lines, SD_DET_LINES);

    best.score = 0;

    if (n >= 4) {
        sd_det_search(&m, lines, n, &best);
    }

    /*
     * A sheet cut by the photo's edge: outlines with a side on that edge
     * may replace an outline found, if they are worth more; never the
     * page-by-itself answer, where text and pictures near the edge of a
     * scan would make false ones.
     */

    if (best.score > 0) {
        sd_det_borders(&m, lines + n);
        sd_det_search(&m, lines, n + 4, &best);
    }

    if (best.score > 0) {
        sd_det_refine(&m, &best.q);

        w = pixGetWidth(pix);
        h = pixGetHeight(pix);
        sx = w / pixGetWidth(small);
        sy = h / pixGetHeight(small);

        /* back to full size, pixel centres kept, inside the image */

        for (i = 0; i < 4; i++) {
            x = (best.q.p[i].x + 0.5) * sx - 0.5;
            y = (best.q.p[i].y + 0.5) * sy - 0.5;

            /* on an edge of the reduced image: on that of the full one */

            x = best.q.p[i].x < 1 ? 0
                : (best.q.p[i].x > m.w - 2 ? w - 1 : x);
            y = best.q.p[i].y < 1 ? 0
                : (best.q.p[i].y > m.h - 2 ? h - 1 : y);
            q->p[i].x = x < 0 ? 0 : (x > w - 1 ? w - 1 : x);
            q->p[i].y = y < 0 ? 0 : (y > h - 1 ? h - 1 : y);
        }

        rc = 1;

    } else if (n >= 0 && sd_det_is_page(small)) {
        sd_quad_whole(pix, q);
        rc = 1;

    } else {
        rc = n >= 0 ? 0 : -1;
    }

    sd_det_map_free(&m);
    pixDestroy(&small);

    return sd_det_nomem ? -1 : rc;
}


/*
 * detect-documents: each document's outline in integer pixels, its
 * bounding box, and the output holding it cropped and made upright
 * (warped from the same integer corners, so detect then warp agrees).
 */
int
sd_detect_run(sd_job_t *job)
{
    int         i, rc, x, y, left, top, right, bottom;
    PIX        *pix, *flat;
    json_t     *docs, *vertices;
    sd_quad_t   q;

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    errno = 0;      /* an ENOMEM from here on is this job's */
    rc = sd_detect_quad(pix, &q);

    if (rc < 0 && sd_image_memory_short(0)) {
        sd_image_fail_memory(job, "Searching the %dx%d image for documents "
                             "needs more memory than the helper is "
                             "allowed.", pixGetWidth(pix), pixGetHeight(pix));
        pixDestroy(&pix);
        return -1;
    }

    if (rc < 0) {
        pixDestroy(&pix);
        return sd_job_fail(job, SD_INTERNAL, "The image cannot be searched "
                           "for documents.");
    }

    docs = json_array();
    job->result = json_pack("{s:o}", "documents", docs);

    if (rc == 0) {
        pixDestroy(&pix);
        return 0;
    }

    vertices = json_array();
    left = top = 1 << 30;
    right = bottom = -1;

    for (i = 0; i < 4; i++) {
        x = (int) lround(q.p[i].x);
        y = (int) lround(q.p[i].y);
        q.p[i].x = x;
        q.p[i].y = y;

        left = x < left ? x : left;
        top = y < top ? y : top;
        right = x > right ? x : right;
        bottom = y > bottom ? y : bottom;

        json_array_append_new(vertices, json_pack("{s:i, s:i}", "x", x,
                                                  "y", y));
    }

    flat = sd_warp_pix(job, pix, &q);
    pixDestroy(&pix);

    if (sd_pix_output(job, flat, "warped") != 0) {
        json_decref(vertices);
        return -1;
    }

    json_array_append_new(docs, json_pack("{s:{s:i, s:i, s:i, s:i}, s:o, "
                          "s:i}", "bounding_box", "top", top, "left", left,
                          "width", right - left + 1, "height",
                          bottom - top + 1, "vertices", vertices,
                          "output", 0));

    return 0;
}
