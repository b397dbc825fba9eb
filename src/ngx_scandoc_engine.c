
/*
 * Copyright (C) scandoc authors
 *
 * Engine helpers.  A document parser must never run inside nginx, so
 * every pool thread that runs jobs owns one long-lived helper process,
 * "scandoc-engine --serve", and talks to it over two pipes: one JSON job
 * line in, progress lines and one result line out (docs/INTERNALS.md,
 * section 2).  The thread waits in poll() until the job's deadline; the
 * pipe is the source of truth: EOF without a result is a crash.
 *
 * The helper is the thread's own (thread-local state), spawned lazily on
 * the first job and again after it died, and reaped by the same thread:
 * workers run with SIGCHLD at SIG_DFL, so nobody else waits for it.
 *
 * The job line of a task is built here too, from what sd1_claim returned,
 * so that the helper's side of the protocol is in one file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <spawn.h>
#include <poll.h>
#include <jansson.h>

#include "ngx_scandoc.h"
#include "ngx_scandoc_engine.h"
#include "ngx_scandoc_storage.h"


#define NGX_HTTP_SCANDOC_LINE_START     (64 * 1024)
#define NGX_HTTP_SCANDOC_LINE_SLACK     (1024 * 1024)
#define NGX_HTTP_SCANDOC_PROGRESS_MAX   256
#define NGX_HTTP_SCANDOC_DEFAULT_PATH   "/usr/local/bin:/usr/bin:/bin"

/* how soon a running job notices a fast stop (ngx_terminate) */
#define NGX_HTTP_SCANDOC_TERMINATE_POLL  100

/* scandoc-engine's exit code when it cannot serve at all (setup failed) */
#define NGX_HTTP_SCANDOC_EXIT_SETUP     2


typedef struct {
    pid_t                       pid;
    int                         in;        /* the helper's stdin */
    int                         out;       /* the helper's stdout */

    unsigned                    fresh:1;   /* no job answered yet */
    unsigned                    heard:1;   /* wrote during this job */

    u_char                     *buf;       /* answer lines being read */
    size_t                      size;
    size_t                      len;
} ngx_http_scandoc_helper_t;


static ngx_int_t ngx_http_scandoc_helper_spawn(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_main_conf_t *smcf, ngx_log_t *log);
static void ngx_http_scandoc_helper_check(ngx_http_scandoc_helper_t *h,
    ngx_log_t *log);
static int ngx_http_scandoc_helper_reap(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_job_t *job, ngx_uint_t kill_first, ngx_log_t *log);
static ngx_int_t ngx_http_scandoc_helper_read(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_job_t *job, size_t cap, ngx_log_t *log);
static ngx_int_t ngx_http_scandoc_job_line(ngx_http_scandoc_job_t *job,
    u_char *line, size_t len, ngx_log_t *log);
static void ngx_http_scandoc_engine_sigchld(ngx_log_t *log);
static ngx_msec_t ngx_http_scandoc_engine_now(void);


static __thread ngx_http_scandoc_helper_t  ngx_http_scandoc_helper = {
    0, -1, -1, 0, 0, NULL, 0, 0
};

static __thread ngx_uint_t  ngx_http_scandoc_sigchld_done;


/* the helper's job line of a claimed task (docs/INTERNALS.md section 2) */

