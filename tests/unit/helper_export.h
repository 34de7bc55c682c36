/*
 * helper_export: a settlement between two realms for the export and
 * reconcile tests: a throwaway federation (helper_pki) with home.example
 * and visited.example, their agreement signed by both (voice per minute
 * at 12, message at 2, in EUR) in DIR/agreements, a trust store with the
 * CRL, ledger files made with BROKER_LEDGER_SCHEMA and rows inserted with
 * rt_usage_row_bind (no ledger writer needed), and signed exports
 * written straight from records, for the files a partner might send.
 */
#ifndef HELPER_EXPORT_H
#define HELPER_EXPORT_H

#include <sqlite3.h>

#include "broker_export.h"
#include "helper_pki.h"

struct th_settlement {
	struct th_fed *fed;
	struct th_realm *home, *visited;
	struct rt_signer *s_home, *s_visited;
	struct rt_trust *trust;
	char agreements_dir[600];
	char crl_path[512];
	struct rt_agreement *agreements;	/* loaded back from the folder */
	size_t nagreements;
	char agreement_id[RT_ID_MAX];
	time_t now;
};

int th_settlement_new(struct th_settlement **sp);
void th_settlement_free(struct th_settlement *s);
/* DIR/name inside the federation's temp dir (out holds 600 bytes). */
void th_path(const struct th_settlement *s, const char *name, char *out);

/* A record i (id time-ordered by i) of home's subscriber roaming in visited. */
void th_record(struct rt_usage_record *u, int i, const char *agreement,
    const char *service, uint64_t quantity, const char *unit, time_t start);

/* A new ledger file with the schema, opened read-write. */
int th_ledger_create(const char *path, sqlite3 **dbp);
/* Inserts u as a row of partner's chain (pseq, origin as given). */
int th_ledger_insert(sqlite3 *db, const char *partner, int origin, int64_t pseq,
    const struct rt_usage_record *u);

/*
 * Writes an export of items (as given: any order, duplicates, amounts)
 * with header h in format to path and signs it with signer (path.sig).
 * Totals are the sums of the items unless totals/ntotals are given.
 */
int th_export_write(const char *path, enum rt_export_format format,
    const struct rt_export_header *h, const struct rt_export_item *items,
    size_t n, const struct rt_export_total *totals, size_t ntotals,
    const struct rt_signer *signer);

/* Reads a whole export back (at most max items): count, or RT_ERR_*. */
long th_export_read(const char *path, struct rt_export_item *items, size_t max,
    struct rt_export_header *h);

#endif
