#include "rt_doc_field.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "rt_codec.h"

static int
field_read_list(xmlNodePtr parent, const struct rt_field *f, char *base)
{
	int *count = (int *)(void *)(base + f->count_offset);
	char *items = base + f->offset;
	size_t n = 0;

	for (xmlNodePtr c = rt_xml_child(parent, f->name); c != NULL;
	    c = rt_xml_next(c)) {
		const char *s = rt_xml_text(c);
		size_t len = strlen(s);

		if (n >= f->max || len >= f->cap)
			return RT_ERR_TOO_BIG;
		memcpy(items + n * f->cap, s, len + 1);
		n++;
	}
	*count = (int)n;
	return 0;
}

int
rt_fields_read(xmlNodePtr parent, const struct rt_field *fields, void *base)
{
	char *b = base;
	int r = 0;

	for (const struct rt_field *f = fields; f->name != NULL && r == 0; f++) {
		uint64_t v;

		switch (f->type) {
		case RT_FIELD_TEXT:
			r = rt_xml_child_copy(parent, f->name, b + f->offset, f->cap);
			if (r == RT_ERR_NOT_FOUND && f->optional)
				r = 0;
			break;
		case RT_FIELD_TIME:
			r = rt_xml_child_time(parent, f->name,
			    (time_t *)(void *)(b + f->offset));
			break;
		case RT_FIELD_U64:
			r = rt_xml_child_u64(parent, f->name,
			    (uint64_t *)(void *)(b + f->offset));
			break;
		case RT_FIELD_U32:
			if ((r = rt_xml_child_u64(parent, f->name, &v)) == 0) {
				if (v > UINT32_MAX)
					r = RT_ERR_BAD_INPUT;
				else
					*(uint32_t *)(void *)(b + f->offset) = (uint32_t)v;
			}
			break;
		case RT_FIELD_LIST:
			r = field_read_list(parent, f, b);
			break;
		case RT_FIELD_CUSTOM:
			break;
		}
	}
	/* The schema requires what is missing here: a tree that did not validate. */
	return r == RT_ERR_NOT_FOUND ? RT_ERR_SCHEMA : r;
}

static int
put_indent(struct rt_buf *buf, int indent)
{
	static const char spaces[] = "                ";

	if (indent < 0)
		return 0;
	if ((size_t)indent >= sizeof(spaces))
		indent = sizeof(spaces) - 1;
	return rt_buf_append(buf, spaces, (size_t)indent);
}

int
rt_fields_write(struct rt_buf *buf, int indent, const struct rt_field *fields,
    const void *base, size_t from, size_t *nextp)
{
	const char *b = base;
	size_t i;
	int r = 0;

	for (i = from; fields[i].name != NULL && r == 0; i++) {
		const struct rt_field *f = &fields[i];
		const char *text = b + f->offset;

		if (f->type == RT_FIELD_CUSTOM)
			break;
		if (f->type == RT_FIELD_TEXT && f->optional && *text == '\0')
			continue;
		if (f->type == RT_FIELD_LIST) {
			int count = *(const int *)(const void *)(b + f->count_offset);

			for (int k = 0; k < count && r == 0; k++)
				if ((r = put_indent(buf, indent)) == 0 &&
				    (r = rt_xml_put_text(buf, f->name,
				    text + (size_t)k * f->cap)) == 0 && indent >= 0)
					r = rt_buf_append_str(buf, "\n");
			continue;
		}
		if ((r = put_indent(buf, indent)) != 0)
			break;
		switch (f->type) {
		case RT_FIELD_TEXT:
			r = rt_xml_put_text(buf, f->name, text);
			break;
		case RT_FIELD_TIME:
			r = rt_xml_put_time(buf, f->name,
			    *(const time_t *)(const void *)text);
			break;
		case RT_FIELD_U64:
			r = rt_xml_put_u64(buf, f->name,
			    *(const uint64_t *)(const void *)text);
			break;
		case RT_FIELD_U32:
			r = rt_xml_put_u64(buf, f->name,
			    *(const uint32_t *)(const void *)text);
			break;
		case RT_FIELD_LIST:
		case RT_FIELD_CUSTOM:
			break;
		}
		if (r == 0 && indent >= 0)
			r = rt_buf_append_str(buf, "\n");
	}
	if (nextp != NULL)
		*nextp = i;
	return r;
}

int
rt_doc_begin(struct rt_buf *xml, const char *root, const char *id, int decl,
    int indent)
{
	int r;

	if (decl && (r = rt_buf_append_str(xml, RT_XML_DECL)) != 0)
		return r;
	if ((r = rt_buf_append_str(xml, "<")) != 0 ||
	    (r = rt_buf_append_str(xml, root)) != 0 ||
	    (r = rt_buf_append_str(xml, " xmlns=\"" RT_XML_NS "\"")) != 0)
		return r;
	if (id != NULL && ((r = rt_buf_append_str(xml, " id=\"")) != 0 ||
	    (r = rt_buf_append_str(xml, id)) != 0 ||
	    (r = rt_buf_append_str(xml, "\"")) != 0))
		return r;
	return rt_buf_append_str(xml, indent >= 0 ? ">\n" : ">");
}

int
rt_doc_line(struct rt_buf *xml, int indent, const char *text)
{
	int r;

	if ((r = put_indent(xml, indent)) != 0 ||
	    (r = rt_buf_append_str(xml, text)) != 0)
		return r;
	return indent >= 0 ? rt_buf_append_str(xml, "\n") : 0;
}
