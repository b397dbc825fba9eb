
/*
 * Copyright (C) scandoc authors
 *
 * A recognized page as text: "plain" keeps tesseract's reading order and
 * paragraphs; "markdown" and "html" add the structure the geometry shows:
 * headings (text taller than the body's), bullet and numbered lists (a
 * marker opening a line), and tables (words aligned in columns over
 * consecutive rows, whether tesseract saw them as one block or not).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_ocr.h"


#define SD_HEADING_RATIO      1.1    /* text size over the body's */
#define SD_HEADING_WORDS      10     /* a heading is short */
#define SD_HEADING_LINES      2
#define SD_CELL_GAP           1.2    /* gap in line heights between cells */
#define SD_ROW_GAP            2.5    /* gap in line heights ending a table */
#define SD_CELL_WORDS         4.0    /* mean words per cell, at most */


enum {
    SD_FMT_PLAIN = 0,
    SD_FMT_MARKDOWN,
    SD_FMT_HTML
};


/* a run of words of one line, between wide gaps */
typedef struct {
    size_t                line;
    size_t                word;
    size_t                nwords;
    sd_box_t              box;
} sd_seg_t;


/* emphasis of a run of words (a PDF's bold and italic fonts) */
#define SD_STYLE_BOLD         1
#define SD_STYLE_ITALIC       2


/* what a run of lines is, for markdown and html */
enum {
    SD_CHUNK_PARA = 0,
    SD_CHUNK_HEADING,
    SD_CHUNK_BULLET,
    SD_CHUNK_NUMBER
};


typedef struct {
    const sd_ocr_page_t  *page;
    int                   format;
    sd_str_t              out;
    int                   body;          /* the body text's size */
    int                   list;          /* SD_CHUNK_BULLET, _NUMBER or 0 */
    int                   item_x;        /* where an open item's text starts */
    int                   item_y;        /* where its last line ends */
    int                   items;         /* items of the open list */
    int                   para;          /* a paragraph is open */
    size_t                para_end;      /* ... up to this line */
    int                   blocks;        /* blocks written so far */
    int                   style;         /* SD_STYLE_* open in the text */
    int                   heading;       /* a heading: no emphasis */
} sd_render_t;


void
sd_str_add(sd_str_t *s, const char *p, size_t n)
{
    char    *d;
    size_t   size;

    if (s->failed) {
        return;
    }

    if (s->len + n + 1 > s->size) {
        size = s->size ? s->size : 1024;

        while (s->len + n + 1 > size) {
            size *= 2;
        }

        d = realloc(s->data, size);
        if (d == NULL) {
            s->failed = 1;
            return;
        }

        s->data = d;
        s->size = size;
    }

    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = '\0';
}


void
sd_str_cat(sd_str_t *s, const char *p)
{
    sd_str_add(s, p, strlen(p));
}


void
sd_cell_text(const sd_ocr_page_t *page, const sd_cell_t *cell, sd_str_t *s)
{
    size_t  i;

    for (i = 0; i < cell->nwords; i++) {
        if (i) {
            sd_str_add(s, " ", 1);
        }

        sd_str_cat(s, page->words[cell->word + i].text);
    }
}


static int
sd_box_height(const sd_box_t *b)
{
    return b->y1 - b->y0 > 1 ? b->y1 - b->y0 : 1;
}


/* --- tables ------------------------------------------------------------ */


size_t
sd_layout_run(const sd_ocr_page_t *page, size_t l, size_t from)
{
    int                   gap;
    size_t                i;
    const sd_ocr_line_t  *line;
    const sd_ocr_word_t  *w;

    line = &page->lines[l];
    gap = (int) (SD_CELL_GAP * sd_box_height(&line->box));
    w = &page->words[line->word];

    for (i = from + 1; i < line->nwords; i++) {
        if (w[i].box.x0 - w[i - 1].box.x1 > gap) {
            break;
        }
    }

    return i - from;
}


/* every line cut into runs of words at wide gaps */

