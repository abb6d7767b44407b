/*
 * head.c — classifier heads kept apart from the encoder (head.h): the
 * feature list, head.safetensors read and written, and the forward pass
 * (a linear layer or a ReLU MLP, on the host, through the CPU engine's
 * GEMM: B · D · H multiply-adds, a rounding error beside the encoder).
 */
#include "bert/head.h"

#include "bert/cpu.h"
#include "bert/safetensors.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bert_features_parse(const char *spec, int L, struct bert_features *f, char *err, size_t errlen)
{
	const char *p = spec;

	f->n = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[32];
		if (n == 0 || n >= sizeof item) {
			snprintf(err, errlen, "features '%s': empty or overlong item", spec);
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (f->n == BERT_HEAD_MAX_FEATURES) {
			snprintf(err, errlen, "features '%s': more than %d items", spec, BERT_HEAD_MAX_FEATURES);
			return -1;
		}
		int layer = L, max = 0;
		char *at = strchr(item, '@');
		if (at) {
			char *end;
			long v = strtol(at + 1, &end, 10);
			if (*end || end == at + 1 || v < 1 || v > L) {
				snprintf(err, errlen, "features '%s': '%s' names no layer 1..%d", spec, item, L);
				return -1;
			}
			layer = (int)v;
			*at = '\0';
		}
		if (strcmp(item, "max") == 0)
			max = 1;
		else if (strcmp(item, "mean") != 0) {
			snprintf(err, errlen, "features '%s': '%s' is not mean, max, mean@N or max@N", spec, item);
			return -1;
		}
		f->f[f->n].layer = layer;
		f->f[f->n].max = max;
		f->n++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (f->n == 0) {
		snprintf(err, errlen, "features: empty list");
		return -1;
	}
	return 0;
}

void bert_features_format(const struct bert_features *f, int L, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < f->n && used < len; i++) {
		const char *what = f->f[i].max ? "max" : "mean";
		if (f->f[i].layer == L)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", what);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%s@%d", i ? "," : "", what, f->f[i].layer);
	}
}

/* Copy tensor name of shape (d0[, d1]) into a new array; NULL + err if
 * absent (optional: no error) or of another shape. */
