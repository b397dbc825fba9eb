
/*
 * Copyright (C) scandoc authors
 *
 * The queue worker: claims tasks into free engine slots, runs them on the
 * engine pool, commits their outputs, reports the outcome, heartbeats the
 * leases, and hands work back at shutdown (DESIGN.md "Queue, lease and
 * fencing", "Shutdown and reload").
 */


#ifndef _NGX_SCANDOC_QUEUE_H_INCLUDED_
#define _NGX_SCANDOC_QUEUE_H_INCLUDED_


#include "ngx_scandoc.h"


/* per worker, from the module's init_process and exit_process */
ngx_int_t ngx_http_scandoc_queue_init(ngx_cycle_t *cycle);
void ngx_http_scandoc_queue_exit(ngx_cycle_t *cycle);

/* for the status handler: this worker's engine slots */
ngx_uint_t ngx_http_scandoc_queue_free_slots(void);
ngx_uint_t ngx_http_scandoc_queue_running(void);


#endif /* _NGX_SCANDOC_QUEUE_H_INCLUDED_ */
