#include "rt_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_log.h"
#include "rt_metrics_int.h"

#define METRICS_CACHE_LINE 64
/* 1.8e10 s in nanoseconds still fits in a uint64_t (max ~1.8447e19). */
#define METRICS_MAX_SECONDS 1.8e10

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM
};

struct rt_counter {
	_Atomic uint64_t value;
};

struct rt_gauge {
	_Atomic int64_t value;
};

struct rt_histogram {
	size_t nbounds;
	double *bounds;
	_Atomic uint64_t *buckets;	/* nbounds + 1, not cumulative */
	_Atomic uint64_t sum_ns;
};

/* One labelled series; the handle is its first member, on its own line. */
struct series {
	union {
		struct rt_counter counter;
		struct rt_gauge gauge;
		struct rt_histogram histogram;
	} u;
	char *labels;			/* "" when none */
	struct series *next;
};

struct family {
	char *name;
	char *help;			/* escaped for the HELP line */
	enum metric_type type;
	struct series *first, *last;
	struct family *next;
};

struct scrape_cb {
	void (*fn)(void *arg);
	void *arg;
	struct scrape_cb *next;
};

static const char *const metric_type_names[] = {
	"counter", "gauge", "histogram"
};

int
rt_metrics_new(struct rt_metrics **mp)
{
	struct rt_metrics *m;

	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return RT_ERR_NOMEM;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return RT_ERR_INTERNAL;
	}
	if (pthread_mutex_init(&m->scrape_lock, NULL) != 0) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return RT_ERR_INTERNAL;
	}
	*mp = m;
	return 0;
}

static void
series_free(struct series *s, enum metric_type type)
{
	if (type == METRIC_HISTOGRAM) {
		free(s->u.histogram.bounds);
		free(s->u.histogram.buckets);
	}
	free(s->labels);
	free(s);
}

