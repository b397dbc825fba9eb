
/*
 * Copyright (C) scandoc authors
 *
 * extract-text's json format (API.md, decided, best effort, no language
 * model): each schema property takes the value that follows a label
 * matching its name or description, on the same line or the line below,
 * converted to the property's type; arrays of objects come from the rows
 * of a table whose header names their properties.  Every property is
 * present, null when not found or not convertible.
 *
 * Labels are compared word by word after folding case and dropping
 * punctuation, with a small edit distance allowed per word, because OCR
 * slips ("lnvoice", "Tota1") must not hide a field.
 */


#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sd_ocr.h"


#define SD_LABEL_WORDS        6      /* longer descriptions are not labels */
#define SD_WORD_MAX           64     /* bytes of a folded word compared */
#define SD_BELOW_LINES        2.5    /* how far below a label, in heights */


typedef struct {
    const sd_ocr_page_t  *page;
    char                (*folded)[SD_WORD_MAX];  /* per word */
    sd_table_t           *tables;
    long                  ntables;
} sd_fill_t;


/* a label: folded words */
typedef struct {
    char                  words[SD_LABEL_WORDS][SD_WORD_MAX];
    size_t                n;
    char                  joined[SD_WORD_MAX];   /* the words run together */
} sd_label_t;


/* where a label was found */
typedef struct {
    size_t                line;
    size_t                from;          /* first word in the line */
    size_t                n;             /* words it covers */
    int                   cost;          /* edits; lower is better */
} sd_match_t;


static json_t *sd_fill(sd_fill_t *f, json_t *schema, const char *name);


/* lower-case letters and digits only ("Total:" -> "total") */

static void
sd_fold(const char *s, char *d, size_t size)
{
    size_t  n;

    for (n = 0; *s && n + 1 < size; s++) {
        if (isalnum((unsigned char) *s)) {
            d[n++] = (char) tolower((unsigned char) *s);

        } else if ((unsigned char) *s >= 0x80) {
            d[n++] = *s;                /* other scripts, as they are */
        }
    }

    d[n] = '\0';
}


static size_t
sd_edits(const char *a, const char *b)
{
    size_t  i, j, n, m, prev, cur, diag, row[SD_WORD_MAX + 1];

    n = strlen(a);
    m = strlen(b);

    for (j = 0; j <= m; j++) {
        row[j] = j;
    }

    for (i = 1; i <= n; i++) {
        diag = row[0];
        row[0] = i;

        for (j = 1; j <= m; j++) {
            prev = row[j];
            cur = diag + (a[i - 1] != b[j - 1]);

            if (row[j] + 1 < cur) {
                cur = row[j] + 1;
            }

            if (row[j - 1] + 1 < cur) {
                cur = row[j - 1] + 1;
            }

            row[j] = cur;
            diag = prev;
        }
    }

    return row[m];
}


/* the edits between a label word and a page word, or -1: too far apart */

static int
sd_word_cost(const char *label, const char *word)
{
    size_t  len, d, allowed;

    static const char *const  abbrev[][2] = {
        { "number", "no" }, { "number", "nr" }, { "number", "num" },
        { "quantity", "qty" }, { "amount", "amt" }, { "telephone", "tel" },
        { "phone", "tel" }, { "address", "addr" }, { "reference", "ref" },
        { NULL, NULL }
    };

    if (strcmp(label, word) == 0) {
        return 0;
    }

    for (len = 0; abbrev[len][0]; len++) {
        if (strcmp(label, abbrev[len][0]) == 0
            && strcmp(word, abbrev[len][1]) == 0)
        {
            return 0;
        }
    }

    len = strlen(label);
    allowed = len >= 8 ? 2 : len >= 4 ? 1 : 0;

    if (allowed == 0 || *word == '\0') {
        return -1;
    }

    d = sd_edits(label, word);

    return d <= allowed ? (int) d : -1;
}


/* "invoiceNumber", "invoice_number", "Invoice number:" -> its words */

