
/* stub: replaced by its owner */

#include "ngx_scandoc.h"
#include <ngx_scandoc_lua.h>

static ngx_http_module_t  ngx_http_scandoc_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

ngx_module_t  ngx_http_scandoc_module = {
    NGX_MODULE_V1,
    &ngx_http_scandoc_module_ctx,
    NULL,
    NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};
