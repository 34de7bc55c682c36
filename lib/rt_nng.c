#include "rt_nng.h"

#include <string.h>

nng_stat *
rt_nng_stat_find(nng_stat *node, const char *kind, const char *url)
{
	for (; node != NULL; node = nng_stat_next(node)) {
		nng_stat *u = nng_stat_find(node, "url"), *found;

		if (strcmp(nng_stat_name(node), kind) == 0 && u != NULL &&
		    nng_stat_type(u) == NNG_STAT_STRING &&
		    strcmp(nng_stat_string(u), url) == 0)
			return node;
		if ((found = rt_nng_stat_find(nng_stat_child(node), kind, url)) != NULL)
			return found;
	}
	return NULL;
}

const char *const rt_nng_dial_reasons[RT_NNG_DIAL_REASONS] = {
	"auth", "refused", "timeout", "proto"
};

uint64_t
rt_nng_stat_grew(nng_stat *node, const char *name, uint64_t *seen)
{
	nng_stat *st = node != NULL ? nng_stat_find(node, name) : NULL;
	uint64_t v, grew;

	if (st == NULL || (v = nng_stat_value(st)) <= *seen)
		return 0;
	grew = v - *seen;
	*seen = v;
	return grew;
}

int
rt_nng_dial_failed(nng_stat *all, const char *url,
    uint64_t seen[RT_NNG_DIAL_REASONS], uint64_t *countp)
{
	nng_stat *dialer = rt_nng_stat_find(all, "dialer", url);
	int last = -1;

	*countp = 0;
	for (int k = 0; dialer != NULL && k < RT_NNG_DIAL_REASONS; k++) {
		uint64_t grew = rt_nng_stat_grew(dialer, rt_nng_dial_reasons[k], &seen[k]);

		if (grew > 0) {
			*countp = grew;
			last = k;
		}
	}
	return last;
}
