
/*
 * Copyright (C) scandoc authors
 *
 * Inside scandoc-engine (helper only, never the nginx module): the job
 * being run, how an operation reports outputs, progress and errors, and
 * the run() entry points of the operation files.
 */


#ifndef _SD_ENGINE_H_INCLUDED_
#define _SD_ENGINE_H_INCLUDED_


#include <stdio.h>
#include <jansson.h>

#include "sd_ops.h"


/* error codes of API.md (result.details.code) */
#define SD_UNSUPPORTED        "unsupported_file_type"
#define SD_CORRUPT            "corrupt_input"
#define SD_ENCRYPTED          "encrypted_input"
#define SD_PAGE_RANGE         "page_out_of_range"
#define SD_LIMIT              "limit_exceeded"
#define SD_NOT_IMPLEMENTED    "not_implemented"
#define SD_INTERNAL           "internal"


typedef struct {
    unsigned long         max_pixels;    /* per image or rendered page */
    unsigned long         max_pages;     /* per document */
    unsigned long         max_outputs;   /* files per task */
    unsigned long         max_text;      /* bytes of result text */
} sd_limits_t;


typedef struct {
    const char           *path;          /* absolute */
    unsigned              type;          /* SD_TYPE_* */
} sd_input_t;


typedef struct {
    const sd_op_t        *op;            /* NULL for probe */
    const char           *op_name;
    json_t               *params;        /* validated */
    sd_input_t           *inputs;
    size_t                ninputs;
    const char           *staging;       /* output directory */
    const char           *password;      /* NULL: none given */
    sd_limits_t           limits;

    FILE                 *progress;      /* where progress lines go */

    /* filled by the operation */
    json_t               *result;        /* the result object */
    json_t               *outputs;       /* [{path, type, properties,
                                            suffix}] */

    /* set by sd_job_fail() */
    const char           *code;
    char                  error[512];
    json_t               *details;
} sd_job_t;


typedef int (*sd_run_pt)(sd_job_t *job);


/*
 * Reports a failure: code is one of the SD_* codes, the message a short
 * sentence (printf format).  Returns -1 so "return sd_job_fail(...)".
 */
int sd_job_fail(sd_job_t *job, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* adds a fact to the failure's details (after sd_job_fail) */
void sd_job_detail(sd_job_t *job, const char *key, json_t *value);

/*
 * Registers the next output before it is written, so a failure removes
 * it; returns the path (owned by the job) of "<staging>/out-<k>.<ext>".
 */
const char *sd_job_output(sd_job_t *job, const char *type,
    json_t **properties);

/* one progress line */
void sd_job_progress(sd_job_t *job, unsigned long done, unsigned long total);

/* removes the files registered as outputs (on failure) */
void sd_job_discard(sd_job_t *job);

/* size in bytes of a file, -1 on error */
long long sd_file_size(const char *path);


/* probe: the type and properties of one file (sd_probe.c) */
int sd_probe(sd_job_t *job);
int sd_probe_file(const char *path, json_t **result, const char **code,
    char *error, size_t size);

/*
 * PNG chunk walk before decoding (sd_png.c): refuses declared lengths
 * beyond the file and metadata bombs, closes a file cut after its image
 * data; returns the bytes to decode (malloc()ed) or NULL, job failed.
 */
unsigned char *sd_png_load(sd_job_t *job, const char *path, size_t *size);

/*
 * images (sd_image.c): the header of input i against the pixel limit;
 * its pixels, decoded after that check (NULL: the job failed); pixels
 * written as the next output of a type, with their properties
 */
int sd_image_check(sd_job_t *job, size_t i);
struct Pix *sd_image_decode(sd_job_t *job, size_t i);
int sd_image_write(sd_job_t *job, struct Pix *pix, const char *type,
    int quality);
int sd_image_convert(sd_job_t *job);
void sd_image_init(void);

/*
 * Memory under the helper's RLIMIT_AS (sd_image.c).  Work that might
 * abort or crash on a refused allocation asks for its room first
 * (sd_image_room: size bytes could be had now); a step that failed asks
 * sd_image_memory_short(need) whether memory was the cause: a pixel
 * buffer refused since the job began (sd_image_memory_reset), ENOMEM in
 * errno (cleared before the step), or need bytes not to be had now.
 * sd_image_fail_memory fails the job limit_exceeded, details.limit
 * memory.
 */
void sd_image_memory_reset(void);
unsigned long sd_image_refused(void);
int sd_image_room(size_t size);
int sd_image_memory_short(size_t need);
int sd_image_fail_memory(sd_job_t *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* extract-text (sd_ocr.c): the tesseract models stay loaded across jobs */
void sd_ocr_init(const char *tessdata);
int sd_ocr_extract_text(sd_job_t *job);

/* pdf (sd_pdf*.c): the mupdf context lives as long as the helper */
int sd_pdf_init(void);
int sd_pdf_merge(sd_job_t *job);
int sd_pdf_split(sd_job_t *job);
int sd_pdf_extract_pages(sd_job_t *job);
int sd_pdf_rotate(sd_job_t *job);
int sd_pdf_render(sd_job_t *job);
int sd_pdf_info(sd_job_t *job);
int sd_pdf_compress(sd_job_t *job);
int sd_pdf_extract_text(sd_job_t *job);
int sd_pdf_ocr(sd_job_t *job);
int sd_pdf_probe(const char *path, json_t *properties, const char **code,
    char *error, size_t size);


#endif /* _SD_ENGINE_H_INCLUDED_ */
