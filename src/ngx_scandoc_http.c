
/*
 * Copyright (C) scandoc authors
 *
 * Responses (JSON, problem JSON), query arguments, links, authentication,
 * and the one path that calls a Redis Function for a request and renders
 * its flat reply { status, body, extra... } (docs/INTERNALS.md section 1).
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_http.h"
#include "ngx_scandoc_queue.h"


typedef struct {
    ngx_uint_t                     status;
    const char                    *slug;
    const char                    *title;
    const char                    *message;
} ngx_http_scandoc_problem_t;


static void ngx_http_scandoc_reply_handler(redisReply *reply, void *data);
static void ngx_http_scandoc_call_again(ngx_event_t *ev);
static ngx_http_scandoc_problem_t *ngx_http_scandoc_problem_find(
    ngx_uint_t status);
static ngx_int_t ngx_http_scandoc_send(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, size_t type_len, u_char *body,
    size_t len);
static ngx_int_t ngx_http_scandoc_api_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_scandoc_link_base(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_str_t *base);
static off_t ngx_http_scandoc_body_limit(ngx_http_request_t *r,
    ngx_str_t *path);
static ngx_uint_t ngx_http_scandoc_printable(u_char *dst, ngx_str_t *src,
    size_t max);
static ngx_int_t ngx_http_scandoc_query_arg(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);


#define NGX_HTTP_SCANDOC_TYPE_JSON  "application/json; charset=utf-8"
#define NGX_HTTP_SCANDOC_TYPE_PROBLEM  "application/problem+json"


static ngx_http_scandoc_problem_t  ngx_http_scandoc_problems[] = {

    { 400, "bad-request", "Bad Request", "The request is malformed." },

    { 401, "unauthorized", "Unauthorized",
      "You are not authorized to access this resource." },

    { 403, "forbidden", "Forbidden",
      "You are not allowed to access this resource." },

    { 404, "not-found", "Not Found", "The resource was not found." },

    { 405, "method-not-allowed", "Method Not Allowed",
      "The method is not allowed for this resource." },

    { 408, "request-timeout", "Request Timeout",
      "The request was not received in time." },

    { 409, "quota-exceeded", "Quota Exceeded", "A quota was exceeded." },

    { 411, "length-required", "Length Required",
      "The request needs a Content-Length or a chunked body." },

    { 412, "precondition-failed", "Precondition Failed",
      "A precondition of the request (If-Match, If-Unmodified-Since) "
      "does not hold." },

    { 413, "payload-too-large", "Payload Too Large",
      "The request body is too large." },

    { 414, "uri-too-long", "URI Too Long", "The request URI is too long." },

    { 415, "unsupported-file-type", "Unsupported File Type",
      "The file type is not supported." },

    { 416, "range-not-satisfiable", "Range Not Satisfiable",
      "The requested range is not within the file." },

    { 422, "validation-error", "Validation Error", NULL },

    { 429, "rate-limit-error", "Rate Limit Exceeded",
      "Rate limit exceeded. Please try again later or contact support." },

    { 500, "internal-error",
      "An unexpected error occurred. Contact support if the problem "
      "persists.",
      "An unexpected error occurred. Contact support if the problem "
      "persists." },

    { 501, "not-implemented", "Not Implemented",
      "The request uses a feature the server does not implement." },

    { 502, "bad-gateway", "Bad Gateway",
      "The server received an invalid response." },

    { 503, "service-unavailable", "Service Unavailable",
      "The task store is unreachable. Please try again later." },

    { 504, "gateway-timeout", "Gateway Timeout",
      "The server did not answer in time." },

    { 505, "http-version-not-supported", "HTTP Version Not Supported",
      "The HTTP version of the request is not supported." },

    { 0, NULL, NULL, NULL }
};


ngx_http_scandoc_ctx_t *
ngx_http_scandoc_ctx(ngx_http_request_t *r)
{
    size_t                     n;
    ngx_http_scandoc_ctx_t    *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_scandoc_module);
    if (ctx) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_scandoc_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->request = r;

    /*
     * The routes follow the location's own prefix, "/v1/" or whatever the
     * operator chose; links and Location headers repeat it as it is.
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    n = clcf->name.len;

    if (n > r->uri.len || ngx_strncmp(r->uri.data, clcf->name.data, n) != 0
        || clcf->regex || clcf->exact_match)
    {
        n = 0;
    }

    if (n < r->uri.len && (n == 0 || r->uri.data[n - 1] != '/')
        && r->uri.data[n] == '/')
    {
        n++;
    }

    ctx->prefix.data = r->uri.data;
    ctx->prefix.len = n;
    ctx->path.data = r->uri.data + n;
    ctx->path.len = r->uri.len - n;

    ngx_http_set_ctx(r, ctx, ngx_http_scandoc_module);

    return ctx;
}


ngx_int_t
ngx_http_scandoc_authenticate(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx)
{
    if (ngx_http_scandoc_api_key(r, &ctx->key) != NGX_OK) {
        return NGX_DECLINED;
    }

    return ngx_http_scandoc_sha256_hex(ctx->keyhash, ctx->key.data,
                                       ctx->key.len);
}


static ngx_int_t
ngx_http_scandoc_api_key(ngx_http_request_t *r, ngx_str_t *key)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("x-api-key") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-api-key",
                               sizeof("x-api-key") - 1) == 0
            && h[i].value.len)
        {
            *key = h[i].value;
            return NGX_OK;
        }
    }

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if (last - p < (ssize_t) sizeof("Bearer ") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer ", sizeof("Bearer ") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("Bearer ") - 1;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if (p == last) {
        return NGX_DECLINED;
    }

    key->data = p;
    key->len = last - p;

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_call(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx,
    const char *fn, ngx_uint_t nargs, ngx_str_t *args)
{
    size_t       *lens;
    ngx_int_t     rc;
    ngx_uint_t    i;
    const char  **argv;

    if (!ngx_http_scandoc_redis_ready()) {
        return ngx_http_scandoc_send_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                             NULL, NULL);
    }

    argv = ngx_palloc(r->pool, (nargs + 1) * sizeof(char *));
    lens = ngx_palloc(r->pool, (nargs + 1) * sizeof(size_t));
    if (argv == NULL || lens == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = (const char *) ctx->keyhash;
    lens[0] = NGX_HTTP_SCANDOC_SHA256_HEX;

    for (i = 0; i < nargs; i++) {
        argv[i + 1] = (const char *) args[i].data;
        lens[i + 1] = args[i].len;

        /* a repeat needs the arguments after the caller freed its own */

        if (ctx->idempotent && args[i].len) {
            argv[i + 1] = (const char *) ngx_pstrdup(r->pool, &args[i]);
            if (argv[i + 1] == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    /*
     * "blocked" keeps the request alive even if nginx terminates it (a
     * client that went away) while Redis has our pointer: the reply
     * handler then finds a live request and finishes it.
     */

    r->main->count++;
    r->main->blocked++;
    ctx->waiting = 1;
    ctx->fn = fn;
    ctx->argc = (int) nargs + 1;
    ctx->argv = argv;
    ctx->argvlen = lens;

    rc = ngx_http_scandoc_fcall(fn, ctx->argc, argv, lens,
                                ngx_http_scandoc_reply_handler, ctx);

    if (rc != NGX_OK && ctx->waiting) {
        /* refused without calling the handler */
        ctx->waiting = 0;
        r->main->blocked--;
        r->main->count--;

        return ngx_http_scandoc_send_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                             NULL, NULL);
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_scandoc_seed(ngx_http_request_t *r, ngx_str_t *seed)
{
    seed->len = sizeof("seed_") - 1 + NGX_HTTP_SCANDOC_ID_RAND;
    seed->data = ngx_pnalloc(r->pool, seed->len);

    if (seed->data == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_scandoc_new_id(seed->data, "seed");
}


/*
 * A repeat of an idempotent call whose reply was lost; if Redis is still
 * away the repeat fails at once and comes back here after the delay.
 */

static void
ngx_http_scandoc_call_again(ngx_event_t *ev)
{
    ngx_http_scandoc_ctx_t  *ctx = ev->data;

    if (ngx_http_scandoc_fcall(ctx->fn, ctx->argc, ctx->argv, ctx->argvlen,
                               ngx_http_scandoc_reply_handler, ctx)
        != NGX_OK)
    {
        ngx_http_scandoc_reply_handler(NULL, ctx);
    }
}


static void
ngx_http_scandoc_reply_handler(redisReply *reply, void *data)
{
    ngx_http_scandoc_ctx_t  *ctx = data;

    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (reply == NULL
        && ctx->idempotent
        && ctx->retries++ < NGX_HTTP_SCANDOC_CALL_RETRIES)
    {
        /* still waiting: count and blocked stay as they are */

        ctx->retry.handler = ngx_http_scandoc_call_again;
        ctx->retry.data = ctx;
        ctx->retry.log = r->connection->log;

        ngx_add_timer(&ctx->retry, NGX_HTTP_SCANDOC_CALL_RETRY_DELAY);
        return;
    }

    ctx->waiting = 0;
    r->main->blocked--;

    if (r->connection->error && ctx->handler == NULL) {
        ngx_http_scandoc_finalize(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (ctx->handler) {
        rc = ctx->handler(r, ctx, reply);

    } else {
        rc = ngx_http_scandoc_reply_render(r, ctx, reply);
    }

    ngx_http_scandoc_finalize(r, rc);
}


void
ngx_http_scandoc_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/*
 * The generic rendering of a Function's reply: 2xx bodies are already
 * serialized JSON; errors become problems from status + message (or the
 * errors map of a 422).
 */

ngx_int_t
ngx_http_scandoc_reply_render(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    json_t        *errors;
    ngx_int_t      status, rc;
    ngx_str_t      body;
    json_error_t   err;

    status = ngx_http_scandoc_reply_check(reply, ctx->fn,
                                          r->connection->log);

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_scandoc_send_problem(r, status, NULL, NULL);
    }

    (void) ngx_http_scandoc_reply_str(reply, 1, &body);

    if (status < 300) {
        if (ctx->location.len) {
            if (ngx_http_scandoc_add_header(r, "Location", &ctx->location)
                == NULL)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            r->headers_out.location = NULL;
        }

        return ngx_http_scandoc_send_json(r, status, &body);
    }

    if (status == NGX_HTTP_UNPROCESSABLE_ENTITY) {
        errors = json_loadb((char *) body.data, body.len, 0, &err);

        if (!json_is_object(errors)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "scandoc: 422 without an errors map: \"%V\"",
                          &body);
            json_decref(errors);
            errors = NULL;
        }

        rc = ngx_http_scandoc_send_problem(r, status, NULL, errors);
        json_decref(errors);

        return rc;
    }

    if (ngx_http_scandoc_problem_find(status) == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "scandoc: unexpected Function status %i: \"%V\"",
                      status, &body);
        status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        body.len = 0;
    }

    return ngx_http_scandoc_send_problem(r, status, body.len ? &body : NULL,
                                         NULL);
}


ngx_int_t
ngx_http_scandoc_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    if (status == NGX_HTTP_NO_CONTENT) {
        return ngx_http_scandoc_send(r, status, NULL, 0, NULL, 0);
    }

    return ngx_http_scandoc_send(r, status, NGX_HTTP_SCANDOC_TYPE_JSON,
                                 sizeof(NGX_HTTP_SCANDOC_TYPE_JSON) - 1,
                                 body ? body->data : NULL,
                                 body ? body->len : 0);
}


static ngx_int_t
ngx_http_scandoc_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, size_t type_len, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_str_t     id;
    ngx_chain_t   out;

    /* a response may come before the body was read (401, 404, 405...) */

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        if (rc != NGX_HTTP_BAD_REQUEST || r->connection->error) {
            return NGX_ERROR;
        }

        /*
         * A body that cannot even be skipped (an invalid chunked
         * encoding): the connection is out of step with the client and
         * closes after this answer, which is then about the body, as
         * nginx's own would be.  The discard keeps what it parsed in
         * r->request_body, so the second one returns at once.
         */

        r->keepalive = 0;

        if (status != NGX_HTTP_BAD_REQUEST) {
            /*
             * Nothing of the answer that was meant (Allow,
             * WWW-Authenticate) belongs to this one, and error_page's
             * status would win over the 400.
             */

            ngx_http_clean_header(r);
            r->err_status = 0;

            return ngx_http_scandoc_problem_text(r, NGX_HTTP_BAD_REQUEST,
                                                 "The request body is "
                                                 "malformed.");
        }
    }

    /*
     * JSON responses carry no ETag or Last-Modified, so conditional
     * headers cannot apply to them; without this nginx answers an
     * If-Match or If-Unmodified-Since with its own HTML 412.
     */

    r->disable_not_modified = 1;

    if (ngx_http_scandoc_request_id(r, &id) == NGX_OK
        && ngx_http_scandoc_add_header(r, "X-Request-Id", &id) == NULL)
    {
        return NGX_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (status == NGX_HTTP_UNPROCESSABLE_ENTITY) {
        /* not in nginx's table of status lines */
        ngx_str_set(&r->headers_out.status_line, "422 Unprocessable Entity");
    }

    if (type) {
        r->headers_out.content_type.len = type_len;
        r->headers_out.content_type.data = (u_char *) type;
        r->headers_out.content_type_len = type_len;
        r->headers_out.content_type_lowcase = NULL;
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * message: NULL for the status's standard sentence; errors: the 422 map
 * (borrowed), rendered instead of a message.
 */

ngx_int_t
ngx_http_scandoc_send_problem(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *message, json_t *errors)
{
    u_char                        *p;
    size_t                         len;
    json_t                        *pb, *msg;
    ngx_int_t                      rc;
    ngx_str_t                      id, value, body;
    ngx_http_scandoc_problem_t    *pr;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    pr = ngx_http_scandoc_problem_find(status);
    if (pr == NULL) {
        status = (status >= 400 && status < 500)
                 ? NGX_HTTP_BAD_REQUEST : NGX_HTTP_INTERNAL_SERVER_ERROR;
        pr = ngx_http_scandoc_problem_find(status);
    }

    len = smcf->errors_base.len + 1 + ngx_strlen(pr->slug);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%V/%s", &smcf->errors_base, pr->slug);

    pb = json_object();
    if (pb == NULL) {
        return NGX_ERROR;
    }

    json_object_set_new(pb, "type", json_stringn((char *) p, len));
    json_object_set_new(pb, "title", json_string(pr->title));
    json_object_set_new(pb, "status", json_integer(status));

    if (status == NGX_HTTP_UNPROCESSABLE_ENTITY) {
        json_object_set_new(pb, "errors",
                            errors ? json_incref(errors) : json_object());

    } else {
        msg = message ? json_stringn((char *) message->data, message->len)
                      : NULL;

        if (msg == NULL) {
            /* no message, or one that is not UTF-8 */
            msg = json_string(pr->message);
        }

        json_object_set_new(pb, "message", msg);
    }

    if (ngx_http_scandoc_request_id(r, &id) == NGX_OK) {
        json_object_set_new(pb, "request_id",
                            json_stringn((char *) id.data, id.len));
    }

    rc = ngx_http_scandoc_json_dump(r, pb, &body);
    json_decref(pb);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    switch (status) {

    case NGX_HTTP_UNAUTHORIZED:
        ngx_str_set(&value, "Bearer realm=\"scandoc\"");
        if (ngx_http_scandoc_add_header(r, "WWW-Authenticate", &value)
            == NULL)
        {
            return NGX_ERROR;
        }
        break;

    case NGX_HTTP_CONFLICT:
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
    case NGX_HTTP_UNSUPPORTED_MEDIA_TYPE:
    case NGX_HTTP_UNPROCESSABLE_ENTITY:
        /* the SDKs retry 4xx they are not told to leave alone */
        ngx_str_set(&value, "false");
        if (ngx_http_scandoc_add_header(r, "x-should-retry", &value)
            == NULL)
        {
            return NGX_ERROR;
        }
        break;

    case NGX_HTTP_TOO_MANY_REQUESTS:
    case NGX_HTTP_SERVICE_UNAVAILABLE:
        value.data = (u_char *) (status == NGX_HTTP_TOO_MANY_REQUESTS
                                 ? ngx_value(NGX_HTTP_SCANDOC_RETRY_429)
                                 : ngx_value(NGX_HTTP_SCANDOC_RETRY_503));
        value.len = ngx_strlen(value.data);
        if (ngx_http_scandoc_add_header(r, "Retry-After", &value) == NULL) {
            return NGX_ERROR;
        }
        break;
    }

    return ngx_http_scandoc_send(r, status, NGX_HTTP_SCANDOC_TYPE_PROBLEM,
                                 sizeof(NGX_HTTP_SCANDOC_TYPE_PROBLEM) - 1,
                                 body.data, body.len);
}


ngx_int_t
ngx_http_scandoc_problem_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_str_t   message;
    u_char      buf[512];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    message.data = buf;
    message.len = p - buf;

    return ngx_http_scandoc_send_problem(r, status, &message, NULL);
}


/* "File with id X not found.", with X reduced to what is safe to echo */

ngx_int_t
ngx_http_scandoc_not_found(ngx_http_request_t *r, const char *what,
    ngx_str_t *id)
{
    ngx_str_t  safe;
    u_char     buf[64];

    safe.data = buf;
    safe.len = ngx_http_scandoc_printable(buf, id, sizeof(buf));

    return ngx_http_scandoc_problem_text(r, NGX_HTTP_NOT_FOUND,
                                         "%s with id %V not found.",
                                         what, &safe);
}


ngx_int_t
ngx_http_scandoc_no_route(ngx_http_request_t *r)
{
    ngx_str_t  safe;
    u_char     buf[256];

    safe.data = buf;
    safe.len = ngx_http_scandoc_printable(buf, &r->uri, sizeof(buf));

    return ngx_http_scandoc_problem_text(r, NGX_HTTP_NOT_FOUND,
                                         "No route for %V %V.",
                                         &r->method_name, &safe);
}


ngx_int_t
ngx_http_scandoc_not_allowed(ngx_http_request_t *r, const char *allow)
{
    ngx_str_t  value, safe;
    u_char     buf[256];

    value.data = (u_char *) allow;
    value.len = ngx_strlen(allow);

    if (ngx_http_scandoc_add_header(r, "Allow", &value) == NULL) {
        return NGX_ERROR;
    }

    safe.data = buf;
    safe.len = ngx_http_scandoc_printable(buf, &r->uri, sizeof(buf));

    return ngx_http_scandoc_problem_text(r, NGX_HTTP_NOT_ALLOWED,
                                         "Method %V is not allowed for %V; "
                                         "allowed: %s.",
                                         &r->method_name, &safe, allow);
}


static ngx_uint_t
ngx_http_scandoc_printable(u_char *dst, ngx_str_t *src, size_t max)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < src->len && n < max; i++) {
        if (src->data[i] >= 0x20 && src->data[i] < 0x7f) {
            dst[n++] = src->data[i];
        }
    }

    return n;
}


