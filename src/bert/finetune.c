/*
 * finetune.c — the training loop and its checkpoints (finetune.h).
 *
 * A step: the batch's sequences packed back to back (no padding), the
 * gradients of the trained tensors zeroed, LoRA's adapted weights formed,
 * forward + backward (train.c) with a dropout key made of the seed and
 * the step, the adapters' gradients taken, AdamW. The batches of epoch e
 * are a permutation drawn from (seed, e). The checkpoint holds, for each
 * trained tensor, "param.", "m.", "v." and "best." arrays, and in its
 * metadata the epoch done, the step, the early-stopping state and the
 * loss history; it is written under a temporary name and renamed, so a
 * kill leaves the previous one whole.
 */
#include "bert/finetune.h"

#include "bert/lora.h"
#include "bert/safetensors.h"
#include "bert/errs.h"
#include "lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ batches */

struct packed {
	int32_t *ids;
	int *offsets, *labels;
	size_t cap_n, cap_b;
};

/* Pack the sequences idx[0..B) of s. */
static void pack(struct packed *p, const struct bert_ft_set *s, const size_t *idx, int B)
{
	size_t N = 0;
	for (int b = 0; b < B; b++)
		N += (size_t)s->lens[idx[b]];
	p->ids = xgrow(p->ids, N ? N : 1, &p->cap_n, sizeof *p->ids);
	if ((size_t)B + 1 > p->cap_b) {
		p->cap_b = (size_t)B + 1;
		p->offsets = xrealloc(p->offsets, sizeof(int) * p->cap_b);
		p->labels = xrealloc(p->labels, sizeof(int) * p->cap_b);
	}
	p->offsets[0] = 0;
	for (int b = 0; b < B; b++) {
		size_t i = idx[b];
		memcpy(p->ids + p->offsets[b], s->ids[i], sizeof(int32_t) * (size_t)s->lens[i]);
		p->offsets[b + 1] = p->offsets[b] + s->lens[i];
		p->labels[b] = s->labels ? s->labels[i] : 0;
	}
}

static void packed_free(struct packed *p)
{
	free(p->ids), free(p->offsets), free(p->labels);
}

double bert_ft_eval(struct bert_trainer *t, const struct bert_ft_set *s, int batch, int *pred)
{
	struct packed p = {0};
	size_t *idx = xmalloc(sizeof(size_t) * (size_t)batch);
	int K = 0;
	float *lg = NULL;
	double sum = 0;
	for (size_t b0 = 0; b0 < s->n; b0 += (size_t)batch) {
		int B = s->n - b0 < (size_t)batch ? (int)(s->n - b0) : batch;
		for (int b = 0; b < B; b++)
			idx[b] = b0 + (size_t)b;
		pack(&p, s, idx, B);
		if (!lg) {
			K = BERT_MAX_LABELS;
			lg = xmalloc(sizeof(float) * (size_t)batch * K);
		}
		sum += B * bert_trainer_step(t, B, p.ids, p.offsets, p.labels, NULL, 0, 0, 1.0f, lg);
		if (pred) {
			int k = bert_trainer_labels(t);
			for (int b = 0; b < B; b++) {
				int best = 0;
				for (int j = 1; j < k; j++)
					best = lg[(size_t)b * k + j] > lg[(size_t)b * k + best] ? j : best;
				pred[b0 + (size_t)b] = best;
			}
		}
	}
	free(idx), free(lg);
	packed_free(&p);
	return s->n ? sum / (double)s->n : 0;
}

/* ------------------------------------------------------------ checkpoints */

struct state {
	int epoch;        /* epochs done */
	long step;
	double best_loss;
	int best_epoch, since;
	float *best;      /* (P) the best epoch's parameters (trained tensors only) */
	struct bert_ft_result *res;
};

static void history_str(const struct bert_ft_result *r, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < r->nhist && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d:%.17g:%.17g:%.17g", i ? ";" : "",
					 r->hist[i].epoch, r->hist[i].train_loss, r->hist[i].val_loss, r->hist[i].val_acc);
}

