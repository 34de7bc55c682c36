/*
 * rt_nng: what nng 1.5.2 tells only in its statistics. A dialer that
 * cannot connect, a listener that refuses a TLS client before a pipe
 * exists: nng keeps a count by reason (auth, refused, timeout, proto, ...)
 * and tells no callback. The daemons take a snapshot (nng_stats_get) now
 * and then and log what grew; these find the node and the growth. The
 * snapshot stays the caller's.
 */
#ifndef RT_NNG_H
#define RT_NNG_H

#include <nng/nng.h>
#include <stdint.h>

/*
 * The statistics node of kind ("listener", "dialer") on url, below node,
 * or NULL. nng 1.5.2's nng_stat_find_listener returned another socket's
 * listener (our admin socket's), so nodes are found by their url.
 */
nng_stat *rt_nng_stat_find(nng_stat *node, const char *kind, const char *url);
/* How much the counter name of node grew since *seen, which it updates:
 * 0 when it did not grow, or node has no such counter. */
uint64_t rt_nng_stat_grew(nng_stat *node, const char *name, uint64_t *seen);

/* The reasons a dialer's failed attempts are counted by, as nng names its
 * counters: "auth" (TLS authentication: either side refused the other),
 * "refused", "timeout", "proto" (the TLS or SP negotiation). */
#define RT_NNG_DIAL_REASONS 4
extern const char *const rt_nng_dial_reasons[RT_NNG_DIAL_REASONS];
/*
 * The dialer on url in the snapshot all: the index of the reason that grew
 * last since seen[] (updated), and in *countp by how much; -1 when none
 * grew or there is no such dialer.
 */
int rt_nng_dial_failed(nng_stat *all, const char *url,
    uint64_t seen[RT_NNG_DIAL_REASONS], uint64_t *countp);

#endif
