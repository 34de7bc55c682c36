/*
 * The generated usage records of rt_export_gen and rt_ledger_fill: record
 * i is the same whichever realm writes it (ids ascending with i, the two
 * realms in the same roles), so files and ledgers made from the same
 * numbers reconcile. Voice is priced at 12 per minute, messages at 2.
 */
#ifndef GEN_RECORDS_H
#define GEN_RECORDS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rt_doc.h"

#define GEN_NOV1 1793491200	/* 2026-11-01T00:00:00Z */

/* agreement_a: the agreement for the lower realm's subscribers (home = the
 * realm first in byte order), agreement_b for the other's. */
static void
gen_record(uint64_t i, const char *agreement_a, const char *agreement_b,
    const char *r1, const char *r2, struct rt_usage_record *u, int64_t *amount)
{
	const char *a = strcmp(r1, r2) < 0 ? r1 : r2;
	const char *b = a == r1 ? r2 : r1;
	const char *home = i % 3 == 0 ? a : b, *visited = i % 3 == 0 ? b : a;

	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "019a6b1e-%04x-7000-8000-%012llx",
	    (unsigned)((i >> 20) & 0xffff), (unsigned long long)(i & 0xffffffffffffULL));
	snprintf(u->agreement_ref, sizeof(u->agreement_ref), "%s",
	    home == a ? agreement_a : agreement_b);
	snprintf(u->assertion_ref, sizeof(u->assertion_ref),
	    "0190f5a2-7b3c-4def-8123-%012llx",
	    (unsigned long long)((i / 10) & 0xffffffffffffULL));
	snprintf(u->subscriber, sizeof(u->subscriber), "sip:user%" PRIu64 "@%s",
	    i % 100000, home);
	snprintf(u->home, sizeof(u->home), "%s", home);
	snprintf(u->visited, sizeof(u->visited), "%s", visited);
	snprintf(u->call_id, sizeof(u->call_id), "%016" PRIx64 "@sbc.%s",
	    i * 2654435761u, visited);
	u->start = GEN_NOV1 + (time_t)(i % 2500000);
	if (i % 4 == 3) {
		snprintf(u->service, sizeof(u->service), "message");
		snprintf(u->unit, sizeof(u->unit), "message");
		u->quantity = 1 + i % 3;
		u->end = u->start;
		*amount = (int64_t)u->quantity * 2;
	} else {
		snprintf(u->service, sizeof(u->service), "voice");
		snprintf(u->unit, sizeof(u->unit), "second");
		u->quantity = i % 3600;
		u->end = u->start + (time_t)u->quantity;
		*amount = (int64_t)((u->quantity * 12 * 2 + 60) / 120);
	}
}

#endif
