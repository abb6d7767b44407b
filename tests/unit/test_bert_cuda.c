/*
 * test_bert_cuda.c — the CUDA backend's side of the CPU fallback: the
 * backend loads (lib/libherd-cuda.so in herd's build, cuda_load.c); without
 * a usable device its probe says so in one line and its create fails
 * cleanly with that reason (model.c then runs the CPU path); shapes the
 * kernels cannot take are refused before any device call. On a GPU
 * machine the probe must name the device and a tiny model must set up and
 * fill every output of struct bert_out (MPNet too). Numerical checks of
 * the backend are in scripts/gpu-check.sh (GPU only).
 * Skipped (exit 77) in builds without CUDA (no nvcc, or SAN=1).
 */
#include "test.h"

#if defined(HERD_CUDA) || defined(HERD_CUDA_DLOPEN)
#include "bert/cuda.h"

#include <stdlib.h>

/* A tiny model: every tensor filled with the same small value. */
static float *tiny_weights(struct bert_config *c, struct bert_weights *w, struct bert_layer_weights *lw)
{
	const size_t C = c->hidden, I = c->intermediate;
	const size_t n = (c->vocab + c->max_pos + 16) * C + 8 * C * C + 4 * I * C + 16 * C + 2 * I; /* room for all */
	float *v = calloc(n, sizeof(float)), *p = v;

	for (size_t i = 0; i < n; i++)
		v[i] = 0.01f;
	w->word_emb = p, p += c->vocab * C;
	w->pos_emb = p, p += c->max_pos * C;
	w->type_emb = p, p += 2 * C;
	w->emb_ln_g = p, p += C;
	w->emb_ln_b = p, p += C;
	lw->qkv_w = p, p += 3 * C * C;
	lw->qkv_b = p, p += 3 * C;
	lw->attn_out_w = p, p += C * C;
	lw->attn_out_b = p, p += C;
	lw->ln1_g = p, p += C;
	lw->ln1_b = p, p += C;
	lw->ffn_in_w = p, p += I * C;
	lw->ffn_in_b = p, p += I;
	lw->ffn_out_w = p, p += C * I;
	lw->ffn_out_b = p, p += C;
	lw->ln2_g = p, p += C;
	lw->ln2_b = p, p += C;
	w->layer = lw;
	w->pool_w = p, p += C * C;
	w->pool_b = p, p += C;
	w->cls_w = p, p += 3 * C;
	w->cls_b = p;
	return v;
}

