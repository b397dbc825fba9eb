
/*
 * Copyright (C) scandoc authors
 *
 * A streaming multipart/form-data parser over a spooled request body.  It
 * runs in an io pool thread: no nginx pools, no logging, only read(2) and
 * write(2) on descriptors it is given.
 */


#ifndef _NGX_SCANDOC_MULTIPART_H_INCLUDED_
#define _NGX_SCANDOC_MULTIPART_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_SCANDOC_MP_BOUNDARY   200      /* RFC 2046 says 70 */
#define NGX_HTTP_SCANDOC_MP_HEADERS    8192     /* one part's headers */
#define NGX_HTTP_SCANDOC_MP_NAME       256      /* bytes of "name" kept */
#define NGX_HTTP_SCANDOC_MP_BUFFER     (128 * 1024)


typedef struct {
    /* set by the caller */
    ngx_fd_t          fd;            /* the body, read with pread() */
    ngx_str_t         boundary;
    ngx_fd_t          out;           /* receives the "file" part */
    u_char           *buffer;        /* NGX_HTTP_SCANDOC_MP_BUFFER bytes */

    /* results */
    off_t             size;          /* bytes of the "file" part */
    u_char            name[NGX_HTTP_SCANDOC_MP_NAME];
    size_t            name_len;
    unsigned          has_file:1;
    unsigned          has_name:1;
    unsigned          name_long:1;   /* longer than name[] */

    const char       *error;         /* NGX_DECLINED: why (for a 400) */
    ngx_err_t         err;           /* NGX_ERROR: errno */

    /* state */
    off_t             offset;
    u_char           *pos;
    u_char           *last;
    unsigned          eof:1;
} ngx_http_scandoc_multipart_t;


/*
 * NGX_OK with the boundary of a multipart/form-data Content-Type,
 * NGX_DECLINED for another type, NGX_ERROR for a multipart/form-data
 * without a usable boundary.
 */
ngx_int_t ngx_http_scandoc_multipart_boundary(ngx_str_t *content_type,
    ngx_str_t *boundary);

/*
 * NGX_OK: parsed (check has_file, has_name); NGX_DECLINED: malformed,
 * mp->error says how; NGX_ERROR: read or write failed, mp->err.
 */
ngx_int_t ngx_http_scandoc_multipart_parse(ngx_http_scandoc_multipart_t *mp);


#endif /* _NGX_SCANDOC_MULTIPART_H_INCLUDED_ */
