
/*
 * Copyright (C) scandoc authors
 *
 * The router: method + path (after the location's prefix) to an endpoint.
 * Unknown paths are 404 "No route for ...", known paths with another
 * method 405 with Allow, malformed ids 404; then the key is required.
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_http.h"
#include "sd_ops.h"


#define NGX_HTTP_SCANDOC_SEGMENTS  3


#define ngx_http_scandoc_is(s, lit)                                          \
    ((s)->len == sizeof(lit) - 1                                             \
     && ngx_strncmp((s)->data, lit, sizeof(lit) - 1) == 0)


static ngx_int_t ngx_http_scandoc_split(ngx_str_t *path, ngx_str_t *seg);
static ngx_int_t ngx_http_scandoc_route_files(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_str_t *seg, ngx_uint_t n);
static ngx_int_t ngx_http_scandoc_route_tasks(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_str_t *seg, ngx_uint_t n);
static ngx_int_t ngx_http_scandoc_route_operation(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, unsigned route, ngx_str_t *seg,
    ngx_uint_t n);


ngx_int_t
ngx_http_scandoc_api_handler(ngx_http_request_t *r)
{
    ngx_int_t                n;
    ngx_str_t                seg[NGX_HTTP_SCANDOC_SEGMENTS];
    ngx_http_scandoc_ctx_t  *ctx;

    ctx = ngx_http_scandoc_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = ngx_http_scandoc_split(&ctx->path, seg);

    if (n == NGX_ERROR) {
        return ngx_http_scandoc_no_route(r);
    }

    if (ngx_http_scandoc_is(&seg[0], "files")) {
        return ngx_http_scandoc_route_files(r, ctx, seg, n);
    }

    if (ngx_http_scandoc_is(&seg[0], "tasks")) {
        return ngx_http_scandoc_route_tasks(r, ctx, seg, n);
    }

    if (ngx_http_scandoc_is(&seg[0], "events") && n == 1) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_scandoc_not_allowed(r, "GET, HEAD");
        }

        if (ngx_http_scandoc_authenticate(r, ctx) != NGX_OK) {
            return ngx_http_scandoc_send_problem(r, NGX_HTTP_UNAUTHORIZED,
                                                 NULL, NULL);
        }

        return ngx_http_scandoc_list(r, ctx, "events");
    }

    if (ngx_http_scandoc_is(&seg[0], "image-operations")) {
        return ngx_http_scandoc_route_operation(r, ctx, SD_ROUTE_IMAGE, seg,
                                                n);
    }

    if (ngx_http_scandoc_is(&seg[0], "pdf-operations")) {
        return ngx_http_scandoc_route_operation(r, ctx, SD_ROUTE_PDF, seg, n);
    }

    /* webhook-endpoints come with their own issue: no route until then */

    return ngx_http_scandoc_no_route(r);
}


/* "a/b/c" -> up to three non-empty segments; anything else is no route */

static ngx_int_t
ngx_http_scandoc_split(ngx_str_t *path, ngx_str_t *seg)
{
    u_char      *p, *last, *start;
    ngx_uint_t   n;

    p = path->data;
    last = p + path->len;
    n = 0;

    if (p == last) {
        return NGX_ERROR;
    }

    for ( ;; ) {
        start = p;

        while (p < last && *p != '/') {
            p++;
        }

        if (p == start || n == NGX_HTTP_SCANDOC_SEGMENTS) {
            return NGX_ERROR;
        }

        seg[n].data = start;
        seg[n].len = p - start;
        n++;

        if (p == last) {
            return n;
        }

        p++;
    }
}


static ngx_int_t
ngx_http_scandoc_route_files(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_str_t *seg, ngx_uint_t n)
{
    ngx_uint_t  get;

    get = r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD);

    switch (n) {

    case 1:
        if (!get && r->method != NGX_HTTP_POST) {
            return ngx_http_scandoc_not_allowed(r, "GET, HEAD, POST");
        }
        break;

    case 2:
        if (!get && r->method != NGX_HTTP_DELETE) {
            return ngx_http_scandoc_not_allowed(r, "GET, HEAD, DELETE");
        }
        break;

    default: /* 3 */
        if (!ngx_http_scandoc_is(&seg[2], "download")) {
            return ngx_http_scandoc_no_route(r);
        }

        if (!get) {
            return ngx_http_scandoc_not_allowed(r, "GET, HEAD");
        }
    }

    if (ngx_http_scandoc_authenticate(r, ctx) != NGX_OK) {
        return ngx_http_scandoc_send_problem(r, NGX_HTTP_UNAUTHORIZED, NULL,
                                             NULL);
    }

    if (n == 1) {
        if (r->method == NGX_HTTP_POST) {
            return ngx_http_scandoc_files_upload(r, ctx);
        }

        return ngx_http_scandoc_list(r, ctx, "files");
    }

    ctx->id = seg[1];

    if (!sd_id_valid("file", (char *) seg[1].data, seg[1].len)) {
        return ngx_http_scandoc_not_found(r, "File", &seg[1]);
    }

    if (n == 3) {
        return ngx_http_scandoc_files_download(r, ctx);
    }

    if (r->method == NGX_HTTP_DELETE) {
        return ngx_http_scandoc_files_delete(r, ctx);
    }

    return ngx_http_scandoc_files_get(r, ctx);
}


static ngx_int_t
ngx_http_scandoc_route_tasks(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_str_t *seg, ngx_uint_t n)
{
    ngx_uint_t  get;

    if (n > 2) {
        return ngx_http_scandoc_no_route(r);
    }

    get = r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD);

    if (n == 1 && !get) {
        return ngx_http_scandoc_not_allowed(r, "GET, HEAD");
    }

    if (n == 2 && !get && r->method != NGX_HTTP_DELETE) {
        return ngx_http_scandoc_not_allowed(r, "GET, HEAD, DELETE");
    }

    if (ngx_http_scandoc_authenticate(r, ctx) != NGX_OK) {
        return ngx_http_scandoc_send_problem(r, NGX_HTTP_UNAUTHORIZED, NULL,
                                             NULL);
    }

    if (n == 1) {
        return ngx_http_scandoc_list(r, ctx, "tasks");
    }

    ctx->id = seg[1];

    if (!sd_id_valid("task", (char *) seg[1].data, seg[1].len)) {
        return ngx_http_scandoc_not_found(r, "Task", &seg[1]);
    }

    if (r->method == NGX_HTTP_DELETE) {
        return ngx_http_scandoc_tasks_delete(r, ctx);
    }

    return ngx_http_scandoc_tasks_get(r, ctx);
}


static ngx_int_t
ngx_http_scandoc_route_operation(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, unsigned route, ngx_str_t *seg,
    ngx_uint_t n)
{
    if (n != 2
        || sd_op_find(route, (char *) seg[1].data, seg[1].len) == NULL)
    {
        return ngx_http_scandoc_no_route(r);
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_scandoc_not_allowed(r, "POST");
    }

    if (ngx_http_scandoc_authenticate(r, ctx) != NGX_OK) {
        return ngx_http_scandoc_send_problem(r, NGX_HTTP_UNAUTHORIZED, NULL,
                                             NULL);
    }

    return ngx_http_scandoc_tasks_create(r, ctx, route, &seg[1]);
}