static sd_seg_t *
sd_layout_segments(const sd_ocr_page_t *page, size_t *nsegs)
{
    size_t                l, i, k, n;
    sd_seg_t             *segs, *seg;
    const sd_ocr_line_t  *line;
    const sd_ocr_word_t  *w;

    segs = malloc((page->nwords + 1) * sizeof(sd_seg_t));
    if (segs == NULL) {
        return NULL;
    }

    n = 0;

    for (l = 0; l < page->nlines; l++) {
        line = &page->lines[l];

        for (i = 0; i < line->nwords; i += seg->nwords) {
            seg = &segs[n++];
            seg->line = l;
            seg->word = line->word + i;
            seg->nwords = sd_layout_run(page, l, i);
            seg->box = page->words[seg->word].box;

            for (k = 1; k < seg->nwords; k++) {
                w = &page->words[seg->word + k];
                seg->box.x1 = w->box.x1;
                seg->box.y0 = w->box.y0 < seg->box.y0 ? w->box.y0
                                                       : seg->box.y0;
                seg->box.y1 = w->box.y1 > seg->box.y1 ? w->box.y1
                                                       : seg->box.y1;
            }
        }
    }

    *nsegs = n;

    return segs;
}


static int
sd_seg_cmp(const void *a, const void *b)
{
    const sd_seg_t  *s, *t;
    int              sy, ty;

    s = a;
    t = b;
    sy = s->box.y0 + s->box.y1;
    ty = t->box.y0 + t->box.y1;

    if (sy != ty) {
        return sy < ty ? -1 : 1;
    }

    return s->box.x0 - t->box.x0;
}


static int
sd_seg_x_cmp(const void *a, const void *b)
{
    return ((const sd_seg_t *) a)->box.x0 - ((const sd_seg_t *) b)->box.x0;
}


/*
 * The column of each segment of a row: the one whose x range it
 * overlaps; -1 when a segment fits no column or shares one.
 */
static int
sd_row_fits(const sd_seg_t *row, size_t n, const sd_box_t *cols,
    size_t ncols, int *col)
{
    size_t  i, c;

    for (i = 0; i < n; i++) {
        col[i] = -1;

        for (c = 0; c < ncols; c++) {
            if (row[i].box.x0 < cols[c].x1 && cols[c].x0 < row[i].box.x1) {
                if (col[i] != -1) {
                    return -1;          /* spans two columns */
                }

                col[i] = (int) c;
            }
        }

        if (col[i] == -1 || (i && col[i] <= col[i - 1])) {
            return -1;
        }
    }

    return 0;
}


/* the table of rows [first, last) into t; 0 if it is not one */

static int
sd_layout_table(const sd_seg_t *segs, const size_t *rows, size_t first,
    size_t last, const sd_box_t *cols, size_t ncols, sd_table_t *t)
{
    int              col[64];
    size_t           r, i, c, n, cells, words;
    const sd_seg_t  *row;

    t->nrows = last - first;
    t->ncols = ncols;
    t->first_line = (size_t) -1;
    t->cells = calloc(t->nrows * ncols, sizeof(sd_cell_t));

    if (t->cells == NULL) {
        return -1;
    }

    for (r = first; r < last; r++) {
        row = &segs[rows[r]];
        n = rows[r + 1] - rows[r];

        (void) sd_row_fits(row, n, cols, ncols, col);

        for (i = 0; i < n; i++) {
            t->cells[(r - first) * ncols + col[i]].line = row[i].line;
            t->cells[(r - first) * ncols + col[i]].word = row[i].word;
            t->cells[(r - first) * ncols + col[i]].nwords = row[i].nwords;

            if (row[i].line < t->first_line) {
                t->first_line = row[i].line;
            }
        }
    }

    /*
     * Columns of prose are aligned too, but their "cells" are long: so
     * are a poem's lines beside the specks of its illustration.
     */

    for (c = 0; c < ncols; c++) {
        cells = 0;
        words = 0;

        for (r = 0; r < t->nrows; r++) {
            n = t->cells[r * ncols + c].nwords;
            cells += (n != 0);
            words += n;
        }

        if (cells == 0 || (double) words / cells > SD_CELL_WORDS) {
            free(t->cells);
            t->cells = NULL;
            return 0;
        }
    }

    return 1;
}


