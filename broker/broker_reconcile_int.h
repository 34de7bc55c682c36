/*
 * Internals of reconcile shared by the merge (broker_reconcile.c) and its
 * reports (broker_reconcile_report.c): the discrepancy kinds and the
 * running report, which writes each discrepancy as it is found (CSV, and
 * HTML rows to a scratch file) and keeps only counters and totals.
 */
#ifndef BROKER_RECONCILE_INT_H
#define BROKER_RECONCILE_INT_H

#include <stdint.h>
#include <stdio.h>

#include "broker_export.h"

enum recon_kind {
	RECON_MISSING_THEIRS,	/* in ours only */
	RECON_MISSING_OURS,	/* in theirs only */
	RECON_QUANTITY,		/* quantities differ beyond tolerance */
	RECON_AMOUNT,		/* amounts differ beyond tolerance */
	RECON_MISMATCH,		/* same id, other service/realms/times/... */
	RECON_DUPLICATE_OURS,	/* the id again in ours */
	RECON_DUPLICATE_THEIRS,
	RECON_FLAGGED,		/* a side flagged the record */
	RECON_TOTALS,		/* a file's totals contradict its records */
	RECON_KINDS
};

#define RECON_SIDES 2		/* 0 ours, 1 theirs */
#define RECON_SHOW_MAX 20	/* discrepancies listed in the text summary */

struct recon_report {
	FILE *out;			/* the text summary */
	FILE *csv;			/* discrepancy list, or NULL */
	FILE *html_rows;		/* scratch file of HTML rows, or NULL */
	const char *html_path;
	struct rt_export_header header[RECON_SIDES];
	char signer[RECON_SIDES][RT_REALM_MAX];
	time_t common_start, common_end;
	uint64_t tolerance_quantity;
	int64_t tolerance_amount;
	uint64_t count[RECON_KINDS];
	uint64_t records[RECON_SIDES];
	uint64_t matched;		/* ids on both sides */
	uint64_t within_tolerance;	/* matched, differing within tolerance */
	uint64_t outside_period[RECON_SIDES];
	uint64_t unpriced[RECON_SIDES];
	struct rt_export_totals totals[RECON_SIDES];
	int shown;
	char shown_lines[RECON_SHOW_MAX][480];	/* the first discrepancies */
};

const char *recon_kind_name(enum recon_kind k);
/* Records one discrepancy: ours/theirs may be NULL, detail may be "". */
void recon_report_add(struct recon_report *rep, enum recon_kind kind,
    const struct rt_export_item *ours, const struct rt_export_item *theirs,
    const char *detail);
/* Opens the CSV and the HTML scratch file as asked; 0 or RT_ERR_IO. */
int recon_report_open(struct recon_report *rep, const char *csv_path,
    const char *html_path, char *err, size_t errcap) RT_WUR;
/* Writes the summary, closes the CSV, writes the HTML. 0 or RT_ERR_IO. */
int recon_report_finish(struct recon_report *rep, char *err, size_t errcap) RT_WUR;
void recon_report_fini(struct recon_report *rep);
/* Whether anything was found that settlement must look at. */
int recon_report_disagrees(const struct recon_report *rep);

#endif