void
rt_metrics_free(struct rt_metrics *m)
{
	struct family *f, *fnext;
	struct series *s, *snext;
	struct scrape_cb *cb, *cbnext;

	if (m == NULL)
		return;
	rt_metrics_stop(m);
	for (f = m->families; f != NULL; f = fnext) {
		fnext = f->next;
		for (s = f->first; s != NULL; s = snext) {
			snext = s->next;
			series_free(s, f->type);
		}
		free(f->name);
		free(f->help);
		free(f);
	}
	for (cb = m->callbacks; cb != NULL; cb = cbnext) {
		cbnext = cb->next;
		free(cb);
	}
	pthread_mutex_destroy(&m->scrape_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int
metric_name_valid(const char *name)
{
	const char *p;

	if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return 0;
	}
	return 1;
}

/*
 * Checks 'a="x",b="y\"z"': label names [a-zA-Z_][a-zA-Z0-9_]* (not
 * reserved "__..."; not "le" on histograms), values with only the three
 * escapes of the format and no raw newline.
 */
static int
metric_labels_valid(const char *labels, enum metric_type type)
{
	const char *p = labels, *start;

	for (;;) {
		start = p;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_'))
			return 0;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		if (p - start >= 2 && start[0] == '_' && start[1] == '_')
			return 0;
		if (type == METRIC_HISTOGRAM && p - start == 2 &&
		    start[0] == 'l' && start[1] == 'e')
			return 0;
		if (p[0] != '=' || p[1] != '"')
			return 0;
		for (p += 2; *p != '"'; p++) {
			if (*p == '\0' || *p == '\n')
				return 0;
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return 0;
			}
		}
		p++;
		if (*p == '\0')
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

/* Escapes help text for the HELP line: backslash and newline. */
static char *
metric_help_escape(const char *help)
{
	size_t n = 0;
	const char *p;
	char *out, *q;

	for (p = help; *p != '\0'; p++)
		n += (*p == '\\' || *p == '\n') ? 2 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = help, q = out; *p != '\0'; p++) {
		if (*p == '\\' || *p == '\n') {
			*q++ = '\\';
			*q++ = *p == '\n' ? 'n' : '\\';
		} else
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

static int
histogram_bounds_valid(const double *bounds, size_t nbounds)
{
	size_t i;

	if (nbounds > RT_METRICS_MAX_BOUNDS || (nbounds > 0 && bounds == NULL))
		return 0;
	for (i = 0; i < nbounds; i++) {
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			return 0;
	}
	return 1;
}

static struct series *
series_new(const char *labels, enum metric_type type, const double *bounds,
    size_t nbounds)
{
	struct series *s;
	size_t size, i;

	/* Rounded up to a whole cache line, as aligned_alloc requires. */
	size = (sizeof(*s) + METRICS_CACHE_LINE - 1) &
	    ~(size_t)(METRICS_CACHE_LINE - 1);
	if ((s = aligned_alloc(METRICS_CACHE_LINE, size)) == NULL)
		return NULL;
	memset(s, 0, size);
	if ((s->labels = strdup(labels)) == NULL)
		goto fail;
	switch (type) {
	case METRIC_COUNTER:
		atomic_init(&s->u.counter.value, 0);
		break;
	case METRIC_GAUGE:
		atomic_init(&s->u.gauge.value, 0);
		break;
	case METRIC_HISTOGRAM:
		s->u.histogram.nbounds = nbounds;
		if (nbounds > 0) {
			s->u.histogram.bounds = malloc(nbounds * sizeof(double));
			if (s->u.histogram.bounds == NULL)
				goto fail;
			memcpy(s->u.histogram.bounds, bounds,
			    nbounds * sizeof(double));
		}
		s->u.histogram.buckets = calloc(nbounds + 1,
		    sizeof(*s->u.histogram.buckets));
		if (s->u.histogram.buckets == NULL)
			goto fail;
		for (i = 0; i <= nbounds; i++)
			atomic_init(&s->u.histogram.buckets[i], 0);
		atomic_init(&s->u.histogram.sum_ns, 0);
		break;
	}
	return s;
 fail:
	series_free(s, type);
	return NULL;
}

/* Same labels; for histograms also the same bounds. */
static int
series_matches(const struct series *s, const char *labels,
    enum metric_type type, const double *bounds, size_t nbounds)
{
	if (strcmp(s->labels, labels) != 0)
		return 0;
	if (type != METRIC_HISTOGRAM)
		return 1;
	return s->u.histogram.nbounds == nbounds && (nbounds == 0 ||
	    memcmp(s->u.histogram.bounds, bounds, nbounds * sizeof(double)) == 0);
}

/* Finds or adds name{labels}; NULL (logged) when refused. */
static struct series *
metrics_register(struct rt_metrics *m, const char *name, const char *help,
    const char *labels, enum metric_type type, const double *bounds,
    size_t nbounds)
{
	struct family *f, *newf = NULL;
	struct series *s = NULL;
	char safe[128];

	if (labels == NULL)
		labels = "";
	if (help == NULL)
		help = "";
	if (m == NULL || !metric_name_valid(name)) {
		log_err("event=metric_refused name=%s reason=bad_name",
		    rt_log_value(name != NULL ? name : "", safe, sizeof(safe)));
		return NULL;
	}
	if (labels[0] != '\0' && !metric_labels_valid(labels, type)) {
		log_err("event=metric_refused name=%s reason=bad_labels", name);
		return NULL;
	}
	if (type == METRIC_HISTOGRAM && !histogram_bounds_valid(bounds,
	    nbounds)) {
		log_err("event=metric_refused name=%s reason=bad_bounds", name);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	for (f = m->families; f != NULL; f = f->next) {
		if (strcmp(f->name, name) == 0)
			break;
	}
	if (f != NULL && f->type != type) {
		log_err("event=metric_refused name=%s reason=type_clash "
		    "registered=%s", name, metric_type_names[f->type]);
		goto out;
	}
	if (f != NULL) {
		for (s = f->first; s != NULL; s = s->next) {
			if (series_matches(s, labels, type, bounds, nbounds))
				goto out;	/* the existing handle */
			if (strcmp(s->labels, labels) == 0) {
				log_err("event=metric_refused name=%s "
				    "reason=bounds_clash", name);
				s = NULL;
				goto out;
			}
		}
	}
	if (m->nseries >= RT_METRICS_MAX_SERIES) {
		log_err("event=metric_refused name=%s reason=too_many_series",
		    name);
		goto out;
	}
	if (f == NULL) {
		if ((newf = calloc(1, sizeof(*newf))) == NULL ||
		    (newf->name = strdup(name)) == NULL ||
		    (newf->help = metric_help_escape(help)) == NULL)
			goto nomem;
		newf->type = type;
		f = newf;
	}
	if ((s = series_new(labels, type, bounds, nbounds)) == NULL)
		goto nomem;
	if (newf != NULL) {
		if (m->families_last != NULL)
			m->families_last->next = newf;
		else
			m->families = newf;
		m->families_last = newf;
		newf = NULL;
	}
	if (f->last != NULL)
		f->last->next = s;
	else
		f->first = s;
	f->last = s;
	m->nseries++;
	goto out;
 nomem:
	log_err("event=metric_refused name=%s reason=nomem", name);
 out:
	pthread_mutex_unlock(&m->lock);
	if (newf != NULL) {
		free(newf->name);
		free(newf->help);
		free(newf);
	}
	return s;
}

struct rt_counter *
rt_metrics_counter(struct rt_metrics *m, const char *name, const char *help,
    const char *labels)
{
	struct series *s;

	s = metrics_register(m, name, help, labels, METRIC_COUNTER, NULL, 0);
	return s != NULL ? &s->u.counter : NULL;
}

struct rt_gauge *
rt_metrics_gauge(struct rt_metrics *m, const char *name, const char *help,
    const char *labels)
{
	struct series *s;

	s = metrics_register(m, name, help, labels, METRIC_GAUGE, NULL, 0);
	return s != NULL ? &s->u.gauge : NULL;
}

struct rt_histogram *
rt_metrics_histogram(struct rt_metrics *m, const char *name, const char *help,
    const char *labels, const double *bounds, size_t nbounds)
{
	struct series *s;

	s = metrics_register(m, name, help, labels, METRIC_HISTOGRAM, bounds,
	    nbounds);
	return s != NULL ? &s->u.histogram : NULL;
}

void
rt_counter_inc(struct rt_counter *c)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->value, 1, memory_order_relaxed);
}

void
rt_counter_add(struct rt_counter *c, uint64_t n)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

void
rt_gauge_set(struct rt_gauge *g, int64_t v)
{
	if (g != NULL)
		atomic_store_explicit(&g->value, v, memory_order_relaxed);
}

void
rt_gauge_add(struct rt_gauge *g, int64_t v)
{
	if (g != NULL)
		atomic_fetch_add_explicit(&g->value, v, memory_order_relaxed);
}

void
rt_histogram_observe(struct rt_histogram *h, double seconds)
{
	uint64_t ns;
	size_t i;

	if (h == NULL || isnan(seconds))
		return;
	if (seconds < 0)
		seconds = 0;
	/* Bucket lists are short (a dozen bounds); a scan beats a search. */
	for (i = 0; i < h->nbounds && seconds > h->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	if (seconds > METRICS_MAX_SECONDS)
		seconds = METRICS_MAX_SECONDS;
	ns = (uint64_t)(seconds * 1e9 + 0.5);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

uint64_t
rt_counter_value(const struct rt_counter *c)
{
	if (c == NULL)
		return 0;
	return atomic_load_explicit(&c->value, memory_order_relaxed);
}

int64_t
rt_gauge_value(const struct rt_gauge *g)
{
	if (g == NULL)
		return 0;
	return atomic_load_explicit(&g->value, memory_order_relaxed);
}

int
rt_metrics_on_scrape(struct rt_metrics *m, void (*fn)(void *arg), void *arg)
{
	struct scrape_cb *cb;

	if (m == NULL || fn == NULL)
		return RT_ERR_BAD_INPUT;
	if ((cb = calloc(1, sizeof(*cb))) == NULL)
		return RT_ERR_NOMEM;
	cb->fn = fn;
	cb->arg = arg;
	pthread_mutex_lock(&m->lock);
	if (m->callbacks_last != NULL)
		m->callbacks_last->next = cb;
	else
		m->callbacks = cb;
	m->callbacks_last = cb;
	m->ncallbacks++;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

const char *
rt_metrics_label_escape(const char *value, char *out, size_t cap)
{
	size_t n = 0;
	const char *p;

	if (cap == 0)
		return out;
	for (p = value != NULL ? value : ""; *p != '\0'; p++) {
		const char *esc = NULL;

		if (*p == '\\')
			esc = "\\\\";
		else if (*p == '"')
			esc = "\\\"";
		else if (*p == '\n')
			esc = "\\n";
		if (esc != NULL) {
			if (n + 2 >= cap)
				break;
			out[n++] = esc[0];
			out[n++] = esc[1];
		} else {
			if (n + 1 >= cap)
				break;
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

/* The shortest %g text that reads back as v (as Prometheus clients do). */
static void
format_bound(double v, char *out, size_t cap)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* Nanoseconds as decimal seconds without trailing zeros: "1.5", "3". */
static void
format_seconds(uint64_t ns, char *out, size_t cap)
{
	char frac[16];
	int i;

	snprintf(frac, sizeof(frac), "%09u", (unsigned)(ns % 1000000000u));
	for (i = 8; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	snprintf(out, cap, "%llu%s%s", (unsigned long long)(ns / 1000000000u),
	    frac[0] != '\0' ? "." : "", frac);
}

static int
render_histogram(const struct family *f, const struct series *s,
    struct rt_buf *out)
{
	const struct rt_histogram *h = &s->u.histogram;
	const char *sep = s->labels[0] != '\0' ? "," : "";
	uint64_t cumulative = 0;
	char num[64];
	size_t i;
	int r;

	for (i = 0; i <= h->nbounds; i++) {
		cumulative += atomic_load_explicit(&h->buckets[i],
		    memory_order_relaxed);
		if (i < h->nbounds)
			format_bound(h->bounds[i], num, sizeof(num));
		else
			snprintf(num, sizeof(num), "+Inf");
		if ((r = rt_buf_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n",
		    f->name, s->labels, sep, num,
		    (unsigned long long)cumulative)) != 0)
			return r;
	}
	format_seconds(atomic_load_explicit(&h->sum_ns, memory_order_relaxed),
	    num, sizeof(num));
	if (s->labels[0] != '\0')
		return rt_buf_printf(out, "%s_sum{%s} %s\n%s_count{%s} %llu\n",
		    f->name, s->labels, num, f->name, s->labels,
		    (unsigned long long)cumulative);
	return rt_buf_printf(out, "%s_sum %s\n%s_count %llu\n", f->name, num,
	    f->name, (unsigned long long)cumulative);
}

static int
render_series(const struct family *f, const struct series *s,
    struct rt_buf *out)
{
	char value[32];

	if (f->type == METRIC_HISTOGRAM)
		return render_histogram(f, s, out);
	if (f->type == METRIC_COUNTER)
		snprintf(value, sizeof(value), "%llu",
		    (unsigned long long)rt_counter_value(&s->u.counter));
	else
		snprintf(value, sizeof(value), "%lld",
		    (long long)rt_gauge_value(&s->u.gauge));
	if (s->labels[0] != '\0')
		return rt_buf_printf(out, "%s{%s} %s\n", f->name, s->labels,
		    value);
	return rt_buf_printf(out, "%s %s\n", f->name, value);
}

int
rt_metrics_render(struct rt_metrics *m, struct rt_buf *out)
{
	const struct family *f;
	const struct series *s;
	struct scrape_cb *cb;
	size_t i, ncallbacks, start = out->len;
	int r = 0;

	pthread_mutex_lock(&m->scrape_lock);
	/* Callbacks only ever append, so the first n stay valid unlocked. */
	pthread_mutex_lock(&m->lock);
	cb = m->callbacks;
	ncallbacks = m->ncallbacks;
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < ncallbacks && cb != NULL; i++, cb = cb->next)
		cb->fn(cb->arg);

	pthread_mutex_lock(&m->lock);
	for (f = m->families; f != NULL && r == 0; f = f->next) {
		r = rt_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, metric_type_names[f->type]);
		for (s = f->first; s != NULL && r == 0; s = s->next)
			r = render_series(f, s, out);
	}
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&m->scrape_lock);
	if (r != 0 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return r;
}
