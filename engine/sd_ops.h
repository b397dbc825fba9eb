
/*
 * Copyright (C) scandoc authors
 *
 * The operation registry.  Compiled into the nginx module (to validate
 * requests) and into scandoc-engine (to validate again before running),
 * so it uses libc and jansson only: no nginx, no document libraries.
 */


#ifndef _SD_OPS_H_INCLUDED_
#define _SD_OPS_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


#define SD_INPUTS_MAX         50     /* merge: items of "input" */
#define SD_NAME_MAX           50     /* code points of "name" */
#define SD_SCHEMA_DEPTH       8      /* extract-text json schema levels */
#define SD_SCHEMA_PROPS       256    /* ... and properties in all */


/* which route an operation lives under */
#define SD_ROUTE_IMAGE        1      /* /v1/image-operations/{op} */
#define SD_ROUTE_PDF          2      /* /v1/pdf-operations/{op} */

/* input types, as a bit mask */
#define SD_TYPE_PNG           0x01
#define SD_TYPE_JPEG          0x02
#define SD_TYPE_WEBP          0x04
#define SD_TYPE_PDF           0x08
#define SD_TYPE_IMAGE         (SD_TYPE_PNG|SD_TYPE_JPEG|SD_TYPE_WEBP)


/* what the module knows at validation time */
typedef struct {
    const char          **languages;     /* installed tesseract models */
    size_t                nlanguages;
    const char           *default_language;
    unsigned              max_pages;     /* page syntax sanity bound */
} sd_ctx_t;


/*
 * Facts about the inputs that the parameters require; checked by the
 * create_task Function against the stored input properties, and again
 * when a parent task finishes.  Serialized as INTERNALS.md "reqs_json".
 */
typedef struct {
    unsigned              types;         /* SD_TYPE_* accepted */
    unsigned              max_page;      /* 0: no page referenced */
    long                  max_x;         /* -1: no vertices */
    long                  max_y;
    unsigned              multi:1;       /* a task input may expand to many */
} sd_reqs_t;


typedef struct sd_op_s  sd_op_t;

struct sd_op_s {
    const char           *name;          /* "convert" */
    unsigned              route;         /* SD_ROUTE_* */
    unsigned              types;         /* SD_TYPE_* accepted as input */
    unsigned              named:1;       /* accepts "name" */
    unsigned              multi:1;       /* "input" is an array (merge) */
    unsigned              implemented:1; /* runs; else fails not_implemented */

    /* checks op-specific fields; adds messages to errors, fills params */
    void                (*validate)(const sd_ctx_t *ctx, json_t *body,
                                    json_t *params, json_t *errors,
                                    sd_reqs_t *reqs);

    /* the op-specific body fields, NULL-terminated (unknown-field check) */
    const char *const    *fields;
};


/* the whole registry, in table order: for (i = 0; sd_ops[i].name; i++) */
extern const sd_op_t  sd_ops[];


const sd_op_t *sd_op_find(unsigned route, const char *name, size_t len);

/*
 * Validates a request body (a JSON object) for op: common fields (input,
 * name, callback_url, password where allowed, unknown fields, nulls as
 * absent) and the op's own.  Returns 0 when valid, with *params set to the
 * accepted body with defaults filled in (new reference), *inputs to the
 * array of input ids (new reference) and reqs filled; returns -1 with
 * *errors set to the API.md "errors" map (new reference) otherwise.
 *
 * *params holds "input" (as given: a string, or merge's array), "name",
 * "callback_url", "password" and the op's fields with defaults; null
 * fields are dropped.  The helper calls this again on a job's params, so
 * params validate as a body.
 */
int sd_op_validate(const sd_op_t *op, const sd_ctx_t *ctx, json_t *body,
    json_t **params, json_t **inputs, json_t **errors, sd_reqs_t *reqs);

/* serializes reqs as INTERNALS.md "reqs_json"; malloc()ed string */
char *sd_reqs_dump(const sd_reqs_t *reqs);

/* NULL if s is a valid "name" (API.md), else the message saying why */
const char *sd_name_error(const char *s, size_t len);

/* 1 if s is "<prefix>_" + 16 of [a-z0-9] */
int sd_id_valid(const char *prefix, const char *s, size_t len);

/* type name <-> SD_TYPE_* */
const char *sd_type_name(unsigned type);
unsigned sd_type_from_name(const char *name, size_t len);


#endif /* _SD_OPS_H_INCLUDED_ */