ngx_int_t
ngx_http_scandoc_job_prepare(ngx_http_scandoc_job_t *job, json_t *claimed,
    ngx_str_t *staging, ngx_pool_t *pool, ngx_log_t *log)
{
    char                          *s;
    u_char                        *path;
    size_t                         i;
    json_t                        *root, *inputs, *in, *params, *v, *limits,
                                  *list;
    ngx_str_t                      rel;
    json_int_t                     timeout;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_scandoc_module);

    v = json_object_get(claimed, "timeout_ms");
    timeout = json_is_integer(v) ? json_integer_value(v)
                                 : (json_int_t) smcf->task_timeout;

    job->timeout = (ngx_msec_t) ngx_max(timeout, 1);

    params = json_object_get(claimed, "parameters");
    inputs = json_object_get(claimed, "inputs");

    if (!json_is_string(json_object_get(claimed, "operation"))
        || !json_is_object(params) || !json_is_array(inputs))
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "claimed job lacks operation, parameters or inputs");
        return NGX_ERROR;
    }

    root = json_object();
    list = json_array();
    limits = json_pack("{s:I,s:I,s:I,s:I}",
                       "max_pixels", (json_int_t) smcf->max_pixels,
                       "max_pages", (json_int_t) smcf->max_pages,
                       "max_outputs", (json_int_t) smcf->max_outputs,
                       "max_text", (json_int_t) smcf->max_text);

    if (root == NULL || list == NULL || limits == NULL) {
        goto failed;
    }

    json_array_foreach(inputs, i, in) {

        rel.data = (u_char *) json_string_value(json_object_get(in, "path"));
        rel.len = rel.data ? ngx_strlen(rel.data) : 0;

        /* paths come from our own Function, but they name files to read */

        if (!ngx_http_scandoc_storage_rel_valid(&rel)) {
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "claimed job has a bad input path");
            goto failed;
        }

        path = ngx_pnalloc(pool, smcf->storage.len + 1 + rel.len + 1);
        if (path == NULL) {
            goto failed;
        }

        ngx_sprintf(path, "%V/%V%Z", &smcf->storage, &rel);

        v = json_object_get(in, "type");

        if (json_array_append_new(list,
                json_pack("{s:s,s:O}", "path", (char *) path,
                          "type", v ? v : json_null()))
            != 0)
        {
            goto failed;
        }
    }

    v = json_object_get(params, "password");

    if (json_object_set(root, "op", json_object_get(claimed, "operation")) != 0
        || json_object_set(root, "params", params) != 0
        || json_object_set_new(root, "inputs", list) != 0
        || json_object_set_new(root, "staging",
                               json_string((char *) staging->data))
           != 0
        || json_object_set_new(root, "limits", limits) != 0
        || json_object_set(root, "password",
                           json_is_string(v) ? v : json_null())
           != 0)
    {
        list = NULL;
        limits = NULL;
        goto failed;
    }

    s = json_dumps(root, JSON_COMPACT);

    json_decref(root);

    if (s == NULL) {
        return NGX_ERROR;
    }

    job->len = ngx_strlen(s);
    job->line = ngx_pnalloc(pool, job->len);

    if (job->line != NULL) {
        ngx_memcpy(job->line, s, job->len);
    }

    free(s);

    return job->line ? NGX_OK : NGX_ERROR;

failed:

    json_decref(root);
    json_decref(list);
    json_decref(limits);

    return NGX_ERROR;
}



