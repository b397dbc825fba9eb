
/*
 * Copyright (C) scandoc authors
 *
 * scandoc-engine: the helper the nginx module spawns (--serve: one job
 * line in, progress lines and one result line out, see INTERNALS.md §2)
 * and a command-line tool for the same operations.  A bad document fails
 * its job; the helper keeps serving.
 */


#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "sd_engine.h"
#include "sd_pages.h"
#include "sd_imgops.h"


#define SD_TESSDATA_DEFAULT   "/usr/share/tesseract-ocr/5/tessdata"
#define SD_LANGUAGES_MAX      256
#define SD_FSIZE_DEFAULT      (4ULL << 30)
#define SD_CLI_ID             "file_cli00000000000"  /* + 2 digits */


typedef struct {
    const char           *name;
    unsigned              route;         /* SD_ROUTE_*: names are shared */
    sd_run_pt             run;
} sd_runner_t;


/* the operations this binary runs; the others fail not_implemented */
static const sd_runner_t  sd_runners[] = {
    { "convert", SD_ROUTE_IMAGE, sd_image_convert },
    { "extract-text", SD_ROUTE_IMAGE, sd_ocr_extract_text },
    { "apply-effect", SD_ROUTE_IMAGE, sd_effect_run },
    { "detect-documents", SD_ROUTE_IMAGE, sd_detect_run },
    { "warp", SD_ROUTE_IMAGE, sd_warp_run },
    { "scan", SD_ROUTE_IMAGE, sd_scan_run },
    { "merge", SD_ROUTE_PDF, sd_pdf_merge },
    { "split", SD_ROUTE_PDF, sd_pdf_split },
    { "extract-pages", SD_ROUTE_PDF, sd_pdf_extract_pages },
    { "render", SD_ROUTE_PDF, sd_pdf_render },
    { "rotate", SD_ROUTE_PDF, sd_pdf_rotate },
    { "compress", SD_ROUTE_PDF, sd_pdf_compress },
    { "info", SD_ROUTE_PDF, sd_pdf_info },
    { "extract-text", SD_ROUTE_PDF, sd_pdf_extract_text },
    { "ocr", SD_ROUTE_PDF, sd_pdf_ocr },
    { NULL, 0, NULL }
};


static char          *sd_languages[SD_LANGUAGES_MAX];
static sd_ctx_t       sd_ctx;
static rlim_t         sd_cpu_limit;        /* seconds per job, 0: none */


static const char  sd_usage[] =
"usage: scandoc-engine [LIMITS] --serve\n"
"       scandoc-engine [LIMITS] --probe FILE\n"
"       scandoc-engine [LIMITS] OP [--param KEY=VALUE]... [--params JSON]\n"
"                      [--password P] [--limit NAME=N]... -o OUTDIR INPUT...\n"
"\n"
"  --serve        helper mode: reads one job (JSON) per line on stdin and\n"
"                 answers progress lines and one result line on stdout\n"
"                 (docs/INTERNALS.md, section 2).  Requires\n"
"                 OMP_THREAD_LIMIT=1 in the environment.\n"
"  --probe FILE   prints the detected type and properties of FILE.\n"
"  OP             runs one operation (convert, merge, ...) on the INPUT\n"
"                 files, writes the outputs into OUTDIR and prints the\n"
"                 result line.  --param values that are JSON numbers,\n"
"                 booleans, arrays or objects are taken as such, others as\n"
"                 strings (pages, name, language and password are always\n"
"                 strings); --params gives all parameters as one object.\n"
"                 Limits: max_pixels, max_pages, max_outputs, max_text.\n"
"\n"
"  LIMITS: --memory BYTES (address space), --cpu SECONDS (per job),\n"
"          --file-size BYTES (largest file written, default 4 GiB),\n"
"          --tessdata DIR (installed models; default $TESSDATA_PREFIX or\n"
"          " SD_TESSDATA_DEFAULT ").\n"
"\n"
"examples:\n"
"  scandoc-engine convert --param target_format=image/webp \\\n"
"      --param quality=80 -o out/ photo.png\n"
"  scandoc-engine merge --password secret -o out/ a.pdf b.jpg c.pdf\n"
"\n"
"exit status: 0 done, 1 the job failed (see the result line), 2 usage.\n";


/* the installed tesseract models, for the language parameter */

