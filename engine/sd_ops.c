
/*
 * Copyright (C) scandoc authors
 *
 * The operation registry and the validation of request bodies against
 * API.md.  Compiled into the nginx module and into scandoc-engine: libc
 * and jansson only, and reentrant (no state outside the arguments), as
 * the module calls it from several threads.
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sd_ops.h"
#include "sd_pages.h"


#define SD_KEY_MAX            512    /* longest error key we build */
#define SD_COORD_MAX          1000000000L


typedef struct {
    const sd_ctx_t       *ctx;
    json_t               *errors;
    unsigned              props;         /* properties seen so far */
} sd_schema_walk_t;


static int sd_authority_valid(const char *s, size_t len);
static void sd_op_convert(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_apply_effect(const sd_ctx_t *ctx, json_t *body,
    json_t *params, json_t *errors, sd_reqs_t *reqs);
static void sd_op_extract_text(const sd_ctx_t *ctx, json_t *body,
    json_t *params, json_t *errors, sd_reqs_t *reqs);
static void sd_op_none(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_warp(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_scan(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_extract_pages(const sd_ctx_t *ctx, json_t *body,
    json_t *params, json_t *errors, sd_reqs_t *reqs);
static void sd_op_render(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_rotate(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);
static void sd_op_pdf_extract_text(const sd_ctx_t *ctx, json_t *body,
    json_t *params, json_t *errors, sd_reqs_t *reqs);
static void sd_op_ocr(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs);


static const char *const  sd_fields_none[] = { NULL };
static const char *const  sd_fields_convert[] =
    { "target_format", "quality", NULL };
static const char *const  sd_fields_effect[] = { "effect", NULL };
static const char *const  sd_fields_extract_text[] =
    { "format", "schema", "language", NULL };
static const char *const  sd_fields_warp[] = { "vertices", NULL };
static const char *const  sd_fields_scan[] = { "effect", "scan_mode", NULL };
static const char *const  sd_fields_pages[] = { "pages", NULL };
static const char *const  sd_fields_render[] = { "dpi", "pages", NULL };
static const char *const  sd_fields_rotate[] = { "angle", "pages", NULL };
static const char *const  sd_fields_pdf_text[] =
    { "format", "schema", "language", "pages", NULL };
static const char *const  sd_fields_ocr[] = { "language", "pages", NULL };

static const char *const  sd_formats[] =
    { "image/png", "image/jpeg", "image/webp", NULL };
static const char *const  sd_effects[] =
    { "grayscale", "scanner", "black-background", NULL };
static const char *const  sd_scan_effects[] =
    { "none", "grayscale", "scanner", "black-background", NULL };
static const char *const  sd_scan_modes[] = { "none", "standard", NULL };
static const char *const  sd_text_formats[] =
    { "plain", "markdown", "html", "json", NULL };
static const char *const  sd_schema_types[] =
    { "string", "number", "integer", "boolean", "array", "object", NULL };


/*
 * The registry: one row per operation.  A PDF operation may share its
 * name with an image one (extract-text): the route, or in the helper the
 * input's type, picks the row.
 */
const sd_op_t  sd_ops[] = {

    { "convert", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 1, 0, 1,
      sd_op_convert, sd_fields_convert },

    { "apply-effect", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 1, 0, 1,
      sd_op_apply_effect, sd_fields_effect },

    { "extract-text", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 0, 0, 1,
      sd_op_extract_text, sd_fields_extract_text },

    { "detect-documents", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 0, 0, 1,
      sd_op_none, sd_fields_none },

    { "warp", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 1, 0, 1,
      sd_op_warp, sd_fields_warp },

    { "scan", SD_ROUTE_IMAGE, SD_TYPE_IMAGE, 1, 0, 1,
      sd_op_scan, sd_fields_scan },

    { "merge", SD_ROUTE_PDF, SD_TYPE_PDF|SD_TYPE_IMAGE, 1, 1, 1,
      sd_op_none, sd_fields_none },

    { "split", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_none, sd_fields_none },

    { "extract-pages", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_extract_pages, sd_fields_pages },

    { "render", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_render, sd_fields_render },

    { "rotate", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_rotate, sd_fields_rotate },

    { "compress", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_none, sd_fields_none },

    { "info", SD_ROUTE_PDF, SD_TYPE_PDF, 0, 0, 1,
      sd_op_none, sd_fields_none },

    { "extract-text", SD_ROUTE_PDF, SD_TYPE_PDF, 0, 0, 1,
      sd_op_pdf_extract_text, sd_fields_pdf_text },

    { "ocr", SD_ROUTE_PDF, SD_TYPE_PDF, 1, 0, 1,
      sd_op_ocr, sd_fields_ocr },

    { NULL, 0, 0, 0, 0, 0, NULL, NULL }
};


static const struct {
    unsigned              type;
    const char           *name;
} sd_types[] = {
    { SD_TYPE_PNG, "image/png" },
    { SD_TYPE_JPEG, "image/jpeg" },
    { SD_TYPE_WEBP, "image/webp" },
    { SD_TYPE_PDF, "application/pdf" },
    { 0, NULL }
};


const sd_op_t *
sd_op_find(unsigned route, const char *name, size_t len)
{
    const sd_op_t  *op;

    for (op = sd_ops; op->name; op++) {
        if (op->route == route && strlen(op->name) == len
            && memcmp(op->name, name, len) == 0)
        {
            return op;
        }
    }

    return NULL;
}


const char *
sd_type_name(unsigned type)
{
    size_t  i;

    for (i = 0; sd_types[i].name; i++) {
        if (sd_types[i].type == type) {
            return sd_types[i].name;
        }
    }

    return NULL;
}


unsigned
sd_type_from_name(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; sd_types[i].name; i++) {
        if (strlen(sd_types[i].name) == len
            && memcmp(sd_types[i].name, name, len) == 0)
        {
            return sd_types[i].type;
        }
    }

    return 0;
}


int
sd_id_valid(const char *prefix, const char *s, size_t len)
{
    size_t  n, i;

    n = strlen(prefix);

    if (len != n + 17 || memcmp(s, prefix, n) != 0 || s[n] != '_') {
        return 0;
    }

    for (i = n + 1; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) {
            return 0;
        }
    }

    return 1;
}


char *
sd_reqs_dump(const sd_reqs_t *reqs)
{
    char    *s;
    size_t   i;
    json_t  *o, *types;

    types = json_array();

    for (i = 0; sd_types[i].name; i++) {
        if (reqs->types & sd_types[i].type) {
            json_array_append_new(types, json_string(sd_types[i].name));
        }
    }

    o = json_pack("{s:o, s:I, s:I, s:I, s:b}",
                  "types", types,
                  "max_page", (json_int_t) reqs->max_page,
                  "max_x", (json_int_t) reqs->max_x,
                  "max_y", (json_int_t) reqs->max_y,
                  "multi", (int) reqs->multi);
    if (o == NULL) {
        return NULL;
    }

    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);

    return s;
}


/* errors: { key: [message, ...] }, every failing field at once */

static void
sd_error(json_t *errors, const char *key, const char *msg)
{
    json_t  *list;

    list = json_object_get(errors, key);

    if (list == NULL) {
        list = json_array();
        json_object_set_new(errors, key, list);
    }

    json_array_append_new(list, json_string(msg));
}


static void
sd_errorf(json_t *errors, const char *key, const char *fmt, const char *arg)
{
    char  msg[SD_KEY_MAX + 128];

    snprintf(msg, sizeof(msg), fmt, arg);
    sd_error(errors, key, msg);
}


/* a field, with null counting as absent */

static json_t *
sd_get(json_t *body, const char *field)
{
    json_t  *v;

    v = json_object_get(body, field);

    return json_is_null(v) ? NULL : v;
}


static int
sd_in(const char *const *list, const char *s)
{
    size_t  i;

    for (i = 0; list[i]; i++) {
        if (strcmp(list[i], s) == 0) {
            return 1;
        }
    }

    return 0;
}


/* "a, b or c" for messages */

static void
sd_list_text(const char *const *list, char *buf, size_t size)
{
    size_t  i, n;

    buf[0] = '\0';
    n = 0;

    for (i = 0; list[i] && n < size; i++) {
        n += snprintf(buf + n, size - n, "%s%s",
                      i == 0 ? "" : (list[i + 1] ? ", " : " or "), list[i]);
    }
}


/*
 * A required or optional enum field; copies it to params.  Returns the
 * value when valid, NULL otherwise (absent or wrong).
 */
static const char *
sd_enum(json_t *body, json_t *params, json_t *errors, const char *field,
    const char *const *values, int required)
{
    char        list[256], msg[512];
    json_t     *v;
    const char  *s;

    v = sd_get(body, field);

    if (v == NULL) {
        if (required) {
            sd_errorf(errors, field, "The %s field is required.", field);
        }
        return NULL;
    }

    s = json_string_value(v);

    if (s == NULL || strlen(s) != json_string_length(v) || !sd_in(values, s)) {
        sd_list_text(values, list, sizeof(list));
        snprintf(msg, sizeof(msg), "The %s field must be one of %s.",
                 field, list);
        sd_error(errors, field, msg);
        return NULL;
    }

    json_object_set(params, field, v);

    return s;
}


/*
 * An integer field within [min, max]; copies it (or the default, when
 * absent and def >= min) to params.  Returns 1 when a valid value was
 * given, 0 when absent, -1 when wrong.
 */
static int
sd_integer(json_t *body, json_t *params, json_t *errors, const char *field,
    long min, long max, long def, int required)
{
    char        msg[256];
    json_t     *v;
    json_int_t  n;

    v = sd_get(body, field);

    if (v == NULL) {
        if (required) {
            sd_errorf(errors, field, "The %s field is required.", field);
            return -1;
        }

        if (def >= min) {
            json_object_set_new(params, field, json_integer(def));
        }

        return 0;
    }

    n = json_is_integer(v) ? json_integer_value(v) : min - 1;

    if (!json_is_integer(v) || n < min || n > max) {
        snprintf(msg, sizeof(msg),
                 "The %s field must be an integer between %ld and %ld.",
                 field, min, max);
        sd_error(errors, field, msg);
        return -1;
    }

    json_object_set(params, field, v);

    return 1;
}


/*
 * The name rule of API.md (1-50 code points, no control characters, C1
 * included), shared with the module's upload path, whose names come raw
 * from a multipart part or a query string: so the encoding is checked
 * here too, not left to jansson.  Returns the message, or NULL if valid.
 */
const char *
sd_name_error(const char *s, size_t len)
{
    size_t          i, n, k;
    unsigned        cp, min;
    unsigned char   c;

    n = 0;

    for (i = 0; i < len; n++) {
        c = (unsigned char) s[i];

        if (c < 0x80) {
            cp = c;
            k = 1;
            min = 0;

        } else if ((c & 0xe0) == 0xc0) {
            cp = c & 0x1f;
            k = 2;
            min = 0x80;

        } else if ((c & 0xf0) == 0xe0) {
            cp = c & 0x0f;
            k = 3;
            min = 0x800;

        } else if ((c & 0xf8) == 0xf0) {
            cp = c & 0x07;
            k = 4;
            min = 0x10000;

        } else {
            return "The name field must be valid UTF-8.";
        }

        if (i + k > len) {
            return "The name field must be valid UTF-8.";
        }

        for (i++, k--; k; i++, k--) {
            if (((unsigned char) s[i] & 0xc0) != 0x80) {
                return "The name field must be valid UTF-8.";
            }

            cp = (cp << 6) | ((unsigned char) s[i] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return "The name field must be valid UTF-8.";
        }

        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            n = SD_NAME_MAX + 1;
            break;
        }
    }

    if (n < 1 || n > SD_NAME_MAX) {
        return "The name field must be 1 to 50 characters without control "
               "characters.";
    }

    return NULL;
}


static int
sd_url_valid(const char *s, size_t len)
{
    size_t  i, host;

    if (len > 2048) {
        return 0;
    }

    if (len > 7 && strncasecmp(s, "http://", 7) == 0) {
        i = 7;

    } else if (len > 8 && strncasecmp(s, "https://", 8) == 0) {
        i = 8;

    } else {
        return 0;
    }

    host = i;

    for ( /* void */ ; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    /* the authority is everything up to the path, query or fragment */

    for (i = host; i < len && s[i] != '/' && s[i] != '?' && s[i] != '#'; i++)
    {
        if (s[i] == '@' || s[i] == '\\') {
            return 0;   /* userinfo would hide the real destination */
        }
    }

    return sd_authority_valid(s + host, i - host);
}


/*
 * host[:port]: a DNS name of letters, digits and hyphens (IDNs in their
 * xn-- form), an IPv4 address, or [IPv6]; a port 1-65535.  What a
 * webhook sender could not connect to is refused when it is cheap to
 * tell, at creation, not at the first delivery.
 */
static int
sd_authority_valid(const char *s, size_t len)
{
    size_t    i, label;
    unsigned  port;

    i = 0;

    if (len && s[0] == '[') {
        for (i = 1; i < len && s[i] != ']'; i++) {
            if (!isxdigit((unsigned char) s[i]) && s[i] != ':'
                && s[i] != '.')
            {
                return 0;
            }
        }

        if (i == len || i < 3) {
            return 0;
        }

        i++;

    } else {
        label = 0;

        for ( /* void */ ; i < len && s[i] != ':'; i++) {
            if (s[i] == '.') {
                if (label == 0 || s[i - 1] == '-') {
                    return 0;
                }

                label = 0;
                continue;
            }

            if (!isalnum((unsigned char) s[i])
                && (s[i] != '-' || label == 0))
            {
                return 0;
            }

            if (++label > 63) {
                return 0;
            }
        }

        /* a trailing dot is a fully qualified name; a hyphen ends none */

        if (i == 0 || s[i - 1] == '-') {
            return 0;
        }
    }

    if (i == len) {
        return 1;
    }

    if (s[i] != ':' || len - i < 2 || len - i > 6) {
        return 0;
    }

    port = 0;

    for (i++; i < len; i++) {
        if (!isdigit((unsigned char) s[i])) {
            return 0;
        }

        port = port * 10 + (s[i] - '0');
    }

    return port >= 1 && port <= 65535;
}


static void
sd_common(const sd_op_t *op, json_t *body, json_t *params, json_t *errors,
    json_t *inputs)
{
    char         key[32];
    size_t       i;
    json_t      *v, *item;
    const char  *s, *msg;

    v = sd_get(body, "input");

    if (v == NULL) {
        sd_error(errors, "input", "The input field is required.");

    } else if (op->multi) {
        if (!json_is_array(v) || json_array_size(v) < 1
            || json_array_size(v) > SD_INPUTS_MAX)
        {
            sd_error(errors, "input",
                     "The input field must be an array of 1 to 50 input "
                     "ids.");

        } else {
            json_array_foreach(v, i, item) {
                s = json_string_value(item);

                if (s == NULL
                    || (!sd_id_valid("file", s, json_string_length(item))
                        && !sd_id_valid("task", s, json_string_length(item))))
                {
                    snprintf(key, sizeof(key), "input[%zu]", i);
                    sd_error(errors, key,
                             "input does not contains a valid input id.");
                    continue;
                }

                json_array_append(inputs, item);
            }

            json_object_set(params, "input", v);
        }

    } else {
        s = json_string_value(v);

        if (s == NULL
            || (!sd_id_valid("file", s, json_string_length(v))
                && !sd_id_valid("task", s, json_string_length(v))))
        {
            sd_error(errors, "input",
                     "input does not contains a valid input id.");

        } else {
            json_array_append(inputs, v);
            json_object_set(params, "input", v);
        }
    }

    v = sd_get(body, "name");

    if (v != NULL) {
        if (!op->named) {
            sd_errorf(errors, "name",
                      "The name field is not allowed for %s.", op->name);

        } else {
            s = json_string_value(v);
            msg = s ? sd_name_error(s, json_string_length(v))
                    : "The name field must be 1 to 50 characters without "
                      "control characters.";

            if (msg != NULL) {
                sd_error(errors, "name", msg);

            } else {
                json_object_set(params, "name", v);
            }
        }
    }

    v = sd_get(body, "callback_url");

    if (v != NULL) {
        s = json_string_value(v);

        if (s == NULL || !sd_url_valid(s, json_string_length(v))) {
            sd_error(errors, "callback_url",
                     "The callback_url field must be an absolute http or "
                     "https URL.");

        } else {
            json_object_set(params, "callback_url", v);
        }
    }

    v = sd_get(body, "password");

    if (v != NULL) {
        if (op->route != SD_ROUTE_PDF) {
            sd_errorf(errors, "password",
                      "The password field is not allowed for %s.", op->name);

        } else if (!json_is_string(v) || json_string_length(v) > 1024
                   || memchr(json_string_value(v), '\0',
                             json_string_length(v)))
        {
            sd_error(errors, "password",
                     "The password field must be a string of at most 1024 "
                     "bytes without NUL characters.");

        } else {
            json_object_set(params, "password", v);
        }
    }
}


static void
sd_unknown_fields(const sd_op_t *op, json_t *body, json_t *errors)
{
    static const char *const  common[] =
        { "input", "name", "callback_url", "password", NULL };

    json_t      *v;
    const char  *key;

    /* null counts as absent, even for a field we do not know */

    json_object_foreach(body, key, v) {
        if (!json_is_null(v) && !sd_in(common, key)
            && !sd_in(op->fields, key))
        {
            sd_errorf(errors, key, "The %s field is not allowed.", key);
        }
    }
}


int
sd_op_validate(const sd_op_t *op, const sd_ctx_t *ctx, json_t *body,
    json_t **params, json_t **inputs, json_t **errors, sd_reqs_t *reqs)
{
    json_t  *p, *in, *err;

    reqs->types = op->types;
    reqs->max_page = 0;
    reqs->max_x = -1;
    reqs->max_y = -1;
    reqs->multi = op->multi;

    *params = NULL;
    *inputs = NULL;
    *errors = NULL;

    err = json_object();

    if (!json_is_object(body)) {
        sd_error(err, "body", "The request body must be a JSON object.");
        *errors = err;
        return -1;
    }

    p = json_object();
    in = json_array();

    sd_unknown_fields(op, body, err);
    sd_common(op, body, p, err, in);
    op->validate(ctx, body, p, err, reqs);

    if (json_object_size(err) != 0) {
        json_decref(p);
        json_decref(in);
        *errors = err;
        return -1;
    }

    json_decref(err);
    *params = p;
    *inputs = in;

    return 0;
}


/* operations */

static void
sd_op_none(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    return;
}


static void
sd_op_convert(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    const char  *format;

    format = sd_enum(body, params, errors, "target_format", sd_formats, 1);

    /* quality means nothing to png: ignored there, as API.md says */

    if (format == NULL || strcmp(format, "image/png") != 0) {
        sd_integer(body, params, errors, "quality", 1, 100, 0,
                   format != NULL);
    }
}


static void
sd_op_apply_effect(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_enum(body, params, errors, "effect", sd_effects, 1);
}


static void
sd_op_scan(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_enum(body, params, errors, "effect", sd_scan_effects, 1);
    sd_enum(body, params, errors, "scan_mode", sd_scan_modes, 1);
}


/*
 * language (ext): tesseract codes joined by '+', each one installed.
 * "osd" is a model but not a language to read text in.
 */
static void
sd_language(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors)
{
    char         avail[1024], msg[1400];
    size_t       i, j, len, n;
    json_t      *v;
    const char  *s, *p, *end, *q;

    v = sd_get(body, "language");

    if (v == NULL) {
        s = ctx->default_language ? ctx->default_language : "eng";
        json_object_set_new(params, "language", json_string(s));
        return;
    }

    s = json_string_value(v);

    if (s == NULL || json_string_length(v) == 0
        || json_string_length(v) > 256)
    {
        sd_error(errors, "language",
                 "The language field must be language codes joined by +, "
                 "like eng+deu.");
        return;
    }

    len = json_string_length(v);
    end = s + len;

    for (p = s; p <= end; p = q + 1) {
        for (q = p; q < end && *q != '+'; q++) { /* void */ }

        n = (size_t) (q - p);

        for (i = 0; i < ctx->nlanguages; i++) {
            if (strlen(ctx->languages[i]) == n
                && memcmp(ctx->languages[i], p, n) == 0
                && strcmp(ctx->languages[i], "osd") != 0)
            {
                break;
            }
        }

        if (n == 0) {
            sd_error(errors, "language",
                     "The language field must be language codes joined by "
                     "+, like eng+deu.");
            return;
        }

        if (i == ctx->nlanguages) {
            avail[0] = '\0';

            for (i = 0, j = 0; i < ctx->nlanguages && j < sizeof(avail);
                 i++)
            {
                if (strcmp(ctx->languages[i], "osd") == 0) {
                    continue;
                }

                j += snprintf(avail + j, sizeof(avail) - j, "%s%s",
                              j ? ", " : "", ctx->languages[i]);
            }

            snprintf(msg, sizeof(msg),
                     "The language %.*s is not installed; available: %s.",
                     (int) (n > 64 ? 64 : n), p, j ? avail : "none");
            sd_error(errors, "language", msg);
            return;
        }
    }

    json_object_set(params, "language", v);
}


/*
 * JsonSchemaSpec: type, properties, items, required, description,
 * format, example; other keys are ignored.  Errors keyed by path.
 */
static void
sd_schema(sd_schema_walk_t *w, json_t *schema, const char *path,
    unsigned depth)
{
    char         key[SD_KEY_MAX];
    size_t       i;
    json_t      *v, *item;
    const char  *name, *type;

    if (!json_is_object(schema)) {
        sd_errorf(w->errors, path, "The %s field must be a schema object.",
                  path);
        return;
    }

    if (depth > SD_SCHEMA_DEPTH) {
        sd_error(w->errors, path,
                 "The schema is nested deeper than 8 levels.");
        return;
    }

    snprintf(key, sizeof(key), "%s.type", path);
    v = json_object_get(schema, "type");
    type = json_string_value(v);

    if (v == NULL) {
        sd_error(w->errors, key, "The type field is required.");

    } else if (type == NULL || !sd_in(sd_schema_types, type)) {
        sd_error(w->errors, key,
                 "The type must be one of string, number, integer, "
                 "boolean, array or object.");
    }

    snprintf(key, sizeof(key), "%s.description", path);
    v = json_object_get(schema, "description");

    if (v != NULL && !json_is_string(v)) {
        sd_error(w->errors, key, "The description must be a string.");
    }

    snprintf(key, sizeof(key), "%s.format", path);
    v = json_object_get(schema, "format");

    if (v != NULL && !json_is_string(v)) {
        sd_error(w->errors, key, "The format must be a string.");
    }

    snprintf(key, sizeof(key), "%s.required", path);
    v = json_object_get(schema, "required");

    if (v != NULL) {
        if (!json_is_array(v)) {
            sd_error(w->errors, key,
                     "The required field must be an array of names.");

        } else {
            json_array_foreach(v, i, item) {
                if (!json_is_string(item)) {
                    snprintf(key, sizeof(key), "%s.required[%zu]", path, i);
                    sd_error(w->errors, key, "A required entry must be a "
                             "property name.");
                }
            }
        }
    }

    snprintf(key, sizeof(key), "%s.items", path);
    v = json_object_get(schema, "items");

    if (v != NULL) {
        sd_schema(w, v, key, depth + 1);
    }

    snprintf(key, sizeof(key), "%s.properties", path);
    v = json_object_get(schema, "properties");

    if (v == NULL) {
        return;
    }

    if (!json_is_object(v)) {
        sd_error(w->errors, key,
                 "The properties field must be an object of schemas.");
        return;
    }

    json_object_foreach(v, name, item) {
        if (++w->props > SD_SCHEMA_PROPS) {
            sd_error(w->errors, "schema",
                     "The schema has more than 256 properties.");
            return;
        }

        snprintf(key, sizeof(key), "%s.properties.%s", path, name);
        sd_schema(w, item, key, depth + 1);
    }
}


static void
sd_op_extract_text(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    json_t            *schema;
    const char        *format;
    sd_schema_walk_t   walk;

    format = sd_enum(body, params, errors, "format", sd_text_formats, 1);
    schema = sd_get(body, "schema");

    if (format != NULL && strcmp(format, "json") == 0) {
        if (schema == NULL) {
            sd_error(errors, "schema",
                     "The schema field is required when format is json.");

        } else {
            walk.ctx = ctx;
            walk.errors = errors;
            walk.props = 0;

            sd_schema(&walk, schema, "schema", 1);
            json_object_set(params, "schema", schema);
        }

    } else if (schema != NULL && format != NULL) {
        sd_error(errors, "schema",
                 "The schema field is only allowed when format is json.");
    }

    sd_language(ctx, body, params, errors);
}


/* "pages": optional or required; the highest page goes to reqs */

static void
sd_pages(const sd_ctx_t *ctx, json_t *body, json_t *params, json_t *errors,
    sd_reqs_t *reqs, int required)
{
    long         n;
    json_t      *v;
    unsigned     high;
    const char  *s, *err;

    v = sd_get(body, "pages");

    if (v == NULL) {
        if (required) {
            sd_error(errors, "pages", "The pages field is required.");
        }
        return;
    }

    s = json_string_value(v);

    if (s == NULL) {
        sd_error(errors, "pages",
                 "The pages field must be a string like 1-3,5.");
        return;
    }

    n = sd_pages_parse(s, json_string_length(v), ctx->max_pages, NULL, 0,
                       &high, &err);
    if (n < 0) {
        sd_error(errors, "pages", err);
        return;
    }

    reqs->max_page = high;
    json_object_set(params, "pages", v);
}


static void
sd_op_extract_pages(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_pages(ctx, body, params, errors, reqs, 1);
}


static void
sd_op_render(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_integer(body, params, errors, "dpi", 72, 600, 300, 0);
    sd_pages(ctx, body, params, errors, reqs, 0);
}


static void
sd_op_rotate(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    json_t      *v;
    json_int_t   angle;

    v = sd_get(body, "angle");
    angle = json_is_integer(v) ? json_integer_value(v) : 0;

    if (v == NULL) {
        sd_error(errors, "angle", "The angle field is required.");

    } else if (angle != 90 && angle != 180 && angle != 270) {
        sd_error(errors, "angle", "The angle field must be one of 90, 180 "
                 "or 270.");

    } else {
        json_object_set(params, "angle", v);
    }

    sd_pages(ctx, body, params, errors, reqs, 0);
}


/* the image extract-text's fields, and the pages to read */

static void
sd_op_pdf_extract_text(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_op_extract_text(ctx, body, params, errors, reqs);
    sd_pages(ctx, body, params, errors, reqs, 0);
}


/* ocr: the pages to recognize (default all), in language */

static void
sd_op_ocr(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    sd_language(ctx, body, params, errors);
    sd_pages(ctx, body, params, errors, reqs, 0);
}


/*
 * warp: 4 {x,y} of non-negative integers, top-left, top-right,
 * bottom-right, bottom-left: with y pointing down every turn of a
 * strictly convex quadrilateral walked clockwise is positive.
 */
static void
sd_op_warp(const sd_ctx_t *ctx, json_t *body, json_t *params,
    json_t *errors, sd_reqs_t *reqs)
{
    int          ok, k;
    char         key[64];
    long         c[4][2], turn;
    size_t       i;
    json_t      *v, *pt, *n;
    const char  *name;

    static const char *const  axes[] = { "x", "y", NULL };

    v = sd_get(body, "vertices");

    if (v == NULL) {
        sd_error(errors, "vertices", "The vertices field is required.");
        return;
    }

    if (!json_is_array(v) || json_array_size(v) != 4) {
        sd_error(errors, "vertices",
                 "The vertices field must be an array of exactly 4 points.");
        return;
    }

    ok = 1;

    json_array_foreach(v, i, pt) {
        if (!json_is_object(pt)) {
            snprintf(key, sizeof(key), "vertices[%zu]", i);
            sd_error(errors, key, "A vertex must be an object with x and y.");
            ok = 0;
            continue;
        }

        json_object_foreach(pt, name, n) {
            if (!sd_in(axes, name)) {
                snprintf(key, sizeof(key), "vertices[%zu].%.16s", i, name);
                sd_error(errors, key, "Only x and y are allowed in a vertex.");
                ok = 0;
            }
        }

        for (k = 0; k < 2; k++) {
            snprintf(key, sizeof(key), "vertices[%zu].%s", i, axes[k]);
            n = json_object_get(pt, axes[k]);

            if (n == NULL || json_is_null(n)) {
                sd_errorf(errors, key, "The %s coordinate is required.",
                          axes[k]);
                ok = 0;

            } else if (!json_is_integer(n) || json_integer_value(n) < 0
                       || json_integer_value(n) > SD_COORD_MAX)
            {
                sd_errorf(errors, key,
                          "The %s coordinate must be a non-negative integer.",
                          axes[k]);
                ok = 0;

            } else {
                c[i][k] = (long) json_integer_value(n);
            }
        }
    }

    if (!ok) {
        return;
    }

    for (i = 0; i < 4; i++) {
        turn = (c[(i + 1) % 4][0] - c[i][0]) * (c[(i + 2) % 4][1]
                                                 - c[(i + 1) % 4][1])
               - (c[(i + 1) % 4][1] - c[i][1]) * (c[(i + 2) % 4][0]
                                                   - c[(i + 1) % 4][0]);
        if (turn <= 0) {
            sd_error(errors, "vertices",
                     "The vertices must form a strictly convex quadrilateral "
                     "in clockwise order: top-left, top-right, bottom-right, "
                     "bottom-left.");
            return;
        }
    }

    reqs->max_x = 0;
    reqs->max_y = 0;

    for (i = 0; i < 4; i++) {
        reqs->max_x = c[i][0] > reqs->max_x ? c[i][0] : reqs->max_x;
        reqs->max_y = c[i][1] > reqs->max_y ? c[i][1] : reqs->max_y;
    }

    json_object_set(params, "vertices", v);
}