ngx_int_t
ngx_http_scandoc_job_run(ngx_http_scandoc_job_t *job, ngx_log_t *log)
{
    int                            n, nfds;
    size_t                         cap, sent;
    ssize_t                        w;
    ngx_int_t                      rc;
    ngx_msec_t                     now, deadline;
    struct pollfd                  pfd[2];
    ngx_http_scandoc_helper_t     *h;
    ngx_http_scandoc_main_conf_t  *smcf;

    h = &ngx_http_scandoc_helper;

    job->outcome = NGX_HTTP_SCANDOC_JOB_CRASH;
    job->result = NULL;
    job->result_len = 0;
    job->oversize = 0;
    job->nospawn = 0;
    job->done = 0;
    job->total = 0;

    if (job->killed || ngx_terminate) {
        /* stopped while it waited in the pool's queue */
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_scandoc_module);

    /*
     * The cap bounds what one answer may cost this thread in memory: the
     * result text (scandoc_max_text) may grow by JSON escaping, and the
     * outputs list and the rest of the result come on top.
     */
    cap = 2 * smcf->max_text + NGX_HTTP_SCANDOC_LINE_SLACK;

    if (h->pid) {
        ngx_http_scandoc_helper_check(h, log);
    }

    if (h->pid == 0) {
        ngx_http_scandoc_engine_sigchld(log);

        if (ngx_http_scandoc_helper_spawn(h, smcf, log) != NGX_OK) {
            job->nospawn = 1;
            return NGX_OK;
        }
    }

    /* one huge answer must not pin its buffer for the thread's life */

    if (h->size > NGX_HTTP_SCANDOC_LINE_SLACK) {
        free(h->buf);
        h->buf = NULL;
        h->size = 0;
    }

    h->len = 0;
    h->heard = 0;

    job->pid = h->pid;

    /* a kill requested before the pid was published */

    if (job->killed) {
        ngx_http_scandoc_helper_reap(h, job, 1, log);
        return NGX_OK;
    }

    now = ngx_http_scandoc_engine_now();
    deadline = now + job->timeout;
    sent = 0;

    for ( ;; ) {

        if (now >= deadline) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "engine helper %P: deadline of %M ms reached, "
                          "killing it", h->pid, job->timeout);

            ngx_http_scandoc_helper_reap(h, job, 1, log);
            job->outcome = NGX_HTTP_SCANDOC_JOB_TIMEOUT;
            return NGX_OK;
        }

        pfd[0].fd = h->out;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
        nfds = 1;

        /* the job line may exceed the pipe buffer: write as we can */

        if (sent < job->len + 1) {
            pfd[1].fd = h->in;
            pfd[1].events = POLLOUT;
            pfd[1].revents = 0;
            nfds = 2;
        }

        /*
         * A fast stop: the thread pool's exit handler waits for this
         * thread before the module's can hand the task back, and the
         * master kills a worker that takes over a second or so.
         */

        if (ngx_terminate) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "engine helper %P: the worker is terminating, "
                          "killing it", h->pid);

            ngx_http_scandoc_helper_reap(h, job, 1, log);
            return NGX_OK;
        }

        n = poll(pfd, nfds, (int) ngx_min(deadline - now,
                                          NGX_HTTP_SCANDOC_TERMINATE_POLL));

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                now = ngx_http_scandoc_engine_now();
                continue;
            }

            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "engine helper %P: poll() failed", h->pid);

            ngx_http_scandoc_helper_reap(h, job, 1, log);
            return NGX_OK;
        }

        if (nfds == 2 && pfd[1].revents) {

            if (sent < job->len) {
                w = write(h->in, job->line + sent, job->len - sent);

            } else {
                w = write(h->in, "\n", 1);
            }

            if (w > 0) {
                sent += w;

            } else if (ngx_errno != NGX_EAGAIN && ngx_errno != NGX_EINTR) {

                /* EPIPE: the helper is gone, its EOF will tell */

                sent = job->len + 1;
            }
        }

        if (pfd[0].revents) {
            rc = ngx_http_scandoc_helper_read(h, job, cap, log);

            if (rc != NGX_AGAIN) {
                return NGX_OK;
            }
        }

        now = ngx_http_scandoc_engine_now();
    }
}


void
ngx_http_scandoc_job_kill(ngx_http_scandoc_job_t *job)
{
    pid_t  pid;

    job->killed = 1;

    pid = job->pid;

    /*
     * The thread clears job->pid before it reaps the helper, and a helper
     * that died stays a zombie until then, so the pid cannot have been
     * reused by the time the signal arrives.
     */

    if (pid > 0) {
        (void) kill(pid, SIGKILL);
    }
}


/*
 * Reads what the helper wrote: NGX_AGAIN while the job runs, NGX_DONE once
 * the job has an outcome (result line, EOF, error, a line over the cap).
 */

