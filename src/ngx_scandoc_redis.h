
/*
 * Copyright (C) scandoc authors
 *
 * The per-worker Redis connection: hiredis 0.14's async API driven by
 * nginx's event loop, with a timeout on every command, reconnection with
 * backoff, and the Function library loaded and checked on every connect.
 */


#ifndef _NGX_SCANDOC_REDIS_H_INCLUDED_
#define _NGX_SCANDOC_REDIS_H_INCLUDED_


#include "ngx_scandoc.h"
#include <hiredis/hiredis.h>


/*
 * Receives the reply of one command, exactly once, and never before
 * ngx_http_scandoc_redis_command() has returned.  reply is NULL when the
 * worker is not connected (or the library is not usable), when the
 * command timed out ("scandoc_redis_timeout"), or when the connection was
 * lost; otherwise it may still be an error reply (REDIS_REPLY_ERROR).
 * The reply is freed when the handler returns: copy what must outlive it.
 * Replies must stay flat (hiredis 0.14 drops the connection on replies
 * nested deeper than 7 levels).
 */
typedef void (*ngx_http_scandoc_redis_handler_pt)(redisReply *reply,
    void *data);


/*
 * Sends one command (argv as for redisAsyncCommandArgv(): hiredis copies
 * the arguments before this returns).  Returns NGX_OK when handler will
 * be called, NGX_ERROR (handler never called) only when memory runs out.
 * Commands issued while not ready fail at once: they are not queued, and
 * handler gets NULL from a posted event in the same event loop turn.
 * A request that waits for a reply must keep itself alive (r->main->count)
 * until handler runs; it runs at the latest after the command timeout.
 */
ngx_int_t ngx_http_scandoc_redis_command(int argc, const char **argv,
    const size_t *argvlen, ngx_http_scandoc_redis_handler_pt handler,
    void *data);

/* connected, authenticated, and the Function library is the module's own */
ngx_uint_t ngx_http_scandoc_redis_ready(void);

/* the state in a word, for status pages: "ready", "connecting", ... */
const char *ngx_http_scandoc_redis_state(void);

/* per-worker start and stop, called from the module's process hooks */
ngx_int_t ngx_http_scandoc_redis_init(ngx_cycle_t *cycle);
void ngx_http_scandoc_redis_exit(ngx_cycle_t *cycle);


#endif /* _NGX_SCANDOC_REDIS_H_INCLUDED_ */
