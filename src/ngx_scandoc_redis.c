
/*
 * Copyright (C) scandoc authors
 *
 * One Redis connection per worker: hiredis 0.14's async API on nginx's
 * event loop.
 *
 * hiredis owns the socket: it connects, reads, writes and closes it.  The
 * worker wraps the fd in an nginx connection only to get its events, adds
 * and deletes them when hiredis asks (addRead, delWrite, ...), and gives
 * the connection back without closing the fd when hiredis cleans up.
 * Events are level-triggered: hiredis reads at most 16 KB per call, so an
 * edge-triggered event would leave the rest of a large reply unread.
 *
 * hiredis 0.14 has no command timeouts: every command gets an nginx timer.
 * A command whose timer fires gets a NULL reply once, and its late reply
 * is ignored.  When the connection has been silent for a whole timeout it
 * is dropped: every pending command gets NULL, and a reconnection follows
 * with exponential backoff capped at one second.
 *
 * On every connect: AUTH and SELECT as configured, a check of the settings
 * the store depends on, and the Function library: loaded when absent,
 * compared byte for byte when present.  Until that succeeds the worker is
 * not ready, and commands fail at once (the API answers 503).
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_redis.h"

#include <hiredis/async.h>


#define NGX_HTTP_SCANDOC_REDIS_BACKOFF_MIN   100
#define NGX_HTTP_SCANDOC_REDIS_BACKOFF_MAX   1000
#define NGX_HTTP_SCANDOC_REDIS_RECHECK       5000


typedef enum {
    NGX_HTTP_SCANDOC_REDIS_DOWN = 0,
    NGX_HTTP_SCANDOC_REDIS_CONNECTING,
    NGX_HTTP_SCANDOC_REDIS_READY,
    NGX_HTTP_SCANDOC_REDIS_UNUSABLE      /* connected, library differs */
} ngx_http_scandoc_redis_state_e;


typedef struct {
    redisAsyncContext             *ac;
    ngx_connection_t              *conn;    /* events of ac's fd */

    ngx_http_scandoc_redis_state_e state;

    ngx_http_scandoc_main_conf_t  *smcf;
    ngx_log_t                     *log;

    ngx_msec_t                     backoff;
    ngx_msec_t                     last_reply;

    ngx_event_t                    reconnect;
    ngx_event_t                    recheck;  /* library, while unusable */

    /* the last failure logged, so that a Redis that stays down is not
       reported every second by every worker */
    u_char                         failure[128];
    size_t                         failure_len;

    unsigned                       initialized:1;
    unsigned                       exiting:1;
} ngx_http_scandoc_redis_t;


typedef struct {
    ngx_event_t                        ev;      /* timeout, or the posted
                                                   failure */
    ngx_http_scandoc_redis_handler_pt  handler;
    void                              *data;
    unsigned                           done:1;  /* handler has run */
    unsigned                           internal:1;
} ngx_http_scandoc_redis_cmd_t;


