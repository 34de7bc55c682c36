/*
 * rt_doc_field: the table-driven mapping between a document struct and the
 * element sequence of its schema type, shared by the rt_doc modules so each
 * document is described once (in schema order) and read and written by the
 * same code. Internal to lib/: programs use rt_doc.h.
 */
#ifndef RT_DOC_FIELD_H
#define RT_DOC_FIELD_H

#include <stddef.h>

#include "rt_buf.h"
#include "rt_xml.h"

enum rt_field_type {
	RT_FIELD_TEXT,		/* char[cap] */
	RT_FIELD_TIME,		/* time_t, UTC dateTime */
	RT_FIELD_U64,		/* uint64_t */
	RT_FIELD_U32,		/* uint32_t */
	RT_FIELD_LIST,		/* char[max][cap] with an int count at count_offset */
	RT_FIELD_CUSTOM		/* read/written by the caller; keeps the order */
};

struct rt_field {
	const char *name;
	enum rt_field_type type;
	size_t offset;
	size_t cap;		/* TEXT, LIST: bytes of one string */
	int optional;		/* TEXT: omitted when empty */
	size_t max;		/* LIST: most items */
	size_t count_offset;	/* LIST: offset of the int count */
};

/* indent value for documents on the wire: no indentation, no newlines */
#define RT_COMPACT (-1)

#define RT_XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

#define RT_FIELD_END {NULL, RT_FIELD_TEXT, 0, 0, 0, 0, 0}

/* Reads the fields from the children of parent into base. */
int rt_fields_read(xmlNodePtr parent, const struct rt_field *fields,
    void *base) RT_WUR;
/*
 * Writes the fields of base from index from as child elements, one per
 * line at indent spaces (RT_COMPACT: all on one line), up to the first
 * RT_FIELD_CUSTOM field or the end; the index reached goes to *nextp when
 * not NULL.
 */
int rt_fields_write(struct rt_buf *buf, int indent, const struct rt_field *fields,
    const void *base, size_t from, size_t *nextp) RT_WUR;

/*
 * Appends the start tag of root in our namespace, with id="..." when id
 * is not NULL, preceded by the XML declaration when decl is set, followed
 * by a newline unless indent is RT_COMPACT.
 */
int rt_doc_begin(struct rt_buf *xml, const char *root, const char *id,
    int decl, int indent) RT_WUR;
/* Appends indent spaces, then text, then a newline (none of the two when
 * indent is RT_COMPACT). */
int rt_doc_line(struct rt_buf *xml, int indent, const char *text) RT_WUR;

/*
 * The canonical fast path: documents our own programs write on the wire
 * (RT_COMPACT, ASCII, nothing escaped) are read straight from their bytes,
 * without a tree or a schema pass, by checks that accept a strict subset
 * of what the schema does: each element in table order, its text of
 * printable ASCII without '<', '>' or '&', its simple type's facets
 * (rt_scan_text_ok). Whatever is not certain (any other spelling, an
 * element the checks do not know) is declined, and the caller parses the
 * bytes with libxml2 and the schema as always; the differential fuzzer
 * fuzz_msg_fast holds the two paths to the same answer.
 */
struct rt_scan {
	const char *p;
	const char *end;
};

/* Moves past lit when the bytes at the cursor are lit: 1, else 0. */
int rt_scan_lit(struct rt_scan *s, const char *lit);
/*
 * The element <name>TEXT</name> at the cursor: 1 and its text (*textp,
 * *lenp, not NUL-terminated) when it is there; 0 when something else
 * starts there (another element, an end tag); -1 when the bytes are not
 * in the canonical form.
 */
int rt_scan_element(struct rt_scan *s, const char *name, const char **textp,
    size_t *lenp);
/* Whether text satisfies the simple type of element name (0 when the
 * fast path does not know the element). */
int rt_scan_text_ok(const char *name, const char *text, size_t len);
/*
 * Reads the fields from index from (up to the first RT_FIELD_CUSTOM, whose
 * index goes to *nextp when not NULL) into base, the mirror of
 * rt_fields_write with RT_COMPACT: 0, or -1 to decline.
 */
int rt_fields_scan(struct rt_scan *s, const struct rt_field *fields, void *base,
    size_t from, size_t *nextp) RT_WUR;

struct rt_assertion;
/* A SubscriberAssertion element (not a document) at the cursor: 0, -1. */
int rt_assertion_scan(struct rt_scan *s, struct rt_assertion *a) RT_WUR;
/* A whole SubscriberAssertion document (its verified bytes): 0, -1. */
int rt_assertion_read_fast(const uint8_t *xml, size_t len, struct rt_assertion *a);

#endif
