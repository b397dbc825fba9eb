
/*
 * Copyright (C) scandoc authors
 *
 * Page-range grammar.  Reentrant: no state outside the arguments.
 */


#include "sd_pages.h"


static int
sd_pages_space(char c)
{
    return c == ' ' || c == '\t';
}


/*
 * Reads one page number at *p; the value is bounded while reading so a
 * long run of digits cannot overflow.
 */
static int
sd_pages_number(const char **p, const char *end, unsigned max_page,
    unsigned *value, const char **err)
{
    unsigned long  n;
    const char    *q;

    q = *p;
    n = 0;

    while (q < end && sd_pages_space(*q)) {
        q++;
    }

    if (q == end || *q < '0' || *q > '9') {
        *err = "The pages field must be comma-separated page numbers or "
               "ranges like 1-3,5.";
        return -1;
    }

    while (q < end && *q >= '0' && *q <= '9') {
        n = n * 10 + (unsigned long) (*q - '0');

        if (n > 4000000000UL) {
            *err = "A page number in the pages field is too large.";
            return -1;
        }

        q++;
    }

    while (q < end && sd_pages_space(*q)) {
        q++;
    }

    if (n == 0) {
        *err = "Page numbers start at 1.";
        return -1;
    }

    if (max_page && n > max_page) {
        *err = "A page number in the pages field is beyond the maximum "
               "number of pages of a document.";
        return -1;
    }

    *value = (unsigned) n;
    *p = q;

    return 0;
}


long
sd_pages_parse(const char *s, size_t len, unsigned max_page,
    sd_page_range_t *out, size_t nout, unsigned *highest, const char **err)
{
    long         n;
    unsigned     first, last, high;
    const char  *p, *end;

    if (len == 0) {
        *err = "The pages field must not be empty.";
        return -1;
    }

    if (len > SD_PAGES_MAX_LEN) {
        *err = "The pages field must not be longer than 1000 characters.";
        return -1;
    }

    p = s;
    end = s + len;
    n = 0;
    high = 0;

    for ( ;; ) {
        if (sd_pages_number(&p, end, max_page, &first, err) != 0) {
            return -1;
        }

        last = first;

        if (p < end && *p == '-') {
            p++;

            if (sd_pages_number(&p, end, max_page, &last, err) != 0) {
                return -1;
            }

            if (last < first) {
                *err = "A page range in the pages field ends before it "
                       "starts.";
                return -1;
            }
        }

        if (out != NULL && (size_t) n < nout) {
            out[n].first = first;
            out[n].last = last;
        }

        n++;

        if (last > high) {
            high = last;
        }

        if (p == end) {
            break;
        }

        if (*p != ',') {
            *err = "The pages field must be comma-separated page numbers "
                   "or ranges like 1-3,5.";
            return -1;
        }

        p++;
    }

    if (highest != NULL) {
        *highest = high;
    }

    return n;
}


unsigned long
sd_pages_count(const sd_page_range_t *ranges, size_t n)
{
    size_t         i;
    unsigned long  count;

    count = 0;

    for (i = 0; i < n; i++) {
        count += (unsigned long) (ranges[i].last - ranges[i].first) + 1;
    }

    return count;
}