static void ngx_http_scandoc_redis_connect(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_scandoc_redis_schedule(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_drop(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_failure(ngx_http_scandoc_redis_t *rd,
    const char *what, const char *why, size_t len);

static void ngx_http_scandoc_redis_read_handler(ngx_event_t *ev);
static void ngx_http_scandoc_redis_write_handler(ngx_event_t *ev);
static void ngx_http_scandoc_redis_add_read(void *privdata);
static void ngx_http_scandoc_redis_del_read(void *privdata);
static void ngx_http_scandoc_redis_add_write(void *privdata);
static void ngx_http_scandoc_redis_del_write(void *privdata);
static void ngx_http_scandoc_redis_cleanup(void *privdata);

static ngx_int_t ngx_http_scandoc_redis_send(ngx_http_scandoc_redis_t *rd,
    ngx_uint_t internal, int argc, const char **argv, const size_t *argvlen,
    ngx_http_scandoc_redis_handler_pt handler, void *data);
static void ngx_http_scandoc_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_http_scandoc_redis_timeout_handler(ngx_event_t *ev);
static void ngx_http_scandoc_redis_fail_handler(ngx_event_t *ev);

static void ngx_http_scandoc_redis_handshake(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_auth_handler(redisReply *reply,
    void *data);
static void ngx_http_scandoc_redis_config_handler(redisReply *reply,
    void *data);
static void ngx_http_scandoc_redis_load(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_load_handler(redisReply *reply,
    void *data);
static void ngx_http_scandoc_redis_list_handler(redisReply *reply,
    void *data);
static void ngx_http_scandoc_redis_recheck_handler(ngx_event_t *ev);
static void ngx_http_scandoc_redis_set_ready(ngx_http_scandoc_redis_t *rd);
static void ngx_http_scandoc_redis_set_unusable(ngx_http_scandoc_redis_t *rd,
    const char *why, size_t len);
static ngx_uint_t ngx_http_scandoc_redis_transient(redisReply *reply);
static ngx_uint_t ngx_http_scandoc_redis_error_is(redisReply *reply,
    const char *prefix);


static ngx_http_scandoc_redis_t  ngx_http_scandoc_redis;

static const char  ngx_http_scandoc_redis_differs[] =
    "a library of that name but with other code is loaded (another build "
    "of the module?); delete it with \"FUNCTION DELETE "
    NGX_HTTP_SCANDOC_LIB_NAME "\" once no host of that build uses it";


ngx_int_t
ngx_http_scandoc_redis_init(ngx_cycle_t *cycle)
{
    ngx_http_scandoc_redis_t      *rd;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scandoc_module);

    if (smcf == NULL || !smcf->enabled) {
        return NGX_OK;
    }

    rd = &ngx_http_scandoc_redis;

    ngx_memzero(rd, sizeof(ngx_http_scandoc_redis_t));

    rd->smcf = smcf;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_SCANDOC_REDIS_BACKOFF_MIN;

    /* neither timer may keep a worker that is shutting down */

    rd->reconnect.handler = ngx_http_scandoc_redis_reconnect_handler;
    rd->reconnect.data = rd;
    rd->reconnect.log = cycle->log;
    rd->reconnect.cancelable = 1;

    rd->recheck.handler = ngx_http_scandoc_redis_recheck_handler;
    rd->recheck.data = rd;
    rd->recheck.log = cycle->log;
    rd->recheck.cancelable = 1;

    rd->initialized = 1;

    ngx_http_scandoc_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_scandoc_redis_exit(ngx_cycle_t *cycle)
{
    int                        done;
    ngx_uint_t                 n;
    ngx_http_scandoc_redis_t  *rd;

    rd = &ngx_http_scandoc_redis;

    if (!rd->initialized) {
        return;
    }

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (rd->recheck.timer_set) {
        ngx_del_timer(&rd->recheck);
    }

    /*
     * What was asked last (a fast stop's hand-backs, reports still in
     * flight) is written out first: Redis runs a command whether or not
     * anyone reads its reply.  The socket is non-blocking and a few
     * commands fit in its buffer, so this waits for nothing.
     */

    if (rd->state == NGX_HTTP_SCANDOC_REDIS_READY && rd->ac) {
        for (n = 0; n < 16; n++) {
            if (redisBufferWrite(&rd->ac->c, &done) != REDIS_OK || done) {
                break;
            }
        }
    }

    /* pending commands get NULL; the cleanup hook releases the connection */

    ngx_http_scandoc_redis_drop(rd);
}


ngx_uint_t
ngx_http_scandoc_redis_ready(void)
{
    return ngx_http_scandoc_redis.state == NGX_HTTP_SCANDOC_REDIS_READY;
}


const char *
ngx_http_scandoc_redis_state(void)
{
    switch (ngx_http_scandoc_redis.state) {

    case NGX_HTTP_SCANDOC_REDIS_READY:
        return "ready";

    case NGX_HTTP_SCANDOC_REDIS_CONNECTING:
        return "connecting";

    case NGX_HTTP_SCANDOC_REDIS_UNUSABLE:
        return "library mismatch";

    default: /* NGX_HTTP_SCANDOC_REDIS_DOWN */
        return "disconnected";
    }
}


ngx_int_t
ngx_http_scandoc_redis_command(int argc, const char **argv,
    const size_t *argvlen, ngx_http_scandoc_redis_handler_pt handler,
    void *data)
{
    return ngx_http_scandoc_redis_send(&ngx_http_scandoc_redis, 0, argc,
                                       argv, argvlen, handler, data);
}


static void
ngx_http_scandoc_redis_connect(ngx_http_scandoc_redis_t *rd)
{
    ngx_connection_t              *c;
    redisAsyncContext             *ac;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = rd->smcf;

    if (smcf->redis_path) {
        ac = redisAsyncConnectUnix(smcf->redis_path);

    } else {
        ac = redisAsyncConnect(smcf->redis_host, smcf->redis_port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "scandoc: redis context allocation failed");
        ngx_http_scandoc_redis_schedule(rd);
        return;
    }

    if (ac->err) {
        /* refused, no such socket, ...: hiredis closes the fd */
        ngx_http_scandoc_redis_failure(rd, "connect", ac->errstr,
                                       ngx_strlen(ac->errstr));
        redisAsyncFree(ac);
        ngx_http_scandoc_redis_schedule(rd);
        return;
    }

    /* engine helpers are spawned by this process: keep the socket here */

    if (fcntl(ac->c.fd, F_SETFD, FD_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_WARN, rd->log, ngx_errno,
                      "scandoc: fcntl(FD_CLOEXEC) on the redis socket failed");
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_scandoc_redis_schedule(rd);
        return;
    }

    c->data = rd;
    c->read->handler = ngx_http_scandoc_redis_read_handler;
    c->write->handler = ngx_http_scandoc_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    if (smcf->redis_path == NULL) {
        /*
         * A peer that vanishes without a word is found by the command
         * timeouts while commands are pending, by keepalive otherwise.
         */
        (void) redisEnableKeepAlive(&ac->c);
    }

    ac->data = rd;
    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_scandoc_redis_add_read;
    ac->ev.delRead = ngx_http_scandoc_redis_del_read;
    ac->ev.addWrite = ngx_http_scandoc_redis_add_write;
    ac->ev.delWrite = ngx_http_scandoc_redis_del_write;
    ac->ev.cleanup = ngx_http_scandoc_redis_cleanup;

    rd->ac = ac;
    rd->conn = c;
    rd->state = NGX_HTTP_SCANDOC_REDIS_CONNECTING;
    rd->last_reply = ngx_current_msec;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                   "scandoc redis: connecting to \"%V\", fd:%d",
                   &smcf->redis_addr, ac->c.fd);

    /* the connection completes on the first write event of these */

    ngx_http_scandoc_redis_handshake(rd);
}


static void
ngx_http_scandoc_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_scandoc_redis_t  *rd = ev->data;

    if (rd->exiting || rd->ac) {
        return;
    }

    ngx_http_scandoc_redis_connect(rd);
}


static void
ngx_http_scandoc_redis_schedule(ngx_http_scandoc_redis_t *rd)
{
    rd->state = NGX_HTTP_SCANDOC_REDIS_DOWN;

    if (rd->exiting || ngx_terminate || rd->reconnect.timer_set) {
        return;
    }

    ngx_add_timer(&rd->reconnect, rd->backoff);

    rd->backoff = ngx_min(rd->backoff * 2, NGX_HTTP_SCANDOC_REDIS_BACKOFF_MAX);
}


/*
 * Closes the connection.  From inside a hiredis callback, hiredis frees
 * the context once the callback returns; otherwise at once.  Either way
 * pending commands get NULL, then the cleanup hook releases the nginx
 * connection and schedules the reconnection.
 */

static void
ngx_http_scandoc_redis_drop(ngx_http_scandoc_redis_t *rd)
{
    redisAsyncContext  *ac;

    ac = rd->ac;

    if (ac == NULL || (ac->c.flags & (REDIS_FREEING|REDIS_DISCONNECTING))) {
        return;
    }

    /* commands issued from the NULL-reply handlers fail without trying */

    rd->state = NGX_HTTP_SCANDOC_REDIS_DOWN;

    redisAsyncFree(ac);
}


/*
 * Logs why the connection failed or was lost.  The same reason again is
 * only logged at debug level: a Redis that stays down would otherwise be
 * reported once per backoff step by every worker.
 */

static void
ngx_http_scandoc_redis_failure(ngx_http_scandoc_redis_t *rd,
    const char *what, const char *why, size_t len)
{
    u_char   buf[128], *p;
    size_t   n;

    p = ngx_snprintf(buf, sizeof(buf), "%s: %*s", what, len, why);
    n = p - buf;

    if (n == rd->failure_len && ngx_memcmp(buf, rd->failure, n) == 0) {
        ngx_log_debug3(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                       "scandoc redis: \"%V\" %*s (again)",
                       &rd->smcf->redis_addr, n, buf);
        return;
    }

    ngx_memcpy(rd->failure, buf, n);
    rd->failure_len = n;

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "scandoc: redis \"%V\" %*s; API requests answer 503 "
                  "until it is back", &rd->smcf->redis_addr, n, buf);
}


static void
ngx_http_scandoc_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_scandoc_redis_t  *rd;

    c = ev->data;
    rd = c->data;

    if (c->close) {
        /* worker_shutdown_timeout: nginx closes every connection */
        rd->exiting = 1;
        ngx_http_scandoc_redis_drop(rd);
        return;
    }

    /* may free the context, and with it c: nothing may follow */

    redisAsyncHandleRead(rd->ac);
}


static void
ngx_http_scandoc_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_scandoc_redis_t  *rd;

    c = ev->data;
    rd = c->data;

    redisAsyncHandleWrite(rd->ac);
}


