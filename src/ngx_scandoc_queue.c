
/*
 * Copyright (C) scandoc authors
 *
 * The queue worker.  Each nginx worker claims as many tasks as it has free
 * engine slots, runs each on the engine pool (one helper per pool thread,
 * ngx_scandoc_engine.c), commits the outputs from the io pool
 * (ngx_scandoc_storage.c), and reports the outcome through one Function
 * call (docs/INTERNALS.md section 1):
 *
 *   claim -> ENGINE (engine pool) -> COMMIT (io pool) -> REPORT (Redis)
 *         -> CLEAN (io pool: staging folder, stale outputs) -> freed
 *
 * While a task is ours its lease is kept alive by the heartbeat; the
 * heartbeat's answer names the tasks that were cancelled or lost, whose
 * helpers are killed.  At graceful shutdown nginx runs queued thread tasks
 * but never their completion handlers, and leaves the worker as soon as
 * only cancelable timers remain: a watcher connection notices the
 * shutdown, claiming stops, and a non-cancelable timer keeps the worker
 * until the running tasks are reported, killing and handing back those
 * still running after scandoc_shutdown_grace.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_scandoc.h"
#include "ngx_scandoc_redis.h"
#include "ngx_scandoc_store.h"
#include "ngx_scandoc_engine.h"
#include "ngx_scandoc_queue.h"
#include "ngx_scandoc_storage.h"


/*
 * DESIGN.md has a blocking XREADGROUP on a second connection; instead the
 * claim Function is polled, which keeps one connection per worker and
 * lets the Function reclaim expired entries on the same call.  A claim is
 * a cheap call, made only while a slot is free, and at once after a job
 * ends or when the last claim filled every slot it asked for.
 */
#define NGX_HTTP_SCANDOC_CLAIM_EVERY     200
#define NGX_HTTP_SCANDOC_CLAIM_BACKOFF   1000

/*
 * After Redis was away, leases may have expired meanwhile: owners get this
 * long to heartbeat and report before anyone claims (and reclaims) again.
 */
#define NGX_HTTP_SCANDOC_RESUME          1000

/* a worker that cannot start helpers leaves the queue to others a while */
#define NGX_HTTP_SCANDOC_NOSPAWN_PAUSE   5000

/* progress goes out at most this often (API.md: once a second) */
#define NGX_HTTP_SCANDOC_PROGRESS_EVERY  1000

/* a report Redis did not answer is retried this often, at least this long */
#define NGX_HTTP_SCANDOC_REPORT_RETRY    1000
#define NGX_HTTP_SCANDOC_REPORT_KEEP     60000

#define NGX_HTTP_SCANDOC_SHUTDOWN_TICK   100
/* after the grace period: time left for the hand-backs to reach Redis */
#define NGX_HTTP_SCANDOC_SHUTDOWN_EXTRA  5000

/*
 * Functions that emit events take a random seed as their last argument
 * (redis/scandoc.lua derives the event ids from it): "seed_" + 16.
 */
#define NGX_HTTP_SCANDOC_SEED_LEN                                             \
    (sizeof("seed_") - 1 + NGX_HTTP_SCANDOC_ID_RAND)


#define NGX_HTTP_SCANDOC_RUN_ENGINE      0
#define NGX_HTTP_SCANDOC_RUN_COMMIT      1
#define NGX_HTTP_SCANDOC_RUN_REPORT      2
#define NGX_HTTP_SCANDOC_RUN_CLEAN       3


typedef struct {
    json_t                     *json;       /* from the result line */
    u_char                     *src;        /* in the staging folder */
    u_char                     *dst;        /* <storage>/<rel> */
    ngx_str_t                   rel;        /* <tenant>/<xx>/<id> */
    ngx_str_t                   id;
    off_t                       size;
    unsigned                    moved:1;
} ngx_http_scandoc_output_t;


typedef struct {
    ngx_queue_t                 queue;
    ngx_pool_t                 *pool;
    ngx_log_t                   log;        /* names the task and attempt */

    ngx_str_t                   task_id;
    ngx_str_t                   attempt;
    ngx_str_t                   tenant;
    ngx_str_t                   staging;    /* NUL-terminated */

    ngx_thread_task_t          *task;       /* engine, then io pool */
    ngx_http_scandoc_job_t      job;

    /* the result line, taken apart in the engine thread */
    ngx_array_t                 outputs;    /* ngx_http_scandoc_output_t */
    json_t                     *answer;
    char                       *result_json;
    char                       *error_json;
    char                       *outputs_json;

    /* the one Function call reporting the attempt, and its retries */
    const char                 *fn;
    const char                 *argv[6];
    size_t                      argvlen[6];
    int                         argc;
    u_char                      seed[NGX_HTTP_SCANDOC_SEED_LEN];
    ngx_msec_t                  report_until;
    ngx_uint_t                  retries;
    ngx_event_t                 retry;

    ngx_uint_t                  state;
    ngx_uint_t                  sent_done;
    ngx_uint_t                  sent_total;

    unsigned                    staged:1;   /* staging folder made */
    unsigned                    final:1;    /* engine error: fail for good */
    unsigned                    failed:1;   /* could not commit */
    unsigned                    lost:1;     /* cancelled, or lost lease */
    unsigned                    handback:1; /* killed by the shutdown */
    unsigned                    unlink:1;   /* outputs are not registered */
} ngx_http_scandoc_run_t;


typedef struct {
    ngx_http_scandoc_main_conf_t  *smcf;
    ngx_log_t                     *log;

    ngx_str_t                      consumer;
    ngx_str_t                      lease;
    ngx_str_t                      timeout;
    ngx_str_t                      attempts;

    ngx_queue_t                    runs;
    ngx_uint_t                     nruns;
    ngx_uint_t                     busy;       /* runs in the engine pool */
    ngx_uint_t                     asked;      /* by the last claim */

    ngx_event_t                    claim_ev;
    ngx_event_t                    heartbeat_ev;
    ngx_event_t                    shutdown_ev;
    ngx_event_t                    retire_ev;
    ngx_connection_t              *watcher;

    ngx_msec_t                     heartbeat_every;
    ngx_msec_t                     last_heartbeat;
    ngx_msec_t                     shutdown_start;
    ngx_msec_t                     resume;

    unsigned                       started:1;
    unsigned                       claiming:1;
    unsigned                       heartbeating:1;
    unsigned                       was_down:1;
    unsigned                       exiting:1;
    unsigned                       killed:1;
    unsigned                       gave_up:1;
    unsigned                       retired:1;
    unsigned                       exited:1;
} ngx_http_scandoc_queue_t;


static void ngx_http_scandoc_queue_claim(ngx_event_t *ev);
static void ngx_http_scandoc_queue_claimed(redisReply *reply, void *data);
static void ngx_http_scandoc_queue_resume(ngx_http_scandoc_queue_t *q);
static void ngx_http_scandoc_queue_start(ngx_str_t *text);
static ngx_http_scandoc_run_t *ngx_http_scandoc_queue_run(ngx_str_t *task_id,
    ngx_int_t attempt, ngx_str_t *tenant);
