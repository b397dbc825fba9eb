
/*
 * Copyright (C) scandoc authors
 *
 * The page tree as it really is.  mupdf takes the page count from the
 * root's /Count and finds a page by trusting every node's /Count, and
 * its writer saves the tree as found: a /Count that lies (2147483647,
 * 0) makes a one-page document a limit_exceeded or an unsupported file,
 * and a /Kids loop or a node listed twice survives into the output of
 * rotate, ocr and compress.  So the tree is walked once when a document
 * is opened: when it is consistent nothing changes; otherwise the pages
 * found (each page object once, in tree order) are hung under one new
 * /Pages node, each carrying the attributes it inherited on the way.
 */


#include <string.h>

#include "sd_pdf.h"


#define SD_PDF_TREE_DEPTH     64     /* deeper nodes are not followed */
#define SD_PDF_INHERITED      4


typedef struct {
    pdf_obj              *page;
    pdf_obj              *inherited[SD_PDF_INHERITED];
} sd_pdf_leaf_t;


typedef struct {
    sd_pdf_leaf_t        *leaves;
    int                   nleaves;
    int                   size;

    pdf_obj             **marked;        /* to unmark when done */
    int                   nmarked;
    int                   msize;

    int                   damaged;
} sd_pdf_tree_t;


static pdf_obj *
sd_pdf_inheritable(int k)
{
    switch (k) {
    case 0:
        return PDF_NAME(Resources);
    case 1:
        return PDF_NAME(MediaBox);
    case 2:
        return PDF_NAME(CropBox);
    default:
        return PDF_NAME(Rotate);
    }
}


static void
sd_pdf_tree_mark(fz_context *ctx, sd_pdf_tree_t *t, pdf_obj *node)
{
    if (t->nmarked == t->msize) {
        t->msize = t->msize ? t->msize * 2 : 64;
        t->marked = fz_realloc_array(ctx, t->marked, t->msize, pdf_obj *);
    }

    pdf_mark_obj(ctx, node);
    t->marked[t->nmarked++] = node;
}


/* the pages under node; inherited: the attributes its ancestors give */

static int
sd_pdf_tree_walk(fz_context *ctx, sd_pdf_tree_t *t, pdf_obj *node,
    pdf_obj *parent, pdf_obj **inherited, int depth)
{
    int        i, n, count, below, node_like;
    pdf_obj   *kids, *kid, *type, *own[SD_PDF_INHERITED];

    if (!pdf_is_dict(ctx, node) || pdf_obj_marked(ctx, node)) {
        t->damaged = 1;          /* not a node, a loop or a repeat */
        return 0;
    }

    sd_pdf_tree_mark(ctx, t, node);

    if (parent != NULL
        && (!pdf_is_indirect(ctx, node)
            || pdf_to_num(ctx, pdf_dict_get(ctx, node, PDF_NAME(Parent)))
               != pdf_to_num(ctx, parent)))
    {
        t->damaged = 1;
    }

    type = pdf_dict_get(ctx, node, PDF_NAME(Type));
    kids = pdf_dict_get(ctx, node, PDF_NAME(Kids));

    for (i = 0; i < SD_PDF_INHERITED; i++) {
        own[i] = pdf_dict_get(ctx, node, sd_pdf_inheritable(i));
        own[i] = own[i] ? own[i] : inherited[i];
    }

    /*
     * As mupdf tells them apart: the root and /Pages are nodes, and so
     * is an untyped dictionary with /Kids and no /MediaBox; below the
     * root, the rest is a page if typed /Page or untyped.  Anything else
     * (a catalog, a font listed as a kid) is no page at all.
     */

    node_like = parent == NULL || pdf_name_eq(ctx, type, PDF_NAME(Pages))
                || (type == NULL && pdf_is_array(ctx, kids)
                    && pdf_dict_get(ctx, node, PDF_NAME(MediaBox)) == NULL);

    if (!node_like) {
        if (type != NULL ? !pdf_name_eq(ctx, type, PDF_NAME(Page))
            : (pdf_dict_get(ctx, node, PDF_NAME(Contents)) == NULL
               && pdf_dict_get(ctx, node, PDF_NAME(MediaBox)) == NULL
               && pdf_dict_get(ctx, node, PDF_NAME(Resources)) == NULL))
        {
            t->damaged = 1;      /* untyped and empty is no page either */
            return 0;
        }

        if (t->nleaves == t->size) {
            t->size = t->size ? t->size * 2 : 64;
            t->leaves = fz_realloc_array(ctx, t->leaves, t->size,
                                         sd_pdf_leaf_t);
        }

        t->leaves[t->nleaves].page = node;

        for (i = 0; i < SD_PDF_INHERITED; i++) {
            t->leaves[t->nleaves].inherited[i] = own[i];
        }

        t->nleaves++;

        return 1;
    }

    if (!pdf_is_array(ctx, kids)
        || (type != NULL && !pdf_name_eq(ctx, type, PDF_NAME(Pages))))
    {
        t->damaged = 1;          /* a node without kids, or mistyped */

        if (!pdf_is_array(ctx, kids)) {
            return 0;
        }
    }

    if (depth >= SD_PDF_TREE_DEPTH) {
        t->damaged = 1;
        return 0;
    }

    n = pdf_array_len(ctx, kids);
    count = 0;

    for (i = 0; i < n; i++) {
        kid = pdf_array_get(ctx, kids, i);
        below = sd_pdf_tree_walk(ctx, t, kid, node, own, depth + 1);

        if (!pdf_is_indirect(ctx, kid)) {
            t->damaged = 1;
        }

        count += below;
    }

    if (pdf_dict_get_int(ctx, node, PDF_NAME(Count)) != count) {
        t->damaged = 1;
    }

    return count;
}


