
/*
 * Copyright (C) scandoc authors
 *
 * extract-text on images: tesseract through its C API.  The models are
 * loaded once per helper (one TessBaseAPI per language combination in
 * use, plus one for orientation detection) and kept across jobs; a job
 * only pays for recognition.  The page is cleared of ruling lines, turned
 * upright (OSD, with a fallback that compares the four orientations when
 * OSD cannot tell), deskewed with leptonica, recognized, and handed to
 * sd_layout.c or sd_schema.c as an sd_ocr_page_t.
 *
 * stderr gets one line per model load (tests count them); with
 * SCANDOC_ENGINE_DEBUG set in the environment, also the orientation and
 * confidence of each reading.
 */


#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "sd_engine.h"
#include "sd_ocr.h"


#define SD_OCR_APIS           4      /* language combinations kept loaded */
#define SD_OSD_CERTAIN        5.0    /* OSD margin never second-guessed */
#define SD_OSD_SURE           1.5    /* ... trusted when the text reads */
#define SD_OCR_GOOD           75     /* mean confidence that ends a search */
#define SD_OCR_WEAK           50     /* ... below it, OSD is second-guessed */
#define SD_OCR_BETTER         10     /* what another orientation must gain */
#define SD_SKEW_MIN           0.25   /* degrees; less is left to tesseract */
#define SD_SKEW_MAX           10.0   /* degrees searched either way */
#define SD_SKEW_CONF          3.0    /* leptonica's own threshold */
#define SD_RULE_FRACTION      10     /* a rule spans this part of a side */
#define SD_RULE_MIN           40     /* ... or this many pixels */
#define SD_RULE_THICK         8      /* pixels: thicker is not a rule */
#define SD_STEPS              4      /* progress: read, orient, read, render */
#define SD_OCR_SIDE_MAX       32767  /* tesseract refuses longer sides */
#define SD_OCR_PIXEL_BYTES    12     /* address space tesseract takes ... */
#define SD_OCR_FIXED_BYTES    (16 << 20)   /* ... per pixel, and beyond */
#define SD_OCR_MODEL_BYTES    (64 << 20)   /* loading one model takes */


typedef struct {
    char                 *language;
    TessBaseAPI          *api;
    unsigned long         used;          /* job number of the last use */
} sd_tess_t;


/* one recognition of the image in one orientation */
typedef struct {
    int                   quads;         /* clockwise quarter turns applied */
    int                   conf;          /* mean text confidence */
    sd_ocr_page_t         page;
} sd_ocr_try_t;


static sd_tess_t      sd_tess[SD_OCR_APIS];
static TessBaseAPI   *sd_osd;
static int            sd_osd_missing;
static char          *sd_tessdata;
static unsigned long  sd_jobs;
static unsigned long  sd_loads;
static int            sd_load_short;   /* the last load lacked memory */
static int            sd_debug;


void
sd_ocr_init(const char *tessdata)
{
    /* models load on first use: convert or merge must not pay for them */

    sd_tessdata = strdup(tessdata);
    sd_debug = getenv("SCANDOC_ENGINE_DEBUG") != NULL;
}


static TessBaseAPI *
sd_ocr_load(const char *language, TessOcrEngineMode mode)
{
    size_t        models;
    const char   *p;
    TessBaseAPI  *api;

    /*
     * Loading aborts the helper (std::bad_alloc) when RLIMIT_AS is
     * reached: the room for each model of the combination is asked for
     * first (see sd_ocr_room()).
     */

    for (models = 1, p = language; *p; p++) {
        models += (*p == '+');
    }

    sd_load_short = !sd_image_room(models * SD_OCR_MODEL_BYTES);

    if (sd_load_short) {
        return NULL;
    }

    api = TessBaseAPICreate();
    if (api == NULL) {
        return NULL;
    }

    if (TessBaseAPIInit2(api, sd_tessdata, language, mode) != 0) {
        TessBaseAPIDelete(api);
        return NULL;
    }

    /* tesseract's warnings ("Estimating resolution") are not ours to log */

    TessBaseAPISetVariable(api, "debug_file", "/dev/null");

    /*
     * The load counter is how tests and operators see that models stay
     * loaded across jobs.
     */

    fprintf(stderr, "scandoc-engine: tesseract model %s loaded (load %lu)\n",
            language, ++sd_loads);

    return api;
}