static void ngx_http_scandoc_queue_engine(void *data, ngx_log_t *log);
static void ngx_http_scandoc_queue_answer(ngx_http_scandoc_run_t *run);
static ngx_int_t ngx_http_scandoc_queue_output(ngx_http_scandoc_run_t *run,
    json_t *out);
static void ngx_http_scandoc_queue_ended(ngx_event_t *ev);
static void ngx_http_scandoc_queue_commit(void *data, ngx_log_t *log);
static void ngx_http_scandoc_queue_committed(ngx_event_t *ev);
static void ngx_http_scandoc_queue_fail(ngx_http_scandoc_run_t *run,
    const char *kind, const char *error, const char *code);
static void ngx_http_scandoc_queue_release(ngx_http_scandoc_run_t *run);
static void ngx_http_scandoc_queue_report(ngx_http_scandoc_run_t *run);
static void ngx_http_scandoc_queue_retry(ngx_event_t *ev);
static void ngx_http_scandoc_queue_reported(redisReply *reply, void *data);
static void ngx_http_scandoc_queue_clean(ngx_http_scandoc_run_t *run);
static void ngx_http_scandoc_queue_remove(void *data, ngx_log_t *log);
static void ngx_http_scandoc_queue_cleaned(ngx_event_t *ev);
static void ngx_http_scandoc_queue_free(ngx_http_scandoc_run_t *run);
static void ngx_http_scandoc_queue_heartbeat(ngx_event_t *ev);
static void ngx_http_scandoc_queue_heartbeaten(redisReply *reply,
    void *data);
static void ngx_http_scandoc_queue_watcher(ngx_event_t *ev);
static void ngx_http_scandoc_queue_exit_begin(ngx_http_scandoc_queue_t *q);
static void ngx_http_scandoc_queue_shutdown(ngx_event_t *ev);
static void ngx_http_scandoc_queue_retire(ngx_http_scandoc_queue_t *q);
static void ngx_http_scandoc_queue_retired(redisReply *reply, void *data);
static void ngx_http_scandoc_queue_retire_hold(ngx_event_t *ev);
static void ngx_http_scandoc_queue_schedule(ngx_msec_t delay);
static ngx_int_t ngx_http_scandoc_queue_busy(ngx_array_t *names);
static u_char *ngx_http_scandoc_queue_log_handler(ngx_log_t *log,
    u_char *buf, size_t len);


static ngx_http_scandoc_queue_t  ngx_http_scandoc_queue;


