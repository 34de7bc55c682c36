/*
 * rt_xml: the one way roamtrust turns bytes into an XML tree.
 *
 * Only authenticated bytes get here (rt_doc verifies the signature
 * first), and even so libxml2 is held on a short leash: a size cap before
 * parsing, any DTD or entity declaration refused before libxml2 sees the
 * bytes (no XXE, no billion laughs, no external DTD), no network, no entity
 * substitution, UTF-8 only, no comments or processing instructions (CDATA
 * is merged into text), a depth cap and a node-count cap on the tree.
 * Validation runs against the schemas compiled into the binary
 * (schemas/roamtrust.xsd), compiled once and shared by all threads; each
 * thread reuses its own parser and validation contexts.
 *
 * The accessors read a validated tree: elements are in namespace
 * urn:roamtrust:1 and simple content is a single text node.
 */
#ifndef RT_XML_H
#define RT_XML_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_err.h"

#define RT_XML_NS "urn:roamtrust:1"
#define RT_XML_MAX (1024 * 1024)	/* default cap on a document */
#define RT_XML_MAX_DEPTH 16
#define RT_XML_MAX_NODES 100000

/* Initializes libxml2 and compiles the schema; idempotent, thread-safe. */
int rt_xml_init(void) RT_WUR;

/*
 * Parses data (at most max bytes; 0 means RT_XML_MAX) into *docp (free
 * with xmlFreeDoc). Errors: RT_ERR_TOO_BIG, RT_ERR_XML_DTD,
 * RT_ERR_XML_PARSE, RT_ERR_TOO_DEEP.
 */
int rt_xml_parse(const uint8_t *data, size_t len, size_t max, xmlDocPtr *docp) RT_WUR;
/*
 * Validates doc against the schema and checks its root is root_name in our
 * namespace (RT_ERR_TYPE otherwise). On RT_ERR_SCHEMA writes the first
 * schema error to err (may be NULL).
 */
int rt_xml_validate(xmlDocPtr doc, const char *root_name, char *err,
    size_t errcap) RT_WUR;

/* The local name of the root element, or "" (for logs and `show`). */
const char *rt_xml_root_name(xmlDocPtr doc);

/* First element child of parent named name in our namespace, or NULL. */
xmlNodePtr rt_xml_child(xmlNodePtr parent, const char *name);
/* Next element sibling after node with the same name, or NULL. */
xmlNodePtr rt_xml_next(xmlNodePtr node);
/* Text content of a simple element ("" when empty). */
const char *rt_xml_text(xmlNodePtr node);
/* Attribute value or NULL. */
const char *rt_xml_attr(xmlNodePtr node, const char *name);
/*
 * Copies the text of child name into out (cap bytes); RT_ERR_TOO_BIG when
 * it does not fit, RT_ERR_NOT_FOUND when absent.
 */
int rt_xml_child_copy(xmlNodePtr parent, const char *name, char *out,
    size_t cap) RT_WUR;
int rt_xml_child_time(xmlNodePtr parent, const char *name, time_t *tp) RT_WUR;
int rt_xml_child_u64(xmlNodePtr parent, const char *name, uint64_t *vp) RT_WUR;
int rt_xml_parse_u64(const char *s, uint64_t *vp) RT_WUR;
int rt_xml_parse_i64(const char *s, int64_t *vp) RT_WUR;

/* Writers: append <name>escaped text</name> and the like to buf. */
int rt_xml_put_text(struct rt_buf *buf, const char *name, const char *text) RT_WUR;
int rt_xml_put_time(struct rt_buf *buf, const char *name, time_t t) RT_WUR;
int rt_xml_put_u64(struct rt_buf *buf, const char *name, uint64_t v) RT_WUR;

#endif