static void
sd_label(const char *s, sd_label_t *label)
{
    char        word[SD_WORD_MAX];
    size_t      n;
    const char *p;

    label->n = 0;
    label->joined[0] = '\0';
    n = 0;

    for (p = s; ; p++) {
        if (n && (*p == '\0' || !isalnum((unsigned char) *p)
                  || (isupper((unsigned char) *p)
                      && islower((unsigned char) p[-1]))))
        {
            word[n] = '\0';

            if (label->n == SD_LABEL_WORDS) {
                label->n = 0;           /* a sentence, not a label */
                return;
            }

            sd_fold(word, label->words[label->n], SD_WORD_MAX);

            if (strlen(label->joined) + strlen(word) < SD_WORD_MAX) {
                strcat(label->joined, label->words[label->n]);
            }

            label->n++;
            n = 0;
        }

        if (*p == '\0') {
            break;
        }

        if (isalnum((unsigned char) *p) && n + 1 < SD_WORD_MAX) {
            word[n++] = *p;
        }
    }
}


/* the label at word "from" of line l: its cost and words, or -1 */

static int
sd_label_at(sd_fill_t *f, const sd_label_t *label, size_t l, size_t from,
    size_t *covered)
{
    int                   c, cost;
    size_t                i, w;
    const sd_ocr_line_t  *line;

    line = &f->page->lines[l];

    /* OCR may run the words of a label together: "InvoiceNo:" */

    if (label->n > 1) {
        cost = sd_word_cost(label->joined, f->folded[line->word + from]);

        if (cost >= 0) {
            *covered = 1;
            return cost;
        }
    }

    cost = 0;
    w = from;

    for (i = 0; i < label->n; i++) {

        /* punctuation alone ("-", ":") is not a word of the label */

        while (w < line->nwords && f->folded[line->word + w][0] == '\0') {
            w++;
        }

        if (w == line->nwords) {
            return -1;
        }

        c = sd_word_cost(label->words[i], f->folded[line->word + w]);
        if (c < 0) {
            return -1;
        }

        cost += c;
        w++;
    }

    *covered = w - from;

    return cost;
}


/* the best place of a label on the page: fewest edits, then earliest */

static int
sd_find(sd_fill_t *f, const sd_label_t *label, sd_match_t *m)
{
    int     cost;
    size_t  l, i, n;

    m->cost = -1;

    if (label->n == 0) {
        return -1;
    }

    for (l = 0; l < f->page->nlines; l++) {
        for (i = 0; i < f->page->lines[l].nwords; i++) {
            cost = sd_label_at(f, label, l, i, &n);

            /* a label that opens its line is more likely a label */

            if (cost >= 0 && i) {
                cost++;
            }

            if (cost >= 0 && (m->cost < 0 || cost < m->cost)) {
                m->line = l;
                m->from = i;
                m->n = n;
                m->cost = cost;
            }
        }
    }

    return m->cost < 0 ? -1 : 0;
}


/*
 * The label of a property: its name or its description, whichever is
 * found with fewer edits, then covering more words ("total" and "Total
 * amount:" both match the line; the value follows "amount").
 */
static int
sd_find_property(sd_fill_t *f, json_t *schema, const char *name,
    sd_match_t *m)
{
    sd_label_t   label;
    const char  *desc;
    sd_match_t   by_desc;

    sd_label(name ? name : "", &label);
    sd_find(f, &label, m);

    desc = json_string_value(json_object_get(schema, "description"));
    sd_label(desc ? desc : "", &label);

    if (sd_find(f, &label, &by_desc) == 0
        && (m->cost < 0 || by_desc.cost < m->cost
            || (by_desc.cost == m->cost && by_desc.n > m->n)))
    {
        *m = by_desc;
    }

    return m->cost < 0 ? -1 : 0;
}


/* words from..to of line l, one space apart, without leading ":" or "-" */

static void
sd_words(sd_fill_t *f, size_t l, size_t from, size_t n, sd_str_t *s)
{
    size_t                i;
    const char           *t;
    const sd_ocr_line_t  *line;

    line = &f->page->lines[l];

    for (i = from; i < from + n && i < line->nwords; i++) {
        t = f->page->words[line->word + i].text;

        if (s->len == 0) {
            t += strspn(t, ":-=#.|");
            if (*t == '\0') {
                continue;
            }

        } else {
            sd_str_add(s, " ", 1);
        }

        sd_str_cat(s, t);
    }
}


/*
 * The value that follows a label: the rest of its run of words (or the
 * next run, across a wide gap) up to what looks like the next label (a
 * word ending with ":"), else the run of the nearest line below that
 * overlaps the label.
 */
