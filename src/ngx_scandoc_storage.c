
/*
 * Copyright (C) scandoc authors
 *
 * Storage (DESIGN.md "Files and storage").  Objects are immutable files
 * at <storage>/<tenant>/<id[5:7]>/<id>; work in progress lives in
 * <storage>/.staging.  A commit makes the bytes durable (fsync of the
 * file, of every folder whose entry it created, rename, fsync of the
 * folder) before anybody registers them in Redis: an acknowledged object
 * survives a power cut.  Uploads and task outputs commit the same way.
 *
 * The janitor: a worker killed by a signal (or a host that lost power)
 * leaves its staging entries behind.  Every worker looks at .staging now
 * and then from an io pool thread and removes the entries nobody touched
 * for longer than any job may run: that is the only sign of a dead owner
 * that holds for the workers of other hosts sharing the storage too.
 * A killed worker also leaves the request bodies it was spooling in
 * client_body_temp_path, where nginx itself never looks again; files
 * there untouched for an hour are gone with it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <dirent.h>
#include <ftw.h>

#include "ngx_scandoc.h"
#include "ngx_scandoc_storage.h"


/*
 * A staging entry of a live job is at most max(task timeout, probe
 * timeout) old: a job's helper is killed at its deadline, and its outputs
 * are created near its end.  The lease and this margin cover the wait of
 * its commit in the io pool behind uploads.
 */
#define NGX_HTTP_SCANDOC_JANITOR_MARGIN  10000

/* the first look soon after start: a worker that crashed was replaced */
#define NGX_HTTP_SCANDOC_JANITOR_FIRST   5000
#define NGX_HTTP_SCANDOC_JANITOR_EVERY   300000

/*
 * A body in client_body_temp_path lives as long as its request: for the
 * API that is while it is received (each write touches it) and probed,
 * but a location elsewhere sharing the path may proxy its body upstream
 * for longer.  An hour keeps well clear of both.
 */
#define NGX_HTTP_SCANDOC_JANITOR_BODY    3600


typedef struct {
    ngx_thread_task_t              task;
    u_char                         path[1];
} ngx_http_scandoc_discard_t;


typedef struct {
    ngx_pool_t                    *pool;
    ngx_array_t                    busy;       /* of ngx_str_t */
} ngx_http_scandoc_sweep_t;


typedef struct {
    ngx_event_t                    timer;
    ngx_log_t                     *log;
    ngx_thread_pool_t             *io_pool;
    u_char                        *staging;    /* NUL-terminated */
    u_char                        *body_temp;  /* NUL-terminated */
    time_t                         age;        /* seconds */
    time_t                         body_age;
    time_t                         now;        /* of the sweep running */
    ngx_msec_t                     every;
    ngx_http_scandoc_storage_busy_pt  busy;
    unsigned                       sweeping:1;
} ngx_http_scandoc_janitor_t;


static ngx_int_t ngx_http_scandoc_storage_mkdir_p(u_char *dir, size_t root,
    ngx_log_t *log);
static ngx_int_t ngx_http_scandoc_storage_fsync_parent(u_char *path,
    ngx_log_t *log);
static ngx_int_t ngx_http_scandoc_storage_fsync_dir(u_char *dir,
    ngx_log_t *log);
static int ngx_http_scandoc_storage_remove_entry(const char *path,
    const struct stat *sb, int type, struct FTW *ftw);
static void ngx_http_scandoc_storage_discard_thread(void *data,
    ngx_log_t *log);
static void ngx_http_scandoc_storage_discard_done(ngx_event_t *ev);
static void ngx_http_scandoc_janitor_tick(ngx_event_t *ev);
static void ngx_http_scandoc_janitor_thread(void *data, ngx_log_t *log);
static int ngx_http_scandoc_janitor_body(const char *path,
    const struct stat *sb, int type, struct FTW *ftw);
static void ngx_http_scandoc_janitor_done(ngx_event_t *ev);


static ngx_http_scandoc_janitor_t  ngx_http_scandoc_janitor;