/*
 * The event hooks.  hiredis calls them with the context in the middle of
 * its work, so a failure cannot free the context here: it is logged and
 * the command timeouts will drop the connection.
 */

static void
ngx_http_scandoc_redis_add_read(void *privdata)
{
    ngx_http_scandoc_redis_t *rd = privdata;

    ngx_event_t  *rev;

    if (rd->conn == NULL) {
        return;
    }

    rev = rd->conn->read;

    if (!rev->active
        && ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "scandoc: adding the redis read event failed");
    }
}


static void
ngx_http_scandoc_redis_del_read(void *privdata)
{
    ngx_http_scandoc_redis_t *rd = privdata;

    ngx_event_t  *rev;

    if (rd->conn == NULL) {
        return;
    }

    rev = rd->conn->read;

    if (rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_scandoc_redis_add_write(void *privdata)
{
    ngx_http_scandoc_redis_t *rd = privdata;

    ngx_event_t  *wev;

    if (rd->conn == NULL) {
        return;
    }

    wev = rd->conn->write;

    if (!wev->active
        && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "scandoc: adding the redis write event failed");
    }
}


static void
ngx_http_scandoc_redis_del_write(void *privdata)
{
    ngx_http_scandoc_redis_t *rd = privdata;

    ngx_event_t  *wev;

    if (rd->conn == NULL) {
        return;
    }

    wev = rd->conn->write;

    if (wev->active) {
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/*
 * hiredis is freeing the context, after every pending command got its
 * NULL reply and before it closes the fd: give the nginx connection back
 * without closing, and plan the next connection.
 */

static void
ngx_http_scandoc_redis_cleanup(void *privdata)
{
    ngx_http_scandoc_redis_t *rd = privdata;

    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    c = rd->conn;
    ac = rd->ac;

    if (c) {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        c->read->closed = 1;
        c->write->closed = 1;

        ngx_free_connection(c);

        /* the fd is hiredis's to close */
        c->fd = (ngx_socket_t) -1;

        rd->conn = NULL;
    }

    if (ac && ac->err) {
        ngx_http_scandoc_redis_failure(rd,
                               (ac->c.flags & REDIS_CONNECTED)
                               ? "connection lost" : "connect",
                               ac->errstr, ngx_strlen(ac->errstr));
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                   "scandoc redis: connection released");

    rd->ac = NULL;

    if (rd->recheck.timer_set) {
        ngx_del_timer(&rd->recheck);
    }

    ngx_http_scandoc_redis_schedule(rd);
}


static ngx_int_t
ngx_http_scandoc_redis_send(ngx_http_scandoc_redis_t *rd,
    ngx_uint_t internal, int argc, const char **argv, const size_t *argvlen,
    ngx_http_scandoc_redis_handler_pt handler, void *data)
{
    ngx_log_t                     *log;
    ngx_http_scandoc_redis_cmd_t  *cmd;

    log = rd->log ? rd->log : ngx_cycle->log;

    cmd = ngx_calloc(sizeof(ngx_http_scandoc_redis_cmd_t), log);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->handler = handler;
    cmd->data = data;
    cmd->internal = internal;
    cmd->ev.data = cmd;
    cmd->ev.log = log;

    if (rd->ac == NULL
        || (!internal && rd->state != NGX_HTTP_SCANDOC_REDIS_READY)
        || redisAsyncCommandArgv(rd->ac, ngx_http_scandoc_redis_reply, cmd,
                                 argc, argv, argvlen)
           != REDIS_OK)
    {
        /* not queued: the caller gets NULL on this turn of the loop */

        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, log, 0,
                       "scandoc redis: not ready, command failed");

        cmd->ev.handler = ngx_http_scandoc_redis_fail_handler;
        ngx_post_event(&cmd->ev, &ngx_posted_events);

        return NGX_OK;
    }

    /*
     * Not cancelable: a worker shutting down waits for the replies in
     * flight (at most one timeout), so no acknowledged write is lost.
     */

    cmd->ev.handler = ngx_http_scandoc_redis_timeout_handler;
    ngx_add_timer(&cmd->ev, rd->smcf->redis_timeout);

    return NGX_OK;
}


static void
ngx_http_scandoc_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply                    *reply = r;
    ngx_http_scandoc_redis_t      *rd;
    ngx_http_scandoc_redis_cmd_t  *cmd = privdata;

    rd = ac->data;

    if (cmd->ev.timer_set) {
        ngx_del_timer(&cmd->ev);
    }

    if (reply) {
        rd->last_reply = ngx_current_msec;
    }

    if (!cmd->done) {
        cmd->done = 1;
        cmd->handler(reply, cmd->data);
    }

    ngx_free(cmd);

    /*
     * A library removed behind our back (FUNCTION FLUSH, a restart without
     * persistence): load it again rather than fail every call until the
     * next reconnection.
     */

    if (reply
        && rd->state == NGX_HTTP_SCANDOC_REDIS_READY
        && ngx_http_scandoc_redis_error_is(reply, "ERR Function not found"))
    {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "scandoc: the Function library is gone from redis "
                      "\"%V\", loading it again", &rd->smcf->redis_addr);

        rd->state = NGX_HTTP_SCANDOC_REDIS_CONNECTING;
        ngx_http_scandoc_redis_load(rd);
    }
}