static ngx_http_scandoc_problem_t *
ngx_http_scandoc_problem_find(ngx_uint_t status)
{
    ngx_http_scandoc_problem_t  *pr;

    for (pr = ngx_http_scandoc_problems; pr->status; pr++) {
        if (pr->status == status) {
            return pr;
        }
    }

    return NULL;
}


/*
 * $request_id is computed anew on every ngx_http_get_variable() unless the
 * configuration indexed it (e.g. in a log_format): use the index when there
 * is one, so the access log shows the same id, and keep the value in the
 * context so a response's header and body agree.
 */

ngx_int_t
ngx_http_scandoc_request_id(ngx_http_request_t *r, ngx_str_t *id)
{
    ngx_uint_t                  i;
    ngx_str_t                   name = ngx_string("request_id");
    ngx_http_variable_t        *v;
    ngx_http_scandoc_ctx_t     *ctx;
    ngx_http_variable_value_t  *vv;
    ngx_http_core_main_conf_t  *cmcf;

    static ngx_int_t            index = NGX_CONF_UNSET;

    ctx = ngx_http_scandoc_ctx(r);

    if (ctx && ctx->request_id.len) {
        *id = ctx->request_id;
        return NGX_OK;
    }

    if (index == NGX_CONF_UNSET) {
        index = NGX_ERROR;

        cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);
        v = cmcf->variables.elts;

        for (i = 0; i < cmcf->variables.nelts; i++) {
            if (v[i].name.len == name.len
                && ngx_strncmp(v[i].name.data, name.data, name.len) == 0)
            {
                index = i;
                break;
            }
        }
    }

    if (index != NGX_ERROR) {
        vv = ngx_http_get_indexed_variable(r, index);

    } else {
        vv = ngx_http_get_variable(r, &name,
                                   ngx_hash_key(name.data, name.len));
    }

    if (vv == NULL || vv->not_found || vv->len == 0) {
        return NGX_DECLINED;
    }

    id->data = vv->data;
    id->len = vv->len;

    if (ctx) {
        ctx->request_id = *id;
    }

    return NGX_OK;
}