static void
sd_load_languages(const char *dir)
{
    char           *dot;
    size_t          n;
    DIR            *d;
    struct dirent  *e;

    n = 0;
    d = opendir(dir);

    while (d != NULL && (e = readdir(d)) != NULL && n < SD_LANGUAGES_MAX) {
        dot = strstr(e->d_name, ".traineddata");

        if (dot != NULL && dot != e->d_name && dot[12] == '\0') {
            sd_languages[n++] = strndup(e->d_name, dot - e->d_name);
        }
    }

    if (d != NULL) {
        closedir(d);
    }

    sd_ctx.languages = (const char **) sd_languages;
    sd_ctx.nlanguages = n;
    sd_ctx.default_language = "eng";
}


static int
sd_set_limit(int resource, rlim_t value)
{
    struct rlimit  rl;

    rl.rlim_cur = value;
    rl.rlim_max = value;

    return setrlimit(resource, &rl);
}


/*
 * RLIMIT_CPU counts the whole life of the process, and the helper lives
 * across jobs: before each job the soft limit moves to what is used so
 * far plus the budget (the hard limit stays, so it can still move).
 */
static void
sd_cpu_budget(void)
{
    struct rlimit  rl;
    struct rusage  ru;

    if (sd_cpu_limit == 0 || getrlimit(RLIMIT_CPU, &rl) != 0
        || getrusage(RUSAGE_SELF, &ru) != 0)
    {
        return;
    }

    rl.rlim_cur = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1 + sd_cpu_limit;

    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
    }

    setrlimit(RLIMIT_CPU, &rl);
}


static unsigned long
sd_limit(json_t *limits, const char *name, unsigned long def)
{
    json_t  *v;

    v = json_object_get(limits, name);

    return json_is_integer(v) && json_integer_value(v) > 0
           ? (unsigned long) json_integer_value(v) : def;
}


static void
sd_limits(sd_limits_t *l, json_t *limits)
{
    l->max_pixels = sd_limit(limits, "max_pixels", 50000000);
    l->max_pages = sd_limit(limits, "max_pages", 2000);
    l->max_outputs = sd_limit(limits, "max_outputs", 1000);
    l->max_text = sd_limit(limits, "max_text", 8 << 20);
}


/*
 * The (ext) PDF operations share names with image ones (extract-text):
 * the input's type picks the row.
 */
static const sd_op_t *
sd_find_op(const char *name, unsigned type)
{
    const sd_op_t  *op, *first;

    first = NULL;

    for (op = sd_ops; op->name; op++) {
        if (strcmp(op->name, name) != 0) {
            continue;
        }

        if (op->types & type) {
            return op;
        }

        if (first == NULL) {
            first = op;
        }
    }

    return first;
}


static sd_run_pt
sd_find_runner(const sd_op_t *op)
{
    size_t  i;

    for (i = 0; sd_runners[i].name; i++) {
        if (sd_runners[i].route == op->route
            && strcmp(sd_runners[i].name, op->name) == 0)
        {
            return sd_runners[i].run;
        }
    }

    return NULL;
}


/* validates the job again, as the module did, then runs it */

static int
sd_run(sd_job_t *job)
{
    char        *msg;
    size_t       i;
    json_t      *params, *inputs, *errors;
    sd_run_pt    run;
    sd_reqs_t    reqs;

    if (strcmp(job->op_name, "probe") == 0) {
        return sd_probe(job);
    }

    job->op = sd_find_op(job->op_name,
                         job->ninputs ? job->inputs[0].type : 0);

    if (job->op == NULL) {
        return sd_job_fail(job, SD_NOT_IMPLEMENTED,
                           "The operation %.64s is not known.",
                           job->op_name);
    }

    /* the module bounds page numbers by the same limit */

    sd_ctx.max_pages = job->limits.max_pages;

    if (sd_op_validate(job->op, &sd_ctx, job->params, &params, &inputs,
                       &errors, &reqs)
        != 0)
    {
        msg = json_dumps(errors, JSON_COMPACT);
        sd_job_fail(job, SD_INTERNAL, "The task parameters are not valid: "
                    "%.400s", msg ? msg : "");
        sd_job_detail(job, "errors", errors);
        free(msg);
        return -1;
    }

    json_decref(job->params);
    job->params = params;
    json_decref(inputs);

    if (job->ninputs == 0 || (!job->op->multi && job->ninputs != 1)
        || job->ninputs > SD_INPUTS_MAX)
    {
        return sd_job_fail(job, SD_INTERNAL,
                           "The job has %zu inputs for %s.", job->ninputs,
                           job->op->name);
    }

    if (job->staging == NULL
        || (mkdir(job->staging, 0700) != 0 && errno != EEXIST))
    {
        return sd_job_fail(job, SD_INTERNAL, "The job has no usable staging "
                           "directory.");
    }

    for (i = 0; i < job->ninputs; i++) {
        if (!(job->inputs[i].type & reqs.types)) {
            sd_job_fail(job, SD_UNSUPPORTED, "Input %zu is not a file type "
                        "that %s accepts.", i + 1, job->op->name);
            sd_job_detail(job, "input", json_integer(i + 1));
            return -1;
        }
    }

    run = job->op->implemented ? sd_find_runner(job->op) : NULL;

    if (run == NULL) {
        return sd_job_fail(job, SD_NOT_IMPLEMENTED,
                           "The %s operation is not implemented yet.",
                           job->op->name);
    }

    sd_cpu_budget();
    sd_image_memory_reset();

    return run(job);
}


