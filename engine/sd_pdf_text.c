
/*
 * Copyright (C) scandoc authors
 *
 * extract-text on PDFs: the selected pages become one sd_ocr_page_t,
 * stacked top to bottom, which sd_layout.c and sd_schema.c render as
 * they do a recognized image.  A page with a text layer gives its words
 * from mupdf's structured text (blocks as paragraphs, split where the
 * text size changes or a gap opens; bold and italic from the fonts); a
 * page without one is rendered and recognized by sd_ocr.c, so a mixed
 * document comes back whole.  Boxes are pixels at SD_PDF_TEXT_DPI in
 * both cases, sizes are points, so headings compare across pages.
 */


#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>

#include "sd_pdf.h"


#define SD_PDF_TEXT_DPI       SD_PDF_OCR_DPI  /* the boxes' resolution */
#define SD_PDF_PARA_GAP       0.6    /* line heights: a new paragraph */
#define SD_PDF_SIZE_STEP      0.1    /* size change: a new paragraph */
#define SD_PDF_INDENT         0.8    /* text sizes: a first line's indent */


/* the document's page model as it grows */
typedef struct {
    sd_ocr_page_t         page;
    size_t                cwords;        /* capacities */
    size_t                clines;
    size_t                cparas;
    int                   top;           /* where the next page goes */
} sd_pdf_text_t;


static void *
sd_pdf_text_grow(fz_context *ctx, void *array, size_t n, size_t *cap,
    size_t size)
{
    void  *p;

    if (n < *cap) {
        return array;
    }

    p = realloc(array, (*cap ? 2 * *cap : 64) * size);
    if (p == NULL) {
        fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory (page model)");
    }

    *cap = *cap ? 2 * *cap : 64;

    return p;
}


static void
sd_pdf_text_para(fz_context *ctx, sd_pdf_text_t *t)
{
    sd_ocr_para_t  *para;

    t->page.paras = sd_pdf_text_grow(ctx, t->page.paras, t->page.nparas,
                                     &t->cparas, sizeof(sd_ocr_para_t));
    para = &t->page.paras[t->page.nparas++];
    para->line = t->page.nlines;
    para->nlines = 0;
    para->list_item = 0;
}


static void
sd_pdf_text_line(fz_context *ctx, sd_pdf_text_t *t, const sd_box_t *box,
    int size)
{
    sd_ocr_line_t  *line;

    t->page.lines = sd_pdf_text_grow(ctx, t->page.lines, t->page.nlines,
                                     &t->clines, sizeof(sd_ocr_line_t));
    line = &t->page.lines[t->page.nlines++];
    line->box = *box;
    line->word = t->page.nwords;
    line->nwords = 0;
    line->para = t->page.nparas - 1;
    line->size = size;
    t->page.paras[t->page.nparas - 1].nlines++;
}


/* a word of the open line; text (malloc()ed) is taken over */

static void
sd_pdf_text_word(fz_context *ctx, sd_pdf_text_t *t, char *text,
    const sd_box_t *box, int bold, int italic)
{
    sd_ocr_word_t  *word;

    if (t->page.nwords == t->cwords) {
        word = realloc(t->page.words, (t->cwords ? 2 * t->cwords : 256)
                                      * sizeof(sd_ocr_word_t));
        if (word == NULL) {
            free(text);
            fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory (page model)");
        }

        t->page.words = word;
        t->cwords = t->cwords ? 2 * t->cwords : 256;
    }

    word = &t->page.words[t->page.nwords++];
    word->text = text;
    word->box = *box;
    word->conf = 100;
    word->bold = bold;
    word->italic = italic;
    t->page.lines[t->page.nlines - 1].nwords++;
}


/*
 * Bold and italic from the font: its flags, else its name, since a
 * subset font (pdfTeX's "CMBX12", "Times-BoldItalic") often carries no
 * flags that mupdf reads.
 */
static void
sd_pdf_text_style(fz_context *ctx, fz_font *font, int *bold, int *italic)
{
    const char  *name;

    name = font ? fz_font_name(ctx, font) : "";

    *bold = (font && fz_font_is_bold(ctx, font)) || strstr(name, "Bold")
            || strstr(name, "Black") || strstr(name, "Heavy")
            || strstr(name, "CMBX");
    *italic = (font && fz_font_is_italic(ctx, font)) || strstr(name, "Italic")
              || strstr(name, "Oblique") || strstr(name, "CMTI");
}


static int
sd_pdf_text_space(int c)
{
    return c <= ' ' || c == 0xa0 || (c >= 0x2000 && c <= 0x200b)
           || c == 0x3000;
}


