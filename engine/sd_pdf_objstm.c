
/*
 * Copyright (C) scandoc authors
 *
 * Writing a PDF with object streams and a cross-reference stream (PDF
 * 1.5), which mupdf 1.21 does not do: every object that is not a stream
 * goes, printed tight, into a flate-compressed object stream, and the
 * offsets into a compressed xref stream.  Dictionaries and arrays are
 * most of a typical file's uncompressed bytes, so this is what compress
 * gains beyond mupdf's own writer.
 */


#include <stdio.h>

#include "sd_pdf.h"


#define SD_OBJSTM_MAX         200    /* objects per object stream */
#define SD_XREF_W2            5      /* bytes of an offset: up to 1 TiB */


typedef struct {
    unsigned char         type;          /* 0 free, 1 at f2, 2 in stream f2 */
    int64_t               f2;            /* offset, or object stream */
    int                   f3;            /* index in the object stream */
} sd_xref_t;


/* output: the object stream number num of count objects */

static void
sd_objstm_flush(fz_context *ctx, fz_output *out, sd_xref_t *xref, int num,
    int count, fz_buffer *head, fz_buffer *body)
{
    size_t          first, len;
    unsigned char  *data;

    first = head->len;
    fz_append_buffer(ctx, head, body);
    data = fz_new_deflated_data_from_buffer(ctx, &len, head, FZ_DEFLATE_BEST);

    fz_try(ctx) {
        xref[num].type = 1;
        xref[num].f2 = fz_tell_output(ctx, out);

        fz_write_printf(ctx, out, "%d 0 obj\n<</Type/ObjStm/N %d/First %d"
                        "/Filter/FlateDecode/Length %d>>\nstream\n", num,
                        count, (int) first, (int) len);
        fz_write_data(ctx, out, data, len);
        fz_write_string(ctx, out, "\nendstream\nendobj\n");

    } fz_always(ctx) {
        fz_free(ctx, data);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }

    fz_clear_buffer(ctx, head);
    fz_clear_buffer(ctx, body);
}


/* a stream object as it is (its data still encoded), at the end of out */

