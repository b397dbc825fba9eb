
/*
 * Copyright (C) scandoc authors
 *
 * mupdf-level helpers shared by the PDF operations (helper only).
 */


#ifndef _SD_PDF_H_INCLUDED_
#define _SD_PDF_H_INCLUDED_


#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "sd_engine.h"
#include "sd_ocr.h"


#define SD_PDF_OCR_DPI        300    /* pages drawn for recognition */


/* the helper's mupdf context (sd_pdf_init) */
fz_context *sd_pdf_context(void);

/*
 * Fails the job for a caught mupdf exception, unless the job already
 * says precisely why: code, or limit_exceeded when memory ran out.
 * Call it in fz_catch; returns -1.
 */
int sd_pdf_caught(sd_job_t *job, const char *code, const char *what);

/* whether the document has an /Encrypt dictionary */
int sd_pdf_encrypted(fz_context *ctx, pdf_document *doc);

/*
 * Opens PDF input i with the job's password.  Throws, with the job
 * failed (encrypted_input, corrupt_input, limit_exceeded for max_pages)
 * when it cannot be used; mupdf's own errors are left to the caller.
 */
pdf_document *sd_pdf_open(sd_job_t *job, size_t i);

/* the same; *fixed tells whether its page tree had to be rebuilt */
pdf_document *sd_pdf_open_fixed(sd_job_t *job, size_t i, int *fixed);

/*
 * A page tree that lies (/Count, loops, repeats, wrong /Parent) replaced
 * by one flat node over the pages really found (sd_pdf_tree.c); returns
 * 1 when it did, throws only when memory runs out.
 */
int sd_pdf_fix_page_tree(fz_context *ctx, pdf_document *doc);

/*
 * The 0-based page numbers the job's "pages" selects in a document of
 * count pages (all of them without "pages"), in order with repeats; *n
 * gets their number.  fz_free() the array.  Throws with the job failed:
 * page_out_of_range, or limit_exceeded beyond max_pages.
 */
int *sd_pdf_select(sd_job_t *job, int count, int *n);

/*
 * Registers n outputs of type before any is written (so max_outputs
 * fails the job before the work); with pages, output k is named after
 * source page pages[k] (its "suffix").  Returns -1 with the job
 * failed.
 */
int sd_pdf_outputs(sd_job_t *job, const char *type, const int *pages,
    int n);

/* the path and properties of output k, registered by sd_pdf_outputs() */
const char *sd_pdf_output(sd_job_t *job, int k, json_t **props);

/*
 * Appends pages[0..n-1] of src to dst as they are (grafted: contents,
 * fonts and images are not re-rendered, and what the pages share is
 * copied once), with their annotations and links.  Throws.
 */
void sd_pdf_copy_pages(fz_context *ctx, pdf_document *dst,
    pdf_document *src, const int *pages, int n);

/* a PDF output opens without repair with its pages; throws on memory */
int sd_pdf_sound(fz_context *ctx, const char *path, int pages);

/*
 * Saves doc at path, unencrypted, unused objects dropped, streams
 * compressed; sets size and page_count in props.  Fails the job and
 * returns -1 when it cannot be written.
 */
int sd_pdf_write(sd_job_t *job, pdf_document *doc, const char *path,
    json_t *props);


/*
 * Copies the annotations of page src_page of src onto page dst_page of
 * dst (already grafted through map, which pdf_graft_mapped_page does not
 * do for /Annots).  Links into the document are pointed at the copied
 * page: page_map[i] is the dst index of src page i, or -1 when page i is
 * not copied (such links are dropped).  Throws on mupdf errors.
 */
void sd_pdf_copy_annots(fz_context *ctx, pdf_graft_map *map,
    pdf_document *src, int src_page, pdf_document *dst, int dst_page,
    const int *page_map, int npages);


/*
 * Authenticates doc with password, then with its SASLprep'ed form when
 * that differs (mupdf 1.21 does not prepare AES-256 passwords).
 * Returns nonzero when the document is open.
 */
int sd_pdf_authenticate(fz_context *ctx, pdf_document *doc,
    const char *password);


/*
 * Whether the page has text a search finds (invisible text, an OCR
 * layer, included); for info and for the pages extract-text and ocr
 * must recognize (sd_pdf_info.c).  Throws.
 */
int sd_pdf_page_has_text(fz_context *ctx, fz_page *page);

/*
 * Gives page (of doc) resources of its own naming only what its contents
 * use, when it shares them with other pages (sd_pdf_prune.c).  Throws.
 */
void sd_pdf_prune_resources(fz_context *ctx, pdf_document *doc,
    pdf_obj *page);

/*
 * Writes doc, as mupdf saved it (unencrypted), at path with its objects
 * in object streams and a cross-reference stream (sd_pdf_objstm.c).
 * Throws.
 */
void sd_pdf_write_objstm(fz_context *ctx, pdf_document *doc,
    const char *path);


/*
 * A page drawn as 8-bit gray leptonica pixels at dpi, for recognition;
 * max_pixels fails the job (sd_pdf_render.c).  Throws.
 */
struct Pix *sd_pdf_page_pix(sd_job_t *job, fz_page *page, int dpi);

/*
 * A page without text drawn at SD_PDF_OCR_DPI and recognized in the
 * job's language, as extract-text reads an image; the boxes of ocr are
 * in the frame sd_ocr_page_t describes (sd_pdf_text.c).  Throws, with
 * the job failed.
 */
void sd_pdf_page_read(sd_job_t *job, fz_page *page, sd_ocr_page_t *ocr);


#endif /* _SD_PDF_H_INCLUDED_ */
