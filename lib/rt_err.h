/*
 * rt_err: the error codes of roamtrust.
 *
 * Every function that can fail returns int: 0 on success or a negative
 * RT_ERR_* code. Codes are specific enough that a log line or a CLI message
 * names the reason (a revoked signer is not the same failure as a wrong CA),
 * and stable enough that tests assert on them. rt_strerror() turns a code
 * into a short phrase; rt_errname() into its token for key=value logs.
 */
#ifndef RT_ERR_H
#define RT_ERR_H

#define RT_WUR __attribute__((warn_unused_result))

enum rt_err {
	RT_OK = 0,
	RT_ERR_INTERNAL = -1,	   /* broken invariant or library failure */
	RT_ERR_NOMEM = -2,	   /* allocation failed */
	RT_ERR_BAD_INPUT = -3,	   /* malformed input */
	RT_ERR_IO = -4,		   /* read/write/open failed */
	RT_ERR_NOT_FOUND = -5,	   /* no such file, entry or key */
	RT_ERR_EXISTS = -6,	   /* refusing to overwrite */
	RT_ERR_TOO_BIG = -7,	   /* input over its size cap */
	RT_ERR_TOO_DEEP = -8,	   /* XML nesting over its cap */
	RT_ERR_XML_PARSE = -9,	   /* not well-formed XML */
	RT_ERR_XML_DTD = -10,	   /* DTD, entity or external reference */
	RT_ERR_SCHEMA = -11,	   /* not valid against the XSD */
	RT_ERR_SIG_BAD = -12,	   /* signature does not match the bytes */
	RT_ERR_SIG_MISSING = -13,  /* no signature where one is required */
	RT_ERR_SIGNERS = -14,	   /* a required signer is missing */
	RT_ERR_CERT_UNTRUSTED = -15, /* chain does not lead to our CA */
	RT_ERR_CERT_REVOKED = -16, /* certificate revoked by the CRL */
	RT_ERR_CERT_EXPIRED = -17, /* certificate past notAfter */
	RT_ERR_CERT_NOT_YET = -18, /* certificate before notBefore */
	RT_ERR_CERT_UNKNOWN = -19, /* signer certificate not known */
	RT_ERR_CERT_BAD = -20,	   /* certificate lacks a required property */
	RT_ERR_CRL_MISSING = -21,  /* CRL required but absent */
	RT_ERR_CRL_EXPIRED = -22,  /* CRL past nextUpdate */
	RT_ERR_CRL_BAD = -23,	   /* CRL not signed by our CA, or malformed */
	RT_ERR_REALM = -24,	   /* realm mismatch (issuer, SAN, party) */
	RT_ERR_AUDIENCE = -25,	   /* document addressed to someone else */
	RT_ERR_NOT_YET_VALID = -26, /* document validity not started */
	RT_ERR_EXPIRED = -27,	   /* document validity ended */
	RT_ERR_WEAK_KEY = -28,	   /* key type or size refused */
	RT_ERR_BAD_NAME = -29,	   /* not a valid DNS realm name */
	RT_ERR_CONFIG = -30,	   /* configuration error */
	RT_ERR_CRYPTO = -31,	   /* OpenSSL operation failed */
	RT_ERR_REPLAY = -32,	   /* id already seen */
	RT_ERR_PERM = -33,	   /* file permissions too open */
	RT_ERR_PASSPHRASE = -34,   /* wrong or missing passphrase */
	RT_ERR_TYPE = -35,	   /* document of another type */
	RT_ERR_USAGE = -36,	   /* command line usage error */
	RT_ERR_TIMEOUT = -37,	   /* operation timed out */
	RT_ERR_UNAVAILABLE = -38,  /* peer or service unavailable */
	RT_ERR_DENIED = -39,	   /* refused by policy */
	RT_ERR_NO_AGREEMENT = -40, /* no valid roaming agreement with the realm */
	RT_ERR_NOSPACE = -41,	   /* storage full */
	RT_ERR_READONLY = -42,	   /* storage read-only */
	RT_ERR_CHAIN = -43,	   /* hash chain or sequence broken */
	RT_ERR_LAST = -44
};

/* A short human phrase for code ("certificate revoked"). Never NULL. */
const char *rt_strerror(int code);
/* The token for logs ("cert_revoked"). Never NULL. */
const char *rt_errname(int code);

#endif
