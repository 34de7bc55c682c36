/*
 * rt_metrics: Prometheus metrics (text format 0.0.4) and their /metrics
 * endpoint.
 *
 * A registry owns every series registered in it; callers register at
 * start-up and keep the handles, so the hot path is one relaxed atomic add
 * (a counter or gauge) or two (a histogram: its bucket and its sum), with no
 * lock, allocation or lookup by name. Each series sits on its own cache
 * line so counters bumped by different threads do not share one.
 * Registration, rendering and the on-scrape callbacks are serialized by
 * the registry's mutexes; scrape callbacks run without the registry lock
 * held, so they may set gauges (and even register), but must not render.
 *
 * Series with the same name form one family (one HELP/TYPE block); families
 * render in the order their name was first registered and series within a
 * family in registration order. A name registered again with another type,
 * a malformed label set, an "le" label on a histogram or unordered bucket
 * bounds are refused (NULL, logged): these are programming errors found at
 * start-up. A histogram keeps a count per bucket and its sum as integer
 * nanoseconds (observations clamp to [0, 1.8e10] s; NaN is dropped); its
 * _count is the sum of its buckets, so +Inf and _count always agree.
 *
 * rt_metrics_serve() runs libmicrohttpd on its own small thread pool and
 * answers only GET and HEAD /metrics. The endpoint has no authentication:
 * bind it to a loopback or management address.
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_err.h"

#define RT_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define RT_METRICS_MAX_SERIES 10000	/* per registry */
#define RT_METRICS_MAX_BOUNDS 64	/* buckets per histogram, +Inf aside */
#define RT_METRICS_RENDER_MAX (16 * 1024 * 1024) /* one scrape's text */

struct rt_metrics;	/* a registry */
struct rt_counter;	/* monotonically increasing uint64 */
struct rt_gauge;	/* int64 (set/add) */
struct rt_histogram;	/* fixed buckets (upper bounds in seconds), sum, count */

int rt_metrics_new(struct rt_metrics **mp) RT_WUR;
/* Stops the server if running; frees every handle. NULL-safe. */
void rt_metrics_free(struct rt_metrics *m);

/*
 * Registration (at start-up; may allocate). name: [a-zA-Z_:][a-zA-Z0-9_:]*;
 * help: one line (escaped on output); labels: NULL (or "") or a
 * preformatted label set 'reason="stale",peer="x"' whose values were
 * escaped with rt_metrics_label_escape(). Registering the same name and
 * labels again returns the existing handle. Returns NULL on allocation
 * failure, a bad name or labels, a type clash or the series cap (logged).
 * bounds: strictly increasing finite upper bounds (nbounds may be 0); the
 * +Inf bucket is implicit.
 */
struct rt_counter *rt_metrics_counter(struct rt_metrics *m, const char *name,
    const char *help, const char *labels);
struct rt_gauge *rt_metrics_gauge(struct rt_metrics *m, const char *name,
    const char *help, const char *labels);
struct rt_histogram *rt_metrics_histogram(struct rt_metrics *m,
    const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds);

/* Hot path: atomics only, NULL-safe (a failed registration costs nothing). */
void rt_counter_inc(struct rt_counter *c);
void rt_counter_add(struct rt_counter *c, uint64_t n);
void rt_gauge_set(struct rt_gauge *g, int64_t v);
void rt_gauge_add(struct rt_gauge *g, int64_t v);
void rt_histogram_observe(struct rt_histogram *h, double seconds);

/* Reads back (tests, status output). 0 for NULL. */
uint64_t rt_counter_value(const struct rt_counter *c);
int64_t rt_gauge_value(const struct rt_gauge *g);

/*
 * Adds fn to the callbacks run (in order, one scrape at a time) before
 * each render, to refresh gauges such as peers up or CRL age.
 */
int rt_metrics_on_scrape(struct rt_metrics *m, void (*fn)(void *arg),
    void *arg) RT_WUR;
/*
 * Runs the scrape callbacks, then appends the exposition text to out. On
 * failure (RT_ERR_TOO_BIG at out's cap) out is left as it was.
 */
int rt_metrics_render(struct rt_metrics *m, struct rt_buf *out) RT_WUR;
/*
 * Escapes a label value (backslash, double quote, newline) into out (cap
 * bytes, always terminated, truncated on a character boundary of the
 * escaping). Returns out.
 */
const char *rt_metrics_label_escape(const char *value, char *out, size_t cap);

/*
 * Serves GET/HEAD /metrics (200, RT_METRICS_CONTENT_TYPE) on addr
 * "HOST:PORT" (IPv4 or [IPv6] literal; port 0 picks a free port, returned
 * in *portp when not NULL); any other path is 404, any other method 405.
 * At most 64 connections, 10 s idle timeout, 32 KiB per connection for
 * the request. RT_ERR_BAD_INPUT for a malformed addr, RT_ERR_EXISTS when
 * already serving, RT_ERR_IO when the address cannot be bound.
 */
int rt_metrics_serve(struct rt_metrics *m, const char *addr, int *portp) RT_WUR;
/* Stops serving (waits for the server threads). NULL-safe, idempotent. */
void rt_metrics_stop(struct rt_metrics *m);

#endif