/* the API for a language combination, loading it when not loaded yet */

static TessBaseAPI *
sd_ocr_api(const char *language)
{
    size_t      i, lru;
    sd_tess_t  *t;

    for (i = 0; i < SD_OCR_APIS; i++) {
        t = &sd_tess[i];

        if (t->api != NULL && strcmp(t->language, language) == 0) {
            t->used = sd_jobs;
            return t->api;
        }
    }

    for (i = 0, lru = 0; i < SD_OCR_APIS; i++) {
        if (sd_tess[i].api == NULL) {
            lru = i;
            break;
        }

        if (sd_tess[i].used < sd_tess[lru].used) {
            lru = i;
        }
    }

    /* memory is bounded: the least recently used combination makes room */

    t = &sd_tess[lru];

    if (t->api != NULL) {
        TessBaseAPIEnd(t->api);
        TessBaseAPIDelete(t->api);
        free(t->language);
        t->api = NULL;
    }

    t->language = strdup(language);
    if (t->language == NULL) {
        return NULL;
    }

    t->api = sd_ocr_load(language, OEM_DEFAULT);
    if (t->api == NULL) {
        free(t->language);
        return NULL;
    }

    TessBaseAPISetPageSegMode(t->api, PSM_AUTO);
    t->used = sd_jobs;

    return t->api;
}


/*
 * The orientation of the text as quarter turns to apply clockwise, or -1
 * when OSD cannot tell (no model, too little text, a small margin).
 */
/*
 * tesseract does not survive a failed allocation: std::bad_alloc ends
 * in abort(), and a NULL from leptonica inside it is dereferenced.  So
 * the address space its work takes (about 9 bytes a pixel measured on
 * photos and noise, with margin) is asked for first, under the helper's
 * RLIMIT_AS, and given back at once: untouched, it costs nothing.
 */
static int
sd_ocr_room(PIX *pix)
{
    return sd_image_room((size_t) pixGetWidth(pix) * pixGetHeight(pix)
                         * SD_OCR_PIXEL_BYTES + SD_OCR_FIXED_BYTES);
}


static int
sd_ocr_osd(PIX *pix, float *margin)
{
    int          deg;
    float        sconf;
    const char  *script;

    *margin = 0;

    if (sd_osd == NULL && !sd_osd_missing) {
        sd_osd = sd_ocr_load("osd", OEM_TESSERACT_ONLY);
        sd_osd_missing = (sd_osd == NULL && !sd_load_short);

        if (sd_osd != NULL) {
            TessBaseAPISetPageSegMode(sd_osd, PSM_OSD_ONLY);
        }
    }

    if (sd_osd == NULL || !sd_ocr_room(pix)) {
        return -1;
    }

    TessBaseAPISetImage2(sd_osd, pix);

    deg = 0;
    script = NULL;

    if (!TessBaseAPIDetectOrientationScript(sd_osd, &deg, margin, &script,
                                            &sconf))
    {
        TessBaseAPIClear(sd_osd);
        return -1;
    }

    TessBaseAPIClear(sd_osd);

    /* deg is how far the image is turned clockwise: undo it */

    return (4 - ((deg + 45) / 90) % 4) % 4;
}


/*
 * The binary copy that rules and skew are measured on; NULL for a dark
 * page (light text on dark, or a photo's dark surroundings), where they
 * would measure the background: tesseract copes with such pages alone.
 */
static PIX *
sd_ocr_binary(PIX *pix)
{
    PIX      *bin;
    l_int32   black;

    bin = pixConvertTo1(pix, 130);

    if (bin != NULL
        && (pixCountPixels(bin, &black, NULL) != 0
            || black > pixGetWidth(bin) * pixGetHeight(bin) / 2))
    {
        pixDestroy(&bin);
    }

    return bin;
}


/* slight skew, measured on a binary copy, undone by a rotation */

