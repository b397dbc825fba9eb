
/*
 * Copyright (C) scandoc authors
 *
 * multipart/form-data (RFC 7578 over RFC 2046), streamed from the spooled
 * body through one fixed buffer, so a hostile body costs the same memory
 * as a friendly one: a missing or unterminated boundary, part headers that
 * never end, or parts we do not know are refused or skipped, never kept.
 *
 * Every delimiter is "CRLF--boundary"; the parser pretends the body starts
 * with a CRLF so that the first one needs no special case.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_scandoc_multipart.h"


#define NGX_HTTP_SCANDOC_MP_DELIM  (4 + NGX_HTTP_SCANDOC_MP_BOUNDARY)


typedef enum {
    ngx_http_scandoc_part_other = 0,
    ngx_http_scandoc_part_file,
    ngx_http_scandoc_part_name
} ngx_http_scandoc_part_e;


static ngx_int_t ngx_http_scandoc_mp_fill(ngx_http_scandoc_multipart_t *mp);
static ngx_int_t ngx_http_scandoc_mp_headers(
    ngx_http_scandoc_multipart_t *mp, u_char *p, u_char *last,
    ngx_http_scandoc_part_e *part);
static ngx_int_t ngx_http_scandoc_mp_emit(ngx_http_scandoc_multipart_t *mp,
    ngx_http_scandoc_part_e part, u_char *p, size_t len);
static ngx_int_t ngx_http_scandoc_mp_param(u_char *p, u_char *last,
    const char *name, ngx_str_t *value);


ngx_int_t
ngx_http_scandoc_multipart_boundary(ngx_str_t *content_type,
    ngx_str_t *boundary)
{
    static const char  type[] = "multipart/form-data";

    u_char  *p, *last;

    p = content_type->data;
    last = p + content_type->len;

    if ((size_t) (last - p) < sizeof(type) - 1
        || ngx_strncasecmp(p, (u_char *) type, sizeof(type) - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof(type) - 1;

    if (p < last && *p != ';' && *p != ' ' && *p != '\t') {
        return NGX_DECLINED;
    }

    if (ngx_http_scandoc_mp_param(p, last, "boundary", boundary) != NGX_OK
        || boundary->len == 0
        || boundary->len > NGX_HTTP_SCANDOC_MP_BOUNDARY)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_scandoc_multipart_parse(ngx_http_scandoc_multipart_t *mp)
{
    u_char                   *p, *q, *safe;
    size_t                    dlen, n;
    ngx_int_t                 rc;
    ngx_http_scandoc_part_e   part;
    u_char                    delim[NGX_HTTP_SCANDOC_MP_DELIM];

    dlen = ngx_sprintf(delim, "\r\n--%V", &mp->boundary) - delim;

    mp->pos = mp->buffer;
    mp->last = ngx_cpymem(mp->buffer, "\r\n", 2);
    mp->offset = 0;
    mp->eof = 0;
    mp->error = NULL;

    /* the preamble, up to the first delimiter, is ignored */

    for ( ;; ) {
        p = memmem(mp->pos, mp->last - mp->pos, delim, dlen);

        if (p) {
            mp->pos = p + dlen;
            break;
        }

        if (mp->eof) {
            mp->error = "The multipart body does not contain its boundary.";
            return NGX_DECLINED;
        }

        if ((size_t) (mp->last - mp->pos) >= dlen) {
            mp->pos = mp->last - (dlen - 1);
        }

        if (ngx_http_scandoc_mp_fill(mp) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    for ( ;; ) {

        /* after a delimiter: "--" closes, else padding and CRLF */

        while (mp->last - mp->pos < 2 + 256 && !mp->eof) {
            if (ngx_http_scandoc_mp_fill(mp) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        if (mp->last - mp->pos >= 2 && mp->pos[0] == '-' && mp->pos[1] == '-')
        {
            return NGX_OK;
        }

        p = mp->pos;

        while (p < mp->last && p - mp->pos < 256 && (*p == ' ' || *p == '\t'))
        {
            p++;
        }

        if (mp->last - p < 2 || p[0] != '\r' || p[1] != '\n') {
            mp->error = mp->eof && mp->last - p < 2
                        ? "The multipart body is truncated."
                        : "The multipart body has a malformed boundary line.";
            return NGX_DECLINED;
        }

        mp->pos = p + 2;

        /* the part's headers, up to an empty line */

        for ( ;; ) {
            if (mp->last - mp->pos >= 2
                && mp->pos[0] == '\r' && mp->pos[1] == '\n')
            {
                q = mp->pos;                /* no headers at all */
                n = 2;
                break;
            }

            q = memmem(mp->pos, mp->last - mp->pos, "\r\n\r\n", 4);

            if (q) {
                n = 4;
                break;
            }

            if (mp->last - mp->pos >= NGX_HTTP_SCANDOC_MP_HEADERS) {
                mp->error = "The headers of a multipart part are too large.";
                return NGX_DECLINED;
            }

            if (mp->eof) {
                mp->error = "The multipart body is truncated.";
                return NGX_DECLINED;
            }

            if (ngx_http_scandoc_mp_fill(mp) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        if (q - mp->pos > NGX_HTTP_SCANDOC_MP_HEADERS) {
            mp->error = "The headers of a multipart part are too large.";
            return NGX_DECLINED;
        }

        rc = ngx_http_scandoc_mp_headers(mp, mp->pos, q, &part);
        if (rc != NGX_OK) {
            return rc;
        }

        mp->pos = q + n;

        /* the part's body, up to the next delimiter */

        for ( ;; ) {
            p = memmem(mp->pos, mp->last - mp->pos, delim, dlen);

            if (p) {
                if (ngx_http_scandoc_mp_emit(mp, part, mp->pos, p - mp->pos)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                mp->pos = p + dlen;
                break;
            }

            if (mp->eof) {
                mp->error = "The multipart body is truncated.";
                return NGX_DECLINED;
            }

            /* keep what could be the start of a delimiter */

            safe = mp->last - (dlen - 1);

            if (safe > mp->pos) {
                if (ngx_http_scandoc_mp_emit(mp, part, mp->pos,
                                             safe - mp->pos)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

                mp->pos = safe;
            }

            if (ngx_http_scandoc_mp_fill(mp) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }
}


/* moves the unread bytes to the front and reads more behind them */

static ngx_int_t
ngx_http_scandoc_mp_fill(ngx_http_scandoc_multipart_t *mp)
{
    size_t   len;
    ssize_t  n;

    len = mp->last - mp->pos;

    if (mp->pos != mp->buffer) {
        ngx_memmove(mp->buffer, mp->pos, len);
        mp->pos = mp->buffer;
        mp->last = mp->buffer + len;
    }

    if (mp->eof || len == NGX_HTTP_SCANDOC_MP_BUFFER) {
        return NGX_OK;
    }

    for ( ;; ) {
        n = pread(mp->fd, mp->last, NGX_HTTP_SCANDOC_MP_BUFFER - len,
                  mp->offset);

        if (n >= 0) {
            break;
        }

        if (ngx_errno != NGX_EINTR) {
            mp->err = ngx_errno;
            return NGX_ERROR;
        }
    }

    if (n == 0) {
        mp->eof = 1;
    }

    mp->offset += n;
    mp->last += n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scandoc_mp_headers(ngx_http_scandoc_multipart_t *mp, u_char *p,
    u_char *last, ngx_http_scandoc_part_e *part)
{
    static const char  cd[] = "content-disposition:";

    u_char     *eol;
    ngx_str_t   name;

    *part = ngx_http_scandoc_part_other;

    while (p < last) {
        eol = memmem(p, last - p, "\r\n", 2);
        if (eol == NULL) {
            eol = last;
        }

        if ((size_t) (eol - p) > sizeof(cd) - 1
            && ngx_strncasecmp(p, (u_char *) cd, sizeof(cd) - 1) == 0)
        {
            p += sizeof(cd) - 1;

            if (ngx_http_scandoc_mp_param(p, eol, "name", &name) != NGX_OK) {
                break;
            }

            if (name.len == 4 && ngx_strncmp(name.data, "file", 4) == 0) {
                if (mp->has_file) {
                    mp->error = "The multipart body has more than one file "
                                "part.";
                    return NGX_DECLINED;
                }

                mp->has_file = 1;
                *part = ngx_http_scandoc_part_file;

            } else if (name.len == 4 && ngx_strncmp(name.data, "name", 4) == 0)
            {
                if (mp->has_name) {
                    mp->error = "The multipart body has more than one name "
                                "part.";
                    return NGX_DECLINED;
                }

                mp->has_name = 1;
                *part = ngx_http_scandoc_part_name;
            }

            break;
        }

        p = eol + 2;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_scandoc_mp_emit(ngx_http_scandoc_multipart_t *mp,
    ngx_http_scandoc_part_e part, u_char *p, size_t len)
{
    size_t   n;
    ssize_t  w;

    switch (part) {

    case ngx_http_scandoc_part_file:

        while (len) {
            w = write(mp->out, p, len);

            if (w < 0) {
                if (ngx_errno == NGX_EINTR) {
                    continue;
                }

                mp->err = ngx_errno;
                return NGX_ERROR;
            }

            mp->size += w;
            p += w;
            len -= w;
        }

        break;

    case ngx_http_scandoc_part_name:

        n = ngx_min(len, NGX_HTTP_SCANDOC_MP_NAME - mp->name_len);

        ngx_memcpy(mp->name + mp->name_len, p, n);
        mp->name_len += n;

        if (n < len) {
            mp->name_long = 1;
        }

        break;

    default:
        break;
    }

    return NGX_OK;
}


/*
 * The value of parameter "name" in "; a=b; name="v"" (RFC 2045 syntax,
 * quoted or not); a backslash in a quoted string escapes the next byte,
 * which is then part of the value (value points into the header).
 */

static ngx_int_t
ngx_http_scandoc_mp_param(u_char *p, u_char *last, const char *name,
    ngx_str_t *value)
{
    u_char  *start, *end;
    size_t   len;

    len = ngx_strlen(name);

    while (p < last) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ';')) {
            p++;
        }

        start = p;

        while (p < last && *p != '=' && *p != ';') {
            p++;
        }

        end = p;

        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        if (p == last || *p == ';') {
            continue;
        }

        p++;                                /* '=' */

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p < last && *p == '"') {
            value->data = ++p;

            while (p < last && *p != '"') {
                if (*p == '\\' && p + 1 < last) {
                    p++;
                }

                p++;
            }

            if (p == last) {
                return NGX_ERROR;            /* unterminated */
            }

            value->len = p - value->data;
            p++;

        } else {
            value->data = p;

            while (p < last && *p != ';' && *p != ' ' && *p != '\t') {
                p++;
            }

            value->len = p - value->data;
        }

        if ((size_t) (end - start) == len
            && ngx_strncasecmp(start, (u_char *) name, len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}