ngx_int_t
ngx_http_scandoc_queue_init(ngx_cycle_t *cycle)
{
    u_char                        *p;
    ngx_time_t                    *tp;
    ngx_connection_t              *c;
    ngx_http_scandoc_queue_t      *q;
    ngx_http_scandoc_main_conf_t  *smcf;

    q = &ngx_http_scandoc_queue;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scandoc_module);
    if (smcf == NULL || smcf->engine_pool == NULL || smcf->engine_slots == 0) {
        return NGX_OK;
    }

    q->smcf = smcf;
    q->log = cycle->log;
    ngx_queue_init(&q->runs);

    tp = ngx_timeofday();

    p = ngx_pnalloc(cycle->pool, cycle->hostname.len + 2 * NGX_INT64_LEN + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q->consumer.data = p;
    q->consumer.len = ngx_sprintf(p, "%V:%P:%M", &cycle->hostname, ngx_pid,
                                  (ngx_msec_t) tp->sec * 1000 + tp->msec)
                      - p;

    p = ngx_pnalloc(cycle->pool, 3 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q->lease.data = p;
    p = ngx_sprintf(p, "%M", smcf->lease);
    q->lease.len = p - q->lease.data;

    q->timeout.data = p;
    p = ngx_sprintf(p, "%M", smcf->task_timeout);
    q->timeout.len = p - q->timeout.data;

    q->attempts.data = p;
    p = ngx_sprintf(p, "%ui", smcf->max_attempts);
    q->attempts.len = p - q->attempts.data;

    q->heartbeat_every = ngx_max(smcf->lease / 3, 100);

    /*
     * nginx calls the read handler of idle connections when it begins a
     * graceful shutdown; fd -2 because nginx skips connections with -1,
     * and no event is ever added for it.  Event methods that index their
     * connections by descriptor (poll, select) cannot hold it: there the
     * heartbeat tick, not cancelable while tasks run, notices ngx_exiting.
     */

    if (cycle->files == NULL) {
        c = ngx_get_connection((ngx_socket_t) -2, cycle->log);
        if (c == NULL) {
            return NGX_ERROR;
        }

        c->idle = 1;
        c->read->handler = ngx_http_scandoc_queue_watcher;
        c->read->log = cycle->log;
        c->write->log = cycle->log;
        q->watcher = c;
    }

    q->claim_ev.handler = ngx_http_scandoc_queue_claim;
    q->claim_ev.data = q;
    q->claim_ev.log = cycle->log;
    q->claim_ev.cancelable = 1;

    q->heartbeat_ev.handler = ngx_http_scandoc_queue_heartbeat;
    q->heartbeat_ev.data = q;
    q->heartbeat_ev.log = cycle->log;
    q->heartbeat_ev.cancelable = 1;

    /* the one timer that holds an exiting worker: not cancelable */

    q->shutdown_ev.handler = ngx_http_scandoc_queue_shutdown;
    q->shutdown_ev.data = q;
    q->shutdown_ev.log = cycle->log;

    q->retire_ev.handler = ngx_http_scandoc_queue_retire_hold;
    q->retire_ev.data = q;
    q->retire_ev.log = cycle->log;

    if (ngx_http_scandoc_janitor_init(cycle, ngx_http_scandoc_queue_busy)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    q->started = 1;

    ngx_add_timer(&q->claim_ev, NGX_HTTP_SCANDOC_CLAIM_EVERY);
    ngx_add_timer(&q->heartbeat_ev, ngx_min(q->heartbeat_every,
                                            NGX_HTTP_SCANDOC_PROGRESS_EVERY));

    ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                  "scandoc queue: consumer %V, %ui engine slots",
                  &q->consumer, smcf->engine_slots);

    return NGX_OK;
}


void
ngx_http_scandoc_queue_exit(ngx_cycle_t *cycle)
{
    ngx_queue_t               *qu;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    if (!q->started || q->exited) {
        return;
    }

    /*
     * Runs still here belong to a fast shutdown (or one that overran its
     * grace): their helpers die now and their tasks are handed back, the
     * commands written out by ngx_http_scandoc_redis_exit() without
     * waiting for the answers; if Redis is away the leases expire and the
     * attempt counts as a crash.  Runs past the engine are left to their
     * leases.  The runs are not freed: replies may still be delivered to
     * them while the Redis connection closes, and then find q->exited set.
     */

    q->exited = 1;

    ngx_http_scandoc_janitor_exit(cycle);

    for (qu = ngx_queue_head(&q->runs);
         qu != ngx_queue_sentinel(&q->runs);
         qu = ngx_queue_next(qu))
    {
        run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

        if (run->state == NGX_HTTP_SCANDOC_RUN_ENGINE) {
            ngx_http_scandoc_job_kill(&run->job);

            /*
             * The thread pools were destroyed before this hook: no thread
             * writes in the staging folder any more, and with the event
             * loop gone a small removal here delays nobody.
             */

            if (run->staged) {
                (void) ngx_http_scandoc_storage_remove(run->staging.data,
                                                       &run->log);
            }

            if (ngx_http_scandoc_redis_ready()) {
                ngx_http_scandoc_queue_release(run);
                continue;
            }
        }

        if (run->state != NGX_HTTP_SCANDOC_RUN_CLEAN) {
            ngx_log_error(NGX_LOG_WARN, &run->log, 0,
                          "worker exits before the task was reported; "
                          "its lease will expire");
        }
    }

    if (q->watcher) {
        ngx_free_connection(q->watcher);
        q->watcher->fd = (ngx_socket_t) -1;
        q->watcher = NULL;
    }
}


ngx_uint_t
ngx_http_scandoc_queue_free_slots(void)
{
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    if (!q->started || q->exiting) {
        return 0;
    }

    return q->smcf->engine_slots - q->busy;
}


ngx_uint_t
ngx_http_scandoc_queue_running(void)
{
    /* tasks this worker holds: in the engine, committing or reporting */

    return ngx_http_scandoc_queue.nruns;
}


static void
ngx_http_scandoc_queue_claim(ngx_event_t *ev)
{
    int                        argc;
    size_t                     argvlen[6];
    ngx_uint_t                 n;
    const char                *argv[6];
    u_char                     buf[NGX_INT_T_LEN];
    u_char                     seed[NGX_HTTP_SCANDOC_SEED_LEN];
    ngx_http_scandoc_queue_t  *q;

    q = ev->data;

    if (q->exiting || q->claiming) {
        return;
    }

    n = q->smcf->engine_slots - q->busy;

    if (n == 0) {
        /* a job that ends schedules the next claim */
        return;
    }

    if (!ngx_http_scandoc_redis_ready()) {
        q->was_down = 1;
        ngx_add_timer(ev, NGX_HTTP_SCANDOC_CLAIM_EVERY);
        return;
    }

    if (q->was_down) {
        q->was_down = 0;
        q->resume = ngx_current_msec + NGX_HTTP_SCANDOC_RESUME;
        ngx_http_scandoc_queue_resume(q);
    }

    if ((ngx_msec_int_t) (q->resume - ngx_current_msec) > 0) {
        ngx_add_timer(ev, NGX_HTTP_SCANDOC_CLAIM_EVERY);
        return;
    }

    argv[0] = (const char *) q->consumer.data;
    argvlen[0] = q->consumer.len;
    argv[1] = (const char *) buf;
    argvlen[1] = ngx_sprintf(buf, "%ui", n) - buf;
    argv[2] = (const char *) q->lease.data;
    argvlen[2] = q->lease.len;
    argv[3] = (const char *) q->timeout.data;
    argvlen[3] = q->timeout.len;
    argv[4] = (const char *) q->attempts.data;
    argvlen[4] = q->attempts.len;
    argc = 5;

    /* a claim may fail tasks (deadline, crash budget): events */

    if (ngx_http_scandoc_new_id(seed, "seed") == NGX_OK) {
        argv[5] = (const char *) seed;
        argvlen[5] = sizeof(seed);
        argc = 6;
    }

    if (ngx_http_scandoc_fcall(NGX_HTTP_SCANDOC_FN("claim"), argc, argv,
                               argvlen,
                               ngx_http_scandoc_queue_claimed, q)
        != NGX_OK)
    {
        ngx_add_timer(ev, NGX_HTTP_SCANDOC_CLAIM_BACKOFF);
        return;
    }

    q->claiming = 1;
    q->asked = n;
}


static void
ngx_http_scandoc_queue_claimed(redisReply *reply, void *data)
{
    ngx_http_scandoc_queue_t *q = data;

    size_t     i;
    ngx_int_t  count;
    ngx_str_t  job;

    q->claiming = 0;

    if (q->exited) {
        return;
    }

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || ngx_http_scandoc_reply_int(reply, 0, &count) != NGX_OK)
    {
        if (reply && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, q->log, 0,
                          "scandoc queue: claim failed: %*s",
                          (size_t) reply->len, reply->str);
        }

        /* Redis is away or failing: no noise, try again a bit later */

        q->was_down = 1;
        ngx_http_scandoc_queue_schedule(NGX_HTTP_SCANDOC_CLAIM_BACKOFF);
        return;
    }

    for (i = 1; i < reply->elements; i++) {
        if (ngx_http_scandoc_reply_str(reply, i, &job) == NGX_OK) {
            ngx_http_scandoc_queue_start(&job);
        }
    }

    /* a full claim may have left more behind */

    ngx_http_scandoc_queue_schedule((ngx_uint_t) count >= q->asked
                                    && q->busy < q->smcf->engine_slots
                                    ? 0 : NGX_HTTP_SCANDOC_CLAIM_EVERY);
}


/* Redis is back: this worker's reports and heartbeat go first */

static void
ngx_http_scandoc_queue_resume(ngx_http_scandoc_queue_t *q)
{
    ngx_queue_t             *qu;
    ngx_http_scandoc_run_t  *run;

    for (qu = ngx_queue_head(&q->runs);
         qu != ngx_queue_sentinel(&q->runs);
         qu = ngx_queue_next(qu))
    {
        run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

        if (run->state == NGX_HTTP_SCANDOC_RUN_REPORT
            && run->retry.timer_set)
        {
            ngx_del_timer(&run->retry);
            ngx_http_scandoc_queue_retry(&run->retry);
        }
    }

    q->last_heartbeat = ngx_current_msec - q->heartbeat_every;

    if (q->heartbeat_ev.timer_set) {
        ngx_del_timer(&q->heartbeat_ev);
    }

    ngx_add_timer(&q->heartbeat_ev, 0);
}


/*
 * Starts one claimed job; a job this worker cannot run is handed back,
 * or failed for good if it can never run anywhere.
 */

