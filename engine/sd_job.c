
/*
 * Copyright (C) scandoc authors
 *
 * What an operation uses to report: failures with a code, outputs in
 * the staging directory, progress lines.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sd_engine.h"


int
sd_job_fail(sd_job_t *job, const char *code, const char *fmt, ...)
{
    va_list  args;

    /* the first failure is the precise one: keep it */

    if (job->code != NULL) {
        return -1;
    }

    job->code = code;

    va_start(args, fmt);
    vsnprintf(job->error, sizeof(job->error), fmt, args);
    va_end(args);

    return -1;
}


void
sd_job_detail(sd_job_t *job, const char *key, json_t *value)
{
    if (job->details == NULL) {
        job->details = json_object();
    }

    json_object_set_new(job->details, key, value);
}


const char *
sd_job_output(sd_job_t *job, const char *type, json_t **properties)
{
    char        path[4096];
    size_t      k;
    json_t     *out;
    const char  *ext;

    ext = strcmp(type, "image/png") == 0 ? "png"
          : strcmp(type, "image/jpeg") == 0 ? "jpg"
          : strcmp(type, "image/webp") == 0 ? "webp" : "pdf";

    k = json_array_size(job->outputs) + 1;

    if (k > job->limits.max_outputs) {
        sd_job_fail(job, SD_LIMIT,
                    "The task would generate more than %lu files.",
                    job->limits.max_outputs);
        sd_job_detail(job, "limit", json_string("max_outputs"));
        sd_job_detail(job, "max", json_integer(job->limits.max_outputs));
        return NULL;
    }

    snprintf(path, sizeof(path), "%s/out-%zu.%s", job->staging, k, ext);

    *properties = json_object();
    out = json_pack("{s:s, s:s, s:O, s:n}", "path", path, "type", type,
                    "properties", *properties, "suffix");
    json_decref(*properties);

    json_array_append_new(job->outputs, out);

    return json_string_value(json_object_get(out, "path"));
}


void
sd_job_progress(sd_job_t *job, unsigned long done, unsigned long total)
{
    if (job->progress == NULL) {
        return;
    }

    fprintf(job->progress, "{\"progress\":{\"done\":%lu,\"total\":%lu}}\n",
            done, total);
    fflush(job->progress);
}


void
sd_job_discard(sd_job_t *job)
{
    size_t   i;
    json_t  *out;

    json_array_foreach(job->outputs, i, out) {
        unlink(json_string_value(json_object_get(out, "path")));
    }

    json_array_clear(job->outputs);
}


long long
sd_file_size(const char *path)
{
    struct stat  st;

    if (stat(path, &st) != 0) {
        return -1;
    }

    return (long long) st.st_size;
}