/* a mupdf box, in points on the page, as pixels on the stacked pages */

static void
sd_pdf_text_box(sd_pdf_text_t *t, fz_rect r, fz_rect page, sd_box_t *box)
{
    float  scale;

    scale = SD_PDF_TEXT_DPI / 72.0f;

    box->x0 = (int) ((r.x0 - page.x0) * scale);
    box->y0 = (int) ((r.y0 - page.y0) * scale) + t->top;
    box->x1 = (int) ((r.x1 - page.x0) * scale + 0.5f);
    box->y1 = (int) ((r.y1 - page.y0) * scale + 0.5f) + t->top;
}


/* the words of one stext line, cut at spaces */

static void
sd_pdf_text_words(fz_context *ctx, sd_pdf_text_t *t, fz_stext_line *line,
    fz_rect bounds, sd_str_t *s)
{
    int              n, bold, italic, b, i, any;
    char             utf[FZ_UTFMAX];
    char            *text;
    fz_rect          r;
    sd_box_t         box;
    fz_stext_char   *ch;

    any = 0;
    bold = 1;
    italic = 1;
    r = fz_empty_rect;
    s->len = 0;

    for (ch = line->first_char; ; ch = ch->next) {
        if (ch == NULL || sd_pdf_text_space(ch->c)) {
            if (any) {
                text = strndup(s->data, s->len);
                if (text == NULL || s->failed) {
                    free(text);
                    fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory (words)");
                }

                sd_pdf_text_box(t, r, bounds, &box);
                sd_pdf_text_word(ctx, t, text, &box, bold, italic);
            }

            if (ch == NULL) {
                break;
            }

            any = 0;
            bold = 1;
            italic = 1;
            r = fz_empty_rect;
            s->len = 0;
            continue;
        }

        /* a glyph mupdf cannot map to a character is no text */

        if (ch->c == 0xfffd) {
            continue;
        }

        n = fz_runetochar(utf, ch->c);
        sd_str_add(s, utf, n);

        sd_pdf_text_style(ctx, ch->font, &b, &i);
        bold &= b;
        italic &= i;
        r = fz_union_rect(r, fz_rect_from_quad(ch->quad));
        any = 1;
    }
}


/* the mean text size of a line in points, 0 when it has no text */

static int
sd_pdf_text_size(fz_stext_line *line)
{
    int             n;
    float           sum;
    fz_stext_char  *ch;

    n = 0;
    sum = 0;

    for (ch = line->first_char; ch; ch = ch->next) {
        if (!sd_pdf_text_space(ch->c)) {
            sum += ch->size;
            n++;
        }
    }

    return n ? (int) (sum / n + 0.5f) : 0;
}


/* a page's text layer into t */