static PIX *
sd_ocr_deskew(PIX *pix, float *angle)
{
    PIX        *bin;
    l_float32   conf;

    *angle = 0;
    conf = 0;

    bin = sd_ocr_binary(pix);
    if (bin == NULL) {
        return pixClone(pix);
    }

    /* leptonica's default sweep (7 degrees) misses 7 itself */

    if (pixFindSkewSweepAndSearch(bin, angle, &conf, 4, 2, SD_SKEW_MAX, 1.0,
                                  0.01)
        != 0 || conf < SD_SKEW_CONF
        || fabsf(*angle) < SD_SKEW_MIN || fabsf(*angle) > SD_SKEW_MAX)
    {
        *angle = 0;
        pixDestroy(&bin);
        return pixClone(pix);
    }

    pixDestroy(&bin);

    return pixRotate(pix, (float) (*angle * M_PI / 180.0), L_ROTATE_AREA_MAP,
                     L_BRING_IN_WHITE, 0, 0);
}


static void *
sd_ocr_grow(void *array, size_t n, size_t size)
{
    /* capacities are the powers of two: grow when n reaches one */

    if (n != 0 && (n & (n - 1)) != 0) {
        return array;
    }

    return realloc(array, (n ? 2 * n : 8) * size);
}


void
sd_ocr_page_free(sd_ocr_page_t *page)
{
    size_t  i;

    for (i = 0; i < page->nwords; i++) {
        free(page->words[i].text);
    }

    free(page->words);
    free(page->lines);
    free(page->paras);
    memset(page, 0, sizeof(sd_ocr_page_t));
}


static void
sd_ocr_box(const TessPageIterator *pi, TessPageIteratorLevel level,
    sd_box_t *box)
{
    if (!TessPageIteratorBoundingBox(pi, level, &box->x0, &box->y0,
                                     &box->x1, &box->y1))
    {
        memset(box, 0, sizeof(sd_box_t));
    }
}


/*
 * The size of a line's text: tesseract's point size (from the row's
 * x-height, so capitals and descenders do not count), else the box.
 */
static int
sd_ocr_size(TessResultIterator *it, const sd_box_t *box)
{
    int   size, font;
    BOOL  bold, italic, under, mono, serif, caps;

    size = 0;
    TessResultIteratorWordFontAttributes(it, &bold, &italic, &under, &mono,
                                         &serif, &caps, &size, &font);

    return size > 0 ? size : box->y1 - box->y0;
}


/* a word into the page, opening a paragraph or a line where one starts */

