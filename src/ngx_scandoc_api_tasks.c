
/*
 * Copyright (C) scandoc authors
 *
 * Operations (POST image-operations/{op}, pdf-operations/{op}) and tasks.
 *
 * A JSON body stays in memory and is small (scandoc_json_max_size).  The
 * order of checks is 401 -> 400 -> 422 -> the rest: a valid body goes
 * straight to sd1_create_task, which authenticates itself (one round
 * trip); an invalid one first asks sd1_auth, so that a bad key is a 401
 * and not a list of field errors.
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_http.h"
#include "ngx_scandoc_store.h"
#include "sd_ops.h"


/*
 * Nesting allowed in a JSON body.  A schema needs about 20 levels (8 of
 * its own, two JSON levels each); the parameters travel on to Lua's cjson,
 * which refuses more than 1000, so jansson's own limit (2048) would let a
 * body through that only fails in sd1_create_task, as a 500.
 */
#define NGX_HTTP_SCANDOC_JSON_DEPTH  64


typedef struct {
    const sd_op_t             *op;

    /* the 400 or 422 to answer if the key turns out to be valid */
    ngx_uint_t                 status;
    ngx_str_t                  message;
    json_t                    *errors;
} ngx_http_scandoc_create_t;


static void ngx_http_scandoc_tasks_body(ngx_http_request_t *r);
static json_t *ngx_http_scandoc_tasks_parse(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_http_scandoc_tasks_bad(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, const char *fmt, ...);
static ngx_uint_t ngx_http_scandoc_json_deeper(json_t *json,
    ngx_uint_t depth);
static ngx_int_t ngx_http_scandoc_tasks_submit(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, json_t *body);
static ngx_int_t ngx_http_scandoc_tasks_auth_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);
static void ngx_http_scandoc_tasks_cleanup(void *data);
static sd_ctx_t *ngx_http_scandoc_sd_ctx(ngx_http_request_t *r);
static size_t ngx_http_scandoc_json_limit(ngx_http_request_t *r);
static ngx_int_t ngx_http_scandoc_tasks_too_large(ngx_http_request_t *r);
static u_char *ngx_http_scandoc_cstr(ngx_str_t *s);