/* prints the result line of a finished job */

static void
sd_answer(sd_job_t *job, int rc, FILE *out)
{
    char    *s;
    json_t  *line, *details;

    if (rc == 0) {
        if (job->result == NULL) {
            job->result = json_object();
        }

        line = json_pack("{s:b, s:O, s:O}", "ok", 1, "result", job->result,
                         "outputs", job->outputs);

    } else {
        if (job->code == NULL) {
            sd_job_fail(job, SD_INTERNAL, "The operation failed.");
        }

        details = job->details ? job->details : json_object();
        job->details = details;
        json_object_set_new(details, "code", json_string(job->code));

        line = json_pack("{s:b, s:s, s:s, s:O}", "ok", 0, "error",
                         job->error, "code", job->code, "details", details);
    }

    /* 15 digits: a decimal like 595.28 comes out as written */

    s = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(15))
             : NULL;

    fprintf(out, "%s\n", s ? s : "{\"ok\":false,\"error\":\"The result "
            "cannot be serialized.\",\"code\":\"internal\"}");
    fflush(out);

    free(s);
    json_decref(line);
}


static void
sd_job_free(sd_job_t *job)
{
    json_decref(job->params);
    json_decref(job->result);
    json_decref(job->outputs);
    json_decref(job->details);
    free(job->inputs);
}


/* one job line of --serve */

static int
sd_serve_line(const char *text, FILE *out, FILE *progress)
{
    int            rc;
    size_t         i;
    json_t        *job_json, *in, *v;
    sd_job_t       job;
    const char    *type;
    json_error_t   err;

    memset(&job, 0, sizeof(sd_job_t));
    job.outputs = json_array();
    job.progress = progress;

    job_json = json_loads(text, 0, &err);

    if (!json_is_object(job_json)
        || !json_is_string(json_object_get(job_json, "op")))
    {
        sd_job_fail(&job, SD_INTERNAL, "The job line is not a JSON object "
                    "with an op.");
        sd_answer(&job, -1, out);
        rc = -1;
        goto done;
    }

    job.op_name = json_string_value(json_object_get(job_json, "op"));
    job.staging = json_string_value(json_object_get(job_json, "staging"));
    job.password = json_string_value(json_object_get(job_json, "password"));

    v = json_object_get(job_json, "params");
    job.params = json_is_object(v) ? json_incref(v) : json_object();

    if (job.password == NULL) {
        job.password = json_string_value(json_object_get(job.params,
                                                         "password"));
    }

    sd_limits(&job.limits, json_object_get(job_json, "limits"));

    v = json_object_get(job_json, "inputs");
    job.ninputs = json_array_size(v);
    job.inputs = calloc(job.ninputs + 1, sizeof(sd_input_t));

    json_array_foreach(v, i, in) {
        job.inputs[i].path = json_string_value(json_object_get(in, "path"));
        type = json_string_value(json_object_get(in, "type"));
        job.inputs[i].type = type ? sd_type_from_name(type, strlen(type)) : 0;

        if (job.inputs[i].path == NULL) {
            job.ninputs = 0;
        }
    }

    if (job.ninputs == 0 && json_array_size(v) != 0) {
        sd_job_fail(&job, SD_INTERNAL, "A job input has no path.");
        rc = -1;

    } else {
        rc = sd_run(&job);
    }

    if (rc != 0) {
        sd_job_discard(&job);
    }

    sd_answer(&job, rc, out);

done:

    sd_job_free(&job);
    json_decref(job_json);

    return rc;
}