long
sd_layout_tables(const sd_ocr_page_t *page, sd_table_t **tables,
    unsigned char **used)
{
    int          col[64], height, gap;
    long         ntables;
    size_t       nsegs, nrows, i, r, first, c, n, ncols;
    size_t      *rows;
    sd_box_t     cols[64];
    sd_seg_t    *segs, *row;
    sd_table_t  *t, *p;

    *tables = NULL;
    *used = calloc(page->nlines + 1, 1);
    nsegs = 0;
    segs = sd_layout_segments(page, &nsegs);
    rows = malloc((nsegs + 2) * sizeof(size_t));

    if (*used == NULL || segs == NULL || rows == NULL) {
        ntables = -1;
        goto done;
    }

    /* rows: segments whose middles fall within the first one's height */

    qsort(segs, nsegs, sizeof(sd_seg_t), sd_seg_cmp);
    nrows = 0;

    for (i = 0; i < nsegs; i++) {
        if (i == 0
            || (segs[i].box.y0 + segs[i].box.y1) / 2
               >= segs[rows[nrows - 1]].box.y1)
        {
            if (i) {
                qsort(&segs[rows[nrows - 1]], i - rows[nrows - 1],
                      sizeof(sd_seg_t), sd_seg_x_cmp);
            }

            rows[nrows++] = i;
        }
    }

    if (nsegs) {
        qsort(&segs[rows[nrows - 1]], nsegs - rows[nrows - 1],
              sizeof(sd_seg_t), sd_seg_x_cmp);
    }

    rows[nrows] = nsegs;

    /* runs of rows with two or more cells that keep to the same columns */

    ntables = 0;
    r = 0;

    while (r < nrows) {
        ncols = rows[r + 1] - rows[r];

        if (ncols < 2 || ncols > 64) {
            r++;
            continue;
        }

        first = r;
        row = &segs[rows[r]];

        /*
         * A header with an empty cell (a matrix's corner) has fewer
         * cells than the rows below: their columns are the table's.
         */

        if (r + 1 < nrows && rows[r + 2] - rows[r + 1] > ncols
            && rows[r + 2] - rows[r + 1] <= 64)
        {
            n = rows[r + 2] - rows[r + 1];

            for (c = 0; c < n; c++) {
                cols[c] = segs[rows[r + 1] + c].box;
            }

            if (sd_row_fits(row, ncols, cols, n, col) == 0) {
                row = &segs[rows[r + 1]];
                ncols = n;
            }
        }

        for (c = 0; c < ncols; c++) {
            cols[c] = row[c].box;
        }

        for (r++; r < nrows; r++) {
            row = &segs[rows[r]];
            n = rows[r + 1] - rows[r];
            height = sd_box_height(&segs[rows[r - 1]].box);
            gap = row[0].box.y0 - segs[rows[r - 1]].box.y1;

            if (n < 2 || n > ncols || gap > SD_ROW_GAP * height
                || sd_row_fits(row, n, cols, ncols, col) != 0)
            {
                break;
            }

            for (c = 0; c < n; c++) {
                if (row[c].box.x0 < cols[col[c]].x0) {
                    cols[col[c]].x0 = row[c].box.x0;
                }

                if (row[c].box.x1 > cols[col[c]].x1) {
                    cols[col[c]].x1 = row[c].box.x1;
                }
            }
        }

        if (r - first < 2) {
            continue;
        }

        p = realloc(*tables, (ntables + 1) * sizeof(sd_table_t));
        if (p == NULL) {
            goto failed;
        }

        *tables = p;
        t = &p[ntables];

        switch (sd_layout_table(segs, rows, first, r, cols, ncols, t)) {

        case 1:
            for (i = rows[first]; i < rows[r]; i++) {
                (*used)[segs[i].line] = 1;
            }

            ntables++;
            break;

        case 0:
            break;

        default:
            goto failed;
        }
    }

    goto done;

failed:

    sd_layout_tables_free(*tables, ntables);
    *tables = NULL;
    ntables = -1;

done:

    if (ntables < 0) {
        free(*used);
        *used = NULL;
    }

    free(segs);
    free(rows);

    return ntables;
}


void
sd_layout_tables_free(sd_table_t *tables, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(tables[i].cells);
    }

    free(tables);
}


/* --- text -------------------------------------------------------------- */


/* escapes for the format; markdown's "|" only matters inside tables */