static void
sd_value(sd_fill_t *f, const sd_match_t *m, sd_str_t *s)
{
    int                   best, d, x0, x1, h, y;
    size_t                l, i, from, end, n, below;
    const char           *t;
    const sd_ocr_line_t  *line, *other;
    const sd_ocr_word_t  *w;

    line = &f->page->lines[m->line];
    w = &f->page->words[line->word];
    from = m->from + m->n;
    end = m->from + sd_layout_run(f->page, m->line, m->from);

    if (from >= end && end < line->nwords) {
        from = end;
        end = from + sd_layout_run(f->page, m->line, from);
    }

    for (i = from + 1; i < end; i++) {
        t = w[i].text;

        if (t[strlen(t) - 1] == ':') {
            end = (i - 1 > from && isupper((unsigned char) w[i - 1].text[0]))
                  ? i - 1 : i;
            break;
        }
    }

    if (from < end) {
        sd_words(f, m->line, from, end - from, s);
    }

    if (s->len) {
        return;
    }

    x0 = w[m->from].box.x0;
    x1 = w[m->from + m->n - 1].box.x1;
    h = line->box.y1 - line->box.y0;
    best = -1;
    below = 0;
    from = 0;

    /* tesseract may have made the value a line of its own: to the right */

    for (l = 0; l < f->page->nlines; l++) {
        other = &f->page->lines[l];
        d = other->box.x0 - x1;
        y = (other->box.y0 + other->box.y1) / 2;

        if (l != m->line && d >= 0 && y > line->box.y0 && y < line->box.y1
            && (best < 0 || d < best))
        {
            best = d;
            below = l;
        }
    }

    if (best >= 0) {
        sd_words(f, below, 0, sd_layout_run(f->page, below, 0), s);
        return;
    }

    /* else below it */

    for (l = 0; l < f->page->nlines; l++) {
        other = &f->page->lines[l];
        d = other->box.y0 - line->box.y1;

        if (l == m->line || d < -h / 2 || d > SD_BELOW_LINES * h
            || (best >= 0 && d >= best))
        {
            continue;
        }

        /* the run of words of that line under the label */

        for (i = 0; i < other->nwords; i += n) {
            n = sd_layout_run(f->page, l, i);
            w = &f->page->words[other->word + i];

            if (w[0].box.x0 < x1 && w[n - 1].box.x1 > x0) {
                best = d;
                below = l;
                from = i;
                break;
            }
        }
    }

    if (best >= 0) {
        sd_words(f, below, from, sd_layout_run(f->page, below, from), s);
    }
}


/* --- conversions ------------------------------------------------------- */


/*
 * A number as printed: "$ 1,234.50", "1.234,50 EUR", "(12)", "-7", with
 * the letters OCR mistakes for digits inside it ("1O0" -> 100).
 */
static int
sd_number(const char *s, double *v)
{
    int          neg, dots, commas, after;
    char         buf[128], *end, *sep;
    size_t       n;
    const char  *p;

    for (p = s; *p; p++) {
        if (isdigit((unsigned char) *p)) {
            break;
        }
    }

    if (*p == '\0') {
        return -1;
    }

    neg = (p > s && (p[-1] == '-' || p[-1] == '(' || (p > s + 1
           && p[-2] == '-' && !isalnum((unsigned char) p[-1]))));

    n = 0;
    dots = 0;
    commas = 0;

    for ( /* void */ ; *p && n + 1 < sizeof(buf); p++) {
        if (isdigit((unsigned char) *p)) {
            buf[n++] = *p;

        } else if ((*p == 'O' || *p == 'o') && n) {
            buf[n++] = '0';

        } else if ((*p == 'l' || *p == 'I') && n
                   && isdigit((unsigned char) p[1]))
        {
            buf[n++] = '1';

        } else if ((*p == '.' || *p == ',') && n
                   && isdigit((unsigned char) p[1]))
        {
            buf[n++] = *p;
            dots += (*p == '.');
            commas += (*p == ',');

        } else if ((*p == ' ' || *p == '\'') && n
                   && isdigit((unsigned char) p[1])
                   && strspn(p + 1, "0123456789") == 3)
        {
            continue;                   /* "1 234" and "1'234" */

        } else {
            break;
        }
    }

    buf[n] = '\0';

    /* which separator is the decimal one: the last, unless it groups */

    sep = NULL;

    if (dots && commas) {
        sep = strrchr(buf, '.') > strrchr(buf, ',') ? strrchr(buf, '.')
                                                     : strrchr(buf, ',');
    } else if (dots == 1 || commas == 1) {
        sep = strrchr(buf, dots ? '.' : ',');
        after = (int) strlen(sep + 1);

        if (commas == 1 && after == 3) {
            sep = NULL;                 /* "1,234" */
        }
    }

    for (p = buf, end = buf; *p; p++) {
        if (isdigit((unsigned char) *p)) {
            *end++ = *p;

        } else if (p == sep) {
            *end++ = '.';
        }
    }

    *end = '\0';

    *v = strtod(buf, &end);

    if (end == buf || *end != '\0' || !isfinite(*v)) {
        return -1;
    }

    if (neg) {
        *v = -*v;
    }

    return 0;
}