static int
sd_serve(void)
{
    char     *line;
    pid_t     parent;
    size_t    size;
    ssize_t   n;

    /*
     * The helper dies with the nginx worker that owns it; a parent gone
     * before prctl() took effect shows as a different parent pid.
     */

    parent = getppid();

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
        fprintf(stderr, "scandoc-engine: the parent process is gone\n");
        return 2;
    }

    errno = 0;
    if (nice(5) == -1 && errno != 0) {
        fprintf(stderr, "scandoc-engine: nice: %s\n", strerror(errno));
    }

    line = NULL;
    size = 0;

    while ((n = getline(&line, &size, stdin)) != -1) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }

        if (n == 0) {
            continue;
        }

        sd_serve_line(line, stdout, stdout);
    }

    free(line);

    return 0;
}


static int
sd_probe_cli(const char *path)
{
    int          rc;
    json_t      *inputs;
    char        *s;
    json_t      *job;

    inputs = json_pack("[{s:s}]", "path", path);
    job = json_pack("{s:s, s:o}", "op", "probe", "inputs", inputs);
    s = json_dumps(job, JSON_COMPACT);

    rc = sd_serve_line(s, stdout, stderr) == 0 ? 0 : 1;

    free(s);
    json_decref(job);

    return rc;
}


/* --param KEY=VALUE: JSON where that makes sense, else a string */

static int
sd_cli_param(json_t *params, const char *arg)
{
    char         *key;
    size_t        i;
    json_t       *v;
    const char   *eq;
    json_error_t  err;

    static const char *const  strings[] =
        { "pages", "name", "language", "password", NULL };

    eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        return -1;
    }

    key = strndup(arg, eq - arg);
    v = NULL;

    for (i = 0; strings[i]; i++) {
        if (strcmp(strings[i], key) == 0) {
            v = json_string(eq + 1);
        }
    }

    if (v == NULL) {
        v = json_loads(eq + 1, JSON_DECODE_ANY, &err);

        if (v == NULL || json_is_string(v)) {
            json_decref(v);
            v = json_string(eq + 1);
        }
    }

    json_object_set_new(params, key, v);
    free(key);

    return 0;
}


static int
sd_cli(int argc, char **argv, int first)
{
    int             i, rc;
    char           *s, id[32];
    json_t         *params, *inputs, *limits, *job, *probe, *ids, *v;
    const char     *outdir, *password, *code;
    const sd_op_t  *op;
    json_error_t    err;
    char            error[256];

    params = json_object();
    limits = json_object();
    inputs = json_array();
    ids = json_array();
    outdir = NULL;
    password = NULL;

    for (i = first + 1; i < argc; i++) {
        if (strcmp(argv[i], "--param") == 0 && i + 1 < argc) {
            if (sd_cli_param(params, argv[++i]) != 0) {
                goto usage;
            }

        } else if (strcmp(argv[i], "--params") == 0 && i + 1 < argc) {
            v = json_loads(argv[++i], 0, &err);

            if (!json_is_object(v)) {
                fprintf(stderr, "scandoc-engine: --params: %s\n", err.text);
                goto usage;
            }

            json_object_update(params, v);
            json_decref(v);

        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            if (sd_cli_param(limits, argv[++i]) != 0) {
                goto usage;
            }

        } else if (strcmp(argv[i], "--password") == 0 && i + 1 < argc) {
            password = argv[++i];

        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            outdir = argv[++i];

        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            goto usage;

        } else {
            /* the CLI knows paths, not ids: the type comes from a probe */

            if (sd_probe_file(argv[i], &probe, &code, error, sizeof(error))
                != 0)
            {
                fprintf(stdout, "{\"ok\":false,\"error\":\"%s: %s\","
                        "\"code\":\"%s\"}\n", argv[i], error, code);
                rc = 1;
                goto done;
            }

            json_array_append_new(inputs, json_pack("{s:s, s:O}",
                                  "path", argv[i],
                                  "type", json_object_get(probe, "type")));
            json_decref(probe);

            snprintf(id, sizeof(id), SD_CLI_ID "%02zu",
                     json_array_size(ids) % 100);
            json_array_append_new(ids, json_string(id));
        }
    }

    if (outdir == NULL || json_array_size(inputs) == 0) {
        goto usage;
    }

    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "scandoc-engine: %s: %s\n", outdir, strerror(errno));
        rc = 2;
        goto done;
    }

    op = sd_find_op(argv[first], 0);

    if (!json_object_get(params, "input")) {
        json_object_set(params, "input", op && op->multi
                        ? ids : json_array_get(ids, 0));
    }

    job = json_pack("{s:s, s:O, s:O, s:s, s:O, s:s?}", "op", argv[first],
                    "params", params, "inputs", inputs, "staging", outdir,
                    "limits", limits, "password", password);
    s = json_dumps(job, JSON_COMPACT);

    /* progress goes to stderr: stdout carries only the result line */

    rc = sd_serve_line(s, stdout, stderr) == 0 ? 0 : 1;

    free(s);
    json_decref(job);
    goto done;