static int
sd_ocr_add(sd_ocr_page_t *page, TessResultIterator *it, char *text)
{
    void                       *p;
    int                         indent;
    BOOL                        list, crown;
    sd_ocr_line_t              *line;
    sd_ocr_para_t              *para;
    sd_ocr_word_t              *word;
    TessPageIterator           *pi;
    TessParagraphJustification  just;

    pi = TessResultIteratorGetPageIterator(it);

    if (page->nparas == 0 || TessPageIteratorIsAtBeginningOf(pi, RIL_PARA)) {
        p = sd_ocr_grow(page->paras, page->nparas, sizeof(sd_ocr_para_t));
        if (p == NULL) {
            return -1;
        }

        page->paras = p;
        para = &page->paras[page->nparas++];
        para->line = page->nlines;
        para->nlines = 0;

        list = 0;
        TessPageIteratorParagraphInfo(pi, &just, &list, &crown, &indent);
        para->list_item = list ? 1 : 0;
    }

    para = &page->paras[page->nparas - 1];

    if (para->nlines == 0 || TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
    {
        p = sd_ocr_grow(page->lines, page->nlines, sizeof(sd_ocr_line_t));
        if (p == NULL) {
            return -1;
        }

        page->lines = p;
        line = &page->lines[page->nlines++];
        sd_ocr_box(pi, RIL_TEXTLINE, &line->box);
        line->size = sd_ocr_size(it, &line->box);
        line->word = page->nwords;
        line->nwords = 0;
        line->para = page->nparas - 1;
        para->nlines++;
    }

    p = sd_ocr_grow(page->words, page->nwords, sizeof(sd_ocr_word_t));
    if (p == NULL) {
        return -1;
    }

    page->words = p;
    word = &page->words[page->nwords++];
    word->text = text;
    word->conf = TessResultIteratorConfidence(it, RIL_WORD);
    word->bold = 0;
    word->italic = 0;
    sd_ocr_box(pi, RIL_WORD, &word->box);
    page->lines[page->nlines - 1].nwords++;

    return 0;
}


/* the recognized words of the API's current image, into page */

static int
sd_ocr_walk(TessBaseAPI *api, sd_ocr_page_t *page)
{
    int                  rc;
    char                *t, *text;
    size_t               n;
    TessPageIterator    *pi;
    TessResultIterator  *it;

    it = TessBaseAPIGetIterator(api);
    if (it == NULL) {
        return 0;                       /* nothing on the page */
    }

    pi = TessResultIteratorGetPageIterator(it);
    rc = 0;

    do {
        t = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        if (t == NULL) {
            continue;
        }

        n = strspn(t, " \t\r\n");
        text = (t[n] != '\0') ? strdup(t + n) : NULL;
        TessDeleteText(t);

        if (text == NULL) {
            continue;
        }

        rc = sd_ocr_add(page, it, text);
        if (rc != 0) {
            free(text);
            break;
        }

    } while (TessPageIteratorNext(pi, RIL_WORD));

    TessResultIteratorDelete(it);

    return rc;
}


/* recognizes pix turned by quads quarter turns, deskewed, into try */

static int
sd_ocr_try(sd_job_t *job, TessBaseAPI *api, PIX *pix, int quads,
    sd_ocr_try_t *try)
{
    int     rc;
    PIX    *turned, *straight;
    float   angle;

    memset(try, 0, sizeof(sd_ocr_try_t));
    try->quads = quads;
    try->conf = -1;

    turned = quads ? pixRotateOrth(pix, quads) : pixClone(pix);
    straight = turned ? sd_ocr_deskew(turned, &angle) : NULL;
    pixDestroy(&turned);

    if (straight == NULL) {
        return sd_job_fail(job, SD_INTERNAL, "The image cannot be turned "
                           "upright.");
    }

    if (!sd_ocr_room(straight)) {
        pixDestroy(&straight);
        return sd_image_fail_memory(job, "Recognizing the text of a %dx%d "
                                    "image needs more memory than the "
                                    "helper is allowed.",
                                    pixGetWidth(pix), pixGetHeight(pix));
    }

    try->page.quads = quads;
    try->page.skew = angle;
    try->page.turned_w = pixGetWidth(straight);
    try->page.turned_h = pixGetHeight(straight);

    TessBaseAPISetImage2(api, straight);

    rc = TessBaseAPIRecognize(api, NULL);

    if (rc == 0) {
        rc = sd_ocr_walk(api, &try->page);

        /* a page read as nothing is no evidence for its orientation */

        try->conf = try->page.nwords ? TessBaseAPIMeanTextConf(api) : 0;
    }

    TessBaseAPIClear(api);
    pixDestroy(&straight);

    if (sd_debug) {
        fprintf(stderr, "scandoc-engine: extract-text: %d quarter turns, "
                "skew %.2f, mean confidence %d, %zu words\n", quads,
                angle, try->conf, try->page.nwords);
    }

    if (rc != 0) {
        sd_ocr_page_free(&try->page);
        return sd_job_fail(job, SD_INTERNAL, "The text cannot be "
                           "recognized.");
    }

    return 0;
}


/*
 * Reads the page upright.  OSD's orientation is trusted when its margin
 * is clear, or fair and the text then reads well; otherwise (one word, a
 * sparse page) the orientations not tried yet are read as well, and one
 * of them wins when its mean confidence is clearly better.  A page OSD is
 * sure about costs one recognition; a page in a language the models do
 * not know reads badly whichever way up, and keeps OSD's orientation.
 */
static int
sd_ocr_read(sd_job_t *job, TessBaseAPI *api, PIX *pix, sd_ocr_page_t *page)
{
    int           q, first, tried;
    float         margin;
    sd_ocr_try_t  best, next;

    first = sd_ocr_osd(pix, &margin);

    if (sd_debug) {
        fprintf(stderr, "scandoc-engine: extract-text: osd %d quarter "
                "turns, margin %.2f\n", first, margin);
    }

    sd_job_progress(job, 2, SD_STEPS);

    if (sd_ocr_try(job, api, pix, first < 0 ? 0 : first, &best) != 0) {
        return -1;
    }

    tried = 1 << best.quads;

    if (best.conf >= SD_OCR_GOOD
        || (first >= 0 && margin >= SD_OSD_CERTAIN)
        || (first >= 0 && margin >= SD_OSD_SURE && best.conf >= SD_OCR_WEAK))
    {
        goto done;
    }

    for (q = 0; q < 4; q++) {
        if (tried & (1 << q)) {
            continue;
        }

        if (sd_ocr_try(job, api, pix, q, &next) != 0) {
            sd_ocr_page_free(&best.page);
            return -1;
        }

        if (next.conf >= best.conf + SD_OCR_BETTER) {
            sd_ocr_page_free(&best.page);
            best = next;

        } else {
            sd_ocr_page_free(&next.page);
        }

        if (best.conf >= SD_OCR_GOOD) {
            break;                      /* no need to read it all ways */
        }
    }

done:

    *page = best.page;

    return 0;
}


/*
 * The thin runs of black at least w wide and h high (one is 1) in a
 * binary image: ruling lines, not the thick bars of a bold letter.
 */
static PIX *
sd_ocr_rules(PIX *bin, l_int32 w, l_int32 h)
{
    PIX  *runs, *thick;

    runs = pixOpenBrick(NULL, bin, w, h);
    thick = runs ? pixOpenBrick(NULL, runs, h == 1 ? 1 : SD_RULE_THICK,
                                h == 1 ? SD_RULE_THICK : 1)
                 : NULL;

    if (thick == NULL) {
        pixDestroy(&runs);
        return NULL;
    }

    pixSubtract(runs, runs, thick);
    pixDestroy(&thick);

    return runs;
}


/*
 * Ruling lines (table grids, form boxes) make tesseract take a table for
 * a picture and read nothing in it.  Lines far longer than any letter
 * stroke are found on a binary copy and painted white; a page without
 * them is left as it is, pixels and all.
 */
static PIX *
sd_ocr_unrule(PIX *pix)
{
    PIX      *bin, *h, *v, *lines, *wide, *gray;
    l_int32   len, empty;

    len = pixGetWidth(pix) < pixGetHeight(pix) ? pixGetWidth(pix)
                                                : pixGetHeight(pix);
    len /= SD_RULE_FRACTION;
    len = len < SD_RULE_MIN ? SD_RULE_MIN : len;

    bin = sd_ocr_binary(pix);
    if (bin == NULL) {
        return pixClone(pix);
    }

    h = sd_ocr_rules(bin, len, 1);
    v = sd_ocr_rules(bin, 1, len);
    pixDestroy(&bin);

    lines = (h && v) ? pixOr(NULL, h, v) : NULL;
    pixDestroy(&h);
    pixDestroy(&v);

    empty = 1;

    if (lines == NULL || pixZero(lines, &empty) != 0 || empty) {
        pixDestroy(&lines);
        return pixClone(pix);
    }

    /* the lines' anti-aliased edges go too */

    wide = pixDilateBrick(NULL, lines, 3, 3);
    gray = wide ? pixConvertTo8(pix, 0) : NULL;

    if (gray == NULL || pixSetMasked(gray, wide, 255) != 0) {
        pixDestroy(&gray);
        gray = pixClone(pix);
    }

    pixDestroy(&lines);
    pixDestroy(&wide);

    return gray;
}


/* the image as tesseract reads it best: no alpha, transparent is white */

static PIX *
sd_ocr_flatten(PIX *pix)
{
    if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) {
        return pixAlphaBlendUniform(pix, 0xffffff00);
    }

    return pixClone(pix);
}