int main(void)
{
	struct bert_config c = {.vocab = 50, .hidden = 32, .layers = 1, .heads = 4, .intermediate = 37,
				.max_pos = 16, .type_vocab = 2, .ln_eps = 1e-12f, .labels = 3};
	struct bert_layer_weights lw;
	struct bert_weights w;
	float *block = tiny_weights(&c, &w, &lw);
	char why[256], name[256], err[512];
	const struct bert_cuda_api *api = bert_cuda_backend_open(why, sizeof why);

	CHECK(api != NULL, "the backend loads: %s", why);
	if (!api)
		return test_report();
	int have = api->probe(why, sizeof why, name, sizeof name);

	if (have) {
		CHECK(name[0] != '\0', "a usable device has a name");
		CHECK(why[0] == '\0', "no reason is given when a device is usable (got \"%s\")", why);
	} else {
		CHECK(why[0] != '\0' && strchr(why, '\n') == NULL, "no device: one line says why (got \"%s\")", why);
		CHECK(strstr(why, "CUDA") != NULL, "the reason names CUDA (got \"%s\")", why);
		CHECK(name[0] == '\0', "no device: no name");
	}

	/* Head size 9: refused before any device call, on any machine. */
	struct bert_config odd = c;
	odd.hidden = 36;
	struct bert_cuda *g = api->create(&odd, &w, BERT_FP16, 4, 64, err, sizeof err);
	CHECK(g == NULL && strstr(err, "head size") != NULL, "hidden 36 with 4 heads is refused (got \"%s\")", err);
	api->destroy(g);

	/* MPNet without its relative-position bias: refused before any device
	 * call, on any machine. */
	struct bert_config mp = c;
	mp.arch = BERT_ARCH_MPNET, mp.pos_offset = 2, mp.type_vocab = 0, mp.rel_buckets = 32;
	mp.pooling = BERT_POOL_MEAN;
	g = api->create(&mp, &w, BERT_FP16, 4, 64, err, sizeof err);
	CHECK(g == NULL && strstr(err, "relative-position bias") != NULL,
	      "MPNet without rel_bias is refused (got \"%s\")", err);
	api->destroy(g);

	/* A model the kernels take: set up when a device exists, else the
	 * probe's reason comes back and nothing leaks (SAN=1 builds have no
	 * CUDA, so the leak check is the GPU machine's compute-sanitizer). */
	for (int prec = BERT_FP32; prec <= BERT_BF16; prec++) {
		err[0] = '\0';
		g = api->create(&c, &w, (enum bert_precision)prec, 4, 64, err, sizeof err);
		if (have) {
			CHECK(g != NULL, "a tiny model sets up on %s (precision %d): %s", name, prec, err);
		} else {
			CHECK(g == NULL, "no device: bert_cuda_new fails");
			CHECK(strcmp(err, why) == 0, "no device: the error is the probe's reason (got \"%s\")", err);
		}
		if (g) {
			const int32_t ids[5] = {1, 2, 3, 4, 5};
			const int offsets[3] = {0, 2, 5};
			float logits[6], pooled[64], mean[64], max[64];
			struct bert_out out = {.logits = logits, .pooled = pooled, .layer_mean = mean, .last_max = max};
			CHECK(api->run(g, 2, ids, offsets, &out, err, sizeof err) == 0, "a batch runs: %s", err);
			/* equal weights: every label gets the same logit */
			CHECK_NEAR(logits[0], logits[1], 1e-3, "equal weights give equal logits");
			const int bad[3] = {0, 2, 19}; /* checked before any id is read */
			struct bert_out lo = {.logits = logits};
			CHECK(api->run(g, 2, ids, bad, &lo, err, sizeof err) == -1 &&
				      strstr(err, "17 tokens") != NULL,
			      "a sequence over max_pos is refused (got \"%s\")", err);
		}
		api->destroy(g);
	}

	/* MPNet, mean pooled: the pooled vector is the last layer's mean
	 * (the same kernel over the same states) and the maximum bounds it */
	float rel[32 * 4];
	for (int i = 0; i < 32 * 4; i++)
		rel[i] = 0.01f * (float)(i % 7);
	struct bert_weights wm = w;
	wm.type_emb = NULL, wm.rel_bias = rel, wm.pool_w = wm.pool_b = wm.cls_w = wm.cls_b = NULL;
	mp.labels = 0;
	for (int prec = BERT_FP32; prec <= BERT_BF16 && have; prec++) {
		g = api->create(&mp, &wm, (enum bert_precision)prec, 4, 64, err, sizeof err);
		CHECK(g != NULL, "MPNet sets up on %s (precision %d): %s", name, prec, err);
		if (!g)
			continue;
		const int32_t ids[5] = {0, 7, 1, 9, 2}; /* id 1: MPNet's pad, position 1 */
		const int offsets[3] = {0, 2, 5};
		float pooled[64], mean[64], max[64], hidden[5 * 32];
		struct bert_out out = {.pooled = pooled, .layer_mean = mean, .last_max = max, .hidden = hidden};
		CHECK(api->run(g, 2, ids, offsets, &out, err, sizeof err) == 0, "an MPNet batch runs: %s", err);
		int same = 1, bounded = 1;
		for (int i = 0; i < 64; i++) {
			same &= mean[i] == pooled[i];
			bounded &= max[i] >= mean[i] - 1e-6f;
		}
		CHECK(same, "layer_mean of the last (only) layer is the pooled vector");
		CHECK(bounded, "the last layer's max is at least its mean");
		api->destroy(g);
	}
	api->destroy(NULL);
	free(block);
	return test_report();
}
#else
int main(void)
{
	printf("skip: built without CUDA (no nvcc, or SAN=1)\n");
	return 77;
}
#endif