static void
sd_render_text(sd_render_t *rd, const char *p, size_t n, int cell)
{
    size_t       i, from;
    const char  *esc;

    from = 0;

    for (i = 0; i < n; i++) {
        esc = NULL;

        if (rd->format == SD_FMT_HTML) {
            switch (p[i]) {
            case '&': esc = "&amp;"; break;
            case '<': esc = "&lt;"; break;
            case '>': esc = "&gt;"; break;
            case '"': esc = "&quot;"; break;
            case '\'': esc = "&#39;"; break;
            }

        } else if (rd->format == SD_FMT_MARKDOWN) {
            switch (p[i]) {
            case '\\': esc = "\\\\"; break;
            case '*': esc = "\\*"; break;
            case '_': esc = "\\_"; break;
            case '`': esc = "\\`"; break;
            case '[': esc = "\\["; break;
            case ']': esc = "\\]"; break;
            case '<': esc = "\\<"; break;
            case '|': esc = cell ? "\\|" : NULL; break;
            }
        }

        /* control characters have no place in text (nor in XML) */

        if (esc == NULL && (unsigned char) p[i] < 0x20) {
            esc = " ";
        }

        if (esc != NULL) {
            sd_str_add(&rd->out, p + from, i - from);
            sd_str_cat(&rd->out, esc);
            from = i + 1;
        }
    }

    sd_str_add(&rd->out, p + from, n - from);
}


/*
 * Moves the emphasis open in the text to style: markdown's "**" and "*",
 * html's strong and em, closed in the reverse order of opening.
 */
static void
sd_render_style(sd_render_t *rd, int style)
{
    int  html;

    if (rd->style == style || rd->format == SD_FMT_PLAIN) {
        return;
    }

    html = (rd->format == SD_FMT_HTML);

    if (rd->style & SD_STYLE_ITALIC) {
        sd_str_cat(&rd->out, html ? "</em>" : "*");
    }

    if (rd->style & SD_STYLE_BOLD) {
        sd_str_cat(&rd->out, html ? "</strong>" : "**");
    }

    rd->style = style;

    if (style & SD_STYLE_BOLD) {
        sd_str_cat(&rd->out, html ? "<strong>" : "**");
    }

    if (style & SD_STYLE_ITALIC) {
        sd_str_cat(&rd->out, html ? "<em>" : "*");
    }
}


/*
 * The words of lines [l0, l1), but the first "skip" ones (a list marker),
 * as one run of text.  A word cut by a hyphen at a line's end is joined
 * again when the next line goes on in lower case; plain keeps the lines
 * as printed instead.
 */
static void
sd_render_words(sd_render_t *rd, size_t l0, size_t l1, size_t skip)
{
    int                   joined, style;
    size_t                l, i, n;
    const char           *t, *next;
    const sd_ocr_word_t  *w;
    const sd_ocr_line_t  *line;

    joined = 1;

    for (l = l0; l < l1; l++) {
        line = &rd->page->lines[l];

        for (i = (l == l0 ? skip : 0); i < line->nwords; i++) {
            w = &rd->page->words[line->word + i];
            t = w->text;
            n = strlen(t);
            style = rd->heading ? 0 : (w->bold ? SD_STYLE_BOLD : 0)
                                      | (w->italic ? SD_STYLE_ITALIC : 0);

            /* "**a b** c": the emphasis closes before the space */

            if (style != rd->style && !joined) {
                sd_render_style(rd, 0);
            }

            if (!joined) {
                sd_str_add(&rd->out, " ", 1);
            }

            sd_render_style(rd, style);

            joined = 0;

            if (i + 1 == line->nwords && l + 1 < l1 && n > 1
                && t[n - 1] == '-' && rd->format != SD_FMT_PLAIN
                && rd->page->lines[l + 1].nwords)
            {
                next = rd->page->words[rd->page->lines[l + 1].word].text;

                if (*next >= 'a' && *next <= 'z') {
                    n--;
                    joined = 1;
                }
            }

            sd_render_text(rd, t, n, 0);
        }

        if (rd->format == SD_FMT_PLAIN && l + 1 < l1) {
            sd_str_add(&rd->out, "\n", 1);
            joined = 1;
        }
    }

    sd_render_style(rd, 0);
}


/* --- structure --------------------------------------------------------- */


/* the code point of a word that is one character, else 0 */

static unsigned
sd_utf8_char(const unsigned char *p, size_t n)
{
    if (n == 2 && (p[0] & 0xe0) == 0xc0) {
        return ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
    }

    if (n == 3 && (p[0] & 0xf0) == 0xe0) {
        return ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6)
               | (p[2] & 0x3fu);
    }

    return n == 1 ? p[0] : 0;
}


/* SD_CHUNK_BULLET or _NUMBER when the word opens a list item, else 0 */

