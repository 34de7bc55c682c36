/*
 * rt_export_read: a streaming reader of SettlementExports, XML or CSV (the
 * format is detected from the first bytes), one record at a time, for
 * files of any size in constant memory.
 *
 * An export is outside input (the partner's file), so the reader trusts
 * nothing in it even after its signature checked: it is a strict state
 * machine over the schema's element order (XML) or the fixed columns of
 * rt_export.h (CSV), and refuses instead of guessing.
 * - XML in the exact form our exporter writes is read by a strict fast
 *   path without libxml2; from the first unit in any other form (valid
 *   or not) on, libxml2's SAX2 push parser reads the rest: no network, no
 *   entity substitution, no DTD (any "<!" -- DOCTYPE, ENTITY, comment,
 *   CDATA -- or a processing instruction other than the XML declaration
 *   is refused before libxml2 sees it), UTF-8 whatever the declaration
 *   says. Both feed the same checks: elements in urn:roamtrust:1, in
 *   schema order, at most depth 3; every value checked as the XSD would
 *   (UUIDs, realms, times, bounds); and both give the same records and
 *   errors (tests/fuzz/fuzz_export_diff.c). Records read before an error
 *   come out before it.
 * - CSV lines are parsed by a bounded RFC 4180 parser: at most
 *   RT_EXPORT_LINE_MAX bytes and RT_EXPORT_CSV_COLUMNS fields a line,
 *   quoted fields may hold commas, quotes and line breaks.
 * Each value is capped at its field's size, and each record at
 * RT_EXPORT_RECORD_NODES XML elements and 64 KB of text, or one CSV line:
 * no input makes the reader allocate more than a fixed amount.
 *
 * Records come out in file order; the reader does not judge their order
 * (reconcile does). The header is known after open; the file's own totals
 * once next() returned 0. When opened with hash set, the reader computes
 * the SHA-256 of every byte it consumed, so the caller can prove it parsed
 * the very bytes whose signature it checked.
 */
#ifndef RT_EXPORT_READ_H
#define RT_EXPORT_READ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rt_doc.h"
#include "rt_export.h"

#define RT_EXPORT_LINE_MAX 8192		/* bytes of one CSV record */
#define RT_EXPORT_RECORD_NODES 64	/* XML elements in one record */
#define RT_EXPORT_ERR_MAX 256

enum rt_export_format {
	RT_EXPORT_XML = 1,
	RT_EXPORT_CSV = 2
};

struct rt_export_item {
	struct rt_usage_record u;
	int64_t amount_minor;		/* 0 when the file gave none */
	int has_amount;			/* XML: amountMinor was present */
	char unpriced[RT_SERVICE_MAX];	/* "" when priced */
	uint64_t where;			/* CSV line, or XML record ordinal */
};

struct rt_export_reader;

/*
 * Reads f from its current position (the caller keeps f and closes it).
 * Detects the format and reads the header. RT_ERR_BAD_INPUT,
 * RT_ERR_XML_DTD, RT_ERR_XML_PARSE, RT_ERR_SCHEMA, RT_ERR_TOO_BIG with a
 * message in err (RT_EXPORT_ERR_MAX bytes, may be NULL).
 */
int rt_export_reader_open(FILE *f, int hash, struct rt_export_reader **rp,
    char *err) RT_WUR;
/* The same over bytes in memory (kept by the caller while reading). */
int rt_export_reader_open_mem(const uint8_t *data, size_t len,
    struct rt_export_reader **rp, char *err) RT_WUR;
void rt_export_reader_free(struct rt_export_reader *r);

enum rt_export_format rt_export_reader_format(const struct rt_export_reader *r);
const struct rt_export_header *rt_export_reader_header(const struct rt_export_reader *r);
/* 1 and the next record in *item, 0 at the end of a complete file, or
 * RT_ERR_* (then rt_export_reader_error says where and why). */
int rt_export_reader_next(struct rt_export_reader *r, struct rt_export_item *item) RT_WUR;
/* The totals the file states (valid after next() returned 0). */
const struct rt_export_total *rt_export_reader_totals(const struct rt_export_reader *r,
    size_t *np);
/* SHA-256 of the bytes consumed; after next() returned 0, opened with hash. */
int rt_export_reader_digest(struct rt_export_reader *r,
    uint8_t digest[RT_SHA256_LEN]) RT_WUR;
/* "line 12: bad quantity" or "" */
const char *rt_export_reader_error(const struct rt_export_reader *r);

/* Checks a record's values the way the schema does (the CSV reader uses
 * it; exported for tests): 0 or RT_ERR_SCHEMA with a reason in why. */
int rt_export_item_check(const struct rt_export_item *item, const char **why) RT_WUR;

#endif
