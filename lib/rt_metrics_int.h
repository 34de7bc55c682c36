/*
 * rt_metrics_int: what the registry (rt_metrics.c) shares with its HTTP
 * server (rt_metrics_http.c). Not for use outside those two files.
 */
#ifndef RT_METRICS_INT_H
#define RT_METRICS_INT_H

#include <pthread.h>
#include <stddef.h>

#include "rt_metrics.h"

struct family;
struct scrape_cb;
struct MHD_Daemon;

struct rt_metrics {
	pthread_mutex_t lock;		/* families, callbacks, daemon */
	pthread_mutex_t scrape_lock;	/* one scrape (callbacks + render) */
	struct family *families, *families_last;
	struct scrape_cb *callbacks, *callbacks_last;
	size_t ncallbacks;
	size_t nseries;
	struct MHD_Daemon *daemon;	/* while serving */
};

#endif