static void
sd_objstm_stream(fz_context *ctx, fz_output *out, pdf_document *doc,
    pdf_obj *obj, int num, sd_xref_t *xref)
{
    fz_buffer  *raw;

    raw = pdf_load_raw_stream_number(ctx, doc, num);

    fz_try(ctx) {
        pdf_dict_put_int(ctx, obj, PDF_NAME(Length), (int64_t) raw->len);

        xref[num].type = 1;
        xref[num].f2 = fz_tell_output(ctx, out);

        fz_write_printf(ctx, out, "%d 0 obj\n", num);
        pdf_print_obj(ctx, out, obj, 1, 0);
        fz_write_string(ctx, out, "\nstream\n");
        fz_write_data(ctx, out, raw->data, raw->len);
        fz_write_string(ctx, out, "\nendstream\nendobj\n");

    } fz_always(ctx) {
        fz_drop_buffer(ctx, raw);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


/* the xref stream, object num, and the file's end */

static void
sd_objstm_xref(fz_context *ctx, fz_output *out, pdf_document *doc,
    sd_xref_t *xref, int num)
{
    int             i, k;
    size_t          len;
    int64_t         start, v;
    pdf_obj        *trailer;
    fz_buffer      *buf;
    unsigned char  *data;
    char            tail[64];

    static const char *const  keys[] = { "Root", "Info", "ID", NULL };

    start = fz_tell_output(ctx, out);
    xref[num].type = 1;
    xref[num].f2 = start;

    buf = fz_new_buffer(ctx, (num + 1) * (3 + SD_XREF_W2));
    data = NULL;
    trailer = pdf_trailer(ctx, doc);

    fz_var(data);

    fz_try(ctx) {
        for (i = 0; i <= num; i++) {

            /* object 0 heads the list of free objects */

            fz_append_byte(ctx, buf, xref[i].type);
            v = i == 0 ? 0 : xref[i].f2;

            for (k = SD_XREF_W2 - 1; k >= 0; k--) {
                fz_append_byte(ctx, buf, (int) ((v >> (8 * k)) & 0xff));
            }

            v = i == 0 ? 65535 : xref[i].f3;
            fz_append_byte(ctx, buf, (int) (v >> 8) & 0xff);
            fz_append_byte(ctx, buf, (int) v & 0xff);
        }

        data = fz_new_deflated_data_from_buffer(ctx, &len, buf,
                                                FZ_DEFLATE_BEST);

        fz_write_printf(ctx, out, "%d 0 obj\n<</Type/XRef/Size %d"
                        "/W[1 %d 2]/Filter/FlateDecode/Length %d", num,
                        num + 1, SD_XREF_W2, (int) len);

        for (k = 0; keys[k]; k++) {
            if (pdf_dict_gets(ctx, trailer, keys[k]) != NULL) {
                fz_write_printf(ctx, out, "/%s ", keys[k]);
                pdf_print_obj(ctx, out, pdf_dict_gets(ctx, trailer, keys[k]),
                              1, 0);
            }
        }

        fz_write_string(ctx, out, ">>\nstream\n");
        fz_write_data(ctx, out, data, len);
        fz_write_string(ctx, out, "\nendstream\nendobj\n");
        snprintf(tail, sizeof(tail), "startxref\n%lld\n%%%%EOF\n",
                 (long long) start);
        fz_write_string(ctx, out, tail);

    } fz_always(ctx) {
        fz_free(ctx, data);
        fz_drop_buffer(ctx, buf);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}


void
sd_pdf_write_objstm(fz_context *ctx, pdf_document *doc, const char *path)
{
    int              n, num, stm, count;
    pdf_obj         *obj;
    fz_output       *out, *bo;
    fz_buffer       *head, *body;
    sd_xref_t       *xref;
    pdf_xref_entry  *entry;

    n = pdf_xref_len(ctx, doc);

    /* the object streams are numbered after the objects, then the xref */

    xref = fz_calloc(ctx, n + n / SD_OBJSTM_MAX + 2, sizeof(sd_xref_t));
    out = NULL;
    bo = NULL;
    head = NULL;
    body = NULL;
    obj = NULL;

    fz_var(out);
    fz_var(bo);
    fz_var(head);
    fz_var(body);
    fz_var(obj);

    fz_try(ctx) {
        out = fz_new_output_with_path(ctx, path, 0);
        head = fz_new_buffer(ctx, 4096);
        body = fz_new_buffer(ctx, 65536);
        bo = fz_new_output_with_buffer(ctx, body);

        /* a binary comment, so the file is taken as binary */

        fz_write_string(ctx, out, "%PDF-1.5\n%\xc2\xb5\xc2\xb6\n\n");

        stm = n;
        count = 0;

        for (num = 1; num < n; num++) {
            entry = pdf_get_xref_entry(ctx, doc, num);

            if (entry == NULL || (entry->type != 'n' && entry->type != 'o'))
            {
                continue;
            }

            obj = pdf_load_object(ctx, doc, num);

            if (pdf_obj_num_is_stream(ctx, doc, num)) {
                sd_objstm_stream(ctx, out, doc, obj, num, xref);

            } else {
                fz_append_printf(ctx, head, "%d %d ", num, (int) body->len);
                pdf_print_obj(ctx, bo, obj, 1, 0);
                fz_write_byte(ctx, bo, '\n');

                xref[num].type = 2;
                xref[num].f2 = stm;
                xref[num].f3 = count++;

                if (count == SD_OBJSTM_MAX) {
                    sd_objstm_flush(ctx, out, xref, stm++, count, head, body);
                    count = 0;
                }
            }

            pdf_drop_obj(ctx, obj);
            obj = NULL;
        }

        if (count > 0) {
            sd_objstm_flush(ctx, out, xref, stm++, count, head, body);
        }

        sd_objstm_xref(ctx, out, doc, xref, stm);
        fz_close_output(ctx, out);

    } fz_always(ctx) {
        pdf_drop_obj(ctx, obj);
        fz_drop_output(ctx, bo);
        fz_drop_buffer(ctx, body);
        fz_drop_buffer(ctx, head);
        fz_drop_output(ctx, out);
        fz_free(ctx, xref);

    } fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}
