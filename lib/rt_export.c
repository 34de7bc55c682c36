/*
 * Pricing, totals, the CSV form and file signatures of rt_export.h.
 */
#include "rt_export.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "rt_file.h"
#include "rt_log.h"

#define FILE_CHUNK (1024 * 1024)

/* Record unit -> agreement unit as num/den; 0 when they do not convert. */
static int
unit_factor(const char *from, const char *to, uint64_t *num, uint64_t *den)
{
	*num = 1;
	*den = 1;
	if (strcmp(from, to) == 0)
		return 1;
	if (strcmp(from, "second") == 0 && strcmp(to, "minute") == 0) {
		*den = 60;
		return 1;
	}
	if (strcmp(from, "minute") == 0 && strcmp(to, "second") == 0) {
		*num = 60;
		return 1;
	}
	return 0;
}

int
rt_price_record(const struct rt_agreement *a, const struct rt_usage_record *u,
    int64_t *amountp)
{
	const struct rt_agreement_service *svc;
	unsigned __int128 x;
	uint64_t num, den;

	*amountp = 0;
	if (a == NULL || strcmp(a->id, u->agreement_ref) != 0)
		return RT_ERR_NO_AGREEMENT;
	if (strcmp(a->home, u->home) != 0 || strcmp(a->visited, u->visited) != 0)
		return RT_ERR_REALM;
	if ((svc = rt_agreement_service(a, u->service)) == NULL)
		return RT_ERR_NOT_FOUND;
	if (!unit_factor(u->unit, svc->unit, &num, &den))
		return RT_ERR_TYPE;
	/*
	 * amount = round_half_up(quantity * num / den * rate), exactly:
	 * floor((2 * q * num * rate + den) / (2 * den)). With q < 2^40,
	 * num <= 60 and rate < 2^32 the product stays far inside 128 bits.
	 */
	if (u->quantity > RT_QUANTITY_MAX)
		return RT_ERR_TOO_BIG;
	x = (unsigned __int128)u->quantity * num * svc->rate;
	x = (2 * x + den) / (2 * den);
	if (x > (unsigned __int128)RT_AMOUNT_MAX)
		return RT_ERR_TOO_BIG;
	*amountp = (int64_t)x;
	return 0;
}

const char *
rt_price_reason(int err)
{
	switch (err) {
	case 0:
		return "";
	case RT_ERR_NO_AGREEMENT:
		return "unknown-agreement";
	case RT_ERR_REALM:
		return "agreement-mismatch";
	case RT_ERR_NOT_FOUND:
		return "unknown-service";
	case RT_ERR_TYPE:
		return "unit-mismatch";
	case RT_ERR_TOO_BIG:
		return "amount-overflow";
	default:
		return "unpriced";
	}
}

int
rt_export_totals_add(struct rt_export_totals *tt, const struct rt_usage_record *u,
    int64_t amount_minor, int unpriced)
{
	struct rt_export_total *t = NULL;

	for (size_t i = tt->n; i > 0; i--) {
		struct rt_export_total *c = &tt->t[i - 1];

		if (c->service[0] == u->service[0] && c->home[0] == u->home[0] &&
		    c->unit[0] == u->unit[0] && strcmp(c->service, u->service) == 0 &&
		    strcmp(c->home, u->home) == 0 &&
		    strcmp(c->visited, u->visited) == 0 &&
		    strcmp(c->unit, u->unit) == 0) {
			t = c;
			break;
		}
	}
	if (t == NULL) {
		if (tt->n >= RT_EXPORT_TOTALS_MAX)
			return RT_ERR_TOO_BIG;
		t = &tt->t[tt->n++];
		memset(t, 0, sizeof(*t));
		memcpy(t->service, u->service, sizeof(t->service));
		memcpy(t->home, u->home, sizeof(t->home));
		memcpy(t->visited, u->visited, sizeof(t->visited));
		memcpy(t->unit, u->unit, sizeof(t->unit));
	}
	if (amount_minor < 0 || amount_minor > RT_AMOUNT_MAX - t->amount_minor ||
	    u->quantity > UINT64_MAX - t->quantity)
		return RT_ERR_TOO_BIG;
	t->records++;
	t->quantity += u->quantity;
	t->amount_minor += amount_minor;
	tt->records++;
	if (unpriced) {
		t->unpriced_records++;
		tt->unpriced++;
	}
	return 0;
}

int
rt_csv_append_field(struct rt_buf *out, const char *s)
{
	const char *q;
	int r;

	if (strpbrk(s, ",\"\r\n") == NULL)
		return rt_buf_append_str(out, s);
	if ((r = rt_buf_append_u8(out, '"')) != 0)
		return r;
	while ((q = strchr(s, '"')) != NULL) {
		if ((r = rt_buf_append(out, s, (size_t)(q - s + 1))) != 0 ||
		    (r = rt_buf_append_u8(out, '"')) != 0)
			return r;
		s = q + 1;
	}
	if ((r = rt_buf_append_str(out, s)) != 0)
		return r;
	return rt_buf_append_u8(out, '"');
}