static json_t *
sd_boolean(const char *s)
{
    char        word[SD_WORD_MAX];
    size_t      i;

    static const char *const  yes[] =
        { "yes", "y", "true", "x", "checked", "on", "1", "ja", "oui", "si",
          NULL };
    static const char *const  no[] =
        { "no", "n", "false", "unchecked", "off", "0", "none", "nein", "non",
          NULL };

    /* check marks */

    if (strstr(s, "\xe2\x9c\x93") || strstr(s, "\xe2\x9c\x94")
        || strstr(s, "\xe2\x98\x91") || strstr(s, "\xe2\x98\x92"))
    {
        return json_true();
    }

    if (strstr(s, "\xe2\x98\x90")) {
        return json_false();
    }

    sd_fold(s, word, sizeof(word));

    for (i = 0; yes[i]; i++) {
        if (strcmp(word, yes[i]) == 0) {
            return json_true();
        }
    }

    for (i = 0; no[i]; i++) {
        if (strcmp(word, no[i]) == 0) {
            return json_false();
        }
    }

    return json_null();
}


/* text as the schema's type: null when it does not convert */

static json_t *
sd_convert(json_t *schema, const char *text)
{
    double       v;
    const char  *type;

    type = json_string_value(json_object_get(schema, "type"));

    if (text == NULL || *text == '\0') {
        return json_null();
    }

    if (type == NULL || strcmp(type, "string") == 0) {
        return json_string(text);
    }

    if (strcmp(type, "number") == 0) {
        return sd_number(text, &v) == 0 ? json_real(v) : json_null();
    }

    if (strcmp(type, "integer") == 0) {
        if (sd_number(text, &v) != 0 || v != floor(v) || fabs(v) > 9e15) {
            return json_null();
        }

        return json_integer((json_int_t) v);
    }

    if (strcmp(type, "boolean") == 0) {
        return sd_boolean(text);
    }

    return json_null();
}


/* --- arrays ------------------------------------------------------------ */


/* the table column whose header matches a name (or description), or -1 */

static long
sd_column(sd_fill_t *f, const sd_table_t *t, json_t *schema,
    const char *name)
{
    int               cost, best;
    long              col;
    size_t            c, i, n, at, covered;
    sd_label_t        label;
    const char       *desc;
    const sd_cell_t  *cell;

    best = -1;
    col = -1;
    desc = json_string_value(json_object_get(schema, "description"));

    for (i = 0; i < 2; i++) {
        sd_label(i == 0 ? (name ? name : "") : (desc ? desc : ""), &label);

        if (label.n == 0) {
            continue;
        }

        for (c = 0; c < t->ncols; c++) {
            cell = &t->cells[c];
            at = cell->word - f->page->lines[cell->line].word;

            for (n = 0; n < cell->nwords; n++) {
                cost = sd_label_at(f, &label, cell->line, at + n, &covered);

                if (cost >= 0 && n + covered <= cell->nwords
                    && (best < 0 || cost < best))
                {
                    best = cost;
                    col = (long) c;
                }
            }
        }
    }

    return col;
}


/* array items from the rows of the table whose header fits them best */

