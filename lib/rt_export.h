/*
 * rt_export: what both sides of a settlement must compute the same way.
 *
 * Pricing is one function, rt_price_record: the record's quantity
 * converted to the unit its agreement's service is priced in, times the
 * rate, in integer minor units (cents) with round half up per record
 * (125 seconds at 12 per minute = 25). Money is never a floating-point
 * number here; a total is the plain sum of its records' amounts. A record
 * that cannot be priced (its agreement or service unknown, units that do
 * not convert, an amount past the schema's bound) gets amount 0 and a
 * reason token, and is counted apart: it is never dropped.
 *
 * Units convert only between second and minute; message, event and
 * kilobyte price only against themselves.
 *
 * The CSV form of a SettlementExport (RFC 4180: CRLF line ends, fields
 * with a comma, quote, CR or LF quoted, quotes doubled), one table of
 * RT_EXPORT_CSV_COLUMNS columns throughout:
 *   line 1   the header, RT_EXPORT_CSV_HEADER;
 *   line 2   id "export": start/end = the period, flags = "id=UUID
 *            issuer=REALM partner=REALM currency=EUR created=TIME";
 *   then     one line per record, ascending id; flags = the record's
 *            flags separated by single spaces; unpriced = the reason
 *            token, empty when priced;
 *   last     one line per total, id "total": home, visited, service,
 *            unit, quantity and amount_minor summed, start/end = the
 *            period, flags = "records=N", unpriced = the number of its
 *            records that could not be priced.
 * Times are RFC 3339 UTC ("2026-11-27T05:12:00Z").
 *
 * Files that leave the system are signed as F.sig: a CMS detached
 * signature in DER over the exact bytes of F, by the realm key, with the
 * realm certificate embedded, so `openssl cms -verify -binary -inform DER
 * -in F.sig -content F -CAfile federation.crt` checks it alone. Signing
 * and checking read the file in chunks: an export of any size is never
 * held in memory.
 */
#ifndef RT_EXPORT_H
#define RT_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rt_buf.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_err.h"

#define RT_AMOUNT_MAX INT64_C(999999999999999)	/* MinorAmount (schema) */
#define RT_QUANTITY_MAX UINT64_C(1000000000000)	/* Quantity (schema) */

#define RT_EXPORT_CSV_COLUMNS 15
#define RT_EXPORT_CSV_HEADER \
	"id,agreement,assertion,subscriber,home,visited,service,call_id," \
	"start,end,quantity,unit,amount_minor,flags,unpriced"

/*
 * Prices u by agreement a (NULL when the record's agreement is unknown):
 * 0 and the amount in *amountp, or *amountp = 0 and RT_ERR_NO_AGREEMENT
 * (a is NULL or not the record's), RT_ERR_REALM (the agreement is not
 * between the record's home and visited realms), RT_ERR_NOT_FOUND (service not in the
 * agreement), RT_ERR_TYPE (units do not convert), RT_ERR_TOO_BIG (amount
 * past RT_AMOUNT_MAX).
 */
int rt_price_record(const struct rt_agreement *a, const struct rt_usage_record *u,
    int64_t *amountp) RT_WUR;
/* The reason token of a pricing error ("unknown-agreement", ...). */
const char *rt_price_reason(int err);

/* Totals per (service, home, visited, unit), in the order first seen. */
struct rt_export_totals {
	struct rt_export_total t[RT_EXPORT_TOTALS_MAX];
	size_t n;
	uint64_t records;
	uint64_t unpriced;
};

/* Adds one record; RT_ERR_TOO_BIG past RT_EXPORT_TOTALS_MAX totals or
 * when a sum leaves the schema's bounds. */
int rt_export_totals_add(struct rt_export_totals *tt,
    const struct rt_usage_record *u, int64_t amount_minor, int unpriced) RT_WUR;

/* Appends s as one CSV field (quoted when it must be). */
int rt_csv_append_field(struct rt_buf *out, const char *s) RT_WUR;
/* The header line and the "export" line. */
int rt_export_csv_begin(const struct rt_export_header *h, struct rt_buf *out) RT_WUR;
/* One record line; unpriced NULL or "" when priced. */
int rt_export_csv_record(const struct rt_usage_record *u, int64_t amount_minor,
    const char *unpriced, struct rt_buf *out) RT_WUR;
/* The "total" lines. */
int rt_export_csv_end(const struct rt_export_header *h,
    const struct rt_export_total *totals, size_t ntotals, struct rt_buf *out) RT_WUR;

/* SHA-256 of everything f yields from its current position to EOF. */
int rt_export_file_sha256(FILE *f, uint8_t digest[RT_SHA256_LEN]) RT_WUR;
/* Signs path into sigpath (see above); sigpath written atomically 0644. */
int rt_export_sign_file(const struct rt_signer *signer, const char *path,
    const char *sigpath) RT_WUR;
/*
 * Checks sigpath over the bytes of f (read from its start): chain, CRL,
 * one signer whose realm goes to signers. On success the file's SHA-256
 * is in digest, so a reader can prove it later parsed the same bytes.
 */
int rt_export_verify_file(struct rt_trust *trust, FILE *f, const char *sigpath,
    time_t now, struct rt_cms_signers *signers,
    uint8_t digest[RT_SHA256_LEN]) RT_WUR;

#endif