static void
sd_pdf_text_layer(fz_context *ctx, fz_page *page, sd_pdf_text_t *t)
{
    int              size, prev_size, gap, h, left, indent, prev_in;
    fz_rect          bounds;
    sd_box_t         box, prev;
    sd_str_t         s;
    fz_stext_page   *text;
    fz_stext_line   *line;
    fz_stext_block  *block;

    bounds = fz_bound_page(ctx, page);
    text = fz_new_stext_page_from_page(ctx, page, NULL);
    memset(&s, 0, sizeof(sd_str_t));

    fz_try(ctx) {
        for (block = text->first_block; block; block = block->next) {
            if (block->type != FZ_STEXT_BLOCK_TEXT) {
                continue;
            }

            prev_size = 0;
            prev_in = 0;
            memset(&prev, 0, sizeof(sd_box_t));
            left = (int) ((block->bbox.x0 - bounds.x0) * SD_PDF_TEXT_DPI
                          / 72.0f);

            for (line = block->u.t.first_line; line; line = line->next) {
                size = sd_pdf_text_size(line);
                if (size == 0) {
                    continue;
                }

                sd_pdf_text_box(t, line->bbox, bounds, &box);

                /*
                 * mupdf's blocks are regions, not paragraphs: a heading
                 * and its section often make one.
                 */

                h = prev.y1 - prev.y0;
                gap = box.y0 - prev.y1;

                /* or one paragraph set apart from the next by an indent */

                indent = box.x0 - left > SD_PDF_INDENT * size
                                         * SD_PDF_TEXT_DPI / 72.0f;

                if (prev_size == 0
                    || abs(size - prev_size) > SD_PDF_SIZE_STEP * prev_size
                    || gap > SD_PDF_PARA_GAP * h
                    || (indent && !prev_in))
                {
                    sd_pdf_text_para(ctx, t);
                }

                sd_pdf_text_line(ctx, t, &box, size);
                sd_pdf_text_words(ctx, t, line, bounds, &s);

                prev = box;
                prev_size = size;
                prev_in = indent;
            }
        }

        t->top += (int) ((bounds.y1 - bounds.y0) * SD_PDF_TEXT_DPI / 72.0f);

    } fz_always(ctx) {
        free(s.data);
        fz_drop_stext_page(ctx, text);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/* a recognized page into t, below the pages before it; ocr is emptied */

static void
sd_pdf_text_take(fz_context *ctx, sd_pdf_text_t *t, sd_ocr_page_t *ocr)
{
    size_t          p, l, w;
    char           *text;
    sd_box_t        box;
    sd_ocr_line_t  *line;
    sd_ocr_word_t  *word;

    for (p = 0; p < ocr->nparas; p++) {
        sd_pdf_text_para(ctx, t);
        t->page.paras[t->page.nparas - 1].list_item = ocr->paras[p].list_item;

        for (l = ocr->paras[p].line;
             l < ocr->paras[p].line + ocr->paras[p].nlines;
             l++)
        {
            line = &ocr->lines[l];
            box = line->box;
            box.y0 += t->top;
            box.y1 += t->top;
            sd_pdf_text_line(ctx, t, &box, line->size);

            for (w = line->word; w < line->word + line->nwords; w++) {
                word = &ocr->words[w];
                box = word->box;
                box.y0 += t->top;
                box.y1 += t->top;

                text = word->text;
                word->text = NULL;
                sd_pdf_text_word(ctx, t, text, &box, 0, 0);
            }
        }
    }

    t->top += ocr->turned_h;
}


void
sd_pdf_page_read(sd_job_t *job, fz_page *page, sd_ocr_page_t *ocr)
{
    int          rc;
    PIX         *pix;
    FILE        *progress;
    const char  *language;

    language = json_string_value(json_object_get(job->params, "language"));
    pix = sd_pdf_page_pix(job, page, SD_PDF_OCR_DPI);

    /* the progress of a PDF counts pages, not the steps of one image */

    progress = job->progress;
    job->progress = NULL;
    rc = sd_ocr_recognize(job, pix, language ? language : "eng", ocr);
    job->progress = progress;
    pixDestroy(&pix);

    if (rc != 0) {
        fz_throw(sd_pdf_context(), FZ_ERROR_GENERIC, "recognition failed");
    }
}


/* a page without text, rendered and recognized into t */

static void
sd_pdf_text_ocr(sd_job_t *job, fz_page *page, sd_pdf_text_t *t)
{
    fz_context     *ctx;
    sd_ocr_page_t   ocr;

    ctx = sd_pdf_context();
    sd_pdf_page_read(job, page, &ocr);

    fz_try(ctx) {
        sd_pdf_text_take(ctx, t, &ocr);

    } fz_always(ctx) {
        sd_ocr_page_free(&ocr);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


int
sd_pdf_extract_text(sd_job_t *job)
{
    int             k, n, rc, *pages;
    fz_page        *page;
    fz_context     *ctx;
    pdf_document   *doc;
    sd_pdf_text_t   t;

    ctx = sd_pdf_context();
    doc = NULL;
    pages = NULL;
    page = NULL;
    memset(&t, 0, sizeof(sd_pdf_text_t));

    fz_var(doc);
    fz_var(pages);
    fz_var(page);

    fz_try(ctx) {
        doc = sd_pdf_open(job, 0);
        pages = sd_pdf_select(job, pdf_count_pages(ctx, doc), &n);

        for (k = 0; k < n; k++) {
            page = fz_load_page(ctx, &doc->super, pages[k]);

            if (sd_pdf_page_has_text(ctx, page)) {
                sd_pdf_text_layer(ctx, page, &t);

            } else {
                sd_pdf_text_ocr(job, page, &t);
            }

            fz_drop_page(ctx, page);
            page = NULL;

            sd_job_progress(job, k + 1, n);
        }

    } fz_always(ctx) {
        fz_drop_page(ctx, page);
        fz_free(ctx, pages);
        pdf_drop_document(ctx, doc);

    } fz_catch(ctx) {
        sd_ocr_page_free(&t.page);
        return sd_pdf_caught(job, SD_CORRUPT, "The text cannot be read");
    }

    rc = sd_ocr_answer(job, &t.page);
    sd_ocr_page_free(&t.page);

    return rc;
}