static int ckpt_write(const char *path, const struct bert_tmodel *m, const struct bert_adamw *a,
		      const struct state *s, const char *fingerprint, char *err, size_t errlen)
{
	int n = 0;
	for (int i = 0; i < m->nt; i++)
		n += m->frozen[i] == BERT_TRAINED;
	struct safetensors_out *t = xcalloc((size_t)n * 4, sizeof *t);
	char (*names)[112] = xcalloc((size_t)n * 4, sizeof *names);
	int k = 0;
	static const char *const what[4] = {"param", "m", "v", "best"};
	for (int i = 0; i < m->nt; i++) {
		if (m->frozen[i] != BERT_TRAINED)
			continue;
		const struct bert_tensor *x = &m->t[i];
		const float *src[4] = {m->param + x->off, a->m + x->off, a->v + x->off, s->best + x->off};
		for (int w = 0; w < 4; w++, k++) {
			snprintf(names[k], sizeof names[k], "%s.%s", what[w], x->name);
			t[k] = (struct safetensors_out){names[k], 1, {(int64_t)x->n}, src[w], 0};
		}
	}
	char epoch[32], step[32], best[64], best_epoch[32], since[32], *hist = xmalloc(64 * BERT_FT_MAX_EPOCHS + 1);
	snprintf(epoch, sizeof epoch, "%d", s->epoch);
	snprintf(step, sizeof step, "%ld", s->step);
	snprintf(best, sizeof best, "%.17g", s->best_loss);
	snprintf(best_epoch, sizeof best_epoch, "%d", s->best_epoch);
	snprintf(since, sizeof since, "%d", s->since);
	history_str(s->res, hist, 64 * BERT_FT_MAX_EPOCHS + 1);
	const char *meta[] = {"format", BERT_CKPT_FORMAT, "fingerprint", fingerprint ? fingerprint : "",
			      "epoch", epoch, "step", step, "best_loss", best, "best_epoch", best_epoch,
			      "since", since, "history", hist};
	int rc = safetensors_write(path, t, k, meta, 8, err, errlen);
	free(t), free(names), free(hist);
	return rc;
}

static int meta_long(const safetensors *st, const char *path, const char *key, long lo, long hi, long *v, char *err,
		     size_t errlen)
{
	const char *s = safetensors_meta(st, key);
	char *end;
	if (!s)
		return bert_errf(err, errlen, "%s: metadata \"%s\" is missing", path, key);
	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || end == s || *v < lo || *v > hi)
		return bert_errf(err, errlen, "%s: metadata \"%s\" is \"%s\", not an integer in %ld..%ld", path, key, s, lo, hi);
	return 0;
}

/* Restore m, a and s from path. Returns 1 when restored, 0 when there is
 * no checkpoint, -1 with err on a bad or foreign one (nothing changed). */