static ngx_int_t
ngx_http_scandoc_helper_read(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_job_t *job, size_t cap, ngx_log_t *log)
{
    int          status;
    u_char      *p, *nl, *start, *buf;
    size_t       size;
    ssize_t      n;
    ngx_uint_t   fresh;

    for ( ;; ) {

        if (h->len == h->size) {

            if (h->size >= cap) {
                ngx_log_error(NGX_LOG_ERR, log, 0,
                              "engine helper %P: answer line longer than "
                              "%uz bytes, killing it", h->pid, cap);

                job->oversize = 1;
                ngx_http_scandoc_helper_reap(h, job, 1, log);
                return NGX_DONE;
            }

            size = h->size ? ngx_min(2 * h->size, cap)
                           : NGX_HTTP_SCANDOC_LINE_START;

            buf = realloc(h->buf, size);
            if (buf == NULL) {
                ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                              "engine helper %P: realloc(%uz) failed",
                              h->pid, size);

                ngx_http_scandoc_helper_reap(h, job, 1, log);
                return NGX_DONE;
            }

            h->buf = buf;
            h->size = size;
        }

        n = read(h->out, h->buf + h->len, h->size - h->len);

        if (n == 0) {
            fresh = h->fresh && !h->heard;
            status = ngx_http_scandoc_helper_reap(h, job, 0, log);

            /*
             * A new helper that exits with the engine's setup code before
             * saying anything could not start (models, libraries, limits):
             * this host's trouble, not a crash of the job.
             */

            if (fresh && status != -1 && WIFEXITED(status)
                && WEXITSTATUS(status) == NGX_HTTP_SCANDOC_EXIT_SETUP)
            {
                ngx_log_error(NGX_LOG_ALERT, log, 0,
                              "engine helper could not start, see its "
                              "message above");
                job->nospawn = 1;
            }

            return NGX_DONE;
        }

        if (n == -1) {
            if (ngx_errno == NGX_EAGAIN) {
                return NGX_AGAIN;
            }

            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "engine helper %P: read() failed", h->pid);

            ngx_http_scandoc_helper_reap(h, job, 1, log);
            return NGX_DONE;
        }

        h->heard = 1;

        /* only the new bytes can hold a newline */

        p = h->buf + h->len;
        h->len += n;
        start = h->buf;

        while ((nl = ngx_strlchr(p, h->buf + h->len, '\n')) != NULL) {

            if (ngx_http_scandoc_job_line(job, start, nl - start, log)
                == NGX_DONE)
            {
                if (nl + 1 != h->buf + h->len) {

                    /*
                     * One job, one answer: bytes after the result mean the
                     * helper and this thread no longer agree on where a job
                     * starts, so start over with a fresh helper.
                     */

                    ngx_log_error(NGX_LOG_ERR, log, 0,
                                  "engine helper %P: %uz bytes after the "
                                  "result line, restarting the helper",
                                  h->pid, (size_t) (h->buf + h->len - nl - 1));

                    job->pid = 0;
                    ngx_http_scandoc_helper_reap(h, NULL, 1, log);
                }

                h->fresh = 0;
                job->pid = 0;
                return NGX_DONE;
            }

            start = nl + 1;
            p = start;
        }

        /* keep the partial line at the start of the buffer */

        if (start != h->buf) {
            h->len = h->buf + h->len - start;
            ngx_memmove(h->buf, start, h->len);
        }
    }
}


/*
 * One answer line: a progress line updates the job and returns NGX_AGAIN,
 * anything else is the result (the caller parses it) and returns NGX_DONE.
 */