static void
ngx_http_scandoc_redis_timeout_handler(ngx_event_t *ev)
{
    ngx_http_scandoc_redis_t      *rd;
    ngx_http_scandoc_redis_cmd_t  *cmd;

    cmd = ev->data;
    rd = &ngx_http_scandoc_redis;

    /*
     * Nothing heard for a whole timeout (or the handshake is stuck): the
     * connection is dead or Redis is wedged.  Drop it; the timed-out
     * command gets its NULL with every other pending one.
     */

    if (cmd->internal
        || ngx_current_msec - rd->last_reply >= rd->smcf->redis_timeout)
    {
        ngx_http_scandoc_redis_failure(rd, "timed out",
                                       "no reply, connection dropped",
                                       sizeof("no reply, connection dropped")
                                       - 1);
        ngx_http_scandoc_redis_drop(rd);
        return;
    }

    /* a slow reply on a live connection: this command alone gives up */

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "scandoc: redis command timed out after %M ms",
                  rd->smcf->redis_timeout);

    cmd->done = 1;
    cmd->handler(NULL, cmd->data);

    /* cmd stays with hiredis until the late reply or the disconnection */
}


static void
ngx_http_scandoc_redis_fail_handler(ngx_event_t *ev)
{
    ngx_http_scandoc_redis_cmd_t  *cmd;

    cmd = ev->data;

    cmd->handler(NULL, cmd->data);

    ngx_free(cmd);
}