static void
ngx_http_scandoc_queue_start(ngx_str_t *text)
{
    json_t                    *root, *v;
    ngx_str_t                  task_id, tenant;
    ngx_int_t                  rc, attempt;
    json_error_t               err;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    root = json_loadb((char *) text->data, text->len, 0, &err);

    if (root == NULL) {
        ngx_log_error(NGX_LOG_ALERT, q->log, 0,
                      "scandoc queue: claimed job is not JSON: %s (%*s)",
                      err.text, ngx_min(text->len, 200), text->data);
        return;
    }

    v = json_object_get(root, "task_id");
    task_id.data = (u_char *) json_string_value(v);
    task_id.len = task_id.data ? json_string_length(v) : 0;

    v = json_object_get(root, "attempt");
    attempt = json_is_integer(v) ? json_integer_value(v) : 0;

    v = json_object_get(root, "tenant");
    tenant.data = (u_char *) json_string_value(v);
    tenant.len = tenant.data ? json_string_length(v) : 0;

    if (!ngx_http_scandoc_storage_name_valid(&task_id) || attempt <= 0) {
        /* nothing to report it under: the lease will expire */
        ngx_log_error(NGX_LOG_ALERT, q->log, 0,
                      "scandoc queue: claimed job without a task id or "
                      "attempt: %*s", ngx_min(text->len, 200), text->data);
        json_decref(root);
        return;
    }

    if (!ngx_http_scandoc_storage_name_valid(&tenant)) {
        tenant.len = 0;
    }

    run = ngx_http_scandoc_queue_run(&task_id, attempt, &tenant);
    if (run == NULL) {
        json_decref(root);
        return;
    }

    if (q->exiting || q->busy >= q->smcf->engine_slots) {
        json_decref(root);
        ngx_http_scandoc_queue_release(run);
        return;
    }

    if (tenant.len == 0) {
        ngx_log_error(NGX_LOG_ALERT, &run->log, 0,
                      "claimed job has no usable tenant");
        json_decref(root);
        ngx_http_scandoc_queue_fail(run, "final",
                                    "The task could not be run.", "internal");
        return;
    }

    rc = ngx_http_scandoc_job_prepare(&run->job, root, &run->staging,
                                      run->pool, &run->log);

    json_decref(root);

    if (rc != NGX_OK) {
        ngx_http_scandoc_queue_fail(run, "final",
                                    "The task could not be run.", "internal");
        return;
    }

    run->task->handler = ngx_http_scandoc_queue_engine;
    run->task->event.handler = ngx_http_scandoc_queue_ended;

    ngx_log_error(NGX_LOG_INFO, &run->log, 0, "starting, deadline in %M ms",
                  run->job.timeout);

    if (ngx_thread_task_post(q->smcf->engine_pool, run->task) != NGX_OK) {
        ngx_http_scandoc_queue_release(run);
        return;
    }

    run->state = NGX_HTTP_SCANDOC_RUN_ENGINE;
    q->busy++;
}


