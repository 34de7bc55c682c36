#include "rt_frame.h"

#include <stdio.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_log.h"

#define HEADER_FIXED (4 + 1 + 1 + 2 + RT_FRAME_ID_LEN * 2 + 8)

static int
put_realm(struct rt_buf *out, const char *realm)
{
	size_t len = strlen(realm);
	int r;

	if (len == 0 || len >= RT_REALM_MAX)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_buf_append_u8(out, (uint8_t)len)) != 0)
		return r;
	return rt_buf_append(out, realm, len);
}

int
rt_frame_build(const struct rt_signer *signer, const struct rt_frame_out *fo,
    struct rt_buf *out, uint8_t *idp)
{
	static const uint8_t zero[RT_FRAME_ID_LEN];
	uint8_t id[RT_FRAME_ID_LEN];
	struct rt_buf sig;
	size_t start = out->len, siglen_at;
	int r;

	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	if (fo->nitems < 1 || fo->nitems > RT_FRAME_MAX_ITEMS ||
	    (fo->kind != RT_FRAME_REQUEST && fo->kind != RT_FRAME_REPLY)) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if ((r = rt_random_bytes(id, sizeof(id))) != 0 ||
	    (r = rt_buf_append(out, RT_FRAME_MAGIC, 4)) != 0 ||
	    (r = rt_buf_append_u8(out, RT_FRAME_VERSION)) != 0 ||
	    (r = rt_buf_append_u8(out, (uint8_t)fo->kind)) != 0 ||
	    (r = rt_buf_append_be16(out, 0)) != 0 ||
	    (r = rt_buf_append(out, id, sizeof(id))) != 0 ||
	    (r = rt_buf_append(out, fo->ref != NULL ? fo->ref : zero,
	    RT_FRAME_ID_LEN)) != 0 ||
	    (r = rt_buf_append_be64(out, fo->timestamp_ms ? fo->timestamp_ms :
	    rt_time_now_ms())) != 0 ||
	    (r = put_realm(out, signer->realm)) != 0 ||
	    (r = put_realm(out, fo->recipient)) != 0 ||
	    (r = rt_buf_append_be16(out, (uint16_t)fo->nitems)) != 0)
		goto out;
	for (int i = 0; i < fo->nitems; i++) {
		const struct rt_frame_item *it = &fo->items[i];

		if (it->len > RT_FRAME_MAX_ITEM) {
			r = RT_ERR_TOO_BIG;
			goto out;
		}
		if ((r = rt_buf_append_be32(out, it->id)) != 0 ||
		    (r = rt_buf_append_be32(out, (uint32_t)it->len)) != 0 ||
		    (r = rt_buf_append(out, it->data, it->len)) != 0)
			goto out;
	}
	siglen_at = out->len;
	if ((r = rt_cms_sign(signer, out->data + start, siglen_at - start,
	    fo->embed_cert ? RT_CMS_EMBED_CERT : 0, &sig)) != 0 ||
	    (r = rt_buf_append_be32(out, (uint32_t)sig.len)) != 0 ||
	    (r = rt_buf_append(out, sig.data, sig.len)) != 0)
		goto out;
	if (idp != NULL)
		memcpy(idp, id, sizeof(id));
 out:
	if (r != 0)
		out->len = start;
	rt_buf_fini(&sig);
	return r;
}

/* A bounds-checked reader over the frame bytes. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static int
take(struct reader *rd, size_t n, const uint8_t **pp)
{
	if (n > rd->left)
		return RT_ERR_BAD_INPUT;
	*pp = rd->p;
	rd->p += n;
	rd->left -= n;
	return 0;
}

static int
take_uint(struct reader *rd, size_t n, uint64_t *vp)
{
	const uint8_t *p;
	uint64_t v = 0;
	int r;

	if ((r = take(rd, n, &p)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	*vp = v;
	return 0;
}

static int
take_realm(struct reader *rd, char out[RT_REALM_MAX])
{
	const uint8_t *p;
	uint64_t len;
	int r;

	if ((r = take_uint(rd, 1, &len)) != 0 || len == 0 || len >= RT_REALM_MAX ||
	    (r = take(rd, (size_t)len, &p)) != 0)
		return RT_ERR_BAD_INPUT;
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	/*
	 * A realm on the wire must be one; also keeps NULs and controls out of
	 * logs. A NUL inside would cut the string to a valid prefix.
	 */
	return memchr(p, '\0', (size_t)len) == NULL && rt_realm_valid(out) ? 0 :
	    RT_ERR_BAD_INPUT;
}