static int
sd_layout_marker(const char *w)
{
    size_t                n;
    unsigned              c;
    const unsigned char  *p;

    p = (const unsigned char *) w;
    n = strlen(w);
    c = sd_utf8_char(p, n);

    /*
     * A bullet: "-", "*", "+", or one symbol of Latin-1 (the "¢", "©" or
     * "«" tesseract reads round bullets as), of general punctuation ("•",
     * "‣", "–", but not the em dash or quotes of prose), of arrows,
     * shapes and dingbats ("▪", "●", "➢"), or a private-use font symbol.
     * Letters are not bullets, whatever their script.
     */

    if (c == '-' || c == '*' || c == '+'
        || (c >= 0xa1 && c <= 0xbf)
        || (c >= 0x2010 && c <= 0x205e && c != 0x2014
            && !(c >= 0x2018 && c <= 0x201f))
        || (c >= 0x2190 && c <= 0x2bff)
        || (c >= 0xe000 && c <= 0xf8ff))
    {
        return SD_CHUNK_BULLET;
    }

    /* 1. 2) (3) a) */

    if (*p == '(') {
        p++;
        n--;
    }

    if (n >= 2 && (p[n - 1] == '.' || p[n - 1] == ')')) {
        if (n <= 4 && strspn((const char *) p, "0123456789") == n - 1) {
            return SD_CHUNK_NUMBER;
        }

        if (n == 2 && *p >= 'a' && *p <= 'z' && p[1] == ')') {
            return SD_CHUNK_NUMBER;
        }
    }

    return 0;
}


static int
sd_int_cmp(const void *a, const void *b)
{
    return *(const int *) a - *(const int *) b;
}


/* the median size of the page's words: what headings stand out from */

static int
sd_layout_body(const sd_ocr_page_t *page)
{
    int     *sizes, size;
    size_t   l, i, n;

    sizes = malloc((page->nwords + 1) * sizeof(int));
    if (sizes == NULL) {
        return 0;
    }

    n = 0;

    for (l = 0; l < page->nlines; l++) {
        for (i = 0; i < page->lines[l].nwords; i++) {
            sizes[n++] = page->lines[l].size;
        }
    }

    qsort(sizes, n, sizeof(int), sd_int_cmp);
    size = n ? sizes[n / 2] : 0;
    free(sizes);

    return size;
}


/* ends the open paragraph or list */

static void
sd_render_close(sd_render_t *rd)
{
    if (rd->para) {
        sd_str_cat(&rd->out, rd->format == SD_FMT_HTML ? "</p>\n" : "\n");
        rd->para = 0;
    }

    if (rd->list == 0) {
        return;
    }

    if (rd->format == SD_FMT_HTML) {
        sd_str_cat(&rd->out, rd->list == SD_CHUNK_NUMBER ? "</li>\n</ol>\n"
                                                          : "</li>\n</ul>\n");
    } else {
        sd_str_cat(&rd->out, "\n");
    }

    rd->list = 0;
}


/*
 * Whether line l goes on with the open paragraph: tesseract starts a new
 * one at a line that is short or set apart, also in the middle of a
 * sentence ("It is" / "extremely powerful").
 */
static int
sd_render_continues(sd_render_t *rd, size_t l)
{
    int                   h, gap;
    const char           *t;
    const sd_ocr_line_t  *prev, *line;

    if (!rd->para || rd->para_end != l) {
        return 0;
    }

    prev = &rd->page->lines[l - 1];
    line = &rd->page->lines[l];

    if (prev->nwords == 0 || line->nwords == 0) {
        return 0;
    }

    t = rd->page->words[prev->word + prev->nwords - 1].text;

    if (strchr(".!?:", t[strlen(t) - 1]) != NULL) {
        return 0;
    }

    t = rd->page->words[line->word].text;
    h = sd_box_height(&prev->box);
    gap = line->box.y0 - prev->box.y1;

    return *t >= 'a' && *t <= 'z' && gap <= h && gap >= -h / 2;
}


/* the blank line (or nothing) before a new block */

static void
sd_render_block(sd_render_t *rd)
{
    if (rd->blocks++ && rd->format != SD_FMT_HTML) {
        sd_str_cat(&rd->out, "\n");
    }
}