ngx_int_t
ngx_http_scandoc_tasks_create(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, unsigned route, ngx_str_t *op)
{
    ngx_int_t                   rc;
    ngx_pool_cleanup_t         *cln;
    ngx_http_scandoc_create_t  *cr;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_scandoc_create_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cr = cln->data;
    ngx_memzero(cr, sizeof(ngx_http_scandoc_create_t));
    cr->op = sd_op_find(route, (char *) op->data, op->len);

    cln->handler = ngx_http_scandoc_tasks_cleanup;
    ctx->data = cr;

    if (r->headers_in.content_length_n
        > (off_t) ngx_http_scandoc_json_limit(r))
    {
        return ngx_http_scandoc_tasks_too_large(r);
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_scandoc_tasks_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_scandoc_tasks_body(ngx_http_request_t *r)
{
    json_t                  *body;
    ngx_int_t                rc;
    ngx_http_scandoc_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_scandoc_module);

    body = ngx_http_scandoc_tasks_parse(r, ctx, &rc);

    if (body) {
        rc = ngx_http_scandoc_tasks_submit(r, ctx, body);
        json_decref(body);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * The body as a JSON object, or NULL with *rc the answer: a 413 problem,
 * or the call that decides between 401 and 400.
 */

static json_t *
ngx_http_scandoc_tasks_parse(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_int_t *rc)
{
    u_char        *p, *data;
    json_t        *body;
    size_t         len;
    ngx_buf_t     *b;
    ngx_chain_t   *cl;
    json_error_t   err;

    /*
     * A body that did not fit client_body_buffer_size went to a file;
     * JSON bodies are parsed in memory only.
     */

    if (r->request_body && r->request_body->temp_file) {
        *rc = ngx_http_scandoc_tasks_too_large(r);
        return NULL;
    }

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    if (len > ngx_http_scandoc_json_limit(r)) {
        *rc = ngx_http_scandoc_tasks_too_large(r);
        return NULL;
    }

    if (len == 0) {
        *rc = ngx_http_scandoc_tasks_bad(r, ctx, "The request body must "
                                         "be a JSON object; it is empty.");
        return NULL;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL) {
        data = cl->buf->pos;

    } else {
        data = ngx_pnalloc(r->pool, len);
        if (data == NULL) {
            *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NULL;
        }

        p = data;

        for ( /* void */ ; cl; cl = cl->next) {
            b = cl->buf;
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    /* NUL in a string is a field error for sd_ops, not a 400 */

    body = json_loadb((char *) data, len,
                      JSON_REJECT_DUPLICATES|JSON_ALLOW_NUL, &err);

    if (body == NULL) {
        *rc = ngx_http_scandoc_tasks_bad(r, ctx, "The request body is "
                                         "not valid JSON: %s (line %d, "
                                         "column %d).", err.text, err.line,
                                         err.column);
        return NULL;
    }

    if (!json_is_object(body)) {
        json_decref(body);

        *rc = ngx_http_scandoc_tasks_bad(r, ctx, "The request body must "
                                         "be a JSON object.");
        return NULL;
    }

    if (ngx_http_scandoc_json_deeper(body, NGX_HTTP_SCANDOC_JSON_DEPTH)) {
        json_decref(body);

        *rc = ngx_http_scandoc_tasks_bad(r, ctx, "The request body is "
                                         "nested deeper than %d levels.",
                                         NGX_HTTP_SCANDOC_JSON_DEPTH);
        return NULL;
    }

    return body;
}


/* whether json has values nested deeper than depth levels below it */

static ngx_uint_t
ngx_http_scandoc_json_deeper(json_t *json, ngx_uint_t depth)
{
    size_t       i;
    json_t      *v;
    const char  *key;

    if (!json_is_object(json) && !json_is_array(json)) {
        return 0;
    }

    if (depth == 0) {
        return 1;
    }

    if (json_is_array(json)) {
        json_array_foreach(json, i, v) {
            if (ngx_http_scandoc_json_deeper(v, depth - 1)) {
                return 1;
            }
        }

        return 0;
    }

    json_object_foreach(json, key, v) {
        if (ngx_http_scandoc_json_deeper(v, depth - 1)) {
            return 1;
        }
    }

    return 0;
}


/* a malformed body is a 400 only for a valid key: keep it, ask sd1_auth */

static ngx_int_t
ngx_http_scandoc_tasks_bad(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx,
    const char *fmt, ...)
{
    u_char                     *p;
    va_list                     args;
    ngx_http_scandoc_create_t  *cr;
    u_char                      buf[512];

    cr = ctx->data;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    cr->message.len = p - buf;
    cr->message.data = ngx_pnalloc(r->pool, cr->message.len);

    if (cr->message.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(cr->message.data, buf, cr->message.len);

    cr->status = NGX_HTTP_BAD_REQUEST;
    ctx->handler = ngx_http_scandoc_tasks_auth_reply;

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("auth"), 0,
                                 NULL);
}


static ngx_int_t
ngx_http_scandoc_tasks_submit(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, json_t *body)
{
    char                          *reqs_json;
    json_t                        *params, *inputs, *errors, *v;
    ngx_int_t                      rc;
    ngx_str_t                      args[8];
    sd_ctx_t                      *sctx;
    sd_reqs_t                      reqs;
    ngx_http_scandoc_create_t     *cr;
    ngx_http_scandoc_main_conf_t  *smcf;

    cr = ctx->data;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    sctx = ngx_http_scandoc_sd_ctx(r);
    if (sctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    params = NULL;
    inputs = NULL;
    errors = NULL;

    ngx_memzero(&reqs, sizeof(sd_reqs_t));

    if (sd_op_validate(cr->op, sctx, body, &params, &inputs, &errors, &reqs)
        != 0)
    {
        /* 422 only for a valid key: ask which it is */

        cr->status = NGX_HTTP_UNPROCESSABLE_ENTITY;
        cr->errors = errors;
        ctx->handler = ngx_http_scandoc_tasks_auth_reply;

        return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("auth"), 0,
                                     NULL);
    }

    args[0].len = sizeof("task_") - 1 + NGX_HTTP_SCANDOC_ID_RAND;
    args[0].data = ngx_pnalloc(r->pool, args[0].len);

    if (args[0].data == NULL
        || ngx_http_scandoc_new_id(args[0].data, "task") != NGX_OK)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    args[1].data = (u_char *) cr->op->name;
    args[1].len = ngx_strlen(cr->op->name);

    v = json_object_get(params, "callback_url");

    if (json_is_string(v)) {
        args[3].data = (u_char *) json_string_value(v);
        args[3].len = json_string_length(v);

    } else {
        ngx_str_set(&args[3], "");
    }

    reqs_json = sd_reqs_dump(&reqs);

    if (reqs_json == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    args[5].len = ngx_strlen(reqs_json);
    args[5].data = ngx_pnalloc(r->pool, args[5].len);

    if (args[5].data) {
        ngx_memcpy(args[5].data, reqs_json, args[5].len);
    }

    free(reqs_json);

    if (args[5].data == NULL
        || ngx_http_scandoc_json_dump(r, params, &args[2]) != NGX_OK
        || ngx_http_scandoc_json_dump(r, inputs, &args[4]) != NGX_OK
        || ngx_http_scandoc_set_location(r, ctx, "tasks", &args[0]) != NGX_OK
        || ngx_http_scandoc_seed(r, &args[7]) != NGX_OK)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    /* args[3] points into params: the call copies its arguments */

    args[6].data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (args[6].data == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    args[6].len = ngx_sprintf(args[6].data, "%ui", smcf->active_limit)
                  - args[6].data;

    ngx_http_scandoc_call_idempotent(ctx);

    rc = ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("create_task"), 8,
                               args);

done:

    json_decref(params);
    json_decref(inputs);

    return rc;
}


static ngx_int_t
ngx_http_scandoc_tasks_auth_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    ngx_http_scandoc_create_t  *cr;

    cr = ctx->data;

    if (ngx_http_scandoc_reply_check(reply, ctx->fn, r->connection->log)
        == NGX_HTTP_OK)
    {
        return ngx_http_scandoc_send_problem(r, cr->status,
                                             cr->errors ? NULL : &cr->message,
                                             cr->errors);
    }

    return ngx_http_scandoc_reply_render(r, ctx, reply);
}


static void
ngx_http_scandoc_tasks_cleanup(void *data)
{
    ngx_http_scandoc_create_t  *cr = data;

    json_decref(cr->errors);
}


ngx_int_t
ngx_http_scandoc_tasks_get(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx)
{
    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("get_task"), 1,
                                 &ctx->id);
}


ngx_int_t
ngx_http_scandoc_tasks_delete(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx)
{
    ngx_str_t  args[2];

    args[0] = ctx->id;

    if (ngx_http_scandoc_seed(r, &args[1]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("delete_task"),
                                 2, args);
}


/*
 * JSON bodies must stay in memory: the smaller of scandoc_json_max_size
 * and client_body_buffer_size (beyond that nginx spools to a file).
 */

static size_t
ngx_http_scandoc_json_limit(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    return ngx_min(smcf->json_max, clcf->client_body_buffer_size);
}


static ngx_int_t
ngx_http_scandoc_tasks_too_large(ngx_http_request_t *r)
{
    return ngx_http_scandoc_problem_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "The JSON request body exceeds the "
                                         "limit of %uz bytes.",
                                         ngx_http_scandoc_json_limit(r));
}


/*
 * The validation context, built once per worker: sd_ops wants C strings,
 * the configuration has ngx_str_t.
 */

static sd_ctx_t *
ngx_http_scandoc_sd_ctx(ngx_http_request_t *r)
{
    ngx_str_t                     *lang;
    ngx_uint_t                     i, n;
    const char                   **list;
    ngx_http_scandoc_main_conf_t  *smcf;

    static sd_ctx_t    sctx;
    static ngx_uint_t  ready;

    if (ready) {
        return &sctx;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    n = smcf->languages ? smcf->languages->nelts : 0;
    lang = smcf->languages ? smcf->languages->elts : NULL;

    list = ngx_pcalloc(ngx_cycle->pool, (n + 1) * sizeof(char *));
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        list[i] = (char *) ngx_http_scandoc_cstr(&lang[i]);
        if (list[i] == NULL) {
            return NULL;
        }
    }

    sctx.languages = list;
    sctx.nlanguages = n;
    sctx.default_language = smcf->default_language.len
        ? (char *) ngx_http_scandoc_cstr(&smcf->default_language)
        : "eng";
    sctx.max_pages = smcf->max_pages;

    if (sctx.default_language == NULL) {
        return NULL;
    }

    ready = 1;

    return &sctx;
}


static u_char *
ngx_http_scandoc_cstr(ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(ngx_cycle->pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, s->data, s->len) = '\0';

    return p;
}
