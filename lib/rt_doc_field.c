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

/* ---- the canonical fast path ---- */

int
rt_scan_lit(struct rt_scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

/* Printable ASCII that means itself in XML character data. */
static int
plain_char(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '<' && c != '>' && c != '&';
}

int
rt_scan_element(struct rt_scan *s, const char *name, const char **textp,
    size_t *lenp)
{
	size_t n = strlen(name), avail = (size_t)(s->end - s->p);
	const char *t, *q;

	if (avail == 0 || s->p[0] != '<')
		return -1;
	if (avail < n + 2 || memcmp(s->p + 1, name, n) != 0 || s->p[n + 1] != '>')
		return 0;
	t = s->p + n + 2;
	for (q = t; q < s->end && plain_char((unsigned char)*q); q++)
		;
	if ((size_t)(s->end - q) < n + 3 || q[0] != '<' || q[1] != '/' ||
	    memcmp(q + 2, name, n) != 0 || q[n + 2] != '>')
		return -1;
	*textp = t;
	*lenp = (size_t)(q - t);
	s->p = q + n + 3;
	return 1;
}

static int
in_set(const char *text, size_t len, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strlen(*set) == len && memcmp(*set, text, len) == 0)
			return 1;
	return 0;
}

static int
lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* rt:Realm: dot-separated labels of [a-z0-9-], neither end a '-', 1..63
 * each, two at least, 253 at most in all. */