static void
sd_render_table(sd_render_t *rd, const sd_table_t *t)
{
    size_t    r, c;
    sd_str_t  cell;

    sd_render_close(rd);
    sd_render_block(rd);

    if (rd->format == SD_FMT_HTML) {
        sd_str_cat(&rd->out, "<table>\n");
    }

    for (r = 0; r < t->nrows; r++) {
        sd_str_cat(&rd->out, rd->format == SD_FMT_HTML ? "<tr>" : "|");

        for (c = 0; c < t->ncols; c++) {
            memset(&cell, 0, sizeof(sd_str_t));
            sd_cell_text(rd->page, &t->cells[r * t->ncols + c], &cell);

            if (rd->format == SD_FMT_HTML) {
                sd_str_cat(&rd->out, r ? "<td>" : "<th>");
            } else {
                sd_str_cat(&rd->out, " ");
            }

            if (cell.len) {
                sd_render_text(rd, cell.data, cell.len, 1);
            }

            rd->out.failed |= cell.failed;
            free(cell.data);

            sd_str_cat(&rd->out, rd->format == SD_FMT_HTML
                                 ? (r ? "</td>" : "</th>") : " |");
        }

        sd_str_cat(&rd->out, rd->format == SD_FMT_HTML ? "</tr>\n" : "\n");

        if (r == 0 && rd->format == SD_FMT_MARKDOWN) {
            sd_str_cat(&rd->out, "|");

            for (c = 0; c < t->ncols; c++) {
                sd_str_cat(&rd->out, " --- |");
            }

            sd_str_cat(&rd->out, "\n");
        }
    }

    if (rd->format == SD_FMT_HTML) {
        sd_str_cat(&rd->out, "</table>\n");
    }
}


/* a markdown paragraph must not start like another block */

static void
sd_render_md_start(sd_render_t *rd, size_t l)
{
    const char           *t;
    const sd_ocr_line_t  *line;

    line = &rd->page->lines[l];
    t = line->nwords ? rd->page->words[line->word].text : "";

    if (strchr("#+->=", *t) != NULL && *t != '\0') {
        sd_str_cat(&rd->out, "\\");

    } else if (sd_layout_marker(t) == SD_CHUNK_NUMBER) {
        sd_str_cat(&rd->out, "\\");
    }
}


/* lines [l0, l1) that belong to one paragraph, classified and written */