static ngx_int_t
ngx_http_scandoc_job_line(ngx_http_scandoc_job_t *job, u_char *line,
    size_t len, ngx_log_t *log)
{
    json_t        *root, *progress, *done, *total;
    json_error_t   err;

    if (len < NGX_HTTP_SCANDOC_PROGRESS_MAX) {

        root = json_loadb((char *) line, len, 0, &err);

        if (root) {
            progress = json_object_get(root, "progress");

            if (json_is_object(progress)) {
                done = json_object_get(progress, "done");
                total = json_object_get(progress, "total");

                if (json_is_integer(done) && json_is_integer(total)
                    && json_integer_value(done) >= 0
                    && json_integer_value(total) >= 0)
                {
                    job->total = json_integer_value(total);
                    job->done = json_integer_value(done);
                }

                json_decref(root);
                return NGX_AGAIN;
            }

            json_decref(root);
        }
    }

    job->result = malloc(len + 1);
    if (job->result == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "engine: malloc(%uz) failed", len + 1);
        return NGX_DONE;
    }

    ngx_memcpy(job->result, line, len);
    job->result[len] = '\0';
    job->result_len = len;
    job->outcome = NGX_HTTP_SCANDOC_JOB_RESULT;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_scandoc_helper_spawn(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_main_conf_t *smcf, ngx_log_t *log)
{
    int                          in[2], out[2], err;
    char                        *path, *argv[5], *envp[4];
    char                         memory[NGX_OFF_T_LEN + 1];
    char                         tessdata[NGX_MAX_PATH + 32];
    char                         envpath[NGX_MAX_PATH + 8];
    char                         engine[NGX_MAX_PATH];
    sigset_t                     set;
    posix_spawnattr_t            attr;
    posix_spawn_file_actions_t   fa;

    if (smcf->engine_path.len >= sizeof(engine)) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "engine path too long");
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) engine, smcf->engine_path.data,
                smcf->engine_path.len + 1);

    ngx_snprintf((u_char *) memory, sizeof(memory) - 1, "%uz%Z",
                 smcf->helper_memory);

    ngx_snprintf((u_char *) tessdata, sizeof(tessdata) - 1,
                 "TESSDATA_PREFIX=%V%Z", &smcf->tessdata);

    /* nginx clears the environment of its workers; PATH may be gone */

    path = getenv("PATH");

    ngx_snprintf((u_char *) envpath, sizeof(envpath) - 1, "PATH=%s%Z",
                 path ? path : NGX_HTTP_SCANDOC_DEFAULT_PATH);

    argv[0] = engine;
    argv[1] = "--serve";
    argv[2] = "--memory";
    argv[3] = memory;
    argv[4] = NULL;

    /* one OpenMP thread per helper: the slots are the parallelism */

    envp[0] = "OMP_THREAD_LIMIT=1";
    envp[1] = tessdata;
    envp[2] = envpath;
    envp[3] = NULL;

    /*
     * Close-on-exec on our ends, so helpers spawned at the same time by
     * other threads do not hold them (and EOF still means death).
     */

    if (pipe2(in, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno, "pipe2() failed");
        return NGX_ERROR;
    }

    if (pipe2(out, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno, "pipe2() failed");
        close(in[0]);
        close(in[1]);
        return NGX_ERROR;
    }

    /*
     * dup2() onto 0 and 1 drops close-on-exec only if the descriptors
     * differ; a worker always has 0, 1 and 2 open, so they do.
     */

    if (in[0] <= 2 || out[1] <= 2) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "engine: standard descriptors are not open");
        goto failed;
    }

    err = posix_spawn_file_actions_init(&fa);
    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "posix_spawn_file_actions_init() failed");
        goto failed;
    }

    err = posix_spawnattr_init(&attr);
    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, err, "posix_spawnattr_init() failed");
        posix_spawn_file_actions_destroy(&fa);
        goto failed;
    }

    /*
     * nginx accepts sockets without close-on-exec, so everything but the
     * two pipes is closed in the child; stderr stays: it is nginx's error
     * log, where a helper's last words (an abort, an assertion) belong.
     * nginx threads block all signals, and the worker ignores some: the
     * helper starts with an empty mask and default dispositions, in a
     * process group of its own (a terminal's ^C is not for it; it dies with
     * its thread through PR_SET_PDEATHSIG).
     */

    (void) sigemptyset(&set);

    if (posix_spawn_file_actions_adddup2(&fa, in[0], 0) != 0
        || posix_spawn_file_actions_adddup2(&fa, out[1], 1) != 0
        || posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0
        || posix_spawnattr_setsigmask(&attr, &set) != 0
        || sigfillset(&set) != 0
        || posix_spawnattr_setsigdefault(&attr, &set) != 0
        || posix_spawnattr_setpgroup(&attr, 0) != 0
        || posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK
                                           |POSIX_SPAWN_SETSIGDEF
                                           |POSIX_SPAWN_SETPGROUP)
           != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "engine: posix_spawn setup failed");
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        goto failed;
    }

    err = posix_spawn(&h->pid, engine, &fa, &attr, argv, envp);

    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);

    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "posix_spawn(\"%s\") failed", engine);
        h->pid = 0;
        goto failed;
    }

    close(in[0]);
    close(out[1]);

    h->in = in[1];
    h->out = out[0];
    h->fresh = 1;

    if (ngx_nonblocking(h->in) == -1 || ngx_nonblocking(h->out) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_nonblocking_n " failed");
        ngx_http_scandoc_helper_reap(h, NULL, 1, log);
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, log, 0, "engine helper %P started", h->pid);

    return NGX_OK;

