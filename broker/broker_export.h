/*
 * broker_export: the settlement subcommands of roamtrust-broker.
 *
 * export (broker_export.c) streams one partner's ledger records for a
 * period, in id order, out of STATE_DIR/ledger.db opened read-only (it
 * runs beside the daemon), prices each by the agreement it names
 * (rt_price_record), writes a SettlementExport as XML or CSV record by
 * record and signs the file (F.sig, rt_export_sign_file). Memory does not
 * grow with the number of records: the query walks the UNIQUE index on
 * id, and only the per-service totals are kept.
 *
 * reconcile (broker_reconcile.c, the reports in broker_reconcile_report.c)
 * checks both exports' signatures, then streams them side by side and
 * merge-joins them by record id, each read by rt_export_read in its own
 * thread. Exit status: 0 when both agree within tolerance, 1 when they
 * disagree, 2 on an error (bad signature, unreadable or malformed file).
 */
#ifndef BROKER_EXPORT_H
#define BROKER_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "broker_ledger_db.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_export.h"
#include "rt_export_read.h"

#define BROKER_EXPORT_AGREEMENTS_MAX 1024

/*
 * The export's query: ?1 partner, ?2 from, ?3 to. The unary + keeps
 * partner and start out of any index, so SQLite walks the UNIQUE index on
 * id (records in order, nothing to sort, constant memory) rather than
 * sorting the partner's rows in a temporary B-tree.
 */
#define BROKER_EXPORT_SQL "SELECT " BROKER_LEDGER_RECORD_COLUMNS \
	" FROM records WHERE +partner = ?1 AND +start >= ?2 AND +start < ?3" \
	" ORDER BY id"

/* "2026-11-01T00:00:00Z" (any RFC 3339 time with a zone) or "2026-11-01"
 * (midnight UTC). */
int broker_time_arg(const char *s, time_t *tp) RT_WUR;

/*
 * Every NAME.xml + NAME.xml.sig of dir that both realms signed and we are
 * a party to, expired or not (an expired agreement still prices the
 * records of its period). Refused files are reported on warn (may be
 * NULL). *listp is freed by the caller.
 */
int broker_export_agreements(const char *dir, struct rt_trust *trust,
    const char *self, time_t now, FILE *warn, struct rt_agreement **listp,
    size_t *np) RT_WUR;

struct broker_export_opts {
	const char *db;			/* the ledger file */
	const char *realm;		/* us: the Issuer */
	const char *partner;
	time_t from, to;		/* [from, to) of the records' start */
	enum rt_export_format format;
	const char *out;		/* F; the signature goes to F.sig */
	int force;			/* replace F if it exists */
	const struct rt_agreement *agreements;
	size_t nagreements;
	const struct rt_signer *signer;
	int progress;			/* progress lines on stderr */
	time_t now;
};

struct broker_export_result {
	struct rt_export_header header;
	struct rt_export_totals totals;
	uint64_t unpriced_by_reason[8];	/* by rt_price_record error */
};

/* Writes and signs the export; on error a message in err. */
int broker_export_run(const struct broker_export_opts *o,
    struct broker_export_result *res, char *err, size_t errcap) RT_WUR;

struct broker_reconcile_opts {
	struct rt_trust *trust;		/* federation CA and CRL */
	const char *self;		/* our realm (OURS's Issuer), or NULL */
	const char *ours, *theirs;	/* exports; signatures at PATH.sig */
	uint64_t tolerance_quantity;	/* per record, in the record's unit */
	int64_t tolerance_amount;	/* per record, in minor units */
	const char *csv, *html;		/* reports to write, or NULL */
	int progress;			/* progress lines on stderr */
	FILE *out;			/* the text summary */
	time_t now;
};

#define BROKER_RECONCILE_AGREE 0
#define BROKER_RECONCILE_DISAGREE 1
#define BROKER_RECONCILE_ERROR 2

/* Reconciles; returns one of the three above (on error a message in err). */
int broker_reconcile_run(const struct broker_reconcile_opts *o, char *err,
    size_t errcap);

/* `export ...` and `reconcile ...`: argv[0] is the command name. */
int broker_export_main(int argc, char **argv);
int broker_reconcile_main(int argc, char **argv);

#endif