static float *take(const safetensors *st, const char *path, const char *name, int d0, int d1, int optional,
		   char *err, size_t errlen)
{
	const struct safetensors_tensor *t = safetensors_find(st, name);
	if (!t) {
		if (!optional)
			snprintf(err, errlen, "%s: missing tensor '%s'", path, name);
		return NULL;
	}
	int ok = d1 ? t->ndim == 2 && t->shape[0] == d0 && t->shape[1] == d1 : t->ndim == 1 && t->shape[0] == d0;
	if (!ok) {
		char shape[128];
		safetensors_shape_str(t, shape, sizeof shape);
		if (d1)
			snprintf(err, errlen, "%s: tensor '%s' has shape %s, expected [%d, %d]", path, name, shape, d0, d1);
		else
			snprintf(err, errlen, "%s: tensor '%s' has shape %s, expected [%d]", path, name, shape, d0);
		return NULL;
	}
	float *v = xmalloc(sizeof(float) * (size_t)(t->numel ? t->numel : 1));
	char why[300];
	if (safetensors_to_f32(t, v, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(v);
		return NULL;
	}
	return v;
}

int bert_head_load(struct bert_head *h, const char *path, int C, int L, char *err, size_t errlen)
{
	safetensors *st = safetensors_open(path, err, errlen);
	const char *fmt, *labels, *feat, *enc;
	char why[300];

	memset(h, 0, sizeof *h);
	if (!st)
		return -1;
	fmt = safetensors_meta(st, "format");
	labels = safetensors_meta(st, "labels");
	feat = safetensors_meta(st, "features");
	enc = safetensors_meta(st, "encoder");
	if (!fmt || strcmp(fmt, BERT_HEAD_FORMAT) != 0) {
		snprintf(err, errlen, "%s: metadata \"format\" is %s%s%s, not \"%s\" (write heads with herd-train)", path,
			 fmt ? "\"" : "", fmt ? fmt : "missing", fmt ? "\"" : "", BERT_HEAD_FORMAT);
		goto fail;
	}
	if (bert_features_parse(feat ? feat : "mean", L, &h->feat, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	h->D = h->feat.n * C;
	if (!labels || !*labels) {
		snprintf(err, errlen, "%s: metadata \"labels\" is missing", path);
		goto fail;
	}
	for (const char *p = labels; *p;) {
		size_t n = strcspn(p, ",");
		if (h->K == BERT_MAX_LABELS || n == 0 || n >= BERT_LABEL_LEN) {
			snprintf(err, errlen, "%s: metadata \"labels\" '%s': empty or overlong label, or over %d labels",
				 path, labels, BERT_MAX_LABELS);
			goto fail;
		}
		memcpy(h->labels[h->K], p, n);
		h->labels[h->K++][n] = '\0';
		p += n + (p[n] == ',');
	}
	if (enc)
		snprintf(h->encoder, sizeof h->encoder, "%s", enc);
	const struct safetensors_tensor *hw = safetensors_find(st, "hidden.weight");
	if (hw) {
		if (hw->ndim != 2 || hw->shape[1] != h->D || hw->shape[0] < 1 || hw->shape[0] > 65536) {
			snprintf(err, errlen, "%s: tensor 'hidden.weight' is not (H, %d) for features '%s'", path, h->D,
				 feat ? feat : "mean");
			goto fail;
		}
		h->H = (int)hw->shape[0];
		if (!(h->w1 = take(st, path, "hidden.weight", h->H, h->D, 0, err, errlen)) ||
		    !(h->b1 = take(st, path, "hidden.bias", h->H, 0, 0, err, errlen)))
			goto fail;
	}
	int in = h->H ? h->H : h->D;
	if (!(h->w2 = take(st, path, "classifier.weight", h->K, in, 0, err, errlen)) ||
	    !(h->b2 = take(st, path, "classifier.bias", h->K, 0, 0, err, errlen)))
		goto fail;
	safetensors_close(st);
	return 0;
fail:
	safetensors_close(st);
	bert_head_release(h);
	return -1;
}

void bert_head_release(struct bert_head *h)
{
	free(h->w1), free(h->b1), free(h->w2), free(h->b2);
	h->w1 = h->b1 = h->w2 = h->b2 = NULL;
}

int bert_head_save(const struct bert_head *h, const char *path, int L, int f16, char *err, size_t errlen)
{
	char labels[BERT_MAX_LABELS * BERT_LABEL_LEN] = "", feat[256];
	struct safetensors_out t[4];
	int n = 0, in = h->H ? h->H : h->D;

	for (int k = 0; k < h->K; k++) {
		if (k)
			strcat(labels, ",");
		strcat(labels, h->labels[k]);
	}
	bert_features_format(&h->feat, L, feat, sizeof feat);
	const char *meta[] = {"format", BERT_HEAD_FORMAT, "labels", labels, "features", feat, "encoder", h->encoder};
	if (h->H) {
		t[n++] = (struct safetensors_out){"hidden.weight", 2, {h->H, h->D}, h->w1, f16};
		t[n++] = (struct safetensors_out){"hidden.bias", 1, {h->H}, h->b1, f16};
	}
	t[n++] = (struct safetensors_out){"classifier.weight", 2, {h->K, in}, h->w2, f16};
	t[n++] = (struct safetensors_out){"classifier.bias", 1, {h->K}, h->b2, f16};
	return safetensors_write(path, t, n, meta, 4, err, errlen);
}

void bert_head_forward(const struct bert_head *h, int B, const float *feats, float *logits)
{
	/* Two GEMMs over the batch (the CPU engine's): as scalar dot products
	 * per text the head of the default model (2,688 features, 640 hidden)
	 * took 5% of a batch's time for 0.1% of its FLOPs. */
	float *z = NULL;

	if (h->H) {
		z = xmalloc(sizeof(float) * (size_t)B * h->H);
		bert_cpu_matmul(z, feats, h->w1, h->b1, B, h->D, h->H);
		for (size_t i = 0; i < (size_t)B * h->H; i++)
			z[i] = z[i] > 0 ? z[i] : 0;
	}
	bert_cpu_matmul(logits, h->H ? z : feats, h->w2, h->b2, B, h->H ? h->H : h->D, h->K);
	free(z);
}