/*
 * The handshake is pipelined: hiredis queues the commands before the
 * connection completes.  A NULL reply in its handlers means that the
 * connection is going away: the cleanup hook does the rest.
 */

static void
ngx_http_scandoc_redis_handshake(ngx_http_scandoc_redis_t *rd)
{
    u_char                        *p;
    size_t                         argvlen[3];
    const char                    *argv[3];
    ngx_http_scandoc_main_conf_t  *smcf;
    u_char                         db[NGX_INT_T_LEN];

    smcf = rd->smcf;

    if (smcf->redis_password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) smcf->redis_password.data;
        argvlen[1] = smcf->redis_password.len;

        (void) ngx_http_scandoc_redis_send(rd, 1, 2, argv, argvlen,
                                           ngx_http_scandoc_redis_auth_handler,
                                           (void *) "AUTH");
    }

    if (smcf->redis_db) {
        p = ngx_sprintf(db, "%i", smcf->redis_db);

        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = p - db;

        (void) ngx_http_scandoc_redis_send(rd, 1, 2, argv, argvlen,
                                           ngx_http_scandoc_redis_auth_handler,
                                           (void *) "SELECT");
    }

    argv[0] = "CONFIG";
    argvlen[0] = 6;
    argv[1] = "GET";
    argvlen[1] = 3;
    argv[2] = "appendonly";
    argvlen[2] = sizeof("appendonly") - 1;

    (void) ngx_http_scandoc_redis_send(rd, 1, 3, argv, argvlen,
                                       ngx_http_scandoc_redis_config_handler,
                                       rd);

    argv[2] = "maxmemory-policy";
    argvlen[2] = sizeof("maxmemory-policy") - 1;

    (void) ngx_http_scandoc_redis_send(rd, 1, 3, argv, argvlen,
                                       ngx_http_scandoc_redis_config_handler,
                                       rd);

    ngx_http_scandoc_redis_load(rd);
}


