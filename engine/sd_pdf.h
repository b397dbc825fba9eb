
/*
 * Copyright (C) scandoc authors
 *
 * mupdf-level helpers shared by the PDF operations (helper only).
 */


#ifndef _SD_PDF_H_INCLUDED_
#define _SD_PDF_H_INCLUDED_


#include <mupdf/fitz.h>
#include <mupdf/pdf.h>


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


#endif /* _SD_PDF_H_INCLUDED_ */
