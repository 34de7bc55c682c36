/*
 * Internals of the export reader shared by its CSV part
 * (rt_export_read.c), its XML part (rt_export_xml.c: the schema's value
 * rules and libxml2's SAX2 push parser) and the XML fast path
 * (rt_export_xml_fast.c). Not for callers.
 *
 * XML is read in one of two ways, always over the same input layer (so
 * every byte is hashed once, in order):
 * - the fast path reads exactly the canonical form our exporter writes,
 *   one unit at a time (the header, a UsageRecord, a Total, the end),
 *   each wholly inside the input buffer. It never reports an error:
 *   at anything else, a unit it cannot read or whose values fail a check,
 *   it hands the rest of the input over to libxml2 at that unit's start;
 * - libxml2's SAX2 push parser, from the very start (the header was not
 *   canonical, or the reader was opened with RT_EXPORT_READ_LIBXML2) or
 *   from a handoff: it is then fed the root start tag again (the fast
 *   path only takes one exact form of it, rebuilt from the header) and
 *   the bytes from the unit on, with the schema state set to the body.
 * Both feed the same value checks (rt_export_xml_*), so what a record
 * must be is written once; fuzz_export_diff checks both ways agree.
 */
#ifndef RT_EXPORT_READ_INT_H
#define RT_EXPORT_READ_INT_H

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <sys/types.h>

#include "rt_export_read.h"

/* Flags of rt_export_reader_open_flags. */
#define RT_EXPORT_READ_LIBXML2 1	/* no fast path: libxml2 reads it all */

#define RT_EXPORT_XML_TEXT_MAX 512	/* bytes of one simple value */
/* text and blanks in one UsageRecord; the fast path reads no unit longer */
#define RT_EXPORT_XML_RECORD_CHARS_MAX (64 * 1024)

/* What rt_export_item_check need not check again on the next record. */
struct rt_export_check_cache {
	char realm[2][RT_REALM_MAX];
	size_t realm_len[2];		/* 0: empty */
	int next;
	char agreement[RT_ID_MAX];
};

struct rt_export_sax;

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
	int flags;			/* RT_EXPORT_READ_* */
	int fast;			/* the fast path reads: errors are handoffs */
	uint64_t fast_line;		/* the line r->pos is on, in the fast path */
	uint64_t line_base;		/* lines before what libxml2 was fed */
	struct rt_export_sax *sax;	/* libxml2's parser and its schema state */
	int lt_pending;			/* the last byte scanned was '<' */
	int scan_refused;
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

/* rt_export_reader_open_mem with RT_EXPORT_READ_* flags (tests, fuzzing). */
int rt_export_reader_open_flags(const uint8_t *data, size_t len, int flags,
    struct rt_export_reader **rp, char *err) RT_WUR;

/* Records the first error with where it happened; returns err. */
int rt_export_fail(struct rt_export_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads up to cap bytes from the source (hashing them): n, 0 at EOF, -1. */
ssize_t rt_export_src_read(struct rt_export_reader *r, uint8_t *out, size_t cap);
/* Moves the unconsumed bytes to the front of r->buf and appends what the
 * source has: 1 when it read, 0 at EOF or with r->buf full, or RT_ERR_*. */
int rt_export_buf_fill(struct rt_export_reader *r);
int rt_export_header_check(struct rt_export_reader *r);
void rt_export_item_reset(struct rt_export_item *item);
int rt_export_item_check_cached(const struct rt_export_item *item,
    const char **why, struct rt_export_check_cache *c);
int rt_export_uuid_ok(const char *s);
/* rt_time_parse, fast for the "YYYY-MM-DDTHH:MM:SSZ" of exports. */
int rt_export_time_parse(const char *s, time_t *tp);
int rt_export_unit_ok(const char *s);
int rt_export_token_ok(const char *s);

/* ---- XML: the schema's rules for values, for both ways of reading ---- */

/* The children of a UsageRecord, in the schema's order. */
enum {
	RT_XF_AGREEMENT, RT_XF_ASSERTION, RT_XF_SUBSCRIBER, RT_XF_HOME,
	RT_XF_VISITED, RT_XF_SERVICE, RT_XF_CALL_ID, RT_XF_START, RT_XF_END,
	RT_XF_QUANTITY, RT_XF_UNIT, RT_XF_FLAG, RT_XF_COUNT
};
struct rt_export_xml_field {
	const char *name;
	size_t len;
	int optional;
};
extern const struct rt_export_xml_field rt_export_xml_fields[RT_XF_COUNT];
#define RT_EXPORT_XML_HEADER_FIELDS 6
extern const char *const rt_export_xml_header_names[RT_EXPORT_XML_HEADER_FIELDS];

/*
 * Each returns 0 or RT_ERR_*; the error is recorded (rt_export_fail)
 * unless the fast path reads (r->fast), which hands over instead.
 */
int rt_export_xml_header_value(struct rt_export_reader *r, int i, const char *text);
/* An attribute of a UsageRecord; *seen collects the ones met. */
int rt_export_xml_record_attr(struct rt_export_reader *r, struct rt_export_item *item,
    const char *name, const char *value, int *seen);
/* Child k's text (n bytes, NUL-terminated, no NUL inside). */
int rt_export_xml_record_value(struct rt_export_reader *r, struct rt_export_item *item,
    int k, const char *text, size_t n);
/* After the last child (next is the field expected next). */
int rt_export_xml_record_end(struct rt_export_reader *r, struct rt_export_item *item,
    int seen, int next);
/* An attribute of r->totals[r->ntotals]; then _total_end counts it. */
int rt_export_xml_total_attr(struct rt_export_reader *r, const char *name,
    const char *value, int *seen);
int rt_export_xml_total_end(struct rt_export_reader *r, int seen);

/* ---- XML: the two readers ---- */

/* The line libxml2 or the fast path is on, for messages. */
uint64_t rt_export_xml_line(const struct rt_export_reader *r);
int rt_export_xml_open(struct rt_export_reader *r);
int rt_export_xml_next(struct rt_export_reader *r, struct rt_export_item *item);
void rt_export_xml_close(struct rt_export_reader *r);

/* The fast path: 0 when it read the header (or RT_ERR_* of the input);
 * RT_EXPORT_FAST_HANDOFF when libxml2 must read from the start. */
#define RT_EXPORT_FAST_HANDOFF 2
int rt_export_fast_open(struct rt_export_reader *r);
/* 1 and a record, 0 at the end of a complete file, RT_EXPORT_FAST_HANDOFF
 * (libxml2 goes on from r->pos), or RT_ERR_* of the input. */
int rt_export_fast_next(struct rt_export_reader *r, struct rt_export_item *item);

#endif