static int
realm_ok(const char *t, size_t len)
{
	size_t label = 0, labels = 1;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '.') {
			if (label == 0 || t[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
		} else if (lower_or_digit(t[i]) || (t[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && t[len - 1] != '-' && labels >= 2;
}

/* rt:Uuid: 8-4-4-4-12 lowercase hex digits. */
static int
uuid_ok(const char *t, size_t len)
{
	if (len != 36)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (t[i] != '-')
				return 0;
		} else if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* rt:ServiceName and rt:Token: [a-z][a-z0-9\-]{0,31}. */
static int
token_ok(const char *t, size_t len)
{
	if (len == 0 || len > 32 || t[0] < 'a' || t[0] > 'z')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!lower_or_digit(t[i]) && t[i] != '-')
			return 0;
	return 1;
}

/* [A-Z]{1,16} (AuthRequest's Method). */
static int
method_ok(const char *t, size_t len)
{
	if (len == 0 || len > 16)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (t[i] < 'A' || t[i] > 'Z')
			return 0;
	return 1;
}

/* rt:UtcTime as we write it (YYYY-MM-DDTHH:MM:SSZ) and rt_time_parse reads
 * it, into *vp; seconds up to 59 as xs:dateTime has them. 0, or -1. */
static int
time_read(const char *t, size_t len, time_t *vp)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char buf[RT_TIME_STR_LEN + 1];

	if (len != RT_TIME_STR_LEN)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return -1;
	if (t[17] > '5')
		return -1;
	memcpy(buf, t, len);
	buf[len] = '\0';
	return rt_time_parse(buf, vp) == 0 ? 0 : -1;
}

enum facet {
	F_SHORT_TEXT,		/* rt:ShortText: 256 characters at most */
	F_SIP_URI,		/* rt:SipUri: 5..256 */
	F_PRIVATE_ID,		/* rt:PrivateIdentity: 1..256 */
	F_REALM,
	F_UUID,
	F_TOKEN,
	F_METHOD,
	F_TIME,
	F_ENUM
};

static const char *const algorithms[] = {"MD5", "SHA-256", NULL};
static const char *const authn_methods[] = {"digest-md5", "digest-sha256", NULL};
static const char *const auth_results[] = {"ok", "wrong-credentials", "locked",
	"disabled", "password-expired", "no-agreement", "no-service", "unavailable",
	NULL};

/* The elements of AuthRequest, AuthResponse and SubscriberAssertion (and
 * the assertion's id attribute), with their simple types in
 * schemas/roamtrust.xsd. */
struct scan_type {
	const char *name;
	enum facet facet;
	const char *const *set;
};

static const struct scan_type scan_types[] = {
	{"id", F_UUID, NULL},
	{"AgreementRef", F_UUID, NULL},
	{"PublicIdentity", F_SIP_URI, NULL},
	{"Username", F_PRIVATE_ID, NULL},
	{"PrivateIdentity", F_PRIVATE_ID, NULL},
	{"DigestRealm", F_SHORT_TEXT, NULL},
	{"Method", F_METHOD, NULL},
	{"Uri", F_SHORT_TEXT, NULL},
	{"Nonce", F_SHORT_TEXT, NULL},
	{"Algorithm", F_ENUM, algorithms},
	{"Qop", F_TOKEN, NULL},
	{"Nc", F_SHORT_TEXT, NULL},
	{"Cnonce", F_SHORT_TEXT, NULL},
	{"BodyHash", F_SHORT_TEXT, NULL},
	{"Response", F_SHORT_TEXT, NULL},
	{"Service", F_TOKEN, NULL},
	{"Result", F_ENUM, auth_results},
	{"Reason", F_SHORT_TEXT, NULL},
	{"Issuer", F_REALM, NULL},
	{"Audience", F_REALM, NULL},
	{"AuthnMethod", F_ENUM, authn_methods},
	{"AuthnInstant", F_TIME, NULL},
	{"IssuedAt", F_TIME, NULL},
	{"NotOnOrAfter", F_TIME, NULL},
};

/* The simple type of name, or NULL: not an element the fast path knows. */
static const struct scan_type *
scan_type(const char *name)
{
	for (size_t i = 0; i < sizeof(scan_types) / sizeof(scan_types[0]); i++)
		if (strcmp(scan_types[i].name, name) == 0)
			return &scan_types[i];
	return NULL;
}

int
rt_scan_text_ok(const char *name, const char *text, size_t len)
{
	const struct scan_type *t = scan_type(name);
	time_t v;

	if (t != NULL) {
		switch (t->facet) {
		case F_SHORT_TEXT:
			return len <= 256;
		case F_SIP_URI:
			return len >= 5 && len <= 256;
		case F_PRIVATE_ID:
			return len >= 1 && len <= 256;
		case F_REALM:
			return realm_ok(text, len);
		case F_UUID:
			return uuid_ok(text, len);
		case F_TOKEN:
			return token_ok(text, len);
		case F_METHOD:
			return method_ok(text, len);
		case F_TIME:
			return time_read(text, len, &v) == 0;
		case F_ENUM:
			return in_set(text, len, t->set);
		}
	}
	return 0;
}

/* One text element of f into out (f->cap bytes): 1 read, 0 absent, -1. */
static int
scan_text(struct rt_scan *s, const struct rt_field *f, char *out)
{
	const char *text;
	size_t len;
	int r = rt_scan_element(s, f->name, &text, &len);

	if (r != 1)
		return r;
	if (len >= f->cap || !rt_scan_text_ok(f->name, text, len))
		return -1;
	memcpy(out, text, len);
	out[len] = '\0';
	return 1;
}

/* A time element: 1 read into *tp (checked and parsed once), 0 absent,
 * -1. */
static int
scan_time(struct rt_scan *s, const char *name, time_t *tp)
{
	const struct scan_type *t = scan_type(name);
	const char *text;
	size_t len;
	int r = rt_scan_element(s, name, &text, &len);

	if (r != 1)
		return r;
	if (t == NULL || t->facet != F_TIME || time_read(text, len, tp) != 0)
		return -1;
	return 1;
}

/* The items of list field f (f->max at most, as maxOccurs): 0 or -1. */
static int
scan_list(struct rt_scan *s, const struct rt_field *f, char *b)
{
	size_t n = 0;
	int r;

	for (;;) {
		if (n == f->max) {
			const char *text;
			size_t len;

			/* one more is one too many */
			if (rt_scan_element(s, f->name, &text, &len) != 0)
				return -1;
			break;
		}
		if ((r = scan_text(s, f, b + f->offset + n * f->cap)) < 0)
			return -1;
		if (r == 0)
			break;
		n++;
	}
	*(int *)(void *)(b + f->count_offset) = (int)n;
	return 0;
}

int
rt_fields_scan(struct rt_scan *s, const struct rt_field *fields, void *base,
    size_t from, size_t *nextp)
{
	char *b = base;
	size_t i;
	int r;

	for (i = from; fields[i].name != NULL; i++) {
		const struct rt_field *f = &fields[i];

		switch (f->type) {
		case RT_FIELD_TEXT:
			if ((r = scan_text(s, f, b + f->offset)) < 0 ||
			    (r == 0 && !f->optional))
				return -1;
			break;
		case RT_FIELD_TIME:
			if ((r = scan_time(s, f->name, (time_t *)(void *)(b + f->offset))) != 1)
				return -1;
			break;
		case RT_FIELD_LIST:
			if (scan_list(s, f, b) != 0)
				return -1;
			break;
		case RT_FIELD_CUSTOM:
			goto out;
		case RT_FIELD_U64:
		case RT_FIELD_U32:
			return -1;	/* not on the fast path */
		}
	}
 out:
	if (nextp != NULL)
		*nextp = i;
	return 0;
}