/* the pages found, under one new /Pages node that replaces the tree */

static void
sd_pdf_tree_rebuild(fz_context *ctx, pdf_document *doc, pdf_obj *root,
    sd_pdf_tree_t *t)
{
    int             i, k;
    pdf_obj        *pages, *kids, *page;
    sd_pdf_leaf_t  *leaf;

    pages = pdf_add_new_dict(ctx, doc, 3);

    fz_try(ctx) {
        kids = pdf_dict_put_array(ctx, pages, PDF_NAME(Kids), t->nleaves);
        pdf_dict_put(ctx, pages, PDF_NAME(Type), PDF_NAME(Pages));
        pdf_dict_put_int(ctx, pages, PDF_NAME(Count), t->nleaves);

        for (i = 0; i < t->nleaves; i++) {
            leaf = &t->leaves[i];
            page = leaf->page;

            /* a direct page (it should not be) becomes an object */

            if (!pdf_is_indirect(ctx, page)) {
                page = pdf_add_object(ctx, doc, page);
                pdf_array_push_drop(ctx, kids, page);

            } else {
                pdf_array_push(ctx, kids, page);
            }

            for (k = 0; k < SD_PDF_INHERITED; k++) {
                if (leaf->inherited[k] != NULL
                    && pdf_dict_get(ctx, page, sd_pdf_inheritable(k)) == NULL)
                {
                    pdf_dict_put(ctx, page, sd_pdf_inheritable(k),
                                 leaf->inherited[k]);
                }
            }

            pdf_dict_put(ctx, page, PDF_NAME(Type), PDF_NAME(Page));
            pdf_dict_put(ctx, page, PDF_NAME(Parent), pages);
        }

        pdf_dict_put(ctx, root, PDF_NAME(Pages), pages);

    } fz_always(ctx) {
        pdf_drop_obj(ctx, pages);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/*
 * Returns 1 when the tree was rebuilt, 0 when it was sound, holds no
 * page at all or cannot be walked (then mupdf's own answer stands);
 * throws when memory runs out.
 */
int
sd_pdf_fix_page_tree(fz_context *ctx, pdf_document *doc)
{
    int             i, fixed;
    pdf_obj        *root, *top, *none[SD_PDF_INHERITED];
    sd_pdf_tree_t   t;

    memset(&t, 0, sizeof(sd_pdf_tree_t));
    memset(none, 0, sizeof(none));
    fixed = 0;

    fz_var(fixed);
    fz_var(t);

    root = pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));
    top = pdf_dict_get(ctx, root, PDF_NAME(Pages));

    if (!pdf_is_dict(ctx, root) || top == NULL) {
        return 0;
    }

    fz_try(ctx) {
        sd_pdf_tree_walk(ctx, &t, top, NULL, none, 0);

        for (i = 0; i < t.nmarked; i++) {
            pdf_unmark_obj(ctx, t.marked[i]);
        }

        t.nmarked = 0;

        if (t.damaged && t.nleaves > 0) {
            sd_pdf_tree_rebuild(ctx, doc, root, &t);
            fixed = 1;
        }

    } fz_always(ctx) {
        for (i = 0; i < t.nmarked; i++) {
            pdf_unmark_obj(ctx, t.marked[i]);
        }

        fz_free(ctx, t.marked);
        fz_free(ctx, t.leaves);

    } fz_catch(ctx) {

        /*
         * Only memory runs out while pages are rehung (their inherited
         * attributes come first, so a half-done rebuild reads the same);
         * a tree that cannot even be walked is left to mupdf's answer.
         */

        if (fz_caught(ctx) == FZ_ERROR_MEMORY) {
            fz_rethrow(ctx);
        }

        return 0;
    }

    return fixed;
}