ngx_uint_t
ngx_http_scandoc_storage_name_valid(ngx_str_t *s)
{
    u_char  c;
    size_t  i;

    if (s->data == NULL || s->len == 0
        || s->len > NGX_HTTP_SCANDOC_STORAGE_NAME)
    {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


ngx_uint_t
ngx_http_scandoc_storage_rel_valid(ngx_str_t *rel)
{
    size_t  i;

    if (rel->len == 0 || rel->data[0] == '/' || rel->data[0] == '.') {
        return 0;
    }

    for (i = 0; i < rel->len; i++) {
        if (rel->data[i] == '\0'
            || (rel->data[i] == '.' && rel->data[i - 1] == '/'))
        {
            return 0;
        }
    }

    return 1;
}


u_char *
ngx_http_scandoc_storage_path(ngx_pool_t *pool, ngx_str_t *storage,
    ngx_str_t *tenant, ngx_str_t *id, ngx_str_t *rel)
{
    u_char  *path, *p;

    if (!ngx_http_scandoc_storage_name_valid(tenant)
        || !ngx_http_scandoc_storage_name_valid(id)
        || id->len < sizeof("file_xx") - 1)
    {
        return NULL;
    }

    path = ngx_pnalloc(pool, storage->len + 1 + tenant->len + 4 + id->len
                             + 1);
    if (path == NULL) {
        return NULL;
    }

    p = ngx_cpymem(path, storage->data, storage->len);
    *p++ = '/';

    /* the two characters after "file_" spread a tenant's files */

    p = ngx_sprintf(p, "%V/%*s/%V", tenant, (size_t) 2, id->data + 5, id);
    *p = '\0';

    if (rel) {
        rel->data = path + storage->len + 1;
        rel->len = p - rel->data;
    }

    return path;
}


ngx_int_t
ngx_http_scandoc_storage_mkdir(ngx_str_t *storage, u_char *dir,
    ngx_log_t *log)
{
    return ngx_http_scandoc_storage_mkdir_p(dir, storage->len, log);
}


/*
 * Tries the folder first: it usually exists.  A folder made here is only
 * durable once its parent is fsynced; a parent made by another thread at
 * the same moment is fsynced by that thread right after.
 */

static ngx_int_t
ngx_http_scandoc_storage_mkdir_p(u_char *dir, size_t root, ngx_log_t *log)
{
    u_char     *slash;
    ngx_int_t   rc;
    ngx_err_t   err;

    if (ngx_create_dir(dir, NGX_HTTP_SCANDOC_DIR_MODE) != NGX_FILE_ERROR) {
        return ngx_http_scandoc_storage_fsync_parent(dir, log);
    }

    err = ngx_errno;

    if (err == NGX_EEXIST) {
        return NGX_OK;
    }

    slash = (u_char *) strrchr((char *) dir, '/');

    /* storage itself is the administrator's: never made here */

    if (err != NGX_ENOENT || slash == NULL || (size_t) (slash - dir) <= root)
    {
        ngx_log_error(NGX_LOG_CRIT, log, err,
                      ngx_create_dir_n " \"%s\" failed", dir);
        return NGX_ERROR;
    }

    *slash = '\0';
    rc = ngx_http_scandoc_storage_mkdir_p(dir, root, log);
    *slash = '/';

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_create_dir(dir, NGX_HTTP_SCANDOC_DIR_MODE) != NGX_FILE_ERROR) {
        return ngx_http_scandoc_storage_fsync_parent(dir, log);
    }

    if (ngx_errno == NGX_EEXIST) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                  ngx_create_dir_n " \"%s\" failed", dir);

    return NGX_ERROR;
}


ngx_int_t
ngx_http_scandoc_storage_commit(ngx_str_t *storage, u_char *src, u_char *dst,
    off_t *size, ngx_log_t *log)
{
    u_char           *slash;
    ngx_fd_t          fd;
    ngx_int_t         rc;
    ngx_file_info_t   fi;

    /* an engine output is the helper's: it must be a plain file */

    fd = open((char *) src, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "\"%s\" cannot be opened", src);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "\"%s\" is not a regular file", src);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (size) {
        *size = ngx_file_size(&fi);
    }

    /* spooled bodies, copied parts and engine outputs: one mode for all */

    if (fchmod(fd, NGX_HTTP_SCANDOC_FILE_MODE) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "fchmod(\"%s\") failed", src);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "fsync(\"%s\") failed", src);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    ngx_close_file(fd);

    slash = (u_char *) strrchr((char *) dst, '/');
    *slash = '\0';

    rc = ngx_http_scandoc_storage_mkdir_p(dst, storage->len, log);

    *slash = '/';

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_rename_file(src, dst) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      ngx_rename_file_n " \"%s\" to \"%s\" failed", src, dst);
        return NGX_ERROR;
    }

    if (ngx_http_scandoc_storage_fsync_parent(dst, log) != NGX_OK) {
        /* not durable: nobody may register it */
        (void) ngx_http_scandoc_storage_unlink(dst, log);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_scandoc_storage_fsync_parent(u_char *path, ngx_log_t *log)
{
    u_char     *slash;
    ngx_int_t   rc;

    slash = (u_char *) strrchr((char *) path, '/');

    if (slash == NULL || slash == path) {
        return ngx_http_scandoc_storage_fsync_dir((u_char *) "/", log);
    }

    *slash = '\0';
    rc = ngx_http_scandoc_storage_fsync_dir(path, log);
    *slash = '/';

    return rc;
}


static ngx_int_t
ngx_http_scandoc_storage_fsync_dir(u_char *dir, ngx_log_t *log)
{
    int  fd, rc;

    fd = open((char *) dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);

    if (fd == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "open(\"%s\") failed", dir);
        return NGX_ERROR;
    }

    rc = fsync(fd);

    if (rc == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "fsync(\"%s\") failed", dir);
    }

    (void) close(fd);

    return rc == -1 ? NGX_ERROR : NGX_OK;
}


