
/*
 * Copyright (C) scandoc authors
 *
 * The store: calls into the Redis Function library (docs/INTERNALS.md
 * section 1), readers for its flat { status, body, extra... } replies,
 * object ids and API key hashes.
 */


#ifndef _NGX_SCANDOC_STORE_H_INCLUDED_
#define _NGX_SCANDOC_STORE_H_INCLUDED_


#include "ngx_scandoc.h"
#include "ngx_scandoc_redis.h"


/* "file_" + 16 characters: strlen(prefix) + NGX_HTTP_SCANDOC_ID_RAND + 1 */
#define NGX_HTTP_SCANDOC_ID_RAND       16
#define NGX_HTTP_SCANDOC_SHA256_HEX    64


/*
 * "FCALL <fn> 0 <argv...>": fn is a full Function name, e.g.
 * NGX_HTTP_SCANDOC_FN("get_file").  Same contract as
 * ngx_http_scandoc_redis_command(): NGX_OK means handler will be called
 * exactly once (reply NULL when Redis could not answer); NGX_ERROR means
 * it will not (out of memory).  argc may be 0 (argv, argvlen unused).
 */
ngx_int_t ngx_http_scandoc_fcall(const char *fn, int argc, const char **argv,
    const size_t *argvlen, ngx_http_scandoc_redis_handler_pt handler,
    void *data);

/*
 * Writes prefix + "_" + 16 characters of [a-z0-9] from OpenSSL's CSPRNG
 * (uniform: bytes are drawn with rejection sampling, no modulo bias).
 * dst must hold strlen(prefix) + 17 bytes; no NUL is written.
 * Returns NGX_ERROR (and logs nothing) only if RAND_bytes() fails.
 */
ngx_int_t ngx_http_scandoc_new_id(u_char *dst, const char *prefix);

/*
 * Writes the 64 lowercase hex digits of SHA-256(src) to dst (no NUL):
 * the "keyhash" of an API key.  Returns NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_scandoc_sha256_hex(u_char *dst, u_char *src, size_t len);


/*
 * Readers of Function replies.  They point into the reply, which is freed
 * when the redis handler returns: copy with ngx_http_scandoc_reply_copy()
 * what must outlive it.
 */

/*
 * The status (element 0) of a { status, body, ... } reply, or 0 when the
 * reply is NULL, an error, or not of that shape.
 */
ngx_int_t ngx_http_scandoc_reply_status(redisReply *reply);

/*
 * What the caller should answer for a reply: its status when well formed;
 * 503 when reply is NULL or Redis says it cannot serve now (LOADING,
 * BUSY, READONLY, MASTERDOWN, a missing Function: e.g. the library was
 * flushed); 500 for any other error or a malformed reply.  Errors are
 * logged to log (may be NULL) with fn, the Function's name (may be NULL).
 */
ngx_int_t ngx_http_scandoc_reply_check(redisReply *reply, const char *fn,
    ngx_log_t *log);

/*
 * Element i of an array reply as a string (bulk or status string).
 * NGX_OK: s points into the reply; NGX_DECLINED: no such element or nil
 * (s is set to the empty string); NGX_ERROR: of another type (integer,
 * array, error), s unchanged.
 */
ngx_int_t ngx_http_scandoc_reply_str(redisReply *reply, size_t i,
    ngx_str_t *s);

/*
 * Element i as an integer: an integer reply, or a string holding a
 * non-negative decimal number.  NGX_OK, NGX_DECLINED (missing or nil),
 * NGX_ERROR (another type, or not a number).
 */
ngx_int_t ngx_http_scandoc_reply_int(redisReply *reply, size_t i,
    ngx_int_t *n);

/* as ngx_http_scandoc_reply_str(), copied into pool (NUL-terminated) */
ngx_int_t ngx_http_scandoc_reply_copy(ngx_pool_t *pool, redisReply *reply,
    size_t i, ngx_str_t *s);


#endif /* _NGX_SCANDOC_STORE_H_INCLUDED_ */
