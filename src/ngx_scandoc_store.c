
/*
 * Copyright (C) scandoc authors
 *
 * The store's side of the C code: calls into the Function library, the
 * readers of its flat replies, ids and key hashes.  Every write to Redis
 * goes through a Function (redis/scandoc.lua), so that each change of
 * state is one atomic step there.
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


/* arguments of an FCALL that fit on the stack */
#define NGX_HTTP_SCANDOC_FCALL_ARGS    32


static ngx_uint_t ngx_http_scandoc_reply_unavailable(redisReply *reply);


ngx_int_t
ngx_http_scandoc_fcall(const char *fn, int argc, const char **argv,
    const size_t *argvlen, ngx_http_scandoc_redis_handler_pt handler,
    void *data)
{
    int          i, n;
    size_t      *lens, lens0[NGX_HTTP_SCANDOC_FCALL_ARGS + 3];
    ngx_int_t    rc;
    const char **args, *args0[NGX_HTTP_SCANDOC_FCALL_ARGS + 3];

    n = argc + 3;

    if (argc <= NGX_HTTP_SCANDOC_FCALL_ARGS) {
        args = args0;
        lens = lens0;

    } else {
        args = ngx_alloc(n * (sizeof(char *) + sizeof(size_t)),
                         ngx_cycle->log);
        if (args == NULL) {
            return NGX_ERROR;
        }

        lens = (size_t *) &args[n];
    }

    /* no declared keys: Cluster is not supported, every key is local */

    args[0] = "FCALL";
    lens[0] = 5;
    args[1] = fn;
    lens[1] = ngx_strlen(fn);
    args[2] = "0";
    lens[2] = 1;

    for (i = 0; i < argc; i++) {
        args[i + 3] = argv[i];
        lens[i + 3] = argvlen[i];
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "scandoc fcall: %s, %d args", fn, argc);

    /* hiredis copies the arguments into its buffer before returning */

    rc = ngx_http_scandoc_redis_command(n, args, lens, handler, data);

    if (args != args0) {
        ngx_free(args);
    }

    return rc;
}


ngx_int_t
ngx_http_scandoc_new_id(u_char *dst, const char *prefix)
{
    u_char      *p, buf[32];
    size_t       i, n;

    static u_char  alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    p = ngx_cpymem(dst, prefix, ngx_strlen(prefix));
    *p++ = '_';

    n = 0;

    while (n < NGX_HTTP_SCANDOC_ID_RAND) {

        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            return NGX_ERROR;
        }

        for (i = 0; i < sizeof(buf) && n < NGX_HTTP_SCANDOC_ID_RAND; i++) {

            /*
             * 252 = 7 * 36: bytes below it map onto the 36 characters
             * evenly; the 4 above would favour "a" to "d".
             */

            if (buf[i] >= 252) {
                continue;
            }

            p[n++] = alphabet[buf[i] % 36];
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_sha256_hex(u_char *dst, u_char *src, size_t len)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;

    if (EVP_Digest(src, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen != NGX_HTTP_SCANDOC_SHA256_HEX / 2)
    {
        return NGX_ERROR;
    }

    (void) ngx_hex_dump(dst, md, mdlen);

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_reply_status(redisReply *reply)
{
    ngx_int_t  status;

    if (ngx_http_scandoc_reply_int(reply, 0, &status) != NGX_OK
        || status < 100 || status > 599)
    {
        return 0;
    }

    return status;
}


ngx_int_t
ngx_http_scandoc_reply_check(redisReply *reply, const char *fn,
    ngx_log_t *log)
{
    ngx_int_t  status;

    if (fn == NULL) {
        fn = "redis";
    }

    if (reply == NULL) {
        /* the redis adapter has logged why, once */

        if (log) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "scandoc: %s: no reply from redis", fn);
        }

        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        if (ngx_http_scandoc_reply_unavailable(reply)) {
            if (log) {
                ngx_log_error(NGX_LOG_WARN, log, 0,
                              "scandoc: %s: redis cannot serve now: %*s",
                              fn, reply->len, reply->str);
            }

            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        if (log) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "scandoc: %s failed: %*s",
                          fn, reply->len, reply->str);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = ngx_http_scandoc_reply_status(reply);

    if (status == 0) {
        if (log) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "scandoc: %s: malformed reply of type %d "
                          "with %uz elements", fn, reply->type,
                          reply->elements);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return status;
}


ngx_int_t
ngx_http_scandoc_reply_str(redisReply *reply, size_t i, ngx_str_t *s)
{
    redisReply  *e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || i >= reply->elements || reply->element[i]->type == REDIS_REPLY_NIL)
    {
        ngx_str_set(s, "");
        return NGX_DECLINED;
    }

    e = reply->element[i];

    if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) {
        return NGX_ERROR;
    }

    s->data = (u_char *) e->str;
    s->len = e->len;

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_reply_int(redisReply *reply, size_t i, ngx_int_t *n)
{
    ngx_int_t    v;
    redisReply  *e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || i >= reply->elements || reply->element[i]->type == REDIS_REPLY_NIL)
    {
        return NGX_DECLINED;
    }

    e = reply->element[i];

    switch (e->type) {

    case REDIS_REPLY_INTEGER:
        *n = (ngx_int_t) e->integer;
        return NGX_OK;

    case REDIS_REPLY_STRING:
        v = ngx_atoi((u_char *) e->str, e->len);
        if (v == NGX_ERROR) {
            return NGX_ERROR;
        }

        *n = v;
        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


ngx_int_t
ngx_http_scandoc_reply_copy(ngx_pool_t *pool, redisReply *reply, size_t i,
    ngx_str_t *s)
{
    u_char     *p;
    ngx_int_t   rc;
    ngx_str_t   v;

    rc = ngx_http_scandoc_reply_str(reply, i, &v);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, v.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, v.data, v.len);
    p[v.len] = '\0';

    s->data = p;
    s->len = v.len;

    return rc;
}


/*
 * Errors that mean "not now": the dataset is loading, a script runs too
 * long, a replica cannot take writes, or the library is gone (the redis
 * adapter is loading it again).
 */

static ngx_uint_t
ngx_http_scandoc_reply_unavailable(redisReply *reply)
{
    ngx_uint_t  i;

    static ngx_str_t  prefixes[] = {
        ngx_string("LOADING"),
        ngx_string("BUSY"),
        ngx_string("MASTERDOWN"),
        ngx_string("READONLY"),
        ngx_string("TRYAGAIN"),
        ngx_string("NOAUTH"),
        ngx_string("ERR Function not found"),
        ngx_null_string
    };

    for (i = 0; prefixes[i].len; i++) {
        if (reply->len >= prefixes[i].len
            && ngx_strncmp(reply->str, prefixes[i].data, prefixes[i].len)
               == 0)
        {
            return 1;
        }
    }

    return 0;
}