static ngx_http_scandoc_run_t *
ngx_http_scandoc_queue_run(ngx_str_t *task_id, ngx_int_t attempt,
    ngx_str_t *tenant)
{
    u_char                    *p;
    ngx_pool_t                *pool;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    pool = ngx_create_pool(4096, q->log);
    if (pool == NULL) {
        return NULL;
    }

    run = ngx_pcalloc(pool, sizeof(ngx_http_scandoc_run_t));
    if (run == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    run->pool = pool;

    run->task = ngx_thread_task_alloc(pool, 0);
    if (run->task == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    run->task->ctx = run;
    run->task->event.data = run;
    run->task->event.log = &run->log;

    p = ngx_pnalloc(pool, task_id->len + tenant->len + NGX_INT_T_LEN
                          + q->smcf->storage.len
                          + sizeof(NGX_HTTP_SCANDOC_STAGING "/.")
                          + task_id->len + NGX_INT_T_LEN + 3);
    if (p == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    run->task_id.data = p;
    p = ngx_cpymem(p, task_id->data, task_id->len);
    run->task_id.len = task_id->len;
    *p++ = '\0';

    run->attempt.data = p;
    p = ngx_sprintf(p, "%i", attempt);
    run->attempt.len = p - run->attempt.data;
    *p++ = '\0';

    run->tenant.data = p;
    p = ngx_cpymem(p, tenant->data, tenant->len);
    run->tenant.len = tenant->len;
    *p++ = '\0';

    run->staging.data = p;
    p = ngx_sprintf(p, "%V" NGX_HTTP_SCANDOC_STAGING "/%V.%V",
                    &q->smcf->storage, &run->task_id, &run->attempt);
    run->staging.len = p - run->staging.data;
    *p = '\0';

    run->log = *q->log;
    run->log.handler = ngx_http_scandoc_queue_log_handler;
    run->log.data = run;
    run->log.action = NULL;
    pool->log = &run->log;

    run->retry.handler = ngx_http_scandoc_queue_retry;
    run->retry.data = run;
    run->retry.log = &run->log;
    run->retry.cancelable = 1;

    run->state = NGX_HTTP_SCANDOC_RUN_REPORT;

    ngx_queue_insert_tail(&q->runs, &run->queue);
    q->nruns++;

    q->heartbeat_ev.cancelable = q->gave_up;

    return run;
}


/* engine pool thread: the whole attempt, and taking its answer apart */

static void
ngx_http_scandoc_queue_engine(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_run_t *run = data;

    /* "<storage>/.staging" too, the first time */

    if (ngx_http_scandoc_storage_mkdir(&ngx_http_scandoc_queue.smcf->storage,
                                       run->staging.data, &run->log)
        != NGX_OK)
    {
        run->failed = 1;
        return;
    }

    run->staged = 1;

    (void) ngx_http_scandoc_job_run(&run->job, &run->log);

    if (run->job.outcome == NGX_HTTP_SCANDOC_JOB_RESULT) {
        ngx_http_scandoc_queue_answer(run);
    }
}


/*
 * Takes the result line apart (still in the engine thread: a result may
 * be megabytes of JSON, not for the event loop) into result_json and the
 * outputs, or error_json for an engine error.  A line that breaks the
 * protocol fails the task for good: running it again would only repeat
 * the engine's mistake.
 */

static void
ngx_http_scandoc_queue_answer(ngx_http_scandoc_run_t *run)
{
    size_t         i;
    json_t        *root, *ok, *v, *details, *err;
    json_error_t   jerr;

    root = json_loadb((char *) run->job.result, run->job.result_len, 0, &jerr);

    free(run->job.result);
    run->job.result = NULL;

    ok = json_object_get(root, "ok");

    if (!json_is_boolean(ok)) {
        ngx_log_error(NGX_LOG_ERR, &run->log, 0,
                      "engine answered a malformed result line: %s",
                      root ? "no \"ok\"" : jerr.text);
        json_decref(root);
        goto malformed;
    }

    run->answer = root;

    if (json_is_false(ok)) {
        v = json_object_get(root, "details");
        details = json_is_object(v) ? json_copy(v) : json_object();

        v = json_object_get(root, "code");

        if (details == NULL
            || json_object_set_new(details, "code",
                                   json_string(json_is_string(v)
                                               ? json_string_value(v)
                                               : "internal"))
               != 0)
        {
            json_decref(details);
            goto malformed;
        }

        v = json_object_get(root, "error");

        err = json_pack("{s:s,s:o}", "error",
                        json_is_string(v) ? json_string_value(v)
                                          : "The operation failed.",
                        "details", details);
        if (err == NULL) {
            goto malformed;
        }

        run->error_json = json_dumps(err, JSON_COMPACT);
        json_decref(err);

        if (run->error_json == NULL) {
            goto malformed;
        }

        run->final = 1;
        return;
    }

    v = json_object_get(root, "result");

    run->result_json = json_dumps(json_is_object(v) ? v : json_object(),
                                  JSON_COMPACT);
    if (run->result_json == NULL) {
        goto malformed;
    }

    v = json_object_get(root, "outputs");

    if (v != NULL && !json_is_array(v)) {
        goto malformed;
    }

    if (ngx_array_init(&run->outputs, run->pool, ngx_max(json_array_size(v), 1),
                       sizeof(ngx_http_scandoc_output_t))
        != NGX_OK)
    {
        goto malformed;
    }

    for (i = 0; i < json_array_size(v); i++) {
        if (ngx_http_scandoc_queue_output(run, json_array_get(v, i))
            != NGX_OK)
        {
            goto malformed;
        }
    }

    return;

malformed:

    free(run->result_json);
    run->result_json = NULL;

    run->error_json = strdup("{\"error\":\"The engine returned a malformed "
                             "result.\",\"details\":{\"code\":\"internal\"}}");
    run->final = 1;
}


static ngx_int_t
ngx_http_scandoc_queue_output(ngx_http_scandoc_run_t *run, json_t *out)
{
    const char                 *path;
    ngx_http_scandoc_output_t  *o;

    path = json_string_value(json_object_get(out, "path"));

    /* a file directly in this attempt's staging folder, nothing else */

    if (path == NULL
        || ngx_strncmp(path, run->staging.data, run->staging.len) != 0
        || path[run->staging.len] != '/'
        || path[run->staging.len + 1] == '\0'
        || ngx_strchr(path + run->staging.len + 1, '/') != NULL
        || ngx_strcmp(path + run->staging.len + 1, "..") == 0
        || ngx_strcmp(path + run->staging.len + 1, ".") == 0
        || !json_is_string(json_object_get(out, "type")))
    {
        ngx_log_error(NGX_LOG_ERR, &run->log, 0,
                      "engine output \"%s\" is not a file in the staging "
                      "folder, or has no type", path ? path : "");
        return NGX_ERROR;
    }

    o = ngx_array_push(&run->outputs);
    if (o == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(o, sizeof(ngx_http_scandoc_output_t));

    o->json = out;
    o->src = (u_char *) path;

    return NGX_OK;
}


/* event loop: the engine thread is done with the run */

static void
ngx_http_scandoc_queue_ended(ngx_event_t *ev)
{
    ngx_http_scandoc_run_t *run = ev->data;

    ngx_uint_t                  i;
    ngx_http_scandoc_job_t     *job;
    ngx_http_scandoc_queue_t   *q;
    ngx_http_scandoc_output_t  *out;

    q = &ngx_http_scandoc_queue;

    if (q->exited) {
        return;
    }

    q->busy--;
    job = &run->job;

    ngx_http_scandoc_queue_schedule(0);

    if (run->failed) {
        /* the staging folder: a host problem, not the task's */
        ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
        return;
    }

    switch (job->outcome) {

    case NGX_HTTP_SCANDOC_JOB_TIMEOUT:
        ngx_http_scandoc_queue_fail(run, "timeout", NULL, NULL);
        return;

    case NGX_HTTP_SCANDOC_JOB_CRASH:

        if (job->killed) {
            if (run->handback) {
                ngx_http_scandoc_queue_release(run);
                return;
            }

            ngx_log_error(NGX_LOG_INFO, &run->log, 0,
                          "stopped: cancelled or lost");
            ngx_http_scandoc_queue_clean(run);
            return;
        }

        if (job->nospawn) {
            /* this host's trouble (binary gone, no memory, no pids) */
            q->resume = ngx_current_msec + NGX_HTTP_SCANDOC_NOSPAWN_PAUSE;
            ngx_http_scandoc_queue_release(run);
            return;
        }

        if (job->oversize) {
            ngx_http_scandoc_queue_fail(run, "final",
                                        "The result is larger than allowed.",
                                        "limit_exceeded");
            return;
        }

        ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
        return;

    default: /* NGX_HTTP_SCANDOC_JOB_RESULT */
        break;
    }

    if (run->final && run->error_json == NULL) {
        /* out of memory in the engine thread */
        ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
        return;
    }

    if (run->final) {
        run->fn = NGX_HTTP_SCANDOC_FN("fail");
        run->argv[3] = run->error_json;
        run->argvlen[3] = ngx_strlen(run->error_json);
        run->argv[4] = "final";
        run->argvlen[4] = sizeof("final") - 1;
        run->argc = 6;

        ngx_log_error(NGX_LOG_INFO, &run->log, 0, "engine error: %s",
                      run->error_json);

        ngx_http_scandoc_queue_report(run);
        return;
    }

    /* ids and final paths here; the commits themselves in the io pool */

    out = run->outputs.elts;

    for (i = 0; i < run->outputs.nelts; i++) {

        out[i].id.len = sizeof("file_") - 1 + NGX_HTTP_SCANDOC_ID_RAND;
        out[i].id.data = ngx_pnalloc(run->pool, out[i].id.len + 1);

        if (out[i].id.data == NULL) {
            ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
            return;
        }

        if (ngx_http_scandoc_new_id(out[i].id.data, "file") != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, &run->log, 0, "RAND_bytes() failed");
            ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
            return;
        }

        out[i].id.data[out[i].id.len] = '\0';

        out[i].dst = ngx_http_scandoc_storage_path(run->pool,
                                                   &q->smcf->storage,
                                                   &run->tenant, &out[i].id,
                                                   &out[i].rel);
        if (out[i].dst == NULL) {
            ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
            return;
        }
    }

    run->task->handler = ngx_http_scandoc_queue_commit;
    run->task->event.handler = ngx_http_scandoc_queue_committed;

    if (ngx_thread_task_post(q->smcf->io_pool, run->task) != NGX_OK) {
        ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
        return;
    }

    run->state = NGX_HTTP_SCANDOC_RUN_COMMIT;
}


/*
 * io pool thread: each output is made durable and renamed into storage
 * before finish() registers it; what was moved is undone on an error.
 */

static void
ngx_http_scandoc_queue_commit(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_run_t *run = data;

    json_t                     *list, *o, *props, *v;
    ngx_uint_t                  i;
    ngx_http_scandoc_output_t  *out;

    out = run->outputs.elts;

    for (i = 0; i < run->outputs.nelts; i++) {
        if (ngx_http_scandoc_storage_commit(
                                      &ngx_http_scandoc_queue.smcf->storage,
                                      out[i].src, out[i].dst, &out[i].size,
                                      &run->log)
            != NGX_OK)
        {
            run->failed = 1;
            break;
        }

        out[i].moved = 1;
    }

    if (!run->failed) {
        list = json_array();

        for (i = 0; list && i < run->outputs.nelts; i++) {

            v = json_object_get(out[i].json, "properties");
            props = json_is_object(v) ? json_copy(v) : json_object();

            /* the size is what was committed, whatever the engine said */

            if (props == NULL
                || json_object_set_new(props, "size",
                                       json_integer(out[i].size))
                   != 0)
            {
                json_decref(props);
                json_decref(list);
                list = NULL;
                break;
            }

            v = json_object_get(out[i].json, "suffix");

            o = json_pack("{s:s%,s:s,s:O,s:o,s:O}",
                          "path", out[i].rel.data, out[i].rel.len,
                          "id", (char *) out[i].id.data,
                          "type", json_object_get(out[i].json, "type"),
                          "properties", props,
                          "suffix", json_is_integer(v) ? v : json_null());

            if (json_array_append_new(list, o) != 0) {
                json_decref(list);
                list = NULL;
            }
        }

        run->outputs_json = list ? json_dumps(list, JSON_COMPACT) : NULL;
        json_decref(list);

        if (run->outputs_json == NULL) {
            run->failed = 1;
        }
    }

    if (run->failed) {
        for (i = 0; i < run->outputs.nelts; i++) {
            if (out[i].moved) {
                (void) ngx_http_scandoc_storage_unlink(out[i].dst, &run->log);
            }

            out[i].moved = 0;
        }
    }
}


static void
ngx_http_scandoc_queue_committed(ngx_event_t *ev)
{
    ngx_http_scandoc_run_t *run = ev->data;

    if (ngx_http_scandoc_queue.exited) {
        return;
    }

    if (run->failed) {
        /* storage trouble on this host: another host may do better */
        ngx_http_scandoc_queue_fail(run, "crash", NULL, NULL);
        return;
    }

    run->unlink = 1;

    run->fn = NGX_HTTP_SCANDOC_FN("finish");
    run->argv[3] = run->result_json;
    run->argvlen[3] = ngx_strlen(run->result_json);
    run->argv[4] = run->outputs_json;
    run->argvlen[4] = ngx_strlen(run->outputs_json);
    run->argc = 6;

    ngx_http_scandoc_queue_report(run);
}


/*
 * sd1_fail: kind "final" with the engine's error, or "timeout" or "crash"
 * without one: the Function words those itself (with the attempt count).
 */

static void
ngx_http_scandoc_queue_fail(ngx_http_scandoc_run_t *run, const char *kind,
    const char *error, const char *code)
{
    json_t      *err;
    ngx_uint_t   level;

    if (error) {
        err = json_pack("{s:s,s:{s:s}}", "error", error,
                        "details", "code", code);

        free(run->error_json);
        run->error_json = err ? json_dumps(err, JSON_COMPACT) : NULL;
        json_decref(err);

        if (run->error_json == NULL) {
            /* out of memory: the lease expires and the task is reclaimed */
            ngx_http_scandoc_queue_clean(run);
            return;
        }
    }

    level = (ngx_strcmp(kind, "crash") == 0) ? NGX_LOG_WARN : NGX_LOG_INFO;

    ngx_log_error(level, &run->log, 0, "failing: %s", kind);

    run->fn = NGX_HTTP_SCANDOC_FN("fail");
    run->argv[3] = error ? run->error_json : "";
    run->argvlen[3] = ngx_strlen(run->argv[3]);
    run->argv[4] = kind;
    run->argvlen[4] = ngx_strlen(kind);
    run->argc = 6;

    ngx_http_scandoc_queue_report(run);
}


static void
ngx_http_scandoc_queue_release(ngx_http_scandoc_run_t *run)
{
    ngx_log_error(NGX_LOG_NOTICE, &run->log, 0, "handing the task back");

    run->fn = NGX_HTTP_SCANDOC_FN("release");
    run->argc = 3;

    ngx_http_scandoc_queue_report(run);
}


/*
 * The report must not be lost while the lease may still be ours: when
 * Redis does not answer, it is retried every second, the run stays in the
 * heartbeat, and the outputs stay where finish() expects them.
 */

static void
ngx_http_scandoc_queue_report(ngx_http_scandoc_run_t *run)
{
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    run->state = NGX_HTTP_SCANDOC_RUN_REPORT;

    run->argv[0] = (const char *) q->consumer.data;
    run->argvlen[0] = q->consumer.len;
    run->argv[1] = (const char *) run->task_id.data;
    run->argvlen[1] = run->task_id.len;
    run->argv[2] = (const char *) run->attempt.data;
    run->argvlen[2] = run->attempt.len;

    /* one seed for all retries: the Function answers a repeat as done */

    if (run->argc == 6) {
        if (ngx_http_scandoc_new_id(run->seed, "seed") != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, &run->log, 0, "RAND_bytes() failed");
            run->argc = 5;
        }

        run->argv[5] = (const char *) run->seed;
        run->argvlen[5] = NGX_HTTP_SCANDOC_SEED_LEN;
    }

    run->report_until = ngx_current_msec
                        + ngx_max(q->smcf->lease, NGX_HTTP_SCANDOC_REPORT_KEEP);

    ngx_http_scandoc_queue_retry(&run->retry);
}


static void
ngx_http_scandoc_queue_retry(ngx_event_t *ev)
{
    ngx_http_scandoc_run_t *run = ev->data;

    if (ngx_http_scandoc_fcall(run->fn, run->argc, run->argv, run->argvlen,
                               ngx_http_scandoc_queue_reported, run)
        != NGX_OK)
    {
        ngx_add_timer(&run->retry, NGX_HTTP_SCANDOC_REPORT_RETRY);
    }
}


static void
ngx_http_scandoc_queue_reported(redisReply *reply, void *data)
{
    ngx_http_scandoc_run_t *run = data;

    ngx_int_t  status;

    if (ngx_http_scandoc_queue.exited) {
        return;
    }

    /* the first failure is logged, not every retry */

    status = ngx_http_scandoc_reply_check(reply, run->fn,
                                          run->retries ? NULL : &run->log);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_INTERNAL_SERVER_ERROR)
    {
        ngx_http_scandoc_queue.was_down = 1;

        if ((ngx_msec_int_t) (run->report_until - ngx_current_msec) > 0) {
            if (run->retries++ == 0) {
                ngx_log_error(NGX_LOG_WARN, &run->log, 0,
                              "%s: retrying every %M ms", run->fn,
                              (ngx_msec_t) NGX_HTTP_SCANDOC_REPORT_RETRY);
            }

            ngx_add_timer(&run->retry, NGX_HTTP_SCANDOC_REPORT_RETRY);
            return;
        }

        ngx_log_error(NGX_LOG_ERR, &run->log, 0,
                      "%s: Redis did not answer, giving up; the lease will "
                      "expire and the task run again", run->fn);

    } else if (status == NGX_HTTP_CONFLICT) {
        ngx_log_error(NGX_LOG_NOTICE, &run->log, 0,
                      "%s: stale attempt, its outputs are dropped", run->fn);

    } else if (status == NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_INFO, &run->log, 0, "%s: done", run->fn);
        run->unlink = 0;

    } else {
        ngx_log_error(NGX_LOG_ERR, &run->log, 0, "%s: unexpected status %i",
                      run->fn, status);
    }

    ngx_http_scandoc_queue_clean(run);
}


