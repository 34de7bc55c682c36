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

#endif