static int ckpt_read(const char *path, struct bert_tmodel *m, struct bert_adamw *a, struct state *s,
		     const char *fingerprint, int max_epochs, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? 0 : bert_errf(err, errlen, "%s: %s", path, strerror(errno));
	fclose(f);
	safetensors *st = safetensors_open(path, err, errlen);
	if (!st)
		return -1;
	const char *fmt = safetensors_meta(st, "format"), *fp = safetensors_meta(st, "fingerprint");
	long epoch, step, best_epoch, since;
	int rc = -1;
	if (!fmt || strcmp(fmt, BERT_CKPT_FORMAT) != 0) {
		bert_errf(err, errlen, "%s: not a herd-train checkpoint (metadata \"format\" is not \"%s\")", path,
		     BERT_CKPT_FORMAT);
		goto out;
	}
	if (!fp || strcmp(fp, fingerprint ? fingerprint : "") != 0) {
		bert_errf(err, errlen, "%s: made by another run (model, data or settings differ: fingerprint %.16s, this "
		     "run's %.16s); remove it or give another --checkpoint", path, fp ? fp : "none",
		     fingerprint ? fingerprint : "none");
		goto out;
	}
	if (meta_long(st, path, "epoch", 1, max_epochs, &epoch, err, errlen) < 0 ||
	    meta_long(st, path, "step", 1, 1L << 50, &step, err, errlen) < 0 ||
	    meta_long(st, path, "best_epoch", 1, epoch, &best_epoch, err, errlen) < 0 ||
	    meta_long(st, path, "since", 0, epoch, &since, err, errlen) < 0)
		goto out;
	const char *bl = safetensors_meta(st, "best_loss"), *hist = safetensors_meta(st, "history");
	char *end;
	double best_loss = bl ? strtod(bl, &end) : NAN;
	if (!bl || *end || !isfinite(best_loss) || !hist) {
		bert_errf(err, errlen, "%s: metadata \"best_loss\" or \"history\" is missing or bad", path);
		goto out;
	}
	/* check every tensor before changing anything */
	static const char *const what[4] = {"param", "m", "v", "best"};
	int n = 0;
	for (int i = 0; i < m->nt; i++) {
		if (m->frozen[i] != BERT_TRAINED)
			continue;
		for (int w = 0; w < 4; w++) {
			char name[112];
			snprintf(name, sizeof name, "%s.%s", what[w], m->t[i].name);
			const struct safetensors_tensor *t = safetensors_find(st, name);
			if (!t || t->dtype != ST_F32 || t->ndim != 1 || (size_t)t->numel != m->t[i].n) {
				bert_errf(err, errlen, "%s: tensor '%s' is %s (this run trains %zu values there)", path, name,
				     t ? "of another dtype or shape" : "missing", m->t[i].n);
				goto out;
			}
			n++;
		}
	}
	if (n != safetensors_count(st)) {
		bert_errf(err, errlen, "%s: %d tensors, this run's checkpoint has %d", path, safetensors_count(st), n);
		goto out;
	}
	for (int i = 0; i < m->nt; i++) {
		if (m->frozen[i] != BERT_TRAINED)
			continue;
		float *dst[4] = {m->param + m->t[i].off, a->m + m->t[i].off, a->v + m->t[i].off, s->best + m->t[i].off};
		for (int w = 0; w < 4; w++) {
			char name[112], why[256];
			snprintf(name, sizeof name, "%s.%s", what[w], m->t[i].name);
			if (safetensors_to_f32(safetensors_find(st, name), dst[w], why, sizeof why) < 0) {
				bert_errf(err, errlen, "%s: %s", path, why);
				goto out;
			}
		}
	}
	s->epoch = (int)epoch, s->step = step, s->best_loss = best_loss, s->best_epoch = (int)best_epoch;
	s->since = (int)since;
	a->step = step;
	s->res->nhist = 0;
	for (const char *p = hist; *p && s->res->nhist < BERT_FT_MAX_EPOCHS;) {
		struct bert_ft_epoch *e = &s->res->hist[s->res->nhist];
		if (sscanf(p, "%d:%lf:%lf:%lf", &e->epoch, &e->train_loss, &e->val_loss, &e->val_acc) != 4)
			break;
		e->seconds = -1; /* an earlier run's: not kept (the checkpoint's bytes depend on nothing but the run) */
		s->res->nhist++;
		p = strchr(p, ';');
		if (!p)
			break;
		p++;
	}
	rc = 1;
out:
	safetensors_close(st);
	return rc;
}

/* ------------------------------------------------------------ the loop */

static void copy_trained(const struct bert_tmodel *m, float *dst, const float *src)
{
	for (int i = 0; i < m->nt; i++)
		if (m->frozen[i] == BERT_TRAINED)
			memcpy(dst + m->t[i].off, src + m->t[i].off, sizeof(float) * m->t[i].n);
}