static void
ngx_http_scandoc_queue_clean(ngx_http_scandoc_run_t *run)
{
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    run->state = NGX_HTTP_SCANDOC_RUN_CLEAN;

    if (run->retry.timer_set) {
        ngx_del_timer(&run->retry);
    }

    if (!run->staged && !run->unlink) {
        ngx_http_scandoc_queue_free(run);
        return;
    }

    run->task->handler = ngx_http_scandoc_queue_remove;
    run->task->event.handler = ngx_http_scandoc_queue_cleaned;

    if (ngx_thread_task_post(q->smcf->io_pool, run->task) != NGX_OK) {
        /* the janitor will find the folder */
        ngx_http_scandoc_queue_free(run);
    }
}


/* io pool thread: drop the staging folder and unregistered outputs */

static void
ngx_http_scandoc_queue_remove(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_run_t *run = data;

    ngx_uint_t                  i;
    ngx_http_scandoc_output_t  *out;

    if (run->unlink) {
        out = run->outputs.elts;

        for (i = 0; i < run->outputs.nelts; i++) {
            if (out[i].moved) {
                (void) ngx_http_scandoc_storage_unlink(out[i].dst, &run->log);
            }
        }
    }

    if (run->staged) {
        (void) ngx_http_scandoc_storage_remove(run->staging.data, &run->log);
    }
}