/*
 * Also the pages of a PDF without a text layer (sd_pdf_text.c,
 * sd_pdf_ocr.c): they arrive here as rendered pixels.
 */
int
sd_ocr_recognize(sd_job_t *job, PIX *pix, const char *language,
    sd_ocr_page_t *page)
{
    int           rc;
    PIX          *flat, *clean;
    TessBaseAPI  *api;

    sd_jobs++;

    /*
     * Within max_pixels an image may still be a strip tesseract refuses
     * to read (a 40000x20 PNG, a banner-sized PDF page); turning and
     * deskewing keep the sides, so the input's sides decide.
     */

    if (pixGetWidth(pix) > SD_OCR_SIDE_MAX
        || pixGetHeight(pix) > SD_OCR_SIDE_MAX)
    {
        sd_job_fail(job, SD_LIMIT, "The image is %dx%d pixels; text "
                    "recognition reads at most %d pixels a side.",
                    pixGetWidth(pix), pixGetHeight(pix), SD_OCR_SIDE_MAX);
        sd_job_detail(job, "limit", json_string("ocr_side"));
        sd_job_detail(job, "value", json_integer(
                          pixGetWidth(pix) > pixGetHeight(pix)
                          ? pixGetWidth(pix) : pixGetHeight(pix)));
        sd_job_detail(job, "max", json_integer(SD_OCR_SIDE_MAX));
        return -1;
    }

    flat = sd_ocr_flatten(pix);
    clean = flat ? sd_ocr_unrule(flat) : NULL;
    pixDestroy(&flat);

    if (clean == NULL) {
        return sd_job_fail(job, SD_INTERNAL, "The image cannot be prepared "
                           "for recognition.");
    }

    api = sd_ocr_api(language);

    if (api == NULL && sd_load_short) {
        pixDestroy(&clean);
        return sd_image_fail_memory(job, "Loading the tesseract model %.64s "
                                    "needs more memory than the helper is "
                                    "allowed.", language);
    }

    if (api == NULL) {
        pixDestroy(&clean);
        sd_job_fail(job, SD_INTERNAL, "The tesseract model %.64s cannot be "
                    "loaded.", language);
        sd_job_detail(job, "language", json_string(language));
        return -1;
    }

    memset(page, 0, sizeof(sd_ocr_page_t));

    rc = sd_ocr_read(job, api, clean, page);
    pixDestroy(&clean);

    return rc;
}