ngx_table_elt_t *
ngx_http_scandoc_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


/*
 * The absolute URL of the API location without its trailing slash
 * ("https://host/v1"): the configured public URL, or the request's own
 * scheme and host, followed by the real prefix.
 */

static ngx_int_t
ngx_http_scandoc_link_base(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx,
    ngx_str_t *base)
{
    u_char                        *p;
    size_t                         len;
    ngx_str_t                      origin, scheme, prefix;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    prefix = ctx->prefix;

    if (prefix.len && prefix.data[prefix.len - 1] == '/') {
        prefix.len--;
    }

    if (smcf->public_url.len) {
        origin = smcf->public_url;

        while (origin.len && origin.data[origin.len - 1] == '/') {
            origin.len--;
        }

        ngx_str_null(&scheme);

    } else {
#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            ngx_str_set(&scheme, "https://");
        } else
#endif
        {
            ngx_str_set(&scheme, "http://");
        }

        if (r->headers_in.host && r->headers_in.host->value.len) {
            origin = r->headers_in.host->value;

        } else if (r->headers_in.server.len) {
            origin = r->headers_in.server;

        } else {
            ngx_str_set(&origin, "localhost");
        }
    }

    len = scheme.len + origin.len + prefix.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    base->data = p;
    p = ngx_cpymem(p, scheme.data, scheme.len);
    p = ngx_cpymem(p, origin.data, origin.len);
    p = ngx_cpymem(p, prefix.data, prefix.len);
    base->len = p - base->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_set_location(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, const char *what, ngx_str_t *id)
{
    u_char     *p;
    ngx_str_t   base;

    if (ngx_http_scandoc_link_base(r, ctx, &base) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, base.len + ngx_strlen(what) + id->len + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->location.data = p;
    p = ngx_sprintf(p, "%V/%s/%V", &base, what, id);
    ctx->location.len = p - ctx->location.data;

    return NGX_OK;
}


/*
 * GET files, tasks, events.  The Function checks take (1-100) and from
 * together, after the key: the 401 comes first and a 422 names both.
 * take reaches it only as plain digits, so that Lua's tonumber() cannot
 * accept "0x10" or "1e1".
 */

ngx_int_t
ngx_http_scandoc_list(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx,
    const char *what)
{
    size_t     i;
    ngx_int_t  rc;
    ngx_str_t  args[4];

    args[0].data = (u_char *) what;
    args[0].len = ngx_strlen(what);

    rc = ngx_http_scandoc_query_arg(r, "take", &args[1]);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {

        for (i = 0; i < args[1].len; i++) {
            if (args[1].data[i] < '0' || args[1].data[i] > '9') {
                break;
            }
        }

        if (args[1].len == 0 || args[1].len > 3 || i < args[1].len) {
            ngx_str_set(&args[1], "0");
        }

    } else {
        ngx_str_set(&args[1], "20");
    }

    /* anything but an id of the list is refused by the Function */

    rc = ngx_http_scandoc_query_arg(r, "from", &args[2]);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_set(&args[2], "");
    }

    if (ngx_http_scandoc_link_base(r, ctx, &args[3]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("list"), 4, args);
}


/*
 * A query argument's value, percent-decoded: "take=%32" is "take=2" to
 * any URL library.  A malformed escape is kept as it is, so the value
 * fails the check it is meant for (a 422, not a silently changed value).
 * NGX_DECLINED when the argument is absent.
 */

static ngx_int_t
ngx_http_scandoc_query_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    u_char  *p, *src, *dst;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), value) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (ngx_strlchr(value->data, value->data + value->len, '%') == NULL) {
        return NGX_OK;
    }

    if (!ngx_http_scandoc_escapes_valid(value->data, value->len)) {
        return NGX_OK;
    }

    dst = ngx_pnalloc(r->pool, value->len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    src = value->data;
    p = dst;
    ngx_unescape_uri(&p, &src, value->len, 0);

    value->data = dst;
    value->len = p - dst;

    return NGX_OK;
}


