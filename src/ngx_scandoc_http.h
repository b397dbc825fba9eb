
/*
 * Copyright (C) scandoc authors
 *
 * The request path: per-request context, JSON and problem responses, query
 * arguments, links, authentication, and the generic "call a Redis Function
 * and render its reply" path that most endpoints share.
 */


#ifndef _NGX_SCANDOC_HTTP_H_INCLUDED_
#define _NGX_SCANDOC_HTTP_H_INCLUDED_


#include "ngx_scandoc.h"
#include "ngx_scandoc_store.h"
#include <jansson.h>


/* nginx has no name for it */
#define NGX_HTTP_UNPROCESSABLE_ENTITY  422


/* Retry-After, in seconds (the SDKs ignore 60 and above) */
#define NGX_HTTP_SCANDOC_RETRY_503     2
#define NGX_HTTP_SCANDOC_RETRY_429     5

/* repeats of an idempotent call whose reply was lost: about 5 s in all */
#define NGX_HTTP_SCANDOC_CALL_RETRIES      10
#define NGX_HTTP_SCANDOC_CALL_RETRY_DELAY  500


typedef struct ngx_http_scandoc_ctx_s  ngx_http_scandoc_ctx_t;

/*
 * Continues a request with a Function's reply (NULL when Redis could not
 * answer).  Returns what ngx_http_finalize_request() should get: the rc of
 * a response, or NGX_DONE when it started something else.
 */
typedef ngx_int_t (*ngx_http_scandoc_reply_pt)(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);


struct ngx_http_scandoc_ctx_s {
    ngx_http_request_t            *request;

    ngx_str_t                      prefix;     /* "/v1/", as in the URI */
    ngx_str_t                      path;       /* the URI after prefix */

    ngx_str_t                      key;        /* the API key as sent */
    u_char                         keyhash[NGX_HTTP_SCANDOC_SHA256_HEX];

    ngx_str_t                      id;         /* object of the route */
    ngx_str_t                      request_id; /* $request_id, once */
    ngx_str_t                      location;   /* Location of a 201/202 */

    const char                    *fn;         /* the Function called */

    /* NULL: render the reply as is (2xx body or problem) */
    ngx_http_scandoc_reply_pt      handler;

    void                          *data;       /* the endpoint's state */

    /* the call as sent, for ngx_http_scandoc_call_again() */
    int                            argc;
    const char                   **argv;
    size_t                        *argvlen;
    ngx_event_t                    retry;
    ngx_uint_t                     retries;

    unsigned                       waiting:1;  /* a call is in flight */
    unsigned                       idempotent:1;
};


ngx_http_scandoc_ctx_t *ngx_http_scandoc_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_scandoc_authenticate(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);

/*
 * Calls Function fn with the key hash and args.  Returns the rc for
 * ngx_http_finalize_request(): NGX_DONE while the call is in flight (the
 * request is held until the reply), or that of a 503 when Redis is not
 * ready.  The reply goes to ctx->handler.
 */
ngx_int_t ngx_http_scandoc_call(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, const char *fn, ngx_uint_t nargs,
    ngx_str_t *args);

/*
 * Marks the next call as safe to repeat: a create or upload Function
 * answers a repeat of the same id with the object it already made, so a
 * lost reply is retried instead of answered with a 503 that would hide a
 * committed object from the client.
 */
#define ngx_http_scandoc_call_idempotent(ctx)  (ctx)->idempotent = 1

ngx_int_t ngx_http_scandoc_reply_render(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);

ngx_int_t ngx_http_scandoc_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
ngx_int_t ngx_http_scandoc_send_problem(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *message, json_t *errors);
ngx_int_t ngx_http_scandoc_problem_text(ngx_http_request_t *r,
    ngx_uint_t status, const char *fmt, ...);
ngx_int_t ngx_http_scandoc_not_found(ngx_http_request_t *r,
    const char *what, ngx_str_t *id);
ngx_int_t ngx_http_scandoc_no_route(ngx_http_request_t *r);
ngx_int_t ngx_http_scandoc_not_allowed(ngx_http_request_t *r,
    const char *allow);

ngx_int_t ngx_http_scandoc_request_id(ngx_http_request_t *r, ngx_str_t *id);
ngx_table_elt_t *ngx_http_scandoc_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_scandoc_set_location(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, const char *what, ngx_str_t *id);
ngx_int_t ngx_http_scandoc_list(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, const char *what);

/* every "%" in p is followed by two hex digits */
ngx_uint_t ngx_http_scandoc_escapes_valid(u_char *p, size_t len);

/*
 * A fresh random seed for a Function that emits events: redis/scandoc.lua
 * derives the event ids from it, since Lua has no secure random source.
 */
ngx_int_t ngx_http_scandoc_seed(ngx_http_request_t *r, ngx_str_t *seed);

/* serializes json compactly into the request's pool */
ngx_int_t ngx_http_scandoc_json_dump(ngx_http_request_t *r, json_t *json,
    ngx_str_t *out);


/* finishes a request from outside its own event handlers */
void ngx_http_scandoc_finalize(ngx_http_request_t *r, ngx_int_t rc);


/* endpoints (ngx_scandoc_api_files.c, ngx_scandoc_api_tasks.c) */
ngx_int_t ngx_http_scandoc_files_upload(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);
ngx_int_t ngx_http_scandoc_files_get(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);
ngx_int_t ngx_http_scandoc_files_download(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);
ngx_int_t ngx_http_scandoc_files_delete(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);
ngx_int_t ngx_http_scandoc_tasks_create(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, unsigned route, ngx_str_t *op);
ngx_int_t ngx_http_scandoc_tasks_get(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);
ngx_int_t ngx_http_scandoc_tasks_delete(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx);

/* the entry points (api, problem, status handlers): see ngx_scandoc.h */


#endif /* _NGX_SCANDOC_HTTP_H_INCLUDED_ */