int bert_finetune(struct bert_tmodel *m, const struct bert_ft_set *tr, const struct bert_ft_set *va,
		  const struct bert_ft_opts *o, struct bert_ft_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	if (o->epochs < 1 || o->epochs > BERT_FT_MAX_EPOCHS || o->batch < 1 || tr->n == 0)
		return bert_errf(err, errlen, "finetune: needs 1..%d epochs, a batch of 1 or more and training examples",
			    BERT_FT_MAX_EPOCHS);
	struct bert_lora_train *lt = m->lora_rank > 0 ? bert_lora_train_new(m, o->lora_alpha, o->seed) : NULL;
	struct bert_optim_opts oo = o->optim;
	size_t per_epoch = (tr->n + (size_t)o->batch - 1) / (size_t)o->batch;
	oo.total = (long)per_epoch * o->epochs;
	if (!oo.warmup)
		oo.warmup = (long)llround(o->warmup_frac * (double)oo.total);
	struct bert_adamw *a = bert_adamw_new(&oo, m->P);
	struct state s = {.best_loss = INFINITY, .res = res};
	s.best = xmalloc(sizeof(float) * m->P);
	copy_trained(m, s.best, m->param);
	if (o->resume && o->checkpoint) {
		int r = ckpt_read(o->checkpoint, m, a, &s, o->fingerprint, o->epochs, err, errlen);
		if (r < 0) {
			bert_adamw_free(a), bert_lora_train_free(lt), free(s.best);
			return -1;
		}
		res->resumed_from = r ? s.epoch : 0;
	}
	struct bert_trainer *t = bert_trainer_new(m, o->threads, o->hidden_dropout, o->attn_dropout);
	struct packed p = {0};
	size_t *order = xmalloc(sizeof(size_t) * tr->n);
	double t_start = now();
	int rc = 0;

	for (int e = s.epoch + 1; e <= o->epochs && s.since < o->patience; e++) {
		double t0 = now(), sum = 0;
		uint64_t z = mix64(o->seed ^ mix64((uint64_t)e));
		for (size_t i = 0; i < tr->n; i++)
			order[i] = i;
		for (size_t i = tr->n; i > 1; i--) { /* Fisher-Yates from (seed, epoch) */
			z = mix64(z);
			size_t j = (size_t)(z % i), x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
		for (size_t b0 = 0; b0 < tr->n; b0 += (size_t)o->batch) {
			int B = tr->n - b0 < (size_t)o->batch ? (int)(tr->n - b0) : o->batch;
			pack(&p, tr, order + b0, B);
			for (int i = 0; i < m->nt; i++)
				if (m->frozen[i] != BERT_FROZEN)
					memset(m->grad + m->t[i].off, 0, sizeof(float) * m->t[i].n);
			if (lt)
				bert_lora_form(lt, m);
			double l = bert_trainer_step(t, B, p.ids, p.offsets, p.labels, &o->loss, 1,
						     mix64(o->seed * 0x632BE59BD9B4E019ULL + (uint64_t)s.step), 1.0f, NULL);
			if (lt)
				bert_lora_backward(lt, m);
			bert_adamw_step(a, m);
			s.step++;
			sum += l * B;
			if (o->on_batch)
				o->on_batch(b0 + (size_t)B, tr->n, l, o->arg);
		}
		if (lt)
			bert_lora_form(lt, m);
		struct bert_ft_epoch ep = {.epoch = e, .train_loss = sum / (double)tr->n};
		int *pred = xmalloc(sizeof(int) * (va->n ? va->n : 1));
		ep.val_loss = bert_ft_eval(t, va, o->batch, pred);
		size_t right = 0;
		for (size_t i = 0; i < va->n; i++)
			right += pred[i] == va->labels[i];
		free(pred);
		ep.val_acc = va->n ? (double)right / (double)va->n : 0;
		ep.seconds = now() - t0;
		int best = ep.val_loss < s.best_loss;
		if (best) {
			s.best_loss = ep.val_loss, s.best_epoch = e, s.since = 0;
			copy_trained(m, s.best, m->param);
		} else {
			s.since++;
		}
		s.epoch = e;
		if (res->nhist < BERT_FT_MAX_EPOCHS)
			res->hist[res->nhist++] = ep;
		if (o->checkpoint && ckpt_write(o->checkpoint, m, a, &s, o->fingerprint, err, errlen) < 0) {
			rc = -1;
			break;
		}
		if (o->on_epoch)
			o->on_epoch(&ep, best, o->arg);
	}
	if (rc == 0) {
		copy_trained(m, m->param, s.best);
		if (lt)
			bert_lora_form(lt, m);
		res->epochs_run = s.epoch;
		res->best_epoch = s.best_epoch;
		res->best_val_loss = s.best_loss;
		res->steps = s.step;
		res->seconds = now() - t_start;
	}
	free(order);
	packed_free(&p);
	bert_trainer_free(t);
	bert_adamw_free(a);
	bert_lora_train_free(lt);
	free(s.best);
	return rc;
}