int
rt_export_csv_begin(const struct rt_export_header *h, struct rt_buf *out)
{
	char ps[RT_TIME_STR_LEN + 1], pe[RT_TIME_STR_LEN + 1], ca[RT_TIME_STR_LEN + 1];

	rt_time_format(h->period_start, ps);
	rt_time_format(h->period_end, pe);
	rt_time_format(h->created_at, ca);
	/* realms, UUID, currency and times need no quoting (schema) */
	return rt_buf_printf(out, RT_EXPORT_CSV_HEADER "\r\n"
	    "export,,,,,,,,%s,%s,,,,id=%s issuer=%s partner=%s currency=%s created=%s,\r\n",
	    ps, pe, h->id, h->issuer, h->partner, h->currency, ca);
}

int
rt_export_csv_record(const struct rt_usage_record *u, int64_t amount_minor,
    const char *unpriced, struct rt_buf *out)
{
	char start[RT_TIME_STR_LEN + 1], end[RT_TIME_STR_LEN + 1];
	const char *text[] = {u->id, u->agreement_ref, u->assertion_ref,
	    u->subscriber, u->home, u->visited, u->service, u->call_id};
	int r;

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if ((r = rt_csv_append_field(out, text[i])) != 0 ||
		    (r = rt_buf_append_u8(out, ',')) != 0)
			return r;
	rt_time_format(u->start, start);
	rt_time_format(u->end, end);
	if ((r = rt_buf_printf(out, "%s,%s,%" PRIu64 ",", start, end, u->quantity)) != 0 ||
	    (r = rt_csv_append_field(out, u->unit)) != 0 ||
	    (r = rt_buf_printf(out, ",%" PRId64 ",", amount_minor)) != 0)
		return r;
	for (int i = 0; i < u->nflags && i < RT_FLAGS_MAX; i++)
		if ((i > 0 && (r = rt_buf_append_u8(out, ' ')) != 0) ||
		    (r = rt_csv_append_field(out, u->flags[i])) != 0)
			return r;
	if ((r = rt_buf_append_u8(out, ',')) != 0 ||
	    (unpriced != NULL && (r = rt_csv_append_field(out, unpriced)) != 0))
		return r;
	return rt_buf_append_str(out, "\r\n");
}

int
rt_export_csv_end(const struct rt_export_header *h,
    const struct rt_export_total *totals, size_t ntotals, struct rt_buf *out)
{
	char ps[RT_TIME_STR_LEN + 1], pe[RT_TIME_STR_LEN + 1];
	int r;

	rt_time_format(h->period_start, ps);
	rt_time_format(h->period_end, pe);
	for (size_t i = 0; i < ntotals; i++) {
		const struct rt_export_total *t = &totals[i];

		if ((r = rt_buf_printf(out, "total,,,,%s,%s,%s,,%s,%s,%" PRIu64
		    ",%s,%" PRId64 ",records=%" PRIu64 ",%" PRIu64 "\r\n",
		    t->home, t->visited, t->service, ps, pe, t->quantity, t->unit,
		    t->amount_minor, t->records, t->unpriced_records)) != 0)
			return r;
	}
	return 0;
}

int
rt_export_file_sha256(FILE *f, uint8_t digest[RT_SHA256_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t *chunk = NULL;
	size_t n;
	int r = RT_ERR_CRYPTO;

	if ((chunk = malloc(FILE_CHUNK)) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = fread(chunk, 1, FILE_CHUNK, f)) > 0)
		if (EVP_DigestUpdate(md, chunk, n) != 1)
			goto out;
	if (ferror(f)) {
		r = RT_ERR_IO;
		goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1)
		goto out;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	free(chunk);
	return r;
}

int
rt_export_sign_file(const struct rt_signer *signer, const char *path,
    const char *sigpath)
{
	struct rt_buf sig;
	int r;

	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	if ((r = rt_cms_sign_file(signer, path, RT_CMS_EMBED_CERT, &sig)) == 0)
		r = rt_file_write(sigpath, sig.data, sig.len, 0644, 0);
	rt_buf_fini(&sig);
	return r;
}

int
rt_export_verify_file(struct rt_trust *trust, FILE *f, const char *sigpath,
    time_t now, struct rt_cms_signers *signers, uint8_t digest[RT_SHA256_LEN])
{
	struct rt_buf sig;
	int r;

	memset(signers, 0, sizeof(*signers));
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	if ((r = rt_file_read(sigpath, RT_CMS_SIG_MAX, &sig)) != 0) {
		if (r == RT_ERR_NOT_FOUND)
			r = RT_ERR_SIG_MISSING;
		goto out;
	}
	if (fseeko(f, 0, SEEK_SET) != 0) {
		r = RT_ERR_IO;
		goto out;
	}
	if ((r = rt_export_file_sha256(f, digest)) != 0 ||
	    (r = rt_cms_verify_digest(trust, digest, sig.data, sig.len, now,
	    signers)) != 0)
		goto out;
	if (signers->count != 1) {
		r = RT_ERR_SIGNERS;
		goto out;
	}
 out:
	if (r != 0)
		memset(signers, 0, sizeof(*signers));
	rt_buf_fini(&sig);
	return r;
}