static void
ngx_http_scandoc_queue_cleaned(ngx_event_t *ev)
{
    if (ngx_http_scandoc_queue.exited) {
        return;
    }

    ngx_http_scandoc_queue_free(ev->data);
}


static void
ngx_http_scandoc_queue_free(ngx_http_scandoc_run_t *run)
{
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    ngx_queue_remove(&run->queue);
    q->nruns--;

    if (q->nruns == 0) {
        q->heartbeat_ev.cancelable = 1;
    }

    json_decref(run->answer);
    free(run->job.result);
    free(run->result_json);
    free(run->error_json);
    free(run->outputs_json);

    ngx_destroy_pool(run->pool);

    if (q->exiting) {
        ngx_http_scandoc_queue_shutdown(&q->shutdown_ev);
    }
}


/*
 * Heartbeat: resets the leases of the tasks this worker holds every
 * lease/3, and carries their progress, at most once a second, when it
 * changed.  Redis being away only delays it; the next tick tries again.
 */

static void
ngx_http_scandoc_queue_heartbeat(ngx_event_t *ev)
{
    int                        argc;
    u_char                    *p, *progress;
    size_t                    *argvlen;
    ngx_int_t                  rc;
    ngx_uint_t                 n, changed, done, total;
    ngx_msec_t                 since;
    const char               **argv;
    ngx_queue_t               *qu;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = ev->data;

    if (ngx_exiting && !q->exiting) {
        /* no watcher connection, or it was not called */
        ngx_http_scandoc_queue_exit_begin(q);
    }

    ngx_add_timer(ev, ngx_min(q->heartbeat_every,
                              NGX_HTTP_SCANDOC_PROGRESS_EVERY));

    /* while tasks are held, this tick keeps an exiting worker (see above) */

    ev->cancelable = (q->nruns == 0 || q->gave_up);

    if (q->heartbeating || q->nruns == 0
        || !ngx_http_scandoc_redis_ready())
    {
        return;
    }

    n = 0;
    changed = 0;

    for (qu = ngx_queue_head(&q->runs);
         qu != ngx_queue_sentinel(&q->runs);
         qu = ngx_queue_next(qu))
    {
        run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

        if (run->state == NGX_HTTP_SCANDOC_RUN_CLEAN) {
            continue;
        }

        n++;

        if (run->state == NGX_HTTP_SCANDOC_RUN_ENGINE
            && run->job.total
            && (run->job.done != run->sent_done
                || run->job.total != run->sent_total))
        {
            changed = 1;
        }
    }

    since = ngx_current_msec - q->last_heartbeat;

    if (n == 0
        || (since < q->heartbeat_every
            && !(changed && since >= NGX_HTTP_SCANDOC_PROGRESS_EVERY)))
    {
        return;
    }

    /* task ids are [A-Za-z0-9_-]: no JSON escaping needed */

    argv = ngx_alloc((3 + 2 * n) * (sizeof(char *) + sizeof(size_t))
                     + 2 + n * (NGX_HTTP_SCANDOC_STORAGE_NAME + 40
                                + 2 * NGX_INT_T_LEN),
                     q->log);
    if (argv == NULL) {
        return;
    }

    argvlen = (size_t *) (argv + 3 + 2 * n);
    progress = (u_char *) (argvlen + 3 + 2 * n);

    argv[0] = (const char *) q->consumer.data;
    argvlen[0] = q->consumer.len;
    argv[1] = (const char *) q->lease.data;
    argvlen[1] = q->lease.len;

    argc = 3;
    p = progress;
    *p++ = '{';

    for (qu = ngx_queue_head(&q->runs);
         qu != ngx_queue_sentinel(&q->runs) && (ngx_uint_t) argc < 3 + 2 * n;
         qu = ngx_queue_next(qu))
    {
        run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

        if (run->state == NGX_HTTP_SCANDOC_RUN_CLEAN) {
            continue;
        }

        argv[argc] = (const char *) run->task_id.data;
        argvlen[argc++] = run->task_id.len;
        argv[argc] = (const char *) run->attempt.data;
        argvlen[argc++] = run->attempt.len;

        done = run->job.done;
        total = run->job.total;

        if (run->state == NGX_HTTP_SCANDOC_RUN_ENGINE && total) {
            p = ngx_sprintf(p, "%s\"%V\":{\"done\":%ui,\"total\":%ui}",
                            p == progress + 1 ? "" : ",", &run->task_id,
                            done, total);
            run->sent_done = done;
            run->sent_total = total;
        }
    }

    *p++ = '}';

    argv[2] = (const char *) progress;
    argvlen[2] = p - progress;

    rc = ngx_http_scandoc_fcall(NGX_HTTP_SCANDOC_FN("heartbeat"), argc, argv,
                                argvlen, ngx_http_scandoc_queue_heartbeaten,
                                q);

    ngx_free(argv);

    if (rc == NGX_OK) {
        q->heartbeating = 1;
        q->last_heartbeat = ngx_current_msec;
    }
}


static void
ngx_http_scandoc_queue_heartbeaten(redisReply *reply, void *data)
{
    ngx_http_scandoc_queue_t *q = data;

    size_t                   i;
    ngx_str_t                id;
    ngx_queue_t             *qu;
    ngx_http_scandoc_run_t  *run;

    q->heartbeating = 0;

    if (q->exited) {
        return;
    }

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {

        if (reply && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, q->log, 0,
                          "scandoc queue: heartbeat failed: %*s",
                          (size_t) reply->len, reply->str);
        }

        /* try again on the next tick */
        q->last_heartbeat = ngx_current_msec - q->heartbeat_every;
        q->was_down = 1;
        return;
    }

    for (i = 1; i < reply->elements; i++) {

        if (ngx_http_scandoc_reply_str(reply, i, &id) != NGX_OK) {
            continue;
        }

        for (qu = ngx_queue_head(&q->runs);
             qu != ngx_queue_sentinel(&q->runs);
             qu = ngx_queue_next(qu))
        {
            run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

            if (run->lost || run->state == NGX_HTTP_SCANDOC_RUN_CLEAN
                || run->task_id.len != id.len
                || ngx_strncmp(run->task_id.data, id.data, id.len) != 0)
            {
                continue;
            }

            /*
             * A run past the engine goes on: finish() or fail() answers
             * 409 for it and its outputs are dropped.
             */

            run->lost = 1;

            ngx_log_error(NGX_LOG_NOTICE, &run->log, 0,
                          "cancelled or lost to another worker%s",
                          run->state == NGX_HTTP_SCANDOC_RUN_ENGINE
                          ? ", killing its helper" : "");

            if (run->state == NGX_HTTP_SCANDOC_RUN_ENGINE) {
                ngx_http_scandoc_job_kill(&run->job);
            }
        }
    }
}