/*
 * Whether every "%" starts an escape of two hex digits: ngx_unescape_uri()
 * drops a bad one without a word.
 */

ngx_uint_t
ngx_http_scandoc_escapes_valid(u_char *p, size_t len)
{
    u_char  *last;

    for (last = p + len; p < last; p++) {
        if (*p == '%'
            && (last - p < 3 || !isxdigit(p[1]) || !isxdigit(p[2])))
        {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_scandoc_json_dump(ngx_http_request_t *r, json_t *json,
    ngx_str_t *out)
{
    char  *dump;

    dump = json_dumps(json, JSON_COMPACT|JSON_ENCODE_ANY);
    if (dump == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_strlen(dump);
    out->data = ngx_pnalloc(r->pool, out->len);

    if (out->data == NULL) {
        free(dump);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, dump, out->len);
    free(dump);

    return NGX_OK;
}


/*
 * error_page ... /_scandoc/problem: nginx's own errors (413 from
 * client_max_body_size, 429 from limit_req, 400, 408, 414...) as problems.
 */

ngx_int_t
ngx_http_scandoc_problem_handler(ngx_http_request_t *r)
{
    u_char           *p;
    ngx_uint_t        i, status, download;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    ngx_str_t         safe, method, uri, allow;
    u_char            buf[256];

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status < 400 || status > 599) {
        status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Whatever the failed request had set (a download's
     * Content-Disposition, our X-Request-Id) must not leak into the problem.
     */

    download = 0;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash && h[i].key.len == sizeof("Content-Disposition") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Disposition",
                               sizeof("Content-Disposition") - 1) == 0)
        {
            download = 1;
        }

        /* a 416 tells the length it was measured against (RFC 9110) */

        if (status == NGX_HTTP_RANGE_NOT_SATISFIABLE
            && h[i].key.len == sizeof("Content-Range") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Range",
                               sizeof("Content-Range") - 1) == 0)
        {
            continue;
        }

        h[i].hash = 0;
    }

    r->headers_out.location = NULL;
    r->headers_out.last_modified_time = -1;
    r->headers_out.etag = NULL;
    r->headers_out.content_type.len = 0;

    /*
     * error_page has replaced the URI (and a POST's method): the request
     * line still has the ones the client sent.
     */

    method = r->method_name;
    uri = r->unparsed_uri;

    if (r->request_line.len) {
        p = ngx_strlchr(r->request_line.data,
                        r->request_line.data + r->request_line.len, ' ');
        if (p) {
            method.data = r->request_line.data;
            method.len = p - r->request_line.data;
        }
    }

    p = ngx_strlchr(uri.data, uri.data + uri.len, '?');
    if (p) {
        uri.len = p - uri.data;
    }

    safe.data = buf;
    safe.len = ngx_http_scandoc_printable(buf, &uri, sizeof(buf));

    switch (status) {

    case NGX_HTTP_NOT_FOUND:

        if (download) {
            /* a file registered but missing from storage: ".../{id}/..." */

            uri.len -= ngx_min(uri.len, sizeof("/download") - 1);
            p = uri.data + uri.len;

            while (p > uri.data && p[-1] != '/') {
                p--;
            }

            uri.len -= p - uri.data;
            uri.data = p;

            return ngx_http_scandoc_not_found(r, "File", &uri);
        }

        return ngx_http_scandoc_problem_text(r, status,
                                             "No route for %V %V.",
                                             &method, &safe);

    case NGX_HTTP_NOT_ALLOWED:

        /*
         * nginx's own 405s (TRACE, a static location) come here without
         * the route; the methods the API serves at all are the honest
         * answer then.
         */

        ngx_str_set(&allow, "GET, HEAD, POST, DELETE");

        if (ngx_http_scandoc_add_header(r, "Allow", &allow) == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_scandoc_problem_text(r, status,
                                             "Method %V is not allowed for "
                                             "%V.", &method, &safe);

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        return ngx_http_scandoc_problem_text(r, status,
                                             "The request body exceeds the "
                                             "limit of %O bytes.",
                                             ngx_http_scandoc_body_limit(r,
                                                                     &uri));
    }

    return ngx_http_scandoc_send_problem(r, status, NULL, NULL);
}


/*
 * After error_page the request runs in the problem location, whose
 * client_max_body_size is not the one that refused the body.  Find the
 * prefix location of the original URI the way nginx searches its static
 * location tree (regex and nested locations aside); report its limit.
 */

static off_t
ngx_http_scandoc_body_limit(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char                         *uri;
    size_t                          len, n;
    ngx_int_t                       rc;
    ngx_http_core_loc_conf_t       *clcf, *found;
    ngx_http_core_srv_conf_t       *cscf;
    ngx_http_location_tree_node_t  *node;

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
    clcf = cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];

    found = clcf;
    node = clcf->static_locations;
    uri = path->data;
    len = path->len;

    while (node) {
        n = ngx_min(len, (size_t) node->len);

        rc = ngx_filename_cmp(uri, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {
            if (node->inclusive) {
                found = node->inclusive;
                uri += node->len;
                len -= node->len;
                node = node->tree;
                continue;
            }

            node = node->right;
            continue;
        }

        if (len == (size_t) node->len) {
            found = node->exact ? node->exact
                                : (node->inclusive ? node->inclusive : found);
            break;
        }

        node = node->left;
    }

    return found->client_max_body_size;
}


ngx_int_t
ngx_http_scandoc_status_handler(ngx_http_request_t *r)
{
    u_char      *p;
    ngx_uint_t   ready;
    ngx_str_t    body;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_scandoc_not_allowed(r, "GET, HEAD");
    }

    ready = ngx_http_scandoc_redis_ready();

    p = ngx_pnalloc(r->pool, 128 + 3 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;
    p = ngx_sprintf(p, "{\"redis\":\"%s\",\"pid\":%P,"
                    "\"free_slots\":%ui,\"running\":%ui}\n",
                    ready ? "ready" : "unavailable", ngx_pid,
                    ngx_http_scandoc_queue_free_slots(),
                    ngx_http_scandoc_queue_running());
    body.len = p - body.data;

    return ngx_http_scandoc_send_json(r, ready ? NGX_HTTP_OK
                                               : NGX_HTTP_SERVICE_UNAVAILABLE,
                                      &body);
}