static void
ngx_http_scandoc_redis_auth_handler(redisReply *reply, void *data)
{
    char                      *what = data;
    ngx_http_scandoc_redis_t  *rd;

    rd = &ngx_http_scandoc_redis;

    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) {
        return;
    }

    /* the rest of the handshake would fail the same way */

    ngx_http_scandoc_redis_failure(rd, what, reply->str, reply->len);
    ngx_http_scandoc_redis_drop(rd);
}


/*
 * The store relies on "appendonly yes" (an acknowledged task survives a
 * crash) and "maxmemory-policy noeviction" (no record disappears).  CONFIG
 * may be disabled or renamed (managed Redis): then this is not known.
 */

static void
ngx_http_scandoc_redis_config_handler(redisReply *reply, void *data)
{
    ngx_http_scandoc_redis_t *rd = data;

    const char  *want;
    redisReply  *name, *value;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        return;
    }

    name = reply->element[0];
    value = reply->element[1];

    if (name->type != REDIS_REPLY_STRING
        || value->type != REDIS_REPLY_STRING)
    {
        return;
    }

    if (ngx_strcmp(name->str, "appendonly") == 0) {
        want = "yes";

    } else if (ngx_strcmp(name->str, "maxmemory-policy") == 0) {
        want = "noeviction";

    } else {
        return;
    }

    if (ngx_strcmp(value->str, want) != 0) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "scandoc: redis \"%V\" has \"%s %s\", the store "
                      "needs \"%s %s\": data may be lost",
                      &rd->smcf->redis_addr, name->str, value->str,
                      name->str, want);
    }
}


