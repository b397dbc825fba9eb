
/*
 * Copyright (C) scandoc authors
 *
 * Storage: where objects live and how they get there durably
 * (DESIGN.md "Files and storage"), for uploads and task outputs alike;
 * and the janitor that removes what crashed workers left in staging.
 *
 * Everything but ngx_http_scandoc_storage_discard() and the janitor's
 * hooks blocks on the file system: call it from an io pool thread.
 */


#ifndef _NGX_SCANDOC_STORAGE_H_INCLUDED_
#define _NGX_SCANDOC_STORAGE_H_INCLUDED_


#include "ngx_scandoc.h"


/* work in progress: <storage>/.staging/<id>.upload, .../<task>.<attempt>/ */
#define NGX_HTTP_SCANDOC_STAGING       "/.staging"

/* only the workers (and their helpers) ever read storage */
#define NGX_HTTP_SCANDOC_DIR_MODE      0700
#define NGX_HTTP_SCANDOC_FILE_MODE     0600

/* ids and tenants become file names: [A-Za-z0-9_-], at most this long */
#define NGX_HTTP_SCANDOC_STORAGE_NAME  64


/*
 * The names of the staging entries that this worker's live jobs use, for
 * the janitor: pushed to names (of ngx_str_t), copied into names->pool.
 */
typedef ngx_int_t (*ngx_http_scandoc_storage_busy_pt)(ngx_array_t *names);


/* true when s is a safe file name (see NGX_HTTP_SCANDOC_STORAGE_NAME) */
ngx_uint_t ngx_http_scandoc_storage_name_valid(ngx_str_t *s);

/*
 * True when rel, a path relative to storage that came from Redis, stays
 * inside storage: not empty, not absolute, no component starting with '.'
 * (so no "..", and nothing in .staging), no NUL.
 */
ngx_uint_t ngx_http_scandoc_storage_rel_valid(ngx_str_t *rel);

/*
 * "<storage>/<tenant>/<id[5:7]>/<id>", NUL-terminated, allocated in pool;
 * rel, when not NULL, is set to its "<tenant>/..." part (the path_rel
 * that Redis keeps).  NULL when tenant or id is not a valid name (or id
 * is shorter than "file_xx") or on allocation failure.
 */
u_char *ngx_http_scandoc_storage_path(ngx_pool_t *pool, ngx_str_t *storage,
    ngx_str_t *tenant, ngx_str_t *id, ngx_str_t *rel);

/*
 * mkdir -p of dir (NUL-terminated, absolute, inside storage; modified
 * while it runs, restored on return): the folders that are created get
 * NGX_HTTP_SCANDOC_DIR_MODE and their names are made durable by an fsync
 * of their parent.  storage itself is never created.  Errors are logged.
 */
ngx_int_t ngx_http_scandoc_storage_mkdir(ngx_str_t *storage, u_char *dir,
    ngx_log_t *log);

/*
 * Commits src (a regular file in staging, not a symlink) as dst (from
 * ngx_http_scandoc_storage_path()): fsync of the file, its folders made
 * as by ngx_http_scandoc_storage_mkdir(), rename, fsync of the folder.
 * NGX_OK: dst is durable and *size (when size is not NULL) is its size.
 * NGX_ERROR: logged; dst does not exist, src may still.
 */
ngx_int_t ngx_http_scandoc_storage_commit(ngx_str_t *storage, u_char *src,
    u_char *dst, off_t *size, ngx_log_t *log);

/* unlink(); a file that is already gone is no error; others are logged */
ngx_int_t ngx_http_scandoc_storage_unlink(u_char *path, ngx_log_t *log);

/* rm -rf of a staging folder (or file), without following symlinks */
ngx_int_t ngx_http_scandoc_storage_remove(u_char *path, ngx_log_t *log);

/*
 * From the event loop: unlinks path (len bytes, copied) in the io pool.
 * Nobody waits for it; a failure is logged.
 */
void ngx_http_scandoc_storage_discard(ngx_thread_pool_t *io_pool,
    u_char *path, size_t len, ngx_log_t *log);

/*
 * Per worker: starts the janitor's timer (by the queue's init, which
 * knows the live jobs through busy), and stops it.
 */
ngx_int_t ngx_http_scandoc_janitor_init(ngx_cycle_t *cycle,
    ngx_http_scandoc_storage_busy_pt busy);
void ngx_http_scandoc_janitor_exit(ngx_cycle_t *cycle);


#endif /* _NGX_SCANDOC_STORAGE_H_INCLUDED_ */
