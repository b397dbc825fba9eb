
/*
 * Copyright (C) scandoc authors
 *
 * Files: upload, get, download, delete (lists are generic).
 *
 * Upload: authenticate (sd1_auth gives the tenant, hence the path), spool
 * the body to a file on the storage filesystem, then in the io pool: copy
 * the multipart "file" part out (or rename a raw body), probe it with the
 * io thread's own engine helper, commit it (ngx_scandoc_storage.c); only
 * then register it (sd1_upload_file) and answer 201.  Every failure
 * before the registration removes what was written.
 *
 * Download: after sd1_get_file, an internal redirect to the internal
 * location that aliases storage, so nginx's static module does ranges,
 * ETag and sendfile; the Content-Type and Content-Disposition set here
 * survive the redirect (the static module keeps a type already set).
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_http.h"
#include "ngx_scandoc_store.h"
#include "ngx_scandoc_engine.h"
#include "ngx_scandoc_multipart.h"
#include "ngx_scandoc_storage.h"
#include "sd_ops.h"


typedef struct {
    /* set on the event loop */
    ngx_str_t                      id;
    ngx_str_t                      name;       /* raw: from ?name= */
    ngx_str_t                      path_rel;
    ngx_str_t                      boundary;   /* empty: raw body */
    ngx_fd_t                       body_fd;
    u_char                        *body_path;
    ngx_str_t                     *storage;
    u_char                        *staging_dir;
    u_char                        *staging;
    u_char                        *path;

    ngx_http_scandoc_job_t         job;
    ngx_http_scandoc_multipart_t   mp;

    /* set by the io thread */
    ngx_uint_t                     status;     /* 0: committed */
    const char                    *message;    /* 400 */
    const char                    *file_error; /* 422 */
    const char                    *name_error; /* 422 */
    char                           type[32];
    char                          *properties; /* malloc()ed JSON */
} ngx_http_scandoc_upload_t;


static ngx_int_t ngx_http_scandoc_upload_auth(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_scandoc_upload_prepare(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_http_scandoc_upload_t *up,
    ngx_str_t *prefix);
static void ngx_http_scandoc_upload_body(ngx_http_request_t *r);
static void ngx_http_scandoc_upload_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_scandoc_upload_probe(ngx_http_scandoc_upload_t *up,
    ngx_log_t *log);
static void ngx_http_scandoc_upload_done(ngx_event_t *ev);
static ngx_int_t ngx_http_scandoc_upload_answer(ngx_http_request_t *r,
    ngx_http_scandoc_upload_t *up, ngx_uint_t status);
static ngx_int_t ngx_http_scandoc_upload_register(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_http_scandoc_upload_t *up);
static ngx_int_t ngx_http_scandoc_upload_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_scandoc_download_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_scandoc_content_disposition(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *type);
static ngx_int_t ngx_http_scandoc_delete_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply);
static void ngx_http_scandoc_files_discard(ngx_http_request_t *r,
    u_char *path);
static u_char *ngx_http_scandoc_path(ngx_pool_t *pool, ngx_str_t *storage,
    const char *fmt, ...);


/* upload */

ngx_int_t
ngx_http_scandoc_files_upload(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx)
{
    ctx->handler = ngx_http_scandoc_upload_auth;

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("auth"), 0,
                                 NULL);
}


