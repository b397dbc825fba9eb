
/*
 * Copyright (C) scandoc authors
 *
 * Annotations and links for copied pages.  pdf_graft_mapped_page()
 * leaves /Annots behind; grafting them whole would drag every page a
 * link points to (and its parent tree) into the output, so each
 * annotation is copied key by key with its page references remapped.
 */


#include "sd_pdf.h"


/*
 * A destination in the output, or NULL when it points outside the
 * copied pages or cannot be resolved.  Named destinations are resolved
 * to their explicit form, as the output has no name tree.
 */
static pdf_obj *
sd_pdf_dest(fz_context *ctx, pdf_graft_map *map, pdf_document *src,
    pdf_document *dst, pdf_obj *dest, const int *page_map, int npages)
{
    int       i, n, p;
    pdf_obj  *out, *page;

    if (pdf_is_name(ctx, dest) || pdf_is_string(ctx, dest)) {
        dest = pdf_lookup_dest(ctx, src, dest);
    }

    if (pdf_is_dict(ctx, dest)) {
        dest = pdf_dict_get(ctx, dest, PDF_NAME(D));
    }

    if (!pdf_is_array(ctx, dest) || pdf_array_len(ctx, dest) < 1) {
        return NULL;
    }

    page = pdf_array_get(ctx, dest, 0);
    p = pdf_is_int(ctx, page) ? pdf_to_int(ctx, page)
                              : pdf_lookup_page_number(ctx, src, page);

    if (p < 0 || p >= npages || page_map[p] < 0) {
        return NULL;
    }

    n = pdf_array_len(ctx, dest);
    out = pdf_new_array(ctx, dst, n);

    fz_var(dest);

    fz_try(ctx) {
        pdf_array_push(ctx, out, pdf_lookup_page_obj(ctx, dst, page_map[p]));

        for (i = 1; i < n; i++) {
            pdf_array_push_drop(ctx, out,
                pdf_graft_mapped_object(ctx, map, pdf_array_get(ctx, dest, i)));
        }

    } fz_catch(ctx) {
        pdf_drop_obj(ctx, out);
        fz_rethrow(ctx);
    }

    return out;
}


/* one annotation; NULL when it cannot stand on the copied page */

static pdf_obj *
sd_pdf_annot(fz_context *ctx, pdf_graft_map *map, pdf_document *src,
    pdf_document *dst, pdf_obj *annot, pdf_obj *page, const int *page_map,
    int npages)
{
    int       i, n;
    pdf_obj  *out, *key, *val, *copy, *action;

    if (!pdf_is_dict(ctx, annot)
        || pdf_name_eq(ctx, pdf_dict_get(ctx, annot, PDF_NAME(Subtype)),
                       PDF_NAME(Popup)))
    {
        return NULL;
    }

    n = pdf_dict_len(ctx, annot);
    out = pdf_new_dict(ctx, dst, n);
    copy = NULL;

    fz_var(copy);

    fz_try(ctx) {
        for (i = 0; i < n; i++) {
            key = pdf_dict_get_key(ctx, annot, i);
            val = pdf_dict_get_val(ctx, annot, i);

            /* back references into the source's page and field trees */

            if (pdf_name_eq(ctx, key, PDF_NAME(P))
                || pdf_name_eq(ctx, key, PDF_NAME(Parent))
                || pdf_name_eq(ctx, key, PDF_NAME(Popup)))
            {
                continue;
            }

            if (pdf_name_eq(ctx, key, PDF_NAME(Dest))) {
                copy = sd_pdf_dest(ctx, map, src, dst, val, page_map, npages);

            } else if (pdf_name_eq(ctx, key, PDF_NAME(A))
                       && pdf_name_eq(ctx, pdf_dict_get(ctx, val, PDF_NAME(S)),
                                      PDF_NAME(GoTo)))
            {
                copy = sd_pdf_dest(ctx, map, src, dst,
                                   pdf_dict_get(ctx, val, PDF_NAME(D)),
                                   page_map, npages);
                if (copy != NULL) {
                    action = pdf_new_dict(ctx, dst, 2);
                    pdf_dict_put(ctx, action, PDF_NAME(S), PDF_NAME(GoTo));
                    pdf_dict_put_drop(ctx, action, PDF_NAME(D), copy);
                    copy = action;
                }

            } else {
                copy = pdf_graft_mapped_object(ctx, map, val);
            }

            if (copy == NULL) {
                if (pdf_name_eq(ctx, key, PDF_NAME(Dest))
                    || pdf_name_eq(ctx, key, PDF_NAME(A)))
                {
                    /* a link to a page that is not there: drop it */
                    pdf_drop_obj(ctx, out);
                    out = NULL;
                    break;
                }
                continue;
            }

            pdf_dict_put_drop(ctx, out, key, copy);
            copy = NULL;
        }

        if (out != NULL) {
            pdf_dict_put(ctx, out, PDF_NAME(P), page);
        }

    } fz_catch(ctx) {
        pdf_drop_obj(ctx, copy);
        pdf_drop_obj(ctx, out);
        fz_rethrow(ctx);
    }

    return out;
}


void
sd_pdf_copy_annots(fz_context *ctx, pdf_graft_map *map, pdf_document *src,
    int src_page, pdf_document *dst, int dst_page, const int *page_map,
    int npages)
{
    int       i, n;
    pdf_obj  *annots, *page, *list, *annot;

    annots = pdf_dict_get(ctx, pdf_lookup_page_obj(ctx, src, src_page),
                          PDF_NAME(Annots));
    n = pdf_array_len(ctx, annots);

    if (n == 0) {
        return;
    }

    page = pdf_lookup_page_obj(ctx, dst, dst_page);
    list = pdf_new_array(ctx, dst, n);
    annot = NULL;

    fz_var(annot);

    fz_try(ctx) {
        for (i = 0; i < n; i++) {
            annot = sd_pdf_annot(ctx, map, src, dst,
                                 pdf_array_get(ctx, annots, i), page,
                                 page_map, npages);
            if (annot != NULL) {
                pdf_array_push_drop(ctx, list,
                                    pdf_add_object_drop(ctx, dst, annot));
                annot = NULL;
            }
        }

        if (pdf_array_len(ctx, list) > 0) {
            pdf_dict_put(ctx, page, PDF_NAME(Annots), list);
        }

    } fz_always(ctx) {
        pdf_drop_obj(ctx, list);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}
