/*
 * rt_sip_int: what rt_sip.c (messages, lists) and rt_sip_util.c (URIs,
 * name-addr, params, Date) share and nobody else uses: the character
 * classes of the RFC 3261 grammar as one table, so that every check is a
 * lookup and both files agree on what a token or a host character is.
 */
#ifndef RT_SIP_INT_H
#define RT_SIP_INT_H

#include <stddef.h>
#include <stdint.h>

#define SIP_C_TOKEN 0x0001	/* token: alphanum -.!%*_+`'~ */
#define SIP_C_URIC 0x0002	/* any character of a URI, '%' included */
#define SIP_C_WORD 0x0004	/* Call-ID word */
#define SIP_C_HOST 0x0008	/* hostname / IPv4: alphanum - . */
#define SIP_C_USER 0x0010	/* URI user part (escapes checked apart) */
#define SIP_C_PASS 0x0020	/* URI password */
#define SIP_C_PARAM 0x0040	/* parameter name or unquoted value */
#define SIP_C_HNV 0x0080	/* URI ?headers, with '=' and '&' */
#define SIP_C_STOP 0x0100	/* NUL CR LF: where a head scan stops */
#define SIP_C_HEX 0x0200
#define SIP_C_DIGIT 0x0400
#define SIP_C_ALPHA 0x0800
#define SIP_C_WS 0x1000		/* SP HTAB */

extern const uint16_t rt_sip_cclass[256];
extern const unsigned char rt_sip_lower_tab[256];	/* ASCII tolower */

static inline int
sip_is(char c, uint16_t cls)
{
	return (rt_sip_cclass[(unsigned char)c] & cls) != 0;
}

static inline unsigned char
sip_lower(char c)
{
	return rt_sip_lower_tab[(unsigned char)c];
}

/* ASCII case-insensitive equality of n bytes. */
int rt_sip_mem_ieq(const char *a, const char *b, size_t n);

#endif
