/*
 * Shared by the benchmarks and the tests that start daemons in process: a
 * free port on 127.0.0.1, a roaming agreement signed by both realms written
 * as NAME.xml + NAME.xml.sig, and latency percentiles.
 */
#ifndef HELPER_BENCH_H
#define HELPER_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "helper_pki.h"

/* A TCP port nothing listens on now (bind to port 0 and let go). */
int th_free_port(void);
/*
 * Writes DIR/NAME.xml and its signature by both realms: home's subscribers
 * may roam into visited for the services listed ("voice:minute:12,
 * message:message:2"), valid one day, assertions up to max_assertion s.
 */
int th_write_agreement(const struct th_realm *home, const struct th_realm *visited,
    const char *dir, const char *name, const char *services, long max_assertion);
/* The p-th percentile (0..1) of n durations in ns, in milliseconds; sorts. */
double th_percentile_ms(uint64_t *ns, size_t n, double p);

#endif
