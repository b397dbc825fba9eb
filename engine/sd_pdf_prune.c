
/*
 * Copyright (C) scandoc authors
 *
 * Resources of a copied page cut down to what its contents use.  Many
 * writers (LibreOffice, scanners) give every page one shared /Resources
 * with the fonts and images of the whole document; grafted as it is, a
 * page of a split would carry all of them.  The page gets its own
 * dictionaries naming only what its content stream uses; what nothing
 * references any more is dropped when the document is written.
 */


#include <string.h>

#include "sd_pdf.h"


/* the resource kinds that content streams name */
static pdf_obj *const  sd_pdf_kinds[] = {
    PDF_NAME(Font), PDF_NAME(XObject), PDF_NAME(ExtGState),
    PDF_NAME(ColorSpace), PDF_NAME(Pattern), PDF_NAME(Shading),
    PDF_NAME(Properties), NULL
};


/* whether the page's resources, or one of their kinds, are shared */

static int
sd_pdf_shared(fz_context *ctx, pdf_obj *res)
{
    int  i;

    if (pdf_is_indirect(ctx, res)) {
        return 1;
    }

    for (i = 0; sd_pdf_kinds[i]; i++) {
        if (pdf_is_indirect(ctx, pdf_dict_get(ctx, res, sd_pdf_kinds[i]))) {
            return 1;
        }
    }

    return 0;
}


/*
 * Adds every name of the content stream to used.  Returns 0 when the
 * names are all known; -1 for an inline image, whose data the lexer
 * cannot skip safely.
 */
static int
sd_pdf_names(fz_context *ctx, pdf_document *doc, pdf_obj *contents,
    pdf_obj *used)
{
    int          rc;
    fz_stream   *stm;
    pdf_token    tok;
    pdf_lexbuf   buf;

    rc = 0;
    pdf_lexbuf_init(ctx, &buf, PDF_LEXBUF_SMALL);
    stm = NULL;

    fz_var(stm);
    fz_var(rc);

    fz_try(ctx) {
        stm = pdf_open_contents_stream(ctx, doc, contents);

        while ((tok = pdf_lex(ctx, stm, &buf)) != PDF_TOK_EOF) {
            if (tok == PDF_TOK_NAME) {
                pdf_dict_puts(ctx, used, buf.scratch, PDF_TRUE);

            } else if (tok == PDF_TOK_KEYWORD
                       && strcmp(buf.scratch, "ID") == 0)
            {
                rc = -1;
                break;
            }
        }

    } fz_always(ctx) {
        fz_drop_stream(ctx, stm);
        pdf_lexbuf_fin(ctx, &buf);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }

    return rc;
}


/*
 * Form XObjects and Type 3 fonts without resources of their own use the
 * page's (PDF 1.1): their names are not in the page's content.
 */
static int
sd_pdf_borrows(fz_context *ctx, pdf_obj *res, pdf_obj *used)
{
    int       i, n, k;
    pdf_obj  *dict, *v;

    for (k = 0; k < 2; k++) {
        dict = pdf_dict_get(ctx, res, k ? PDF_NAME(Font) : PDF_NAME(XObject));
        n = pdf_dict_len(ctx, dict);

        for (i = 0; i < n; i++) {
            v = pdf_dict_get_val(ctx, dict, i);

            if (pdf_dict_get(ctx, used, pdf_dict_get_key(ctx, dict, i))
                && (pdf_name_eq(ctx, pdf_dict_get(ctx, v, PDF_NAME(Subtype)),
                                k ? PDF_NAME(Type3) : PDF_NAME(Form)))
                && pdf_dict_get(ctx, v, PDF_NAME(Resources)) == NULL)
            {
                return 1;
            }
        }
    }

    return 0;
}


void
sd_pdf_prune_resources(fz_context *ctx, pdf_document *doc, pdf_obj *page)
{
    int       i, k, n;
    pdf_obj  *res, *used, *mine, *kind, *sub, *key;

    res = pdf_dict_get(ctx, page, PDF_NAME(Resources));

    if (!pdf_is_dict(ctx, res) || !sd_pdf_shared(ctx, res)) {
        return;
    }

    used = pdf_new_dict(ctx, doc, 32);
    mine = NULL;

    fz_var(mine);

    fz_try(ctx) {
        if (sd_pdf_names(ctx, doc, pdf_dict_get(ctx, page, PDF_NAME(Contents)),
                         used)
                != 0
            || sd_pdf_borrows(ctx, res, used))
        {
            break;
        }

        /* other entries (ProcSet) are kept as they are */

        mine = pdf_copy_dict(ctx, res);

        for (k = 0; sd_pdf_kinds[k]; k++) {
            kind = pdf_dict_get(ctx, res, sd_pdf_kinds[k]);
            n = pdf_dict_len(ctx, kind);

            if (n == 0) {
                continue;
            }

            sub = pdf_dict_put_dict(ctx, mine, sd_pdf_kinds[k], n);

            for (i = 0; i < n; i++) {
                key = pdf_dict_get_key(ctx, kind, i);

                if (pdf_dict_get(ctx, used, key)) {
                    pdf_dict_put(ctx, sub, key, pdf_dict_get_val(ctx, kind, i));
                }
            }
        }

        pdf_dict_put(ctx, page, PDF_NAME(Resources), mine);

    } fz_always(ctx) {
        pdf_drop_obj(ctx, mine);
        pdf_drop_obj(ctx, used);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}