static void
sd_render_chunk(sd_render_t *rd, size_t l0, size_t l1)
{
    int                   kind, level, x, h;
    char                  num[16];
    size_t                l, words;
    const char           *tag, *last;
    const sd_ocr_line_t  *line;

    line = &rd->page->lines[l0];
    kind = line->nwords ? sd_layout_marker(rd->page->words[line->word].text)
                        : 0;

    /* a list item goes on over the lines that hang under its text */

    h = sd_box_height(&line->box);

    if (kind == 0 && rd->list && abs(line->box.x0 - rd->item_x) <= h
        && line->box.y0 - rd->item_y <= h)
    {
        sd_str_cat(&rd->out, " ");
        sd_render_words(rd, l0, l1, 0);
        rd->item_y = rd->page->lines[l1 - 1].box.y1;
        return;
    }

    if (kind && line->nwords > 1) {

        /* lines of one paragraph that start with a marker are new items */

        for (l = l0 + 1; l < l1; l++) {
            line = &rd->page->lines[l];

            if (line->nwords && sd_layout_marker(
                                    rd->page->words[line->word].text))
            {
                sd_render_chunk(rd, l0, l);
                sd_render_chunk(rd, l, l1);
                return;
            }
        }

        line = &rd->page->lines[l0];

        if (rd->list != kind) {
            sd_render_close(rd);
            sd_render_block(rd);

            if (rd->format == SD_FMT_HTML) {
                sd_str_cat(&rd->out, kind == SD_CHUNK_NUMBER ? "<ol>\n<li>"
                                                             : "<ul>\n<li>");
            }

        } else {
            sd_str_cat(&rd->out, rd->format == SD_FMT_HTML ? "</li>\n<li>"
                                                           : "\n");
        }

        rd->items = (rd->list == kind) ? rd->items + 1 : 1;
        rd->list = kind;
        rd->item_x = rd->page->words[line->word + 1].box.x0;
        rd->item_y = rd->page->lines[l1 - 1].box.y1;

        if (rd->format == SD_FMT_MARKDOWN && kind == SD_CHUNK_NUMBER) {
            snprintf(num, sizeof(num), "%d. ", rd->items);
            sd_str_cat(&rd->out, num);

        } else if (rd->format == SD_FMT_MARKDOWN) {
            sd_str_cat(&rd->out, "- ");
        }

        sd_render_words(rd, l0, l1, 1);
        return;
    }

    /* short, and taller than the body: a heading */

    words = 0;
    x = 0;

    for (l = l0; l < l1; l++) {
        words += rd->page->lines[l].nwords;
        x += rd->page->lines[l].size;
    }

    x /= (int) (l1 - l0);
    level = 0;

    line = &rd->page->lines[l1 - 1];
    last = line->nwords ? rd->page->words[line->word + line->nwords - 1].text
                        : ".";

    if (rd->body > 0 && l1 - l0 <= SD_HEADING_LINES
        && words <= SD_HEADING_WORDS && x >= SD_HEADING_RATIO * rd->body
        && strchr(".,;", last[strlen(last) - 1]) == NULL)
    {
        level = x >= 1.8 * rd->body ? 1 : x >= 1.4 * rd->body ? 2 : 3;
    }

    if (level == 0 && sd_render_continues(rd, l0)) {
        sd_str_cat(&rd->out, " ");
        sd_render_words(rd, l0, l1, 0);
        rd->para_end = l1;
        return;
    }

    sd_render_close(rd);
    sd_render_block(rd);

    if (level) {
        tag = level == 1 ? "h1>" : level == 2 ? "h2>" : "h3>";

        if (rd->format == SD_FMT_HTML) {
            sd_str_cat(&rd->out, "<");
            sd_str_cat(&rd->out, tag);

        } else {
            sd_str_add(&rd->out, "###", level);
            sd_str_cat(&rd->out, " ");
        }

        rd->heading = 1;
        sd_render_words(rd, l0, l1, 0);
        rd->heading = 0;

        if (rd->format == SD_FMT_HTML) {
            sd_str_cat(&rd->out, "</");
            sd_str_cat(&rd->out, tag);
        }

        sd_str_cat(&rd->out, "\n");
        return;
    }

    if (rd->format == SD_FMT_HTML) {
        sd_str_cat(&rd->out, "<p>");

    } else {
        sd_render_md_start(rd, l0);
    }

    sd_render_words(rd, l0, l1, 0);
    rd->para = 1;
    rd->para_end = l1;
}


char *
sd_layout_render(const sd_ocr_page_t *page, const char *format)
{
    long                  ntables, k;
    size_t                p, l, from, end;
    sd_table_t           *tables;
    sd_render_t           rd;
    unsigned char        *used;
    const sd_ocr_para_t  *para;

    memset(&rd, 0, sizeof(sd_render_t));
    rd.page = page;
    rd.format = strcmp(format, "html") == 0 ? SD_FMT_HTML
                : strcmp(format, "markdown") == 0 ? SD_FMT_MARKDOWN
                : SD_FMT_PLAIN;

    if (rd.format == SD_FMT_PLAIN) {
        for (p = 0; p < page->nparas; p++) {
            if (p) {
                sd_str_cat(&rd.out, "\n\n");
            }

            para = &page->paras[p];
            sd_render_words(&rd, para->line, para->line + para->nlines, 0);
        }

        if (page->nparas) {
            sd_str_cat(&rd.out, "\n");
        }

        goto done;
    }

    ntables = sd_layout_tables(page, &tables, &used);
    if (ntables < 0) {
        return NULL;
    }

    rd.body = sd_layout_body(page);

    /* paragraphs in reading order; a table where its first line was */

    for (p = 0; p < page->nparas; p++) {
        para = &page->paras[p];
        end = para->line + para->nlines;
        from = para->line;

        for (l = para->line; l <= end; l++) {
            if (l < end && !used[l]) {
                continue;
            }

            if (from < l) {
                sd_render_chunk(&rd, from, l);
            }

            from = l + 1;

            for (k = 0; l < end && k < ntables; k++) {
                if (tables[k].first_line == l) {
                    sd_render_table(&rd, &tables[k]);
                }
            }
        }
    }

    sd_render_close(&rd);
    sd_layout_tables_free(tables, ntables);
    free(used);

done:

    if (rd.out.failed) {
        free(rd.out.data);
        return NULL;
    }

    return rd.out.data ? rd.out.data : strdup("");
}