ngx_int_t
ngx_http_scandoc_storage_unlink(u_char *path, ngx_log_t *log)
{
    if (ngx_delete_file(path) == NGX_FILE_ERROR && ngx_errno != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      ngx_delete_file_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_storage_remove(u_char *path, ngx_log_t *log)
{
    /* depth first, on this file system only, symlinks removed as such */

    if (nftw((char *) path, ngx_http_scandoc_storage_remove_entry, 16,
             FTW_DEPTH|FTW_PHYS|FTW_MOUNT)
        != 0
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "removing \"%s\" failed", path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static int
ngx_http_scandoc_storage_remove_entry(const char *path, const struct stat *sb,
    int type, struct FTW *ftw)
{
    if (remove(path) == -1 && ngx_errno != NGX_ENOENT) {
        return -1;
    }

    return 0;
}


/*
 * The task is not in a request's pool: it outlives the request that
 * asked for it.
 */

void
ngx_http_scandoc_storage_discard(ngx_thread_pool_t *io_pool, u_char *path,
    size_t len, ngx_log_t *log)
{
    ngx_http_scandoc_discard_t  *d;

    d = ngx_calloc(sizeof(ngx_http_scandoc_discard_t) + len, log);
    if (d == NULL) {
        return;
    }

    ngx_memcpy(d->path, path, len);
    d->path[len] = '\0';

    d->task.ctx = d;
    d->task.handler = ngx_http_scandoc_storage_discard_thread;
    d->task.event.handler = ngx_http_scandoc_storage_discard_done;
    d->task.event.data = d;
    d->task.event.log = ngx_cycle->log;

    if (io_pool == NULL || ngx_thread_task_post(io_pool, &d->task) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "scandoc: \"%s\" not removed", d->path);
        ngx_free(d);
    }
}


static void
ngx_http_scandoc_storage_discard_thread(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_discard_t  *d = data;

    (void) ngx_http_scandoc_storage_unlink(d->path, log);
}


static void
ngx_http_scandoc_storage_discard_done(ngx_event_t *ev)
{
    ngx_free(ev->data);
}


/* the janitor: see the top of the file */

ngx_int_t
ngx_http_scandoc_janitor_init(ngx_cycle_t *cycle,
    ngx_http_scandoc_storage_busy_pt busy)
{
    u_char                        *p;
    ngx_msec_t                     age;
    ngx_http_scandoc_janitor_t    *j;
    ngx_http_scandoc_main_conf_t  *smcf;

    j = &ngx_http_scandoc_janitor;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scandoc_module);
    if (smcf == NULL || smcf->io_pool == NULL || smcf->storage.len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(cycle->pool, smcf->storage.len
                                 + sizeof(NGX_HTTP_SCANDOC_STAGING));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%V" NGX_HTTP_SCANDOC_STAGING "%Z", &smcf->storage);

    age = ngx_max(smcf->task_timeout, smcf->probe_timeout) + smcf->lease
          + NGX_HTTP_SCANDOC_JANITOR_MARGIN;

    j->staging = p;
    j->body_temp = smcf->body_temp.data;
    j->age = (time_t) (age + 999) / 1000;
    j->body_age = ngx_max(j->age, NGX_HTTP_SCANDOC_JANITOR_BODY);
    j->every = ngx_min(age / 2, NGX_HTTP_SCANDOC_JANITOR_EVERY);
    j->io_pool = smcf->io_pool;
    j->busy = busy;
    j->log = cycle->log;

    j->timer.handler = ngx_http_scandoc_janitor_tick;
    j->timer.data = j;
    j->timer.log = cycle->log;
    j->timer.cancelable = 1;

    /* the workers of a host need not all look at the same moment */

    ngx_add_timer(&j->timer, NGX_HTTP_SCANDOC_JANITOR_FIRST
                             + (ngx_msec_t) (ngx_random() % 1000));

    return NGX_OK;
}


void
ngx_http_scandoc_janitor_exit(ngx_cycle_t *cycle)
{
    ngx_http_scandoc_janitor_t  *j;

    j = &ngx_http_scandoc_janitor;

    if (j->timer.timer_set) {
        ngx_del_timer(&j->timer);
    }
}


static void
ngx_http_scandoc_janitor_tick(ngx_event_t *ev)
{
    ngx_pool_t                  *pool;
    ngx_thread_task_t           *task;
    ngx_http_scandoc_sweep_t    *sw;
    ngx_http_scandoc_janitor_t  *j;

    j = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_add_timer(ev, j->every);

    if (j->sweeping) {
        /* the io pool is that busy: the last look has not even begun */
        return;
    }

    pool = ngx_create_pool(1024, j->log);
    if (pool == NULL) {
        return;
    }

    sw = ngx_pcalloc(pool, sizeof(ngx_http_scandoc_sweep_t));
    task = ngx_thread_task_alloc(pool, 0);

    if (sw == NULL || task == NULL
        || ngx_array_init(&sw->busy, pool, 8, sizeof(ngx_str_t)) != NGX_OK
        || (j->busy && j->busy(&sw->busy) != NGX_OK))
    {
        ngx_destroy_pool(pool);
        return;
    }

    sw->pool = pool;

    task->ctx = sw;
    task->handler = ngx_http_scandoc_janitor_thread;
    task->event.handler = ngx_http_scandoc_janitor_done;
    task->event.data = sw;
    task->event.log = j->log;

    if (ngx_thread_task_post(j->io_pool, task) != NGX_OK) {
        ngx_destroy_pool(pool);
        return;
    }

    j->sweeping = 1;
}


/*
 * io pool thread.  One readdir() of .staging and an lstat() per entry is
 * all it costs while nothing is stale.
 */

static void
ngx_http_scandoc_janitor_thread(void *data, ngx_log_t *log)
{
    ngx_http_scandoc_sweep_t  *sw = data;

    DIR                         *dir;
    size_t                       len, n;
    time_t                       now;
    ngx_str_t                   *busy;
    ngx_uint_t                   i;
    struct stat                  st;
    struct dirent               *de;
    ngx_http_scandoc_janitor_t  *j;
    u_char                       path[NGX_MAX_PATH];

    j = &ngx_http_scandoc_janitor;

    dir = opendir((char *) j->staging);

    if (dir == NULL) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "scandoc janitor: opendir(\"%s\") failed",
                          j->staging);
        }

        return;
    }

    len = ngx_strlen(j->staging);
    now = time(NULL);
    busy = sw->busy.elts;

    while ((de = readdir(dir)) != NULL) {

        n = ngx_strlen(de->d_name);

        if (de->d_name[0] == '.' || len + 1 + n + 1 > sizeof(path)) {
            continue;
        }

        for (i = 0; i < sw->busy.nelts; i++) {
            if (busy[i].len == n
                && ngx_strncmp(busy[i].data, de->d_name, n) == 0)
            {
                break;
            }
        }

        if (i < sw->busy.nelts) {
            continue;
        }

        ngx_sprintf(path, "%s/%s%Z", j->staging, de->d_name);

        if (lstat((char *) path, &st) == -1 || now - st.st_mtime < j->age) {
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "scandoc janitor: removing \"%s\", untouched for "
                      "%T s", path, now - st.st_mtime);

        (void) ngx_http_scandoc_storage_remove(path, log);
    }

    (void) closedir(dir);

    if (j->body_temp == NULL) {
        return;
    }

    /* one sweep at a time in a worker: the callback may use j */

    j->now = now;

    if (nftw((char *) j->body_temp, ngx_http_scandoc_janitor_body, 8,
             FTW_PHYS) == -1
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "scandoc janitor: nftw(\"%s\") failed", j->body_temp);
    }
}


/* files only: the levels folders belong to nginx */

static int
ngx_http_scandoc_janitor_body(const char *path, const struct stat *sb,
    int type, struct FTW *ftw)
{
    ngx_http_scandoc_janitor_t  *j;

    j = &ngx_http_scandoc_janitor;

    if (type != FTW_F || j->now - sb->st_mtime < j->body_age) {
        return 0;
    }

    ngx_log_error(NGX_LOG_NOTICE, j->log, 0,
                  "scandoc janitor: removing request body \"%s\", "
                  "untouched for %T s", path, j->now - sb->st_mtime);

    (void) ngx_http_scandoc_storage_unlink((u_char *) path, j->log);

    return 0;
}


static void
ngx_http_scandoc_janitor_done(ngx_event_t *ev)
{
    ngx_http_scandoc_sweep_t  *sw = ev->data;

    ngx_http_scandoc_janitor.sweeping = 0;

    ngx_destroy_pool(sw->pool);
}
