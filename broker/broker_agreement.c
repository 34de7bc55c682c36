/*
 * The roaming agreements a broker holds: loaded from its folder at start,
 * each verified like any signed document (both realms signed, with valid
 * certificates; we are one of the two). Lookups check validity at the time
 * of use, so an agreement that ends stops counting without a reload.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "rt_file.h"
#include "rt_log.h"

#define AGREEMENTS_MAX 1024

static int
agreement_load_one(const char *dir, const char *name, struct rt_trust *trust,
    const char *self, time_t now, struct rt_agreement *a,
    struct rt_preflight *report)
{
	struct rt_doc_ctx ctx = {trust, self, now, 300, 0};
	struct rt_buf xml, sig;
	char path[1024], sigpath[1100];
	int r;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if ((r = rt_file_read(path, RT_XML_MAX, &xml)) == 0) {
		r = rt_file_read(sigpath, RT_CMS_SIG_MAX, &sig);
		if (r == RT_ERR_NOT_FOUND)
			r = RT_ERR_SIG_MISSING;
	}
	if (r == 0)
		r = rt_agreement_decode(&ctx, xml.data, xml.len, sig.data, sig.len, a);
	if (r != 0) {
		log_warn("event=agreement_refused file=%s reason=%s", path,
		    rt_errname(r));
		if (report != NULL)
			rt_preflight_warn(report, "broker", "agreements", path,
			    "refused: %s", rt_strerror(r));
	} else
		log_info("event=agreement_loaded id=%s home=%s visited=%s file=%s",
		    a->id, a->home, a->visited, path);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
	return r;
}

int
broker_agreements_load(const char *dir, struct rt_trust *trust, const char *self,
    time_t now, struct broker_agreements *out, struct rt_preflight *report)
{
	struct dirent **names = NULL;
	int n, r = 0;

	memset(out, 0, sizeof(*out));
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		log_err("event=agreements_unreadable dir=%s", dir);
		return RT_ERR_NOT_FOUND;
	}
	if ((out->list = calloc(AGREEMENTS_MAX, sizeof(*out->list))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (len < 5 || strcmp(name + len - 4, ".xml") != 0 || name[0] == '.')
			continue;
		if (out->n >= AGREEMENTS_MAX) {
			log_warn("event=agreements_over_cap max=%d", AGREEMENTS_MAX);
			break;
		}
		if (agreement_load_one(dir, name, trust, self, now,
		    &out->list[out->n], report) == 0)
			out->n++;
	}
 out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int
broker_agreements_reload(struct broker *b)
{
	struct broker_agreements fresh, old;
	int r;

	if ((r = broker_agreements_load(b->config->agreements_dir, b->trust,
	    b->config->realm, rt_time_now(), &fresh, NULL)) != 0)
		return r;
	pthread_rwlock_wrlock(&b->agreements_lock);
	old = b->agreements;
	b->agreements = fresh;
	pthread_rwlock_unlock(&b->agreements_lock);
	broker_agreements_fini(&old);
	log_info("event=agreements_loaded count=%zu", fresh.n);
	return 0;
}

size_t
broker_agreement_count(struct broker *b)
{
	size_t n;

	pthread_rwlock_rdlock(&b->agreements_lock);
	n = b->agreements.n;
	pthread_rwlock_unlock(&b->agreements_lock);
	return n;
}

void
broker_agreements_fini(struct broker_agreements *a)
{
	if (a == NULL)
		return;
	free(a->list);
	a->list = NULL;
	a->n = 0;
}

static int
agreement_valid_with(const struct rt_agreement *a, const char *peer, time_t now)
{
	if (strcmp(a->home, peer) != 0 && strcmp(a->visited, peer) != 0)
		return 0;
	return now >= a->not_before && now < a->not_on_or_after;
}

int
broker_agreement_find(struct broker *b, const char *peer, time_t now,
    struct rt_agreement *out)
{
	int r = RT_ERR_NO_AGREEMENT;

	pthread_rwlock_rdlock(&b->agreements_lock);
	for (size_t i = 0; i < b->agreements.n; i++) {
		if (agreement_valid_with(&b->agreements.list[i], peer, now)) {
			*out = b->agreements.list[i];
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&b->agreements_lock);
	return r;
}

int
broker_agreement_for(struct broker *b, const char *home, const char *visited,
    time_t now, struct rt_agreement *out)
{
	int r = RT_ERR_NO_AGREEMENT;

	pthread_rwlock_rdlock(&b->agreements_lock);
	for (size_t i = 0; i < b->agreements.n; i++) {
		const struct rt_agreement *a = &b->agreements.list[i];

		if (strcmp(a->home, home) == 0 && strcmp(a->visited, visited) == 0 &&
		    now >= a->not_before && now < a->not_on_or_after) {
			*out = *a;
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&b->agreements_lock);
	return r;
}

int
broker_agreement_ids(struct broker *b, const char *peer, time_t now,
    char (*ids)[RT_ID_MAX], int max)
{
	int count = 0;

	pthread_rwlock_rdlock(&b->agreements_lock);
	for (size_t i = 0; i < b->agreements.n && count < max; i++)
		if (agreement_valid_with(&b->agreements.list[i], peer, now))
			memcpy(ids[count++], b->agreements.list[i].id, RT_ID_MAX);
	pthread_rwlock_unlock(&b->agreements_lock);
	return count;
}

int
broker_agreement_get(struct broker *b, const char *id, time_t now,
    struct rt_agreement *out)
{
	int r = RT_ERR_NO_AGREEMENT;

	pthread_rwlock_rdlock(&b->agreements_lock);
	for (size_t i = 0; i < b->agreements.n; i++) {
		const struct rt_agreement *a = &b->agreements.list[i];

		if (strcmp(a->id, id) == 0 && now >= a->not_before &&
		    now < a->not_on_or_after) {
			*out = *a;
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&b->agreements_lock);
	return r;
}
