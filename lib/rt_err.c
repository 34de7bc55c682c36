#include "rt_err.h"

struct err_entry {
	const char *name;
	const char *text;
};

/* Indexed by -code. */
static const struct err_entry err_table[] = {
	{"ok", "success"},
	{"internal", "internal error"},
	{"nomem", "out of memory"},
	{"bad_input", "malformed input"},
	{"io", "input/output error"},
	{"not_found", "not found"},
	{"exists", "already exists"},
	{"too_big", "input too large"},
	{"too_deep", "XML nested too deeply"},
	{"xml_parse", "XML not well-formed"},
	{"xml_dtd", "DTD, entity or external reference refused"},
	{"schema", "document not valid against its schema"},
	{"sig_bad", "signature does not match the content"},
	{"sig_missing", "document is not signed"},
	{"signers", "a required signer is missing"},
	{"cert_untrusted", "certificate not issued by the trusted CA"},
	{"cert_revoked", "certificate revoked"},
	{"cert_expired", "certificate expired"},
	{"cert_not_yet_valid", "certificate not yet valid"},
	{"cert_unknown", "signer certificate unknown"},
	{"cert_bad", "certificate unsuitable"},
	{"crl_missing", "CRL missing"},
	{"crl_expired", "CRL expired (past nextUpdate)"},
	{"crl_bad", "CRL invalid or not signed by the trusted CA"},
	{"realm", "realm mismatch"},
	{"audience", "document addressed to another realm"},
	{"not_yet_valid", "document not yet valid"},
	{"expired", "document expired"},
	{"weak_key", "key type or size refused"},
	{"bad_name", "not a valid realm (DNS) name"},
	{"config", "configuration error"},
	{"crypto", "cryptographic operation failed"},
	{"replay", "replayed identifier"},
	{"perm", "file permissions too open"},
	{"passphrase", "wrong or missing passphrase"},
	{"type", "unexpected document type"},
	{"usage", "usage error"},
	{"timeout", "timed out"},
	{"unavailable", "unavailable"},
	{"denied", "denied by policy"},
	{"no_agreement", "no valid roaming agreement"},
	{"no_space", "storage full"},
	{"read_only", "storage read-only"},
	{"chain_broken", "hash chain or sequence broken"},
};

_Static_assert(sizeof(err_table) / sizeof(err_table[0]) == -RT_ERR_LAST,
    "err_table must list every RT_ERR_* code");

static const struct err_entry *
err_lookup(int code)
{
	if (code > 0 || code <= RT_ERR_LAST)
		return &err_table[1];
	return &err_table[-code];
}

const char *
rt_strerror(int code)
{
	return err_lookup(code)->text;
}

const char *
rt_errname(int code)
{
	return err_lookup(code)->name;
}