/* graceful shutdown (nginx -s quit, reload): see the top of the file */

static void
ngx_http_scandoc_queue_watcher(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_scandoc_queue_t  *q;

    c = ev->data;
    q = &ngx_http_scandoc_queue;

    if (!c->close) {
        return;
    }

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;
    q->watcher = NULL;

    ngx_http_scandoc_queue_exit_begin(q);
}


static void
ngx_http_scandoc_queue_exit_begin(ngx_http_scandoc_queue_t *q)
{
    q->exiting = 1;
    q->shutdown_start = ngx_current_msec;

    if (q->claim_ev.timer_set) {
        ngx_del_timer(&q->claim_ev);
    }

    if (q->nruns || q->claiming) {
        ngx_log_error(NGX_LOG_NOTICE, q->log, 0,
                      "scandoc queue: shutting down with %ui task(s), "
                      "waiting up to %M ms", q->nruns,
                      q->smcf->shutdown_grace);
    }

    ngx_http_scandoc_queue_shutdown(&q->shutdown_ev);
}


static void
ngx_http_scandoc_queue_shutdown(ngx_event_t *ev)
{
    ngx_msec_t                 elapsed;
    ngx_queue_t               *qu;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    if (q->nruns == 0 && !q->claiming) {
        if (ev->timer_set) {
            ngx_del_timer(ev);
        }

        if (!q->retired) {
            ngx_http_scandoc_queue_retire(q);
        }

        return;
    }

    elapsed = ngx_current_msec - q->shutdown_start;

    if (!q->killed && elapsed >= q->smcf->shutdown_grace) {
        q->killed = 1;

        for (qu = ngx_queue_head(&q->runs);
             qu != ngx_queue_sentinel(&q->runs);
             qu = ngx_queue_next(qu))
        {
            run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

            if (run->state == NGX_HTTP_SCANDOC_RUN_ENGINE) {
                run->handback = 1;
                ngx_http_scandoc_job_kill(&run->job);
            }
        }
    }

    if (elapsed >= q->smcf->shutdown_grace
                   + ngx_max(NGX_HTTP_SCANDOC_SHUTDOWN_EXTRA,
                             3 * q->smcf->redis_timeout))
    {
        if (!q->gave_up) {
            ngx_log_error(NGX_LOG_WARN, q->log, 0,
                          "scandoc queue: %ui task(s) not reported in time, "
                          "leaving them to their leases", q->nruns);
        }

        q->gave_up = 1;
        q->heartbeat_ev.cancelable = 1;
        return;
    }

    if (!ev->timer_set) {
        ngx_add_timer(ev, NGX_HTTP_SCANDOC_SHUTDOWN_TICK);
    }
}


/*
 * Every task of this worker is reported or handed back: its consumer may
 * leave the group (DESIGN.md: only one without pending entries, which
 * sd1_retire checks).  Best effort: a consumer left behind costs Redis a
 * few bytes, so a refusal, an error (a library without sd1_retire) or no
 * answer is let go.  A non-cancelable timer keeps the worker until the
 * answer: else it would exit before the call is even sent.
 */

static void
ngx_http_scandoc_queue_retire(ngx_http_scandoc_queue_t *q)
{
    size_t       argvlen[1];
    const char  *argv[1];

    q->retired = 1;

    if (q->gave_up || !ngx_http_scandoc_redis_ready()) {
        return;
    }

    argv[0] = (const char *) q->consumer.data;
    argvlen[0] = q->consumer.len;

    if (ngx_http_scandoc_fcall(NGX_HTTP_SCANDOC_FN("retire"), 1, argv,
                               argvlen, ngx_http_scandoc_queue_retired, q)
        != NGX_OK)
    {
        return;
    }

    ngx_add_timer(&q->retire_ev, 2 * q->smcf->redis_timeout);
}


static void
ngx_http_scandoc_queue_retired(redisReply *reply, void *data)
{
    ngx_http_scandoc_queue_t *q = data;

    ngx_int_t  status;

    if (q->exited) {
        return;
    }

    if (q->retire_ev.timer_set) {
        ngx_del_timer(&q->retire_ev);
    }

    status = ngx_http_scandoc_reply_status(reply);

    if (status == NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_INFO, q->log, 0,
                      "scandoc queue: consumer %V retired", &q->consumer);

    } else if (status == NGX_HTTP_CONFLICT) {
        ngx_log_error(NGX_LOG_INFO, q->log, 0,
                      "scandoc queue: consumer %V kept: it still has "
                      "pending entries", &q->consumer);
    }
}


static void
ngx_http_scandoc_queue_retire_hold(ngx_event_t *ev)
{
    /* no answer in time: the worker goes without it */
}


static void
ngx_http_scandoc_queue_schedule(ngx_msec_t delay)
{
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    if (q->exiting || q->exited || q->claiming) {
        return;
    }

    if (q->claim_ev.timer_set) {
        ngx_del_timer(&q->claim_ev);
    }

    ngx_add_timer(&q->claim_ev, delay);
}


/*
 * For the janitor: the staging folders of this worker's runs, whatever
 * their age (a report may be retried long after its engine ended).
 */

static ngx_int_t
ngx_http_scandoc_queue_busy(ngx_array_t *names)
{
    u_char                    *p;
    ngx_str_t                 *name, base;
    ngx_queue_t               *qu;
    ngx_http_scandoc_run_t    *run;
    ngx_http_scandoc_queue_t  *q;

    q = &ngx_http_scandoc_queue;

    for (qu = ngx_queue_head(&q->runs);
         qu != ngx_queue_sentinel(&q->runs);
         qu = ngx_queue_next(qu))
    {
        run = ngx_queue_data(qu, ngx_http_scandoc_run_t, queue);

        name = ngx_array_push(names);
        if (name == NULL) {
            return NGX_ERROR;
        }

        /* "<task>.<attempt>", after the last slash */

        p = run->staging.data + run->staging.len;
        while (*--p != '/') { /* void */ }

        base.data = p + 1;
        base.len = run->staging.data + run->staging.len - base.data;

        name->len = base.len;
        name->data = ngx_pstrdup(names->pool, &base);
        if (name->data == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static u_char *
ngx_http_scandoc_queue_log_handler(ngx_log_t *log, u_char *buf, size_t len)
{
    ngx_http_scandoc_run_t *run = log->data;

    return ngx_snprintf(buf, len, ", task: %V, attempt: %V",
                        &run->task_id, &run->attempt);
}
