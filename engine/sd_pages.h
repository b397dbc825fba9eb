
/*
 * Copyright (C) scandoc authors
 *
 * The page-range grammar of API.md: 1-based, comma-separated "N" and
 * "N-M" items, order and repeats kept.  libc only: compiled into the
 * nginx module and into scandoc-engine.
 */


#ifndef _SD_PAGES_H_INCLUDED_
#define _SD_PAGES_H_INCLUDED_


#include <stddef.h>


#define SD_PAGES_MAX_LEN      1000   /* characters of a "pages" string */


typedef struct {
    unsigned              first;         /* 1-based, first <= last */
    unsigned              last;
} sd_page_range_t;


/*
 * Parses s (len bytes, no NUL needed).  Page numbers above max_page are
 * refused (0: no bound).  Returns the number of items, stored in out
 * when out is not NULL (at most nout of them; a string of len bytes has
 * at most len / 2 + 1 items); *highest receives the highest page named.
 * Returns -1 with *err set to a sentence (static storage) when invalid.
 */
long sd_pages_parse(const char *s, size_t len, unsigned max_page,
    sd_page_range_t *out, size_t nout, unsigned *highest, const char **err);

/* the number of pages the items select, repeats included */
unsigned long sd_pages_count(const sd_page_range_t *ranges, size_t n);


#endif /* _SD_PAGES_H_INCLUDED_ */
