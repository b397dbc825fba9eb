
/*
 * Copyright (C) scandoc authors
 *
 * Engine helpers: the job runner that a pool thread uses to hand one job
 * to its own long-lived "scandoc-engine --serve" process (docs/INTERNALS.md
 * sections 2 and 3).
 */


#ifndef _NGX_SCANDOC_ENGINE_H_INCLUDED_
#define _NGX_SCANDOC_ENGINE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>


/* job->outcome */
#define NGX_HTTP_SCANDOC_JOB_RESULT    0   /* result line in job->result */
#define NGX_HTTP_SCANDOC_JOB_TIMEOUT   1   /* deadline: helper was killed */
#define NGX_HTTP_SCANDOC_JOB_CRASH     2   /* no result: EOF, kill, spawn
                                              failure, line over the cap */


/* the caller zeroes it (killed in particular), then sets the first three */

typedef struct {
    /* set by the caller */
    u_char                 *line;          /* job JSON, without newline */
    size_t                  len;
    ngx_msec_t              timeout;       /* from the start of the run */

    /*
     * Written by the pool thread, read by the event loop: the helper that
     * runs this job (0 when none), and the latest progress line.
     */
    volatile pid_t          pid;
    volatile ngx_uint_t     done;
    volatile ngx_uint_t     total;

    /* set by ngx_http_scandoc_job_run() */
    ngx_int_t               outcome;
    u_char                 *result;        /* malloc()ed, NUL-terminated;
                                              the caller free()s it */
    size_t                  result_len;    /* without the NUL */

    /* with _CRASH: the helper's answer was longer than the line cap */
    ngx_uint_t              oversize;
    /* with _CRASH: no helper could be started (not the job's fault) */
    ngx_uint_t              nospawn;
    /* set by ngx_http_scandoc_job_kill() on the event loop */
    volatile ngx_uint_t     killed;
} ngx_http_scandoc_job_t;


/*
 * Event loop: the job line of a task (docs/INTERNALS.md section 2) from its
 * claimed job (the "operation", "parameters", "inputs" and "timeout_ms"
 * that sd1_claim returns) and the attempt's staging folder: sets
 * job->line (allocated in pool), job->len and job->timeout.  NGX_ERROR:
 * no helper could run it (the claimed job is unusable, which is logged, or
 * memory ran out).
 */
ngx_int_t ngx_http_scandoc_job_prepare(ngx_http_scandoc_job_t *job,
    json_t *claimed, ngx_str_t *staging, ngx_pool_t *pool, ngx_log_t *log);

/*
 * Runs one job on the calling thread's helper, spawning the helper first
 * if the thread has none (or its helper died while idle).  Blocks until
 * the result line, the deadline or the helper's death.  Only ever called
 * from a thread pool thread; always returns NGX_OK and reports the rest
 * in job->outcome.  log should name the job: the helper's troubles are
 * logged there.  The helper gets "--serve --memory <scandoc_helper_memory>",
 * OMP_THREAD_LIMIT=1, TESSDATA_PREFIX and PATH, an empty signal mask,
 * default dispositions, no descriptor but its pipes and stderr; its
 * answer lines are capped at 2 * scandoc_max_text + 1m.
 */
ngx_int_t ngx_http_scandoc_job_run(ngx_http_scandoc_job_t *job,
    ngx_log_t *log);

/*
 * Event loop side: kills the helper running the job (a cancel, a lost
 * lease, shutdown).  The thread then sees EOF and reports _CRASH with
 * job->killed set.  Harmless when the job has no helper (yet or any more).
 */
void ngx_http_scandoc_job_kill(ngx_http_scandoc_job_t *job);


#endif /* _NGX_SCANDOC_ENGINE_H_INCLUDED_ */