static void
ngx_http_scandoc_redis_load(ngx_http_scandoc_redis_t *rd)
{
    size_t       argvlen[3];
    const char  *argv[3];

    /* no REPLACE: another version's code is never overwritten */

    argv[0] = "FUNCTION";
    argvlen[0] = 8;
    argv[1] = "LOAD";
    argvlen[1] = 4;
    argv[2] = (const char *) rd->smcf->library.data;
    argvlen[2] = rd->smcf->library.len;

    (void) ngx_http_scandoc_redis_send(rd, 1, 3, argv, argvlen,
                                       ngx_http_scandoc_redis_load_handler,
                                       rd);
}


static void
ngx_http_scandoc_redis_load_handler(redisReply *reply, void *data)
{
    ngx_http_scandoc_redis_t *rd = data;

    size_t       argvlen[5];
    const char  *argv[5];

    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "scandoc: loaded the Function library \"%s\" into "
                      "redis \"%V\"", NGX_HTTP_SCANDOC_LIB_NAME,
                      &rd->smcf->redis_addr);

        ngx_http_scandoc_redis_set_ready(rd);
        return;
    }

    if (ngx_strstrn((u_char *) reply->str, "already exists",
                    sizeof("already exists") - 2)
        != NULL)
    {
        /* someone loaded it: the same code, or another build's? */

        argv[0] = "FUNCTION";
        argvlen[0] = 8;
        argv[1] = "LIST";
        argvlen[1] = 4;
        argv[2] = "LIBRARYNAME";
        argvlen[2] = sizeof("LIBRARYNAME") - 1;
        argv[3] = NGX_HTTP_SCANDOC_LIB_NAME;
        argvlen[3] = sizeof(NGX_HTTP_SCANDOC_LIB_NAME) - 1;
        argv[4] = "WITHCODE";
        argvlen[4] = sizeof("WITHCODE") - 1;

        (void) ngx_http_scandoc_redis_send(rd, 1, 5, argv, argvlen,
                                           ngx_http_scandoc_redis_list_handler,
                                           rd);
        return;
    }

    if (ngx_http_scandoc_redis_transient(reply)) {
        /* LOADING and the like: try again on a new connection */
        ngx_http_scandoc_redis_failure(rd, "FUNCTION LOAD", reply->str,
                                       reply->len);
        ngx_http_scandoc_redis_drop(rd);
        return;
    }

    /* a Redis without Functions, a replica, a broken library... */

    ngx_http_scandoc_redis_set_unusable(rd, reply->str, reply->len);
}


/*
 * FUNCTION LIST's reply: an array of libraries, each a flat array of
 * names and values ("library_name", "scandoc_1", ..., "library_code",
 * "#!lua ...").
 */