usage:

    fputs(sd_usage, stderr);
    rc = 2;

done:

    json_decref(params);
    json_decref(limits);
    json_decref(inputs);
    json_decref(ids);

    return rc;
}


/*
 * libgomp reads OMP_THREAD_LIMIT when it loads, before main(): the
 * helper refuses to run without it (the parent sets it), the CLI sets
 * it and starts itself again.
 */
static int
sd_omp_check(int serve, char **argv)
{
    const char  *v;

    v = getenv("OMP_THREAD_LIMIT");

    if (v != NULL && strcmp(v, "1") == 0) {
        return 0;
    }

    if (serve) {
        fprintf(stderr, "scandoc-engine: OMP_THREAD_LIMIT must be 1 in the "
                "environment of --serve\n");
        return -1;
    }

    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);

    fprintf(stderr, "scandoc-engine: re-exec: %s\n", strerror(errno));
    return -1;
}


int
main(int argc, char **argv)
{
    int          i, serve;
    char        *end;
    const char  *tessdata, *probe;
    unsigned long long  memory, fsize;

    memory = 0;
    fsize = SD_FSIZE_DEFAULT;
    tessdata = getenv("TESSDATA_PREFIX");
    serve = 0;
    probe = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(sd_usage, stdout);
            return 0;

        } else if (strcmp(argv[i], "--serve") == 0) {
            serve = 1;

        } else if (strcmp(argv[i], "--probe") == 0 && i + 1 < argc) {
            probe = argv[++i];

        } else if (strcmp(argv[i], "--memory") == 0 && i + 1 < argc) {
            memory = strtoull(argv[++i], &end, 10);

        } else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
            sd_cpu_limit = strtoull(argv[++i], &end, 10);

        } else if (strcmp(argv[i], "--file-size") == 0 && i + 1 < argc) {
            fsize = strtoull(argv[++i], &end, 10);

        } else if (strcmp(argv[i], "--tessdata") == 0 && i + 1 < argc) {
            tessdata = argv[++i];

        } else {
            break;
        }
    }

    if (!serve && probe == NULL && i >= argc) {
        fputs(sd_usage, stderr);
        return 2;
    }

    if (sd_omp_check(serve, argv) != 0) {
        return 2;
    }

    /* a write beyond RLIMIT_FSIZE fails with EFBIG instead of killing */

    signal(SIGXFSZ, SIG_IGN);

    if ((memory && sd_set_limit(RLIMIT_AS, memory) != 0)
        || sd_set_limit(RLIMIT_FSIZE, fsize) != 0)
    {
        fprintf(stderr, "scandoc-engine: setrlimit: %s\n", strerror(errno));
        return 2;
    }

    sd_load_languages(tessdata ? tessdata : SD_TESSDATA_DEFAULT);
    sd_ocr_init(tessdata ? tessdata : SD_TESSDATA_DEFAULT);
    sd_image_init();

    if (sd_pdf_init() != 0) {
        fprintf(stderr, "scandoc-engine: cannot create a mupdf context\n");
        return 2;
    }

    if (serve) {
        return sd_serve();
    }

    if (probe != NULL) {
        return sd_probe_cli(probe);
    }

    return sd_cli(argc, argv, i);
}
