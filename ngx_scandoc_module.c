
/*
 * Copyright (C) scandoc authors
 *
 * The module: directives, configuration checks, per-worker hooks and the
 * content handlers of the "scandoc", "scandoc_problem" and "scandoc_status"
 * locations.  Everything that runs is elsewhere (src/).
 *
 * Nothing here connects to Redis or starts a process: Debian runs
 * "nginx -t" before every start and reload, so configuration time only
 * checks what it can check locally (paths, pools, filesystems).
 */


#include "ngx_scandoc.h"
#include "ngx_scandoc_redis.h"

#include <ngx_scandoc_lua.h>


#define NGX_HTTP_SCANDOC_TRAINEDDATA  ".traineddata"


static void *ngx_http_scandoc_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_scandoc_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_scandoc_create_loc_conf(ngx_conf_t *cf);

static char *ngx_http_scandoc_redis_host(ngx_conf_t *cf, u_char *host,
    size_t len);
static char *ngx_http_scandoc_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_storage(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_engine(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_path(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_io_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scandoc_files_location(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_scandoc(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static ngx_int_t ngx_http_scandoc_check_pool_name(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *name);
static ngx_int_t ngx_http_scandoc_check_engine(ngx_conf_t *cf,
    ngx_str_t *path);
static ngx_int_t ngx_http_scandoc_check_same_fs(ngx_conf_t *cf,
    ngx_http_scandoc_main_conf_t *smcf);
static ngx_int_t ngx_http_scandoc_stat_existing(ngx_conf_t *cf,
    ngx_str_t *path, ngx_file_info_t *fi);
static ngx_int_t ngx_http_scandoc_worker_may(ngx_conf_t *cf, u_char *path,
    ngx_file_info_t *fi, mode_t mode, const char **user);
static ngx_int_t ngx_http_scandoc_find_languages(ngx_conf_t *cf,
    ngx_http_scandoc_main_conf_t *smcf);
static int ngx_http_scandoc_cmp_str(const void *one, const void *two);

static ngx_int_t ngx_http_scandoc_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_scandoc_init_process(ngx_cycle_t *cycle);
static void ngx_http_scandoc_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_scandoc_positive = {
    ngx_conf_check_num_bounds, 1, -1
};


static ngx_command_t  ngx_http_scandoc_commands[] = {

    { ngx_string("scandoc_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_scandoc_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scandoc_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("scandoc_storage"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_storage,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, storage),
      NULL },

    { ngx_string("scandoc_engine"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_engine,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, engine_path),
      NULL },

    { ngx_string("scandoc_tessdata"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_path,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, tessdata),
      NULL },

    { ngx_string("scandoc_language"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, default_language),
      NULL },

    { ngx_string("scandoc_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_scandoc_thread_pool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scandoc_io_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_io_pool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scandoc_task_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, task_timeout),
      NULL },

    { ngx_string("scandoc_probe_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, probe_timeout),
      NULL },

    { ngx_string("scandoc_lease"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, lease),
      NULL },

    { ngx_string("scandoc_shutdown_grace"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, shutdown_grace),
      NULL },

    { ngx_string("scandoc_max_attempts"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, max_attempts),
      &ngx_http_scandoc_positive },

    { ngx_string("scandoc_active_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, active_limit),
      &ngx_http_scandoc_positive },

    { ngx_string("scandoc_helper_memory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, helper_memory),
      NULL },

    { ngx_string("scandoc_max_pixels"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, max_pixels),
      &ngx_http_scandoc_positive },

    { ngx_string("scandoc_max_pages"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, max_pages),
      &ngx_http_scandoc_positive },

    { ngx_string("scandoc_max_outputs"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, max_outputs),
      &ngx_http_scandoc_positive },

    { ngx_string("scandoc_max_text"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, max_text),
      NULL },

    { ngx_string("scandoc_json_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, json_max),
      NULL },

    { ngx_string("scandoc_errors_base"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, errors_base),
      NULL },

    { ngx_string("scandoc_public_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_scandoc_main_conf_t, public_url),
      NULL },

    { ngx_string("scandoc_files_location"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scandoc_files_location,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scandoc"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scandoc,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_HTTP_SCANDOC_API },

    { ngx_string("scandoc_problem"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scandoc,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_HTTP_SCANDOC_PROBLEM },

    { ngx_string("scandoc_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scandoc,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_HTTP_SCANDOC_STATUS },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_scandoc_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_scandoc_create_main_conf,     /* create main configuration */
    ngx_http_scandoc_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_scandoc_create_loc_conf,      /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_scandoc_module = {
    NGX_MODULE_V1,
    &ngx_http_scandoc_module_ctx,          /* module context */
    ngx_http_scandoc_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_scandoc_init_module,          /* init module */
    ngx_http_scandoc_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_scandoc_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* whether this process started the per-worker parts */
static ngx_uint_t  ngx_http_scandoc_started;


static void *
ngx_http_scandoc_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_scandoc_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->enabled = 0;
     *     smcf->redis_addr = { 0, NULL };
     *     smcf->redis_password = { 0, NULL };
     *     smcf->redis_path = NULL;
     *     smcf->redis_host = NULL;
     *     smcf->storage = { 0, NULL };
     *     smcf->body_temp = { 0, NULL };
     *     smcf->engine_path = { 0, NULL };
     *     smcf->tessdata = { 0, NULL };
     *     smcf->default_language = { 0, NULL };
     *     smcf->languages = NULL;
     *     smcf->engine_pool_name = { 0, NULL };
     *     smcf->engine_pool = NULL;
     *     smcf->io_pool_name = { 0, NULL };
     *     smcf->io_pool = NULL;
     *     smcf->errors_base = { 0, NULL };
     *     smcf->public_url = { 0, NULL };
     *     smcf->files_location = { 0, NULL };
     */

    smcf->redis_db = NGX_CONF_UNSET;
    smcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    smcf->engine_slots = NGX_CONF_UNSET_UINT;
    smcf->task_timeout = NGX_CONF_UNSET_MSEC;
    smcf->probe_timeout = NGX_CONF_UNSET_MSEC;
    smcf->lease = NGX_CONF_UNSET_MSEC;
    smcf->shutdown_grace = NGX_CONF_UNSET_MSEC;
    smcf->max_attempts = NGX_CONF_UNSET_UINT;
    smcf->active_limit = NGX_CONF_UNSET_UINT;
    smcf->helper_memory = NGX_CONF_UNSET_SIZE;
    smcf->max_pixels = NGX_CONF_UNSET_UINT;
    smcf->max_pages = NGX_CONF_UNSET_UINT;
    smcf->max_outputs = NGX_CONF_UNSET_UINT;
    smcf->max_text = NGX_CONF_UNSET_SIZE;
    smcf->json_max = NGX_CONF_UNSET_SIZE;

    return smcf;
}


static char *
ngx_http_scandoc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    ngx_str_t  engine = ngx_string("/usr/lib/scandoc/scandoc-engine");
    ngx_str_t  tessdata = ngx_string("/usr/share/tesseract-ocr/5/tessdata");

    ngx_conf_init_value(smcf->redis_db, 0);
    ngx_conf_init_msec_value(smcf->redis_timeout, 2000);
    ngx_conf_init_uint_value(smcf->engine_slots, 1);
    ngx_conf_init_msec_value(smcf->task_timeout, 300000);
    ngx_conf_init_msec_value(smcf->probe_timeout, 10000);
    ngx_conf_init_msec_value(smcf->lease, 30000);
    ngx_conf_init_msec_value(smcf->shutdown_grace, 10000);
    ngx_conf_init_uint_value(smcf->max_attempts, 3);
    ngx_conf_init_uint_value(smcf->active_limit, 16);
    ngx_conf_init_size_value(smcf->helper_memory,
                             (size_t) 2 * 1024 * 1024 * 1024);
    ngx_conf_init_uint_value(smcf->max_pixels, 50000000);
    ngx_conf_init_uint_value(smcf->max_pages, 2000);
    ngx_conf_init_uint_value(smcf->max_outputs, 1000);
    ngx_conf_init_size_value(smcf->max_text, 8 * 1024 * 1024);
    ngx_conf_init_size_value(smcf->json_max, 1024 * 1024);

    if (smcf->engine_path.data == NULL) {
        smcf->engine_path = engine;
    }

    if (smcf->tessdata.data == NULL) {
        smcf->tessdata = tessdata;
    }

    if (smcf->default_language.data == NULL) {
        ngx_str_set(&smcf->default_language, "eng");
    }

    if (smcf->errors_base.data == NULL) {
        ngx_str_set(&smcf->errors_base,
                    "https://scan-documents.com/docs/errors");
    }

    if (smcf->public_url.data == NULL) {
        ngx_str_set(&smcf->public_url, "");
    }

    if (smcf->files_location.data == NULL) {
        ngx_str_set(&smcf->files_location, "/_scandoc_files/");
    }

    smcf->library.data = (u_char *) ngx_http_scandoc_lua;
    smcf->library.len = sizeof(ngx_http_scandoc_lua) - 1;

    smcf->languages = ngx_array_create(cf->pool, 8, sizeof(ngx_str_t));
    if (smcf->languages == NULL) {
        return NGX_CONF_ERROR;
    }

    /* the rest is only required from a configuration that serves the API */

    if (!smcf->enabled) {
        return NGX_CONF_OK;
    }

    if (smcf->redis_addr.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_redis\" is required by \"scandoc\"");
        return NGX_CONF_ERROR;
    }

    if (smcf->storage.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_storage\" is required by \"scandoc\"");
        return NGX_CONF_ERROR;
    }

    if (smcf->engine_pool == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_thread_pool\" is required "
                           "by \"scandoc\"");
        return NGX_CONF_ERROR;
    }

    if (smcf->io_pool == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_io_pool\" is required by \"scandoc\"");
        return NGX_CONF_ERROR;
    }

    /*
     * Engine jobs and uploads must not wait behind each other: an OCR job
     * may hold a thread for minutes, an upload must answer in seconds.
     */

    if (smcf->engine_pool_name.len == smcf->io_pool_name.len
        && ngx_strncmp(smcf->engine_pool_name.data, smcf->io_pool_name.data,
                       smcf->io_pool_name.len)
           == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_io_pool\" and \"scandoc_thread_pool\" "
                           "name the same thread pool \"%V\"",
                           &smcf->io_pool_name);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_scandoc_check_engine(cf, &smcf->engine_path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_scandoc_check_same_fs(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_scandoc_find_languages(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_scandoc_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_scandoc_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_scandoc_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->handler = NGX_HTTP_SCANDOC_OFF;
     */

    return slcf;
}


/*
 * hiredis resolves a name with getaddrinfo() at every connect, which would
 * block the event loop on a slow DNS server; as for proxy_pass, the name is
 * resolved once here and the first address used.
 */

static char *
ngx_http_scandoc_redis_host(ngx_conf_t *cf, u_char *host, size_t len)
{
    u_char     *p;
    ngx_url_t   u;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.host.data = host;
    u.host.len = len;

    if (ngx_inet_resolve_host(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "host \"%*s\" of \"scandoc_redis\" not found",
                           len, host);
        return NULL;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NULL;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    return (char *) p;
}


/* scandoc_redis unix:/path | host[:port] [password=P] [db=N] */

static char *
ngx_http_scandoc_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    u_char      *p, *last, *host;
    size_t       len;
    ngx_int_t    port, db;
    ngx_str_t   *value, addr;
    ngx_uint_t   i;

    if (smcf->redis_addr.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    addr = value[1];

    if (addr.len > 5 && ngx_strncmp(addr.data, "unix:", 5) == 0) {

        if (addr.len == 5 || addr.data[5] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"scandoc_redis\" needs an absolute path "
                               "in \"%V\"", &addr);
            return NGX_CONF_ERROR;
        }

        smcf->redis_path = ngx_pnalloc(cf->pool, addr.len - 5 + 1);
        if (smcf->redis_path == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn((u_char *) smcf->redis_path, addr.data + 5,
                           addr.len - 5 + 1);

    } else {

        /* host, host:port, [v6], [v6]:port */

        p = addr.data;
        last = addr.data + addr.len;
        port = 6379;

        if (addr.len && *p == '[') {
            host = p + 1;
            p = ngx_strlchr(host, last, ']');
            if (p == NULL || p == host) {
                goto invalid;
            }

            len = p - host;
            p++;

            if (p != last && *p != ':') {
                goto invalid;
            }

        } else {
            host = p;
            p = ngx_strlchr(host, last, ':');
            if (p == NULL) {
                p = last;
            }

            len = p - host;
        }

        if (len == 0) {
            goto invalid;
        }

        if (p != last) {
            port = ngx_atoi(p + 1, last - p - 1);
            if (port < 1 || port > 65535) {
                goto invalid;
            }
        }

        smcf->redis_host = ngx_http_scandoc_redis_host(cf, host, len);
        if (smcf->redis_host == NULL) {
            return NGX_CONF_ERROR;
        }

        smcf->redis_port = (int) port;
    }

    smcf->redis_addr = addr;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            smcf->redis_password.data = value[i].data + 9;
            smcf->redis_password.len = value[i].len - 9;

            if (smcf->redis_password.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "empty password in \"scandoc_redis\"");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            db = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (db == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid database \"%V\" in "
                                   "\"scandoc_redis\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            smcf->redis_db = db;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"scandoc_redis\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid address \"%V\" in \"scandoc_redis\": "
                       "expected \"unix:/path\" or \"host[:port]\"", &addr);
    return NGX_CONF_ERROR;
}


/*
 * An absolute path (relative ones are taken from nginx's prefix, as for
 * temp paths), NUL-terminated, without trailing slashes.
 */

static char *
ngx_http_scandoc_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value, path;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    while (path.len > 1 && path.data[path.len - 1] == '/') {
        path.len--;
    }

    if (path.len == 0) {
        return "needs a path";
    }

    /* ngx_conf_full_name() always allocates: the result is NUL-terminated */

    if (path.data[0] == '/') {
        field->data = ngx_pnalloc(cf->pool, path.len + 1);
        if (field->data == NULL) {
            return NGX_CONF_ERROR;
        }

        field->len = path.len;
        (void) ngx_cpystrn(field->data, path.data, path.len + 1);

        return NGX_CONF_OK;
    }

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = path;

    return NGX_CONF_OK;
}


static char *
ngx_http_scandoc_storage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    char             *rv;
    const char       *user;
    ngx_file_info_t   fi;

    rv = ngx_http_scandoc_path(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (ngx_file_info(smcf->storage.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"scandoc_storage\" \"%V\" cannot be used: "
                           ngx_file_info_n " failed", &smcf->storage);
        return NGX_CONF_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_storage\" \"%V\" is not a directory",
                           &smcf->storage);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_scandoc_worker_may(cf, smcf->storage.data, &fi,
                                    S_IWUSR|S_IXUSR, &user)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_storage\" \"%V\" is not writable "
                           "by user \"%s\"", &smcf->storage, user);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_scandoc_engine(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    char  *rv;

    rv = ngx_http_scandoc_path(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* checked here too, so that the message points at the directive */

    if (ngx_http_scandoc_check_engine(cf, &smcf->engine_path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* scandoc_thread_pool name [slots=N] */

static char *
ngx_http_scandoc_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (smcf->engine_pool) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_scandoc_check_pool_name(cf, cmd, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (value[2].len < 7 || ngx_strncmp(value[2].data, "slots=", 6) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in "
                               "\"scandoc_thread_pool\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(value[2].data + 6, value[2].len - 6);
        if (n == NGX_ERROR || n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid slots \"%V\" in "
                               "\"scandoc_thread_pool\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        smcf->engine_slots = n;
    }

    /*
     * ngx_thread_pool_add() declares the pool if "thread_pool" has not:
     * nginx itself then rejects the configuration with
     * "unknown thread pool" and this directive's file and line.
     */

    smcf->engine_pool = ngx_thread_pool_add(cf, &value[1]);
    if (smcf->engine_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->engine_pool_name = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_scandoc_io_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    ngx_str_t  *value;

    if (smcf->io_pool) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_scandoc_check_pool_name(cf, cmd, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    smcf->io_pool = ngx_thread_pool_add(cf, &value[1]);
    if (smcf->io_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->io_pool_name = value[1];

    return NGX_CONF_OK;
}


/*
 * The "default" pool serves "aio threads" (downloads) and anything else
 * that asks for it: engine jobs and uploads need pools of their own.
 */

static ngx_int_t
ngx_http_scandoc_check_pool_name(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *name)
{
    if (name->len == 7 && ngx_strncmp(name->data, "default", 7) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot use the \"default\" thread pool: "
                           "declare a dedicated one with \"thread_pool\"",
                           &cmd->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an absolute http(s) URL, kept without a trailing slash */

static char *
ngx_http_scandoc_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value, url;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    url = value[1];

    if (!((url.len > 7 && ngx_strncasecmp(url.data, (u_char *) "http://", 7)
                          == 0)
          || (url.len > 8
              && ngx_strncasecmp(url.data, (u_char *) "https://", 8) == 0)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs an absolute http or https URL, "
                           "not \"%V\"", &cmd->name, &url);
        return NGX_CONF_ERROR;
    }

    while (url.data[url.len - 1] == '/') {
        url.len--;
    }

    *field = url;

    return NGX_CONF_OK;
}


static char *
ngx_http_scandoc_files_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_scandoc_main_conf_t *smcf = conf;

    ngx_str_t  *value;

    if (smcf->files_location.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len < 2
        || value[1].data[0] != '/'
        || value[1].data[value[1].len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_files_location\" needs a URI prefix "
                           "that starts and ends with \"/\", not \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    smcf->files_location = value[1];

    return NGX_CONF_OK;
}


/* scandoc, scandoc_problem, scandoc_status: the location's content */

static char *
ngx_http_scandoc(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scandoc_loc_conf_t *slcf = conf;

    ngx_uint_t                     what;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_scandoc_main_conf_t  *smcf;

    if (slcf->handler != NGX_HTTP_SCANDOC_OFF) {
        return "is duplicate";
    }

    what = (ngx_uint_t) cmd->post;
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": the location already has a content "
                           "handler", &cmd->name);
        return NGX_CONF_ERROR;
    }

    switch (what) {

    case NGX_HTTP_SCANDOC_API:
        clcf->handler = ngx_http_scandoc_api_handler;

        smcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_scandoc_module);
        smcf->enabled = 1;
        break;

    case NGX_HTTP_SCANDOC_PROBLEM:
        clcf->handler = ngx_http_scandoc_problem_handler;
        break;

    default: /* NGX_HTTP_SCANDOC_STATUS */
        clcf->handler = ngx_http_scandoc_status_handler;
        break;
    }

    slcf->handler = what;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scandoc_check_engine(ngx_conf_t *cf, ngx_str_t *path)
{
    const char       *user;
    ngx_file_info_t   fi;

    if (ngx_file_info(path->data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"scandoc_engine\" \"%V\" cannot be used: "
                           ngx_file_info_n " failed", path);
        return NGX_ERROR;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_engine\" \"%V\" is not a file", path);
        return NGX_ERROR;
    }

    /* the workers spawn it */

    if (ngx_http_scandoc_worker_may(cf, path->data, &fi, S_IXUSR, &user)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_engine\" \"%V\" is not executable "
                           "by user \"%s\"", path, user);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Uploads are spooled by nginx into client_body_temp_path and renamed into
 * storage: across filesystems rename() fails, and the fallback would be a
 * blocking copy of every upload.  Only the http-level path is checked:
 * that is the one the API's locations inherit.
 */

static ngx_int_t
ngx_http_scandoc_check_same_fs(ngx_conf_t *cf,
    ngx_http_scandoc_main_conf_t *smcf)
{
    ngx_str_t                  temp;
    ngx_file_info_t            sfi, tfi;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->client_body_temp_path) {
        temp = clcf->client_body_temp_path->name;

    } else {
        ngx_str_set(&temp, NGX_HTTP_CLIENT_TEMP_PATH);

        if (ngx_conf_full_name(cf->cycle, &temp, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_file_info(smcf->storage.data, &sfi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"scandoc_storage\" \"%V\" cannot be used: "
                           ngx_file_info_n " failed", &smcf->storage);
        return NGX_ERROR;
    }

    /* nginx creates temp paths at start: look at what will contain it */

    if (ngx_http_scandoc_stat_existing(cf, &temp, &tfi) != NGX_OK) {
        return NGX_ERROR;
    }

    if (sfi.st_dev != tfi.st_dev) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"scandoc_storage\" \"%V\" and "
                           "\"client_body_temp_path\" \"%V\" are on "
                           "different filesystems: uploads are moved from "
                           "one to the other with rename()",
                           &smcf->storage, &temp);
        return NGX_ERROR;
    }

    smcf->body_temp.data = ngx_pnalloc(cf->pool, temp.len + 1);
    if (smcf->body_temp.data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_cpystrn(smcf->body_temp.data, temp.data, temp.len + 1);
    smcf->body_temp.len = temp.len;

    return NGX_OK;
}


/* stat() path, or else its nearest existing parent */

static ngx_int_t
ngx_http_scandoc_stat_existing(ngx_conf_t *cf, ngx_str_t *path,
    ngx_file_info_t *fi)
{
    u_char     *name, *p;
    ngx_err_t   err;

    name = ngx_pnalloc(cf->temp_pool, path->len + 1);
    if (name == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpystrn(name, path->data, path->len + 1);

    for ( ;; ) {
        if (ngx_file_info(name, fi) != NGX_FILE_ERROR) {
            return NGX_OK;
        }

        err = ngx_errno;

        if (err != NGX_ENOENT && err != NGX_ENOTDIR) {
            break;
        }

        /* cut the last component: "/a/b/" -> "/a", "/a" -> "/" */

        while (p > name + 1 && *(p - 1) == '/') {
            p--;
        }

        while (p > name && *(p - 1) != '/') {
            p--;
        }

        if (p == name) {
            break;
        }

        if (p > name + 1) {
            p--;
        }

        *p = '\0';
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                       ngx_file_info_n " \"%V\" failed", path);

    return NGX_ERROR;
}


/*
 * Whether the workers' user has the permissions in mode (given for the
 * owner: S_IWUSR|S_IXUSR, S_IXUSR).  Workers run as "user"; the master
 * usually runs as root, for which access() always succeeds, so when root
 * decide from the mode bits for the worker's user and groups (ACLs are
 * not looked at).
 */

static ngx_int_t
ngx_http_scandoc_worker_may(ngx_conf_t *cf, u_char *path,
    ngx_file_info_t *fi, mode_t mode, const char **user)
{
    int               i, n, amode;
    gid_t             groups[64];
    mode_t            need;
    ngx_uid_t         uid;
    ngx_gid_t         gid;
    struct group     *grp;
    struct passwd    *pwd;
    ngx_core_conf_t  *ccf;

    *user = "";

    if (geteuid() != 0) {
        pwd = getpwuid(geteuid());
        *user = pwd ? pwd->pw_name : "(current)";

        amode = (mode & S_IWUSR) ? W_OK : 0;
        amode |= (mode & S_IXUSR) ? X_OK : 0;

        return access((char *) path, amode) == 0 ? NGX_OK : NGX_DECLINED;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        uid = ccf->user;
        gid = ccf->group;
        *user = ccf->username;

    } else {
        /* what ngx_core_module will choose once the whole file is read */

        pwd = getpwnam(NGX_USER);
        grp = getgrnam(NGX_GROUP);

        if (pwd == NULL || grp == NULL) {
            /* nginx itself will say why */
            return NGX_OK;
        }

        uid = pwd->pw_uid;
        gid = grp->gr_gid;
        *user = NGX_USER;
    }

    if (uid == 0) {
        /* root may write anything, and execute what has an x bit */
        need = (mode & S_IXUSR) ? (S_IXUSR|S_IXGRP|S_IXOTH) : 0;

        return (need == 0 || (fi->st_mode & need)) ? NGX_OK : NGX_DECLINED;
    }

    if (fi->st_uid == uid) {
        need = mode;

    } else {
        need = mode >> 6;

        if (fi->st_gid == gid) {
            need = mode >> 3;

        } else {
            n = sizeof(groups) / sizeof(gid_t);

            if (getgrouplist(*user, gid, groups, &n) != -1) {
                for (i = 0; i < n; i++) {
                    if (groups[i] == fi->st_gid) {
                        need = mode >> 3;
                        break;
                    }
                }
            }
        }
    }

    return (fi->st_mode & need) == need ? NGX_OK : NGX_DECLINED;
}


/*
 * The installed OCR languages, for validating "language" (the 422 lists
 * them): "<lang>.traineddata" files, but "osd", which is the orientation
 * model and no language.
 */

static ngx_int_t
ngx_http_scandoc_find_languages(ngx_conf_t *cf,
    ngx_http_scandoc_main_conf_t *smcf)
{
    size_t       len, suffix;
    u_char      *name;
    ngx_dir_t    dir;
    ngx_str_t   *lang, str;
    ngx_uint_t   i, found;

    suffix = sizeof(NGX_HTTP_SCANDOC_TRAINEDDATA) - 1;

    if (ngx_open_dir(&smcf->tessdata, &dir) == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                           "\"scandoc_tessdata\" \"%V\": " ngx_open_dir_n
                           " failed, text extraction will fail",
                           &smcf->tessdata);
        return NGX_OK;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            if (ngx_errno != NGX_ENOMOREFILES) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                                   ngx_read_dir_n " \"%V\" failed",
                                   &smcf->tessdata);
                (void) ngx_close_dir(&dir);
                return NGX_ERROR;
            }

            break;
        }

        name = ngx_de_name(&dir);
        len = ngx_de_namelen(&dir);

        if (len <= suffix
            || ngx_strncmp(name + len - suffix, NGX_HTTP_SCANDOC_TRAINEDDATA,
                           suffix)
               != 0)
        {
            continue;
        }

        len -= suffix;

        if (len == 3 && ngx_strncmp(name, "osd", 3) == 0) {
            continue;
        }

        lang = ngx_array_push(smcf->languages);
        if (lang == NULL) {
            (void) ngx_close_dir(&dir);
            return NGX_ERROR;
        }

        str.len = len;
        str.data = name;

        lang->data = ngx_pstrdup(cf->pool, &str);
        if (lang->data == NULL) {
            (void) ngx_close_dir(&dir);
            return NGX_ERROR;
        }

        lang->len = len;
    }

    (void) ngx_close_dir(&dir);

    ngx_qsort(smcf->languages->elts, smcf->languages->nelts,
              sizeof(ngx_str_t), ngx_http_scandoc_cmp_str);

    lang = smcf->languages->elts;
    found = 0;

    for (i = 0; i < smcf->languages->nelts; i++) {
        if (lang[i].len == smcf->default_language.len
            && ngx_strncmp(lang[i].data, smcf->default_language.data,
                           lang[i].len)
               == 0)
        {
            found = 1;
            break;
        }
    }

    if (!found) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"scandoc_language\" \"%V\" is not installed "
                           "in \"%V\"", &smcf->default_language,
                           &smcf->tessdata);
    }

    return NGX_OK;
}


static int
ngx_http_scandoc_cmp_str(const void *one, const void *two)
{
    int               rc;
    const ngx_str_t  *a = one, *b = two;

    rc = ngx_strncmp(a->data, b->data, ngx_min(a->len, b->len));

    if (rc == 0) {
        rc = (a->len > b->len) - (a->len < b->len);
    }

    return rc;
}


/*
 * Once the whole configuration is read ("worker_shutdown_timeout" may come
 * after the http block): a worker that nginx closes before the grace ends
 * cannot hand its running tasks back, they wait out their leases.
 */

static ngx_int_t
ngx_http_scandoc_init_module(ngx_cycle_t *cycle)
{
    ngx_core_conf_t               *ccf;
    ngx_http_scandoc_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scandoc_module);

    if (smcf == NULL || !smcf->enabled) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf->shutdown_timeout != 0
        && ccf->shutdown_timeout != NGX_CONF_UNSET_MSEC
        && smcf->shutdown_grace >= ccf->shutdown_timeout)
    {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "\"scandoc_shutdown_grace\" (%M ms) should be shorter "
                      "than \"worker_shutdown_timeout\" (%M ms): tasks "
                      "still running when nginx closes a worker wait out "
                      "their leases", smcf->shutdown_grace,
                      ccf->shutdown_timeout);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_scandoc_init_process(ngx_cycle_t *cycle)
{
    struct sigaction               sa;
    ngx_http_scandoc_main_conf_t  *smcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scandoc_module);

    if (smcf == NULL || !smcf->enabled) {
        return NGX_OK;
    }

    /*
     * Each engine slot thread waitpid()s its own helper.  nginx's SIGCHLD
     * handler would reap the helpers first (the threads would lose their
     * exit status) and log an alert for every helper killed on purpose.
     */

    ngx_memzero(&sa, sizeof(struct sigaction));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);

    if (sigaction(SIGCHLD, &sa, NULL) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "sigaction(SIGCHLD, SIG_DFL) failed");
        return NGX_ERROR;
    }

    if (ngx_http_scandoc_redis_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_scandoc_started = 1;

    if (ngx_http_scandoc_queue_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_scandoc_exit_process(ngx_cycle_t *cycle)
{
    if (!ngx_http_scandoc_started) {
        return;
    }

    ngx_http_scandoc_queue_exit(cycle);
    ngx_http_scandoc_redis_exit(cycle);

    ngx_http_scandoc_started = 0;
}
