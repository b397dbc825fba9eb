
/*
 * Copyright (C) scandoc authors
 *
 * The page that extract-text recognized, as plain data: words with their
 * boxes, grouped into lines and paragraphs in tesseract's reading order.
 * sd_ocr.c fills it; sd_layout.c renders it (plain, markdown, html) and
 * finds its tables; sd_schema.c fills a json schema from it.
 */


#ifndef _SD_OCR_H_INCLUDED_
#define _SD_OCR_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "sd_engine.h"


typedef struct {
    int                   x0, y0;        /* top left, inclusive */
    int                   x1, y1;        /* bottom right, exclusive */
} sd_box_t;


typedef struct {
    char                 *text;          /* UTF-8, no spaces */
    sd_box_t              box;
    float                 conf;          /* 0-100 */
    unsigned              bold:1;        /* from a PDF's fonts; OCR: 0 */
    unsigned              italic:1;
} sd_ocr_word_t;


typedef struct {
    sd_box_t              box;
    size_t                word;          /* first word */
    size_t                nwords;
    size_t                para;          /* the paragraph it belongs to */
    int                   size;          /* text height, for headings */
} sd_ocr_line_t;


typedef struct {
    size_t                line;          /* first line */
    size_t                nlines;
    unsigned              list_item:1;   /* tesseract's opinion */
} sd_ocr_para_t;


typedef struct {
    sd_ocr_word_t        *words;
    size_t                nwords;
    sd_ocr_line_t        *lines;
    size_t                nlines;
    sd_ocr_para_t        *paras;
    size_t                nparas;

    /*
     * How the image was turned to be read (the boxes are in that frame):
     * quarter turns clockwise, then a rotation by skew degrees about the
     * centre of the turned image, which is turned_w x turned_h.
     */
    int                   quads;
    float                 skew;
    int                   turned_w;
    int                   turned_h;
} sd_ocr_page_t;


/*
 * A table: words aligned in columns over consecutive rows.  A cell is a
 * run of words of one line; cell (r, c) is cells[r * ncols + c], with
 * nwords 0 when the row has nothing in that column.
 */
typedef struct {
    size_t                line;
    size_t                word;          /* first word (of the page) */
    size_t                nwords;
} sd_cell_t;

typedef struct {
    size_t                nrows;
    size_t                ncols;
    sd_cell_t            *cells;
    size_t                first_line;    /* lowest line index it uses */
} sd_table_t;


/* a growing string */
typedef struct {
    char                 *data;
    size_t                len;
    size_t                size;
    int                   failed;        /* out of memory */
} sd_str_t;


void sd_str_add(sd_str_t *s, const char *p, size_t n);
void sd_str_cat(sd_str_t *s, const char *p);

/* the words of cell, one space apart, into s */
void sd_cell_text(const sd_ocr_page_t *page, const sd_cell_t *cell,
    sd_str_t *s);

/* how many words of line l, from word "from" on, come before a wide gap */
size_t sd_layout_run(const sd_ocr_page_t *page, size_t l, size_t from);

/*
 * The tables of the page; *used[l] is set for each line l that a table
 * holds (malloc()ed, nlines long).  Returns the number found, -1 when
 * out of memory.
 */
long sd_layout_tables(const sd_ocr_page_t *page, sd_table_t **tables,
    unsigned char **used);
void sd_layout_tables_free(sd_table_t *tables, size_t n);

/* the page as "plain", "markdown" or "html"; NULL when out of memory */
char *sd_layout_render(const sd_ocr_page_t *page, const char *format);

/*
 * Recognizes pix (not consumed) in language into page, turned upright
 * and deskewed as extract-text does (sd_ocr.c); progress lines go to the
 * job.  Returns -1 with the job failed.  sd_ocr_page_free() the page.
 */
int sd_ocr_recognize(sd_job_t *job, struct Pix *pix, const char *language,
    sd_ocr_page_t *page);
void sd_ocr_page_free(sd_ocr_page_t *page);

/*
 * The job's result for page: its text in the job's format (or the json
 * schema filled), within max_text.  Returns -1 with the job failed.
 */
int sd_ocr_answer(sd_job_t *job, const sd_ocr_page_t *page);

/* the page's values for schema, in its shape (a new reference) */
json_t *sd_schema_fill(const sd_ocr_page_t *page, json_t *schema);


#endif /* _SD_OCR_H_INCLUDED_ */
