/*
 * Internals of the export reader shared by its CSV part
 * (rt_export_read.c) and its XML part (rt_export_xml.c). Not for callers.
 */
#ifndef RT_EXPORT_READ_INT_H
#define RT_EXPORT_READ_INT_H

#include <libxml/xmlreader.h>
#include <openssl/evp.h>
#include <sys/types.h>

#include "rt_export_read.h"

/* What rt_export_item_check need not check again on the next record. */
struct rt_export_check_cache {
	char realm[2][RT_REALM_MAX];
	int next;
	char agreement[RT_ID_MAX];
};

struct rt_export_reader {
	enum rt_export_format format;
	/* input: a FILE or bytes in memory */
	FILE *f;
	const uint8_t *mem;
	size_t memlen, mempos;
	uint8_t *buf;			/* the bytes read and not yet consumed */
	size_t len, pos;
	int eof;
	EVP_MD_CTX *md;			/* SHA-256 of what was read, or NULL */
	uint64_t consumed;
	/* XML */
	xmlTextReaderPtr xr;
	int lt_pending;			/* the last byte scanned was '<' */
	uint64_t lt_offset;
	int scan_refused;
	int xml_line;
	int in_header_done;
	/* CSV */
	uint64_t line;
	char row[RT_EXPORT_LINE_MAX + 1];
	char *fields[RT_EXPORT_CSV_COLUMNS];
	int nfields;
	/* both */
	struct rt_export_check_cache cache;
	uint64_t nrecords;
	int in_totals;
	int done;
	int failed;			/* sticky: the first error */
	struct rt_export_header header;
	struct rt_export_total totals[RT_EXPORT_TOTALS_MAX];
	size_t ntotals;
	char err[RT_EXPORT_ERR_MAX];
};

/* Records the first error with where it happened; returns err. */
int rt_export_fail(struct rt_export_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads up to cap bytes from the source (hashing them): n, 0 at EOF, -1. */
ssize_t rt_export_src_read(struct rt_export_reader *r, uint8_t *out, size_t cap);
int rt_export_header_check(struct rt_export_reader *r);
void rt_export_item_reset(struct rt_export_item *item);
int rt_export_item_check_cached(const struct rt_export_item *item,
    const char **why, struct rt_export_check_cache *c);
int rt_export_uuid_ok(const char *s);
/* rt_time_parse, fast for the "YYYY-MM-DDTHH:MM:SSZ" of exports. */
int rt_export_time_parse(const char *s, time_t *tp);
int rt_export_unit_ok(const char *s);
int rt_export_token_ok(const char *s);

int rt_export_xml_open(struct rt_export_reader *r);
int rt_export_xml_next(struct rt_export_reader *r, struct rt_export_item *item);
void rt_export_xml_close(struct rt_export_reader *r);

#endif