static ngx_int_t
ngx_http_scandoc_upload_auth(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    ngx_int_t                   rc;
    ngx_str_t                   tenant, prefix;
    ngx_http_scandoc_upload_t  *up;

    if (ngx_http_scandoc_reply_check(reply, ctx->fn, r->connection->log)
        != NGX_HTTP_OK)
    {
        return ngx_http_scandoc_reply_render(r, ctx, reply);
    }

    if (ngx_http_scandoc_reply_str(reply, 1, &tenant) != NGX_OK) {
        return ngx_http_scandoc_send_problem(r,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR,
                                             NULL, NULL);
    }

    if (ngx_http_scandoc_reply_str(reply, 2, &prefix) != NGX_OK
        || prefix.len == 0)
    {
        prefix = tenant;
    }

    up = ngx_pcalloc(r->pool, sizeof(ngx_http_scandoc_upload_t));
    if (up == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->data = up;
    ctx->handler = NULL;

    rc = ngx_http_scandoc_upload_prepare(r, ctx, up, &prefix);
    if (rc != NGX_OK) {
        return ngx_http_scandoc_upload_answer(r, up, rc);
    }

    /*
     * The body goes to a named file in client_body_temp_path (on the
     * storage filesystem): a raw body is renamed, not copied; nginx
     * removes the file with the request if it is still there.
     */

    r->request_body_in_file_only = 1;
    r->request_body_in_persistent_file = 1;
    r->request_body_in_clean_file = 1;
    r->request_body_file_log_level = 0;

    rc = ngx_http_read_client_request_body(r, ngx_http_scandoc_upload_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * Paths, name and boundary: everything that needs no body.  NGX_OK, or
 * the status to answer (up->message, up->name_error say why).
 */

static ngx_int_t
ngx_http_scandoc_upload_prepare(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_http_scandoc_upload_t *up,
    ngx_str_t *prefix)
{
    u_char                        *p, *dst;
    ngx_int_t                      rc;
    ngx_str_t                      value, *st;
    json_t                        *job;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);
    st = &smcf->storage;

    if (smcf->io_pool == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "scandoc: no io pool for uploads");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* multipart, or (ext) a raw body named by ?name= */

    if (r->headers_in.content_type) {
        rc = ngx_http_scandoc_multipart_boundary(
                                    &r->headers_in.content_type->value,
                                    &up->boundary);
    } else {
        rc = NGX_DECLINED;
    }

    if (rc == NGX_ERROR) {
        up->message = "The multipart/form-data body has no usable "
                      "boundary.";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (rc == NGX_DECLINED) {
        if (ngx_http_arg(r, (u_char *) "name", 4, &value) != NGX_OK) {
            up->message = "Expected a multipart/form-data body with the "
                          "parts file and name, or a raw body with ?name=.";
            return NGX_HTTP_BAD_REQUEST;
        }

        if (!ngx_http_scandoc_escapes_valid(value.data, value.len)) {
            up->name_error = "The name parameter has a malformed "
                             "percent-encoding.";
            return NGX_HTTP_UNPROCESSABLE_ENTITY;
        }

        /* a query string: "+" is a space */

        p = ngx_pnalloc(r->pool, value.len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(p, value.data, value.len);

        for (dst = p; dst < p + value.len; dst++) {
            if (*dst == '+') {
                *dst = ' ';
            }
        }

        dst = p;
        up->name.data = p;
        ngx_unescape_uri(&dst, &p, value.len, 0);
        up->name.len = dst - up->name.data;

        up->name_error = sd_name_error((char *) up->name.data,
                                       up->name.len);
        if (up->name_error) {
            return NGX_HTTP_UNPROCESSABLE_ENTITY;
        }
    }

    up->id.len = sizeof("file_") - 1 + NGX_HTTP_SCANDOC_ID_RAND;
    up->id.data = ngx_pnalloc(r->pool, up->id.len);

    if (up->id.data == NULL
        || ngx_http_scandoc_new_id(up->id.data, "file") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    up->path = ngx_http_scandoc_storage_path(r->pool, st, prefix, &up->id,
                                             &up->path_rel);
    if (up->path == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "scandoc: no storage path for the prefix \"%V\"",
                      prefix);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    up->storage = st;
    up->staging_dir = ngx_http_scandoc_path(r->pool, st,
                                            NGX_HTTP_SCANDOC_STAGING);
    up->staging = ngx_http_scandoc_path(r->pool, st,
                                        NGX_HTTP_SCANDOC_STAGING "/%V.upload",
                                        &up->id);

    if (up->staging_dir == NULL || up->staging == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the probe job for the io thread's helper (INTERNALS.md 2) */

    job = json_pack("{s:s, s:[{s:s}], s:{s:I, s:I}}",
                    "op", "probe",
                    "inputs", "path", (char *) up->staging,
                    "limits",
                    "max_pixels", (json_int_t) smcf->max_pixels,
                    "max_pages", (json_int_t) smcf->max_pages);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_scandoc_json_dump(r, job, &value);
    json_decref(job);

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    up->job.line = value.data;
    up->job.len = value.len;
    up->job.timeout = smcf->probe_timeout;

    if (ngx_http_scandoc_set_location(r, ctx, "files", &up->id) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_scandoc_upload_body(ngx_http_request_t *r)
{
    ngx_temp_file_t               *tf;
    ngx_thread_task_t             *task;
    ngx_http_scandoc_ctx_t        *ctx;
    ngx_http_scandoc_upload_t     *up;
    ngx_http_scandoc_main_conf_t  *smcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_scandoc_module);
    up = ctx->data;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    tf = r->request_body ? r->request_body->temp_file : NULL;

    if (tf == NULL) {
        /* nothing was sent at all */
        up->body_fd = NGX_INVALID_FILE;

    } else {
        up->body_fd = tf->file.fd;
        up->body_path = tf->file.name.data;
    }

    up->mp.buffer = ngx_palloc(r->pool, NGX_HTTP_SCANDOC_MP_BUFFER);

    task = ngx_thread_task_alloc(r->pool, 0);

    if (up->mp.buffer == NULL || task == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    task->ctx = up;
    task->handler = ngx_http_scandoc_upload_thread;
    task->event.handler = ngx_http_scandoc_upload_done;
    task->event.data = r;

    /* as for a Function call: the request waits for the thread */

    r->main->count++;
    r->main->blocked++;

    if (ngx_thread_task_post(smcf->io_pool, task) != NGX_OK) {
        r->main->blocked--;
        r->main->count--;
        ngx_http_finalize_request(r,
                   ngx_http_scandoc_send_problem(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              NULL, NULL));
        return;
    }

    ngx_http_finalize_request(r, NGX_DONE);
}


/* io thread: no pools, no request; only up and the file system */

static void
ngx_http_scandoc_upload_thread(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_upload_t  *up = data;

    ngx_fd_t      fd;
    ngx_int_t     rc;
    ngx_err_t     err;
    const char   *what;

    if (ngx_http_scandoc_storage_mkdir(up->storage, up->staging_dir, log)
        != NGX_OK)
    {
        up->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    if (up->body_fd == NGX_INVALID_FILE) {
        up->status = up->boundary.len ? NGX_HTTP_BAD_REQUEST
                                       : NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
        up->message = "The request body is empty.";
        return;
    }

    if (up->boundary.len == 0) {

        /* raw body: it is the file */

        if (rename((char *) up->body_path, (char *) up->staging) != 0) {
            what = "rename";
            goto failed;
        }

        fd = up->body_fd;

    } else {
        fd = open((char *) up->staging, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC,
                  NGX_HTTP_SCANDOC_FILE_MODE);
        if (fd == NGX_INVALID_FILE) {
            what = "open";
            goto failed;
        }

        up->mp.fd = up->body_fd;
        up->mp.out = fd;
        up->mp.boundary = up->boundary;

        rc = ngx_http_scandoc_multipart_parse(&up->mp);

        if (rc == NGX_ERROR) {
            ngx_set_errno(up->mp.err);
            (void) close(fd);
            what = "copy";
            goto failed;
        }

        if (rc == NGX_DECLINED) {
            up->status = NGX_HTTP_BAD_REQUEST;
            up->message = up->mp.error;
            goto remove;
        }

        if (!up->mp.has_file) {
            up->file_error = "The file field is required.";
        }

        if (!up->mp.has_name) {
            up->name_error = "The name field is required.";

        } else if (up->mp.name_long) {
            up->name_error = "The name field must be 1 to 50 characters "
                             "without control characters.";
        } else {
            up->name_error = sd_name_error((char *) up->mp.name,
                                           up->mp.name_len);
        }

        if (up->file_error || up->name_error) {
            (void) close(fd);
            up->status = NGX_HTTP_UNPROCESSABLE_ENTITY;
            goto remove;
        }

        up->name.data = up->mp.name;
        up->name.len = up->mp.name_len;

        (void) close(fd);
    }

    switch (ngx_http_scandoc_upload_probe(up, log)) {

    case NGX_OK:
        break;

    case NGX_AGAIN:
        up->status = NGX_HTTP_SERVICE_UNAVAILABLE;
        goto remove;

    default:
        up->status = NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
        goto remove;
    }

    /* the commit makes it durable (and logs why it could not) */

    if (ngx_http_scandoc_storage_commit(up->storage, up->staging, up->path,
                                        NULL, log)
        != NGX_OK)
    {
        up->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto remove;
    }

    up->status = 0;
    return;

failed:

    err = ngx_errno;
    ngx_log_error(NGX_LOG_ALERT, log, err,
                  "scandoc: upload %s of \"%s\" failed", what, up->staging);
    up->status = NGX_HTTP_INTERNAL_SERVER_ERROR;

remove:

    (void) ngx_http_scandoc_storage_unlink(up->staging, log);

    free(up->properties);
    up->properties = NULL;
}


/*
 * NGX_OK: a supported type, up->type and up->properties are set;
 * NGX_DECLINED: not a supported file; NGX_AGAIN: no helper could start
 */

static ngx_int_t
ngx_http_scandoc_upload_probe(ngx_http_scandoc_upload_t *up, ngx_log_t *log)
{
    json_t        *answer, *result, *props;
    ngx_int_t      rc;
    const char    *type;
    json_error_t   err;

    (void) ngx_http_scandoc_job_run(&up->job, log);

    if (up->job.outcome == NGX_HTTP_SCANDOC_JOB_CRASH && up->job.nospawn) {

        /*
         * No helper could start (a missing engine, a memory limit below
         * what it needs to start): the host's fault, not the file's.
         */

        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "scandoc: no probe helper could start for \"%s\"",
                      up->staging);
        free(up->job.result);
        up->job.result = NULL;
        return NGX_AGAIN;
    }

    if (up->job.outcome != NGX_HTTP_SCANDOC_JOB_RESULT) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "scandoc: probe of \"%s\" %s: unsupported file",
                      up->staging,
                      up->job.outcome == NGX_HTTP_SCANDOC_JOB_TIMEOUT
                      ? "timed out" : "crashed");
        free(up->job.result);
        up->job.result = NULL;
        return NGX_DECLINED;
    }

    answer = json_loadb((char *) up->job.result, up->job.result_len, 0, &err);

    free(up->job.result);
    up->job.result = NULL;

    rc = NGX_DECLINED;

    result = json_object_get(answer, "result");
    props = json_object_get(result, "properties");
    type = json_string_value(json_object_get(result, "type"));

    if (json_is_true(json_object_get(answer, "ok")) && type
        && json_is_object(props)
        && (ngx_strcmp(type, "image/png") == 0
            || ngx_strcmp(type, "image/jpeg") == 0
            || ngx_strcmp(type, "image/webp") == 0
            || ngx_strcmp(type, "application/pdf") == 0))
    {
        ngx_cpystrn((u_char *) up->type, (u_char *) type, sizeof(up->type));
        up->properties = json_dumps(props, JSON_COMPACT);

        if (up->properties) {
            rc = NGX_OK;
        }
    }

    json_decref(answer);

    return rc;
}


static void
ngx_http_scandoc_upload_done(ngx_event_t *ev)
{
    ngx_int_t                   rc;
    ngx_http_request_t         *r;
    ngx_http_scandoc_ctx_t     *ctx;
    ngx_http_scandoc_upload_t  *up;

    r = ev->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_scandoc_module);
    up = ctx->data;

    r->main->blocked--;

    if (r->connection->error) {
        /* nobody will learn the id: leave nothing behind */
        if (up->status == 0) {
            free(up->properties);
            ngx_http_scandoc_files_discard(r, up->path);
        }

        ngx_http_scandoc_finalize(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (up->status == 0) {
        rc = ngx_http_scandoc_upload_register(r, ctx, up);

    } else {
        rc = ngx_http_scandoc_upload_answer(r, up, up->status);
    }

    ngx_http_scandoc_finalize(r, rc);
}


/* a refused upload: 400 with a message, 422 with field errors, others */

static ngx_int_t
ngx_http_scandoc_upload_answer(ngx_http_request_t *r,
    ngx_http_scandoc_upload_t *up, ngx_uint_t status)
{
    json_t     *errors;
    ngx_int_t   rc;
    ngx_str_t   message;

    switch (status) {

    case NGX_HTTP_UNPROCESSABLE_ENTITY:
        errors = json_object();

        if (up->file_error) {
            json_object_set_new(errors, "file",
                                json_pack("[s]", up->file_error));
        }

        if (up->name_error) {
            json_object_set_new(errors, "name",
                                json_pack("[s]", up->name_error));
        }

        rc = ngx_http_scandoc_send_problem(r, status, NULL, errors);
        json_decref(errors);

        return rc;

    case NGX_HTTP_BAD_REQUEST:
        message.data = (u_char *) up->message;
        message.len = ngx_strlen(up->message);

        return ngx_http_scandoc_send_problem(r, status, &message, NULL);

    default:
        return ngx_http_scandoc_send_problem(r, status, NULL, NULL);
    }
}


static ngx_int_t
ngx_http_scandoc_upload_register(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, ngx_http_scandoc_upload_t *up)
{
    ngx_int_t  rc;
    ngx_str_t  args[6];

    args[0] = up->id;
    args[1] = up->name;
    args[2].data = (u_char *) up->type;
    args[2].len = ngx_strlen(up->type);
    args[3].data = (u_char *) up->properties;
    args[3].len = ngx_strlen(up->properties);
    args[4] = up->path_rel;

    if (ngx_http_scandoc_seed(r, &args[5]) != NGX_OK) {
        ngx_str_null(&args[5]);
    }

    ctx->handler = ngx_http_scandoc_upload_reply;
    ngx_http_scandoc_call_idempotent(ctx);

    rc = ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("upload_file"), 6,
                               args);

    free(up->properties);
    up->properties = NULL;

    if (rc != NGX_DONE) {
        /* Redis was not ready: the file was never registered */
        ngx_http_scandoc_files_discard(r, up->path);
    }

    return rc;
}


static ngx_int_t
ngx_http_scandoc_upload_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    ngx_int_t                   status;
    ngx_http_scandoc_upload_t  *up;

    up = ctx->data;

    status = ngx_http_scandoc_reply_check(reply, ctx->fn, r->connection->log);

    /*
     * A refusal (a revoked key, a quota) leaves the bytes unreferenced.
     * Without a reply we cannot know, and they stay: the janitor sweeps
     * staging only, finding unregistered objects needs a Redis lookup.
     */

    if (reply && (status < 200 || status > 299)
        && status != NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        ngx_http_scandoc_files_discard(r, up->path);
    }

    return ngx_http_scandoc_reply_render(r, ctx, reply);
}


/* get, download, delete */

ngx_int_t
ngx_http_scandoc_files_get(ngx_http_request_t *r, ngx_http_scandoc_ctx_t *ctx)
{
    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("get_file"), 1,
                                 &ctx->id);
}


ngx_int_t
ngx_http_scandoc_files_download(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx)
{
    ctx->handler = ngx_http_scandoc_download_reply;

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("get_file"), 1,
                                 &ctx->id);
}


static ngx_int_t
ngx_http_scandoc_download_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    u_char                        *p;
    ngx_str_t                      rel, type, name, uri, *loc, id;
    ngx_http_scandoc_main_conf_t  *smcf;

    if (ngx_http_scandoc_reply_check(reply, ctx->fn, r->connection->log)
        != NGX_HTTP_OK)
    {
        return ngx_http_scandoc_reply_render(r, ctx, reply);
    }

    if (ngx_http_scandoc_reply_copy(r->pool, reply, 2, &rel) != NGX_OK
        || ngx_http_scandoc_reply_copy(r->pool, reply, 3, &type) != NGX_OK
        || ngx_http_scandoc_reply_copy(r->pool, reply, 4, &name) != NGX_OK
        || !ngx_http_scandoc_storage_rel_valid(&rel))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "scandoc: malformed %s reply", ctx->fn);
        return ngx_http_scandoc_send_problem(r,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR,
                                             NULL, NULL);
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);
    loc = &smcf->files_location;

    uri.data = ngx_pnalloc(r->pool, loc->len + 1 + rel.len);
    if (uri.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(uri.data, loc->data, loc->len);

    if (loc->len == 0 || loc->data[loc->len - 1] != '/') {
        *p++ = '/';
    }

    p = ngx_cpymem(p, rel.data, rel.len);
    uri.len = p - uri.data;

    /*
     * The redirect keeps headers_out: the static module leaves a content
     * type that is already set, and adds Last-Modified, ETag and ranges.
     */

    r->headers_out.content_type = type;
    r->headers_out.content_type_len = type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_scandoc_content_disposition(r, &name, &type) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_scandoc_request_id(r, &id) == NGX_OK
        && ngx_http_scandoc_add_header(r, "X-Request-Id", &id) == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_internal_redirect(r, &uri, NULL);
}


/*
 * attachment; filename="<name, ASCII only>.<ext>";
 * filename*=UTF-8''<name, percent-encoded>.<ext> (RFC 6266, RFC 8187)
 */

static ngx_int_t
ngx_http_scandoc_content_disposition(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *type)
{
    u_char      *p, c;
    size_t       i;
    ngx_str_t    value;
    const char  *ext;

    static const char  attr[] = "!#$&+-.^_`|~";
    static u_char      hex[] = "0123456789ABCDEF";

    if (ngx_strcmp(type->data, "image/png") == 0) {
        ext = "png";

    } else if (ngx_strcmp(type->data, "image/jpeg") == 0) {
        ext = "jpg";

    } else if (ngx_strcmp(type->data, "image/webp") == 0) {
        ext = "webp";

    } else if (ngx_strcmp(type->data, "application/pdf") == 0) {
        ext = "pdf";

    } else {
        ext = "bin";
    }

    p = ngx_pnalloc(r->pool, sizeof("attachment; filename=\"\"; "
                                    "filename*=UTF-8''") - 1
                             + name->len * 4 + 2 * 6);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;
    p = ngx_cpymem(p, "attachment; filename=\"", 22);

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (c >= 0x80) {
            /* one '_' per non-ASCII character, not per byte */
            if ((c & 0xc0) != 0x80) {
                *p++ = '_';
            }

            continue;
        }

        /* a name is a file name to the client, never a path */

        *p++ = (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '/')
               ? '_' : c;
    }

    p = ngx_sprintf(p, ".%s\"; filename*=UTF-8''", ext);

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || (c && ngx_strchr(attr, c)))
        {
            *p++ = c;

        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }

    p = ngx_sprintf(p, ".%s", ext);
    value.len = p - value.data;

    return ngx_http_scandoc_add_header(r, "Content-Disposition", &value)
           ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_scandoc_files_delete(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx)
{
    ngx_str_t  args[2];

    args[0] = ctx->id;

    if (ngx_http_scandoc_seed(r, &args[1]) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->handler = ngx_http_scandoc_delete_reply;

    return ngx_http_scandoc_call(r, ctx, NGX_HTTP_SCANDOC_FN("delete_file"),
                                 2, args);
}


/* the record goes first; the bytes after the answer, in the io pool */

static ngx_int_t
ngx_http_scandoc_delete_reply(ngx_http_request_t *r,
    ngx_http_scandoc_ctx_t *ctx, redisReply *reply)
{
    u_char                        *path;
    ngx_str_t                      rel;
    ngx_http_scandoc_main_conf_t  *smcf;

    if (ngx_http_scandoc_reply_check(reply, ctx->fn, r->connection->log)
        == NGX_HTTP_NO_CONTENT
        && ngx_http_scandoc_reply_str(reply, 2, &rel) == NGX_OK)
    {
        smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

        if (ngx_http_scandoc_storage_rel_valid(&rel)) {
            path = ngx_http_scandoc_path(r->pool, &smcf->storage, "/%V",
                                         &rel);
            if (path) {
                ngx_http_scandoc_files_discard(r, path);
            }

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "scandoc: unsafe path \"%V\" not removed", &rel);
        }
    }

    return ngx_http_scandoc_reply_render(r, ctx, reply);
}


/* the bytes of an object nobody will register, or that was deleted */

static void
ngx_http_scandoc_files_discard(ngx_http_request_t *r, u_char *path)
{
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scandoc_module);

    ngx_http_scandoc_storage_discard(smcf->io_pool, path, ngx_strlen(path),
                                     r->connection->log);
}


/* storage + the formatted rest, NUL-terminated */

static u_char *
ngx_http_scandoc_path(ngx_pool_t *pool, ngx_str_t *storage,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;
    u_char    buf[NGX_MAX_PATH];

    va_start(args, fmt);
    last = ngx_vslprintf(buf, buf + sizeof(buf) - 1, fmt, args);
    va_end(args);

    p = ngx_pnalloc(pool, storage->len + (last - buf) + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(ngx_cpymem(p, storage->data, storage->len), buf, last - buf)
        = '\0';

    return p;
}