static json_t *
sd_fill_rows(sd_fill_t *f, json_t *items)
{
    long         k, best, c, *cols, hits, most;
    size_t       r, i, nprops;
    json_t      *props, *prop, *rows, *obj;
    sd_str_t     s;
    const char  *key;

    props = json_object_get(items, "properties");
    nprops = json_object_size(props);

    if (nprops == 0 || f->ntables == 0) {
        return NULL;
    }

    cols = malloc(nprops * sizeof(long));
    if (cols == NULL) {
        return NULL;
    }

    best = -1;
    most = 0;

    for (k = 0; k < f->ntables; k++) {
        hits = 0;

        json_object_foreach(props, key, prop) {
            hits += sd_column(f, &f->tables[k], prop, key) >= 0;
        }

        if (hits > most) {
            most = hits;
            best = k;
        }
    }

    if (best < 0) {
        free(cols);
        return NULL;
    }

    i = 0;

    json_object_foreach(props, key, prop) {
        cols[i++] = sd_column(f, &f->tables[best], prop, key);
    }

    rows = json_array();

    for (r = 1; rows && r < f->tables[best].nrows; r++) {
        obj = json_object();
        i = 0;

        json_object_foreach(props, key, prop) {
            c = cols[i++];
            memset(&s, 0, sizeof(sd_str_t));

            if (c >= 0) {
                sd_cell_text(f->page, &f->tables[best].cells[
                                 r * f->tables[best].ncols + c], &s);
            }

            json_object_set_new(obj, key, s.len ? sd_convert(prop, s.data)
                                                : json_null());
            free(s.data);
        }

        json_array_append_new(rows, obj);
    }

    free(cols);

    return rows;
}


/* an array of values: a table column under the label, else a list */

static json_t *
sd_fill_list(sd_fill_t *f, json_t *schema, const char *name,
    json_t *items)
{
    long         c;
    size_t       k, r;
    char        *p, *q;
    json_t      *list;
    sd_str_t     s;
    sd_match_t   m;

    list = json_array();

    for (k = 0; k < (size_t) f->ntables && name; k++) {
        c = sd_column(f, &f->tables[k], schema, name);
        if (c < 0) {
            continue;
        }

        for (r = 1; r < f->tables[k].nrows; r++) {
            memset(&s, 0, sizeof(sd_str_t));
            sd_cell_text(f->page, &f->tables[k].cells[
                             r * f->tables[k].ncols + c], &s);
            json_array_append_new(list, sd_convert(items, s.data));
            free(s.data);
        }

        return list;
    }

    if (sd_find_property(f, schema, name, &m) != 0) {
        json_decref(list);
        return json_null();
    }

    memset(&s, 0, sizeof(sd_str_t));
    sd_value(f, &m, &s);

    for (p = s.data; p && *p; p = q) {
        q = p + strcspn(p, ",;");

        if (*q) {
            *q++ = '\0';
        }

        p += strspn(p, " ");
        json_array_append_new(list, sd_convert(items, p));
    }

    free(s.data);

    return list;
}


/* --- the schema -------------------------------------------------------- */


static json_t *
sd_fill(sd_fill_t *f, json_t *schema, const char *name)
{
    json_t      *obj, *prop, *items, *v;
    sd_str_t     s;
    sd_match_t   m;
    const char  *type, *key;

    type = json_string_value(json_object_get(schema, "type"));
    type = type ? type : "string";

    if (strcmp(type, "object") == 0) {
        obj = json_object();

        json_object_foreach(json_object_get(schema, "properties"), key,
                            prop)
        {
            json_object_set_new(obj, key, sd_fill(f, prop, key));
        }

        return obj;
    }

    if (strcmp(type, "array") == 0) {
        items = json_object_get(schema, "items");
        type = json_string_value(json_object_get(items, "type"));

        if (type != NULL && strcmp(type, "object") == 0) {
            v = sd_fill_rows(f, items);
            return v ? v : json_null();
        }

        return sd_fill_list(f, schema, name, items);
    }

    if (sd_find_property(f, schema, name, &m) != 0) {
        return json_null();
    }

    memset(&s, 0, sizeof(sd_str_t));
    sd_value(f, &m, &s);
    v = sd_convert(schema, s.data);
    free(s.data);

    return v;
}


json_t *
sd_schema_fill(const sd_ocr_page_t *page, json_t *schema)
{
    size_t          i;
    json_t         *v;
    sd_fill_t       f;
    unsigned char  *used;

    f.page = page;
    f.folded = malloc((page->nwords + 1) * SD_WORD_MAX);

    if (f.folded == NULL) {
        return NULL;
    }

    for (i = 0; i < page->nwords; i++) {
        sd_fold(page->words[i].text, f.folded[i], SD_WORD_MAX);
    }

    f.ntables = sd_layout_tables(page, &f.tables, &used);

    if (f.ntables < 0) {
        free(f.folded);
        return NULL;
    }

    free(used);

    v = sd_fill(&f, schema, NULL);

    sd_layout_tables_free(f.tables, f.ntables);
    free(f.folded);

    return v;
}
