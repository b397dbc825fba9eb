
/*
 * Copyright (C) scandoc authors
 *
 * Types shared by every part of the nginx glue.  Each part keeps its own
 * prototypes in its own header (ngx_scandoc_redis.h, ngx_scandoc_store.h,
 * ngx_scandoc_http.h, ngx_scandoc_engine.h, ngx_scandoc_queue.h); this one
 * holds the configuration, which all of them read.
 */


#ifndef _NGX_SCANDOC_H_INCLUDED_
#define _NGX_SCANDOC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>


/* data-model and Function-library version: keys "sd1:", functions "sd1_" */
#define NGX_HTTP_SCANDOC_LIB_VERSION   "1"
#define NGX_HTTP_SCANDOC_LIB_NAME      "scandoc_1"
#define NGX_HTTP_SCANDOC_FN(name)      "sd1_" name


typedef struct {
    /* some location has "scandoc": workers connect, claim and run tasks */
    ngx_flag_t                 enabled;

    /* Redis: "unix:/path" or "host:port" */
    ngx_str_t                  redis_addr;
    ngx_str_t                  redis_password;
    ngx_int_t                  redis_db;
    ngx_msec_t                 redis_timeout;

    /* redis_addr parsed at configuration time, NUL-terminated for hiredis */
    char                      *redis_path;     /* unix socket, or NULL */
    char                      *redis_host;     /* or NULL */
    int                        redis_port;

    /* absolute path without a trailing slash */
    ngx_str_t                  storage;

    /* the http level client_body_temp_path, NUL-terminated: swept too */
    ngx_str_t                  body_temp;

    /* the scandoc-engine binary and the tesseract models */
    ngx_str_t                  engine_path;
    ngx_str_t                  tessdata;
    ngx_str_t                  default_language;
    ngx_array_t               *languages;      /* of ngx_str_t, found at
                                                  configuration time */

    ngx_str_t                  engine_pool_name;
    ngx_thread_pool_t         *engine_pool;
    ngx_uint_t                 engine_slots;

    ngx_str_t                  io_pool_name;
    ngx_thread_pool_t         *io_pool;

    ngx_msec_t                 task_timeout;   /* per task, all attempts */
    ngx_msec_t                 probe_timeout;  /* upload probing */
    ngx_msec_t                 lease;          /* queue lease */
    ngx_msec_t                 shutdown_grace;
    ngx_uint_t                 max_attempts;   /* crash budget */
    ngx_uint_t                 active_limit;   /* queued tasks per tenant */

    /* helper limits */
    size_t                     helper_memory;  /* RLIMIT_AS */
    ngx_uint_t                 max_pixels;
    ngx_uint_t                 max_pages;
    ngx_uint_t                 max_outputs;
    size_t                     max_text;

    size_t                     json_max;       /* JSON request bodies */

    ngx_str_t                  errors_base;    /* problem "type" base */
    ngx_str_t                  public_url;     /* for links; may be empty */
    ngx_str_t                  files_location; /* internal location that
                                                  aliases storage */

    /* the Redis Function library, embedded at build time */
    ngx_str_t                  library;
} ngx_http_scandoc_main_conf_t;


#define NGX_HTTP_SCANDOC_OFF       0
#define NGX_HTTP_SCANDOC_API       1
#define NGX_HTTP_SCANDOC_PROBLEM   2
#define NGX_HTTP_SCANDOC_STATUS    3


typedef struct {
    ngx_uint_t                 handler;        /* NGX_HTTP_SCANDOC_* */
} ngx_http_scandoc_loc_conf_t;


extern ngx_module_t  ngx_http_scandoc_module;


/* content handlers set by "scandoc", "scandoc_problem", "scandoc_status" */
ngx_int_t ngx_http_scandoc_api_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_scandoc_problem_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_scandoc_status_handler(ngx_http_request_t *r);

/*
 * Per-worker hooks of the queue, called by init_process after
 * ngx_http_scandoc_redis_init() and by exit_process before
 * ngx_http_scandoc_redis_exit(); only when some location has "scandoc".
 * An error from init makes the worker exit.
 */
ngx_int_t ngx_http_scandoc_queue_init(ngx_cycle_t *cycle);
void ngx_http_scandoc_queue_exit(ngx_cycle_t *cycle);


#endif /* _NGX_SCANDOC_H_INCLUDED_ */