int
rt_frame_parse(const uint8_t *buf, size_t len, size_t max, struct rt_frame *frame)
{
	struct reader rd = {buf, len};
	const uint8_t *p;
	uint64_t v, count, siglen;
	int r;

	memset(frame, 0, offsetof(struct rt_frame, items));
	frame->nitems = 0;
	frame->signed_data = frame->sig = NULL;
	frame->signed_len = frame->siglen = 0;
	if (max == 0)
		max = RT_FRAME_MAX;
	if (len > max)
		return RT_ERR_TOO_BIG;
	if (len < RT_FRAME_MIN || memcmp(buf, RT_FRAME_MAGIC, 4) != 0)
		return RT_ERR_BAD_INPUT;
	rd.p += 4;
	rd.left -= 4;
	if ((r = take_uint(&rd, 1, &v)) != 0 || v != RT_FRAME_VERSION)
		return RT_ERR_BAD_INPUT;
	frame->version = (uint8_t)v;
	if ((r = take_uint(&rd, 1, &v)) != 0 ||
	    (v != RT_FRAME_REQUEST && v != RT_FRAME_REPLY))
		return RT_ERR_BAD_INPUT;
	frame->kind = (uint8_t)v;
	if ((r = take_uint(&rd, 2, &v)) != 0 || v != 0)
		return RT_ERR_BAD_INPUT;	/* no flags defined yet */
	if ((r = take(&rd, RT_FRAME_ID_LEN, &p)) != 0)
		return r;
	memcpy(frame->id, p, RT_FRAME_ID_LEN);
	if ((r = take(&rd, RT_FRAME_ID_LEN, &p)) != 0)
		return r;
	memcpy(frame->ref, p, RT_FRAME_ID_LEN);
	if ((r = take_uint(&rd, 8, &frame->timestamp_ms)) != 0 ||
	    (r = take_realm(&rd, frame->sender)) != 0 ||
	    (r = take_realm(&rd, frame->recipient)) != 0 ||
	    (r = take_uint(&rd, 2, &count)) != 0)
		return RT_ERR_BAD_INPUT;
	if (count < 1 || count > RT_FRAME_MAX_ITEMS)
		return RT_ERR_BAD_INPUT;
	for (uint64_t i = 0; i < count; i++) {
		struct rt_frame_item *it = &frame->items[i];
		uint64_t id, ilen;

		if (take_uint(&rd, 4, &id) != 0 || take_uint(&rd, 4, &ilen) != 0 ||
		    ilen == 0 || ilen > RT_FRAME_MAX_ITEM ||
		    take(&rd, (size_t)ilen, &it->data) != 0)
			return RT_ERR_BAD_INPUT;
		it->id = (uint32_t)id;
		it->len = (size_t)ilen;
		frame->nitems++;
	}
	frame->signed_data = buf;
	frame->signed_len = len - rd.left;
	if (take_uint(&rd, 4, &siglen) != 0 || siglen == 0 ||
	    siglen > RT_CMS_SIG_MAX || siglen != rd.left ||
	    take(&rd, (size_t)siglen, &frame->sig) != 0)
		return RT_ERR_BAD_INPUT;
	frame->siglen = (size_t)siglen;
	return 0;
}

int
rt_frame_verify(const struct rt_frame_check *check, const struct rt_frame *frame)
{
	struct rt_cms_signers signers;
	uint64_t now_ms = check->now ? (uint64_t)check->now * 1000 : rt_time_now_ms();
	uint64_t skew_ms = (uint64_t)check->skew * 1000;
	int r;

	/* Cheap checks first: no signature work for a frame we would refuse. */
	if (strcmp(frame->recipient, check->self_realm) != 0)
		return RT_ERR_AUDIENCE;
	if (frame->timestamp_ms + skew_ms < now_ms ||
	    frame->timestamp_ms > now_ms + skew_ms)
		return RT_ERR_EXPIRED;
	if ((r = rt_cms_verify(check->trust, frame->signed_data, frame->signed_len,
	    frame->sig, frame->siglen, now_ms / 1000, &signers)) != 0)
		return r;
	if (signers.count != 1 || strcmp(signers.realm[0], frame->sender) != 0)
		return RT_ERR_REALM;
	if (check->replay != NULL &&
	    (r = rt_replay_check(check->replay, frame->id, now_ms)) != 0)
		return r;
	return 0;
}

void
rt_frame_id_hex(const uint8_t *id, char *out)
{
	rt_hex_encode(id, RT_FRAME_ID_LEN, out);
}