static void
ngx_http_scandoc_redis_list_handler(redisReply *reply, void *data)
{
    ngx_http_scandoc_redis_t *rd = data;

    size_t       i, j;
    ngx_str_t   *lib;
    redisReply  *l, *k, *v, *name, *code;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        if (ngx_http_scandoc_redis_transient(reply)) {
            ngx_http_scandoc_redis_failure(rd, "FUNCTION LIST", reply->str,
                                           reply->len);
            ngx_http_scandoc_redis_drop(rd);
            return;
        }

        ngx_http_scandoc_redis_set_unusable(rd, reply->str, reply->len);
        return;
    }

    lib = &rd->smcf->library;
    code = NULL;

    for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        l = reply->element[i];

        if (l->type != REDIS_REPLY_ARRAY) {
            continue;
        }

        name = NULL;
        code = NULL;

        for (j = 0; j + 1 < l->elements; j += 2) {
            k = l->element[j];
            v = l->element[j + 1];

            if (k->type != REDIS_REPLY_STRING
                || v->type != REDIS_REPLY_STRING)
            {
                continue;
            }

            if (ngx_strcmp(k->str, "library_name") == 0) {
                name = v;

            } else if (ngx_strcmp(k->str, "library_code") == 0) {
                code = v;
            }
        }

        if (name && ngx_strcmp(name->str, NGX_HTTP_SCANDOC_LIB_NAME) == 0) {
            break;
        }

        code = NULL;
    }

    if (code == NULL) {
        /* deleted between LOAD and LIST: start over */
        ngx_http_scandoc_redis_load(rd);
        return;
    }

    if (code->len == lib->len && ngx_memcmp(code->str, lib->data, lib->len)
                                 == 0)
    {
        ngx_http_scandoc_redis_set_ready(rd);
        return;
    }

    ngx_http_scandoc_redis_set_unusable(rd, ngx_http_scandoc_redis_differs,
                                     sizeof(ngx_http_scandoc_redis_differs)
                                     - 1);
}


static void
ngx_http_scandoc_redis_recheck_handler(ngx_event_t *ev)
{
    ngx_http_scandoc_redis_t *rd = ev->data;

    if (rd->ac && rd->state == NGX_HTTP_SCANDOC_REDIS_UNUSABLE) {
        ngx_http_scandoc_redis_load(rd);
    }
}


static void
ngx_http_scandoc_redis_set_ready(ngx_http_scandoc_redis_t *rd)
{
    if (rd->failure_len || rd->state == NGX_HTTP_SCANDOC_REDIS_UNUSABLE) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "scandoc: redis \"%V\" is ready again",
                      &rd->smcf->redis_addr);

    } else {
        ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                      "scandoc: redis \"%V\" is ready",
                      &rd->smcf->redis_addr);
    }

    rd->state = NGX_HTTP_SCANDOC_REDIS_READY;
    rd->backoff = NGX_HTTP_SCANDOC_REDIS_BACKOFF_MIN;
    rd->failure_len = 0;
}


/*
 * Connected, but the library cannot be used: the reason is logged once
 * per connection, and the load is retried quietly now and then, so that
 * deleting the stale library is enough to bring the worker back.
 */

static void
ngx_http_scandoc_redis_set_unusable(ngx_http_scandoc_redis_t *rd,
    const char *why, size_t len)
{
    if (rd->state != NGX_HTTP_SCANDOC_REDIS_UNUSABLE) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "scandoc: cannot use the Function library \"%s\" in "
                      "redis \"%V\": %*s; API requests answer 503",
                      NGX_HTTP_SCANDOC_LIB_NAME, &rd->smcf->redis_addr,
                      len, why);
    }

    rd->state = NGX_HTTP_SCANDOC_REDIS_UNUSABLE;
    rd->backoff = NGX_HTTP_SCANDOC_REDIS_BACKOFF_MIN;

    if (!rd->recheck.timer_set && !rd->exiting) {
        ngx_add_timer(&rd->recheck, NGX_HTTP_SCANDOC_REDIS_RECHECK);
    }
}


/* errors that say "not now" rather than "never" */

static ngx_uint_t
ngx_http_scandoc_redis_transient(redisReply *reply)
{
    return ngx_http_scandoc_redis_error_is(reply, "LOADING")
           || ngx_http_scandoc_redis_error_is(reply, "BUSY")
           || ngx_http_scandoc_redis_error_is(reply, "MASTERDOWN")
           || ngx_http_scandoc_redis_error_is(reply, "TRYAGAIN")
           || ngx_http_scandoc_redis_error_is(reply, "NOAUTH");
}


static ngx_uint_t
ngx_http_scandoc_redis_error_is(redisReply *reply, const char *prefix)
{
    size_t  len;

    if (reply->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    len = ngx_strlen(prefix);

    return reply->len >= len && ngx_strncmp(reply->str, prefix, len) == 0;
}