/*
 * The job's result for a recognized page in the job's format (schema
 * for json), within max_text; a PDF's pages come as one page too.
 */
int
sd_ocr_answer(sd_job_t *job, const sd_ocr_page_t *page)
{
    char        *content;
    json_t      *filled;
    size_t       len;
    const char  *format;

    format = json_string_value(json_object_get(job->params, "format"));

    if (format == NULL) {
        format = "plain";
    }

    if (strcmp(format, "json") == 0) {
        filled = sd_schema_fill(page, json_object_get(job->params, "schema"));
        content = filled ? json_dumps(filled, JSON_COMPACT | JSON_ENCODE_ANY
                                              | JSON_PRESERVE_ORDER
                                              | JSON_REAL_PRECISION(15))
                         : NULL;
        json_decref(filled);

    } else {
        content = sd_layout_render(page, format);
    }

    if (content == NULL) {
        return sd_job_fail(job, SD_INTERNAL, "The text cannot be "
                           "formatted.");
    }

    len = strlen(content);

    if (len > job->limits.max_text) {
        free(content);
        sd_job_fail(job, SD_LIMIT, "The text has %zu bytes, more than the "
                    "limit of %lu.", len, job->limits.max_text);
        sd_job_detail(job, "limit", json_string("max_text"));
        sd_job_detail(job, "value", json_integer((json_int_t) len));
        sd_job_detail(job, "max", json_integer(job->limits.max_text));
        return -1;
    }

    job->result = json_pack("{s:s, s:s%}", "format", format,
                            "content", content, len);
    free(content);

    if (job->result == NULL) {
        return sd_job_fail(job, SD_INTERNAL, "The text is not valid UTF-8.");
    }

    return 0;
}


int
sd_ocr_extract_text(sd_job_t *job)
{
    int             rc;
    PIX            *pix;
    const char     *language;
    sd_ocr_page_t   page;

    language = json_string_value(json_object_get(job->params, "language"));

    if (language == NULL) {
        language = "eng";
    }

    pix = sd_image_decode(job, 0);
    if (pix == NULL) {
        return -1;
    }

    sd_job_progress(job, 1, SD_STEPS);

    rc = sd_ocr_recognize(job, pix, language, &page);
    pixDestroy(&pix);

    if (rc != 0) {
        return -1;
    }

    sd_job_progress(job, 3, SD_STEPS);

    rc = sd_ocr_answer(job, &page);
    sd_ocr_page_free(&page);

    if (rc != 0) {
        return -1;
    }

    sd_job_progress(job, SD_STEPS, SD_STEPS);

    return 0;
}