failed:

    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);

    return NGX_ERROR;
}


/* a helper that died between jobs costs no task anything */

static void
ngx_http_scandoc_helper_check(ngx_http_scandoc_helper_t *h, ngx_log_t *log)
{
    int    status;
    pid_t  pid;

    pid = waitpid(h->pid, &status, WNOHANG);

    if (pid == 0) {
        return;
    }

    if (pid == h->pid) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "engine helper %P died while idle (status %d), "
                      "starting another one", h->pid, status);

    } else {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "engine helper %P: waitpid() failed", h->pid);
    }

    close(h->in);
    close(h->out);
    h->in = -1;
    h->out = -1;
    h->pid = 0;
}


/*
 * Ends the helper: SIGKILL first unless it closed its stdout itself (then
 * it is exiting, or a broken helper gets killed after all), and wait for
 * it, so no zombie is left and the pid stays ours until then.
 */

static int
ngx_http_scandoc_helper_reap(ngx_http_scandoc_helper_t *h,
    ngx_http_scandoc_job_t *job, ngx_uint_t kill_first, ngx_log_t *log)
{
    int        status;
    pid_t      pid;
    ngx_err_t  err;

    status = -1;

    if (job) {
        job->pid = 0;
    }

    pid = h->pid;

    if (kill_first) {
        (void) kill(pid, SIGKILL);
    }

    close(h->in);
    close(h->out);
    h->in = -1;
    h->out = -1;
    h->pid = 0;

    for ( ;; ) {
        if (waitpid(pid, &status, 0) == pid) {
            break;
        }

        err = ngx_errno;

        if (err == NGX_EINTR) {
            continue;
        }

        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "engine helper %P: waitpid() failed", pid);
        return -1;
    }

    if (job == NULL || kill_first || job->killed) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "engine helper %P ended (status %d)", pid, status);
        return status;
    }

    if (WIFSIGNALED(status)) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "engine helper %P killed by signal %d without a "
                      "result", pid, WTERMSIG(status));

    } else {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "engine helper %P exited with code %d without a "
                      "result", pid, WEXITSTATUS(status));
    }

    return status;
}


/*
 * A helper's SIGCHLD goes to the thread that spawned it.  nginx threads
 * block every signal, and a blocked signal is not discarded even when its
 * disposition ignores it: it stays pending for the process and interrupts
 * the event loop's epoll_wait() (an "Interrupted system call" line per
 * helper).  Unblocked in this thread, the SIG_DFL that workers set for
 * SIGCHLD discards it at once; the exit status waits for waitpid() all
 * the same.  Not done if anyone installed a handler: it must not run here.
 */

static void
ngx_http_scandoc_engine_sigchld(ngx_log_t *log)
{
    sigset_t          set;
    struct sigaction  sa;

    if (ngx_http_scandoc_sigchld_done) {
        return;
    }

    ngx_http_scandoc_sigchld_done = 1;

    if (sigaction(SIGCHLD, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL) {
        return;
    }

    (void) sigemptyset(&set);
    (void) sigaddset(&set, SIGCHLD);

    if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "pthread_sigmask() failed");
    }
}


static ngx_msec_t
ngx_http_scandoc_engine_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (ngx_msec_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
