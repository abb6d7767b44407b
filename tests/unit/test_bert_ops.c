/*
 * test_bert_ops.c — src/bert's small parts against their oracles: every
 * fast CPU op (cpu.c) against its plain-loop `_ref` twin on random data,
 * the blocked fallback GEMM, the int8 projection (quant.c: the same
 * integers as its plain loops, and within the quantization's own bound of
 * the fp32 product), the bf16 projection (matmul.c: within float
 * summation of its plain loops, within bf16's rounding bound of fp32, the
 * same bytes on every worker; skipped without AVX512_BF16, whose refusal
 * is checked instead), SHA-256 against FIPS 180-4's examples, and
 * the JSON reader (minijson.c) on good and bad text.
 */
#include "bert/cpu.h"
#include "bert/matmul.h"
#include "bert/minijson.h"
#include "bert/quant.h"
#include "bert/sha256.h"
#include "test.h"

#include <stdlib.h>

/* Tolerances, |fast - ref| <= ATOL + RTOL·|ref|. The ref ops accumulate in
 * double with libm's expf/erff; the fast ones in float with polynomial
 * exp/erf (~1e-7 relative) and the GEMM library's blocked sums, so their
 * error grows like eps_float · sqrt(K) · |values|: these bounds sit ~10x
 * over the largest differences seen on these shapes. */
#define MATMUL_ATOL 1e-5
#define MATMUL_RTOL 1e-5
#define ELEMENTWISE_ATOL 1e-6 /* gelu, softmax: values of order 1 */
#define ELEMENTWISE_RTOL 1e-5
#define LAYERNORM_ATOL 1e-5   /* normalized values of order 1, scaled by g ~ 1 */
#define ATTENTION_ATOL 1e-5

static unsigned long long rng = 88172645463325252ULL;
static float frand(void) /* uniform in [-1, 1) */
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}
static float *rnd(size_t n, float scale)
{
	float *x = malloc(n * sizeof *x);
	for (size_t i = 0; i < n; i++)
		x[i] = frand() * scale;
	return x;
}
static float *dup(const float *x, size_t n)
{
	float *y = malloc(n * sizeof *y);
	memcpy(y, x, n * sizeof *y);
	return y;
}

/* Max |a - ref| and whether every element is within atol + rtol·|ref|. */
static int close_all(const float *a, const float *ref, size_t n, double atol, double rtol, double *maxdiff)
{
	int ok = 1;
	*maxdiff = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - ref[i]);
		if (d > *maxdiff || d != d)
			*maxdiff = d != d ? INFINITY : d;
		if (!(d <= atol + rtol * fabs(ref[i])))
			ok = 0;
	}
	return ok;
}

/* Σ_k |x_k w_k| over a row of x and a row of w: what a dot product's
 * rounding is bounded by. */
static double abs_dot(const float *x, const float *w, int n)
{
	double t = 0;
	for (int k = 0; k < n; k++)
		t += fabs((double)x[k] * w[k]);
	return t;
}

static void test_matmul(void)
{
	const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {64, 96, 32}, {130, 48, 200}};
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int M = shapes[s][0], IC = shapes[s][1], OC = shapes[s][2];
		float *x = rnd((size_t)M * IC, 1), *w = rnd((size_t)OC * IC, 1), *b = rnd(OC, 1);
		float *got = malloc(sizeof(float) * M * OC), *ref = malloc(sizeof(float) * M * OC), *blk = malloc(sizeof(float) * M * OC);
		double md;
		bert_cpu_matmul(got, x, w, b, M, IC, OC);
		bert_cpu_matmul_ref(ref, x, w, b, M, IC, OC);
		CHECK(close_all(got, ref, (size_t)M * OC, MATMUL_ATOL, MATMUL_RTOL, &md),
		      "matmul %dx%dx%d (%s) matches the ref: max diff %g", M, IC, OC, bert_cpu_gemm_name(), md);
		bert_cpu_sgemm_nt_blocked(M, OC, IC, x, IC, w, IC, blk, OC);
		for (int i = 0; i < M; i++)
			for (int o = 0; o < OC; o++)
				blk[(size_t)i * OC + o] += b[o];
		CHECK(close_all(blk, ref, (size_t)M * OC, MATMUL_ATOL, MATMUL_RTOL, &md),
		      "the blocked fallback sgemm %dx%dx%d matches the ref: max diff %g", M, IC, OC, md);
		free(x), free(w), free(b), free(got), free(ref), free(blk);
	}
}

/* int8: the fast matmul equals the plain loops bit for bit (the same
 * quantization, integer sums, the same dequantization), at the weight
 * bits this CPU takes and at 7; and each output is within the bound the
 * rounding allows: with x ≈ lo + sa·qa (|err| <= sa/2) and w ≈ sw·qw
 * (|err| <= sw/2), |Σ x w - Σ x̃ w̃| <= Σ_k (|x_k| sw/2 + |w_k| sa/2 + sa sw/4),
 * plus QUANT_SLACK for the float sums of either side. */
#define QUANT_SLACK 1e-4

static void test_quant(void)
{
	const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {64, 96, 32}, {130, 384, 200}};
	int bits;
	char name[160], err[200];

	if (bert_quant_supported(&bits, name, sizeof name, err, sizeof err) < 0) {
		CHECK(strstr(err, "oneDNN") != NULL, "a build without int8 says why: %s", err);
		return;
	}
	for (int b = 0; b < 2; b++, bits = 7)
		for (size_t s = 0; s < sizeof shapes / sizeof shapes[0] * 2; s++) {
			int M = shapes[s / 2][0], IC = shapes[s / 2][1], OC = shapes[s / 2][2];
			int G = s % 2 ? (IC % 4 == 0 ? 4 : IC % 3 == 0 ? 3 : 1) : 1; /* rows in 1 range, or several */
			float *x = rnd((size_t)M * IC, 2), *w = rnd((size_t)OC * IC, 0.1f);
			for (int i = 0; i < M * IC; i += 3)
				x[i] = fabsf(x[i]); /* rows not centred on 0, as GELU's are */
			float *got = malloc(sizeof(float) * M * OC), *ref = malloc(sizeof(float) * M * OC);
			float *f32 = malloc(sizeof(float) * M * OC), *sc = malloc(sizeof(float) * 2 * BERT_QUANT_MAX_GROUPS * M);
			uint8_t *qa = malloc((size_t)M * IC);
			int32_t *acc = malloc(sizeof(int32_t) * M * OC);
			struct bert_qweight q;
			bert_qweight_init(&q, w, OC, IC, bits, G);
			bert_quant_matmul(got, x, M, &q, qa, acc, sc);
			bert_quant_matmul_ref(ref, x, M, &q);
			CHECK(memcmp(got, ref, sizeof(float) * M * OC) == 0,
			      "int8 matmul %dx%dx%d, %d-bit weights, %d range(s) a row (%s): the same bytes as the plain loops",
			      M, IC, OC, bits, q.G, name);
			bert_cpu_matmul_ref(f32, x, w, NULL, M, IC, OC);
			int ok = 1;
			double worst = 0;
			for (int i = 0; i < M; i++) {
				float lo = x[(size_t)i * IC], hi = lo;
				for (int k = 0; k < IC; k++) {
					lo = x[(size_t)i * IC + k] < lo ? x[(size_t)i * IC + k] : lo;
					hi = x[(size_t)i * IC + k] > hi ? x[(size_t)i * IC + k] : hi;
				}
				double sa = hi > lo ? (hi - lo) / 255.0 : 0;
				for (int o = 0; o < OC; o++) {
					double bound = QUANT_SLACK;
					for (int k = 0; k < IC; k++) {
						double sw = q.scale[(size_t)(k / (IC / q.G)) * OC + o]; /* its group's */
						bound += fabs(x[(size_t)i * IC + k]) * sw / 2 + fabs(w[(size_t)o * IC + k]) * sa / 2 +
							 sa * sw / 4;
					}
					double d = fabs(got[(size_t)i * OC + o] - f32[(size_t)i * OC + o]);
					worst = d / bound > worst ? d / bound : worst;
					ok &= d <= bound;
				}
			}
			CHECK(ok, "int8 matmul %dx%dx%d, %d-bit weights, %d range(s) a row: within the rounding bound of fp32 "
				  "(worst %.2f of it; a row's range bounds each group's, and each group has its weight scales)", M, IC, OC, bits, q.G, worst);
			bert_qweight_free(&q);
			free(x), free(w), free(got), free(ref), free(f32), free(sc), free(qa), free(acc);
		}
}

/* fp32 through oneDNN's matmul on packed weights (gemm.c's candidate
 * "matmul"): within the worst-case bound of float summation, K · 2^-24 ·
 * Σ_k |x_k w_k| (Higham's γ_K; the shapes here reach K = 384, past what
 * MATMUL_ATOL was set on: 1.5e-5 seen under oneDNN's SSE4.1 cap), far
 * under a wrong layout's errors; and the same bytes on either worker
 * (issue 18). */
static void test_mm_f32(void)
{
	const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {64, 96, 32}, {130, 384, 200}, {256, 384, 1152}};
	char err[300];
	struct bert_mm *e = bert_mm_new(BERT_MM_F32, 2, 256, err, sizeof err);

	if (!e) {
		CHECK(strstr(err, "oneDNN") != NULL, "fp32 matmul refused here, saying why: %s", err);
		return;
	}
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int M = shapes[s][0], IC = shapes[s][1], OC = shapes[s][2];
		float *x = rnd((size_t)M * IC, 1), *w = rnd((size_t)OC * IC, 1);
		float *got = malloc(sizeof(float) * M * OC), *got1 = malloc(sizeof(float) * M * OC);
		float *ref = malloc(sizeof(float) * M * OC);
		struct bert_mm_weight q;
		int ok = bert_mm_weight_init(e, &q, w, OC, IC, OC, err, sizeof err) == 0;
		CHECK(ok, "fp32 packed weight %dx%d: %s", OC, IC, ok ? "made" : err);
		if (!ok)
			continue;
		bert_mm_run(e, 0, got, x, M, &q);
		bert_mm_run(e, 1, got1, x, M, &q);
		bert_cpu_matmul_ref(ref, x, w, NULL, M, IC, OC);
		double worst = 0;
		ok = 1;
		for (int i = 0; i < M; i++)
			for (int o = 0; o < OC; o++) {
				double bound = abs_dot(x + (size_t)i * IC, w + (size_t)o * IC, IC) * IC * 0x1p-24;
				double d = fabs((double)got[(size_t)i * OC + o] - ref[(size_t)i * OC + o]);
				worst = d / bound > worst ? d / bound : worst;
				ok &= d <= bound;
			}
		CHECK(ok, "fp32 matmul on packed weights %dx%dx%d (%s) within float summation's bound of the ref (worst "
			  "%.3f of it)", M, IC, OC, bert_mm_info(e), worst);
		CHECK(memcmp(got, got1, sizeof(float) * M * OC) == 0,
		      "fp32 matmul %dx%dx%d: the same bytes on either worker", M, IC, OC);
		bert_mm_weight_free(&q);
		free(x), free(w), free(got), free(got1), free(ref);
	}
	/* a panel of output columns (cpu.c packs wide projections so): w's
	 * rows [48, 144) of (200, 384) into out's columns [48, 144), rows 200
	 * apart; the rest of out as it was */
	{
		int M = 130, IC = 384, OC = 200, c0 = 48, pw = 96;
		float *x = rnd((size_t)M * IC, 1), *w = rnd((size_t)OC * IC, 1);
		float *got = malloc(sizeof(float) * M * OC), *ref = malloc(sizeof(float) * M * OC);
		struct bert_mm_weight q;
		int ok = bert_mm_weight_init(e, &q, w + (size_t)c0 * IC, pw, IC, OC, err, sizeof err) == 0;
		CHECK(ok, "fp32 packed panel %dx%d of %d columns: %s", pw, IC, OC, ok ? "made" : err);
		if (ok) {
			for (int i = 0; i < M * OC; i++)
				got[i] = -7.0f;
			bert_mm_run(e, 1, got + c0, x, M, &q);
			bert_cpu_matmul_ref(ref, x, w, NULL, M, IC, OC);
			int inside = 1, outside = 1;
			for (int i = 0; i < M; i++)
				for (int o = 0; o < OC; o++) {
					double d = fabs((double)got[(size_t)i * OC + o] - ref[(size_t)i * OC + o]);
					if (o >= c0 && o < c0 + pw)
						inside &= d <= abs_dot(x + (size_t)i * IC, w + (size_t)o * IC, IC) * IC * 0x1p-24;
					else
						outside &= got[(size_t)i * OC + o] == -7.0f;
				}
			CHECK(inside && outside, "fp32 matmul into a panel of columns [%d, %d) of %d: the panel's sums "
			      "(within float summation's bound of the ref: %s), the other columns untouched (%s)", c0, c0 + pw, OC,
			      inside ? "yes" : "no", outside ? "yes" : "no");
			bert_mm_weight_free(&q);
		}
		free(x), free(w), free(got), free(ref);
	}
	bert_mm_free(e);
}

/* bf16: the same bf16 inputs summed in float by oneDNN and in double by
 * the plain loops differ by float's rounding of the sums (~1e-6 on these
 * shapes, values of order 1): BF16_SUM_TOL sits ~100x over it and far
 * under a wrong layout's errors (order 1). Against fp32, each input's
 * rounding is within 2^-9 of it, so |Σ x w - Σ x̃ w̃| <= Σ_k |x_k w_k|
 * (2^-8 + 2^-18), plus BF16_SUM_TOL. */
#define BF16_SUM_TOL 1e-4

static void test_bf16(void)
{
	const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {64, 96, 32}, {130, 384, 200}, {256, 384, 1152}};
	char err[300];

	CHECK(bert_bf16_round(1.0f) == 1.0f && bert_bf16_round(1.0f + 0x1p-8f) == 1.0f &&
		      bert_bf16_round(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f && bert_bf16_round(-1.0f - 0x1p-7f) == -1.0f - 0x1p-7f,
	      "bf16 rounds to the nearest, ties to even");
	setenv("HERD_CPU_NO_BF16", "1", 1);
	struct bert_mm *e = bert_mm_new(BERT_MM_BF16, 2, 256, err, sizeof err);
	CHECK(!e && strstr(err, "AVX512_BF16") && strstr(err, "HERD_CPU_NO_BF16"),
	      "HERD_CPU_NO_BF16=1 refuses bf16 as a CPU without it would: %s", err);
	bert_mm_free(e);
	unsetenv("HERD_CPU_NO_BF16");
	if (!(e = bert_mm_new(BERT_MM_BF16, 2, 256, err, sizeof err))) {
		CHECK(strstr(err, "AVX512_BF16") || strstr(err, "oneDNN"), "bf16 refused here, saying why: %s", err);
		return;
	}
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int M = shapes[s][0], IC = shapes[s][1], OC = shapes[s][2];
		float *x = rnd((size_t)M * IC, 2), *w = rnd((size_t)OC * IC, 0.1f);
		float *got = malloc(sizeof(float) * M * OC), *got1 = malloc(sizeof(float) * M * OC);
		float *ref = malloc(sizeof(float) * M * OC), *f32 = malloc(sizeof(float) * M * OC);
		struct bert_mm_weight q;
		double md;
		int ok = bert_mm_weight_init(e, &q, w, OC, IC, OC, err, sizeof err) == 0;
		CHECK(ok, "bf16 weight %dx%d: %s", OC, IC, ok ? "made" : err);
		if (!ok)
			continue;
		bert_mm_run(e, 0, got, x, M, &q);
		bert_mm_run(e, 1, got1, x, M, &q);
		bert_bf16_matmul_ref(ref, x, M, w, OC, IC);
		CHECK(close_all(got, ref, (size_t)M * OC, BF16_SUM_TOL, 0, &md),
		      "bf16 matmul %dx%dx%d (%s) matches its plain loops: max diff %g", M, IC, OC, bert_mm_info(e), md);
		CHECK(memcmp(got, got1, sizeof(float) * M * OC) == 0, "bf16 matmul %dx%dx%d: the same bytes on either worker",
		      M, IC, OC);
		bert_cpu_matmul_ref(f32, x, w, NULL, M, IC, OC);
		ok = 1;
		double worst = 0;
		for (int i = 0; i < M; i++)
			for (int o = 0; o < OC; o++) {
				double bound = BF16_SUM_TOL + abs_dot(x + (size_t)i * IC, w + (size_t)o * IC, IC) * (0x1p-8 + 0x1p-18);
				double d = fabs(got[(size_t)i * OC + o] - f32[(size_t)i * OC + o]);
				worst = d / bound > worst ? d / bound : worst;
				ok &= d <= bound;
			}
		CHECK(ok, "bf16 matmul %dx%dx%d: within bf16's rounding bound of fp32 (worst %.2f of it)", M, IC, OC, worst);
		bert_mm_weight_free(&q);
		free(x), free(w), free(got), free(got1), free(ref), free(f32);
	}
	bert_mm_free(e);
}

static void test_elementwise(void)
{
	int N = 37, C = 96, I = 200;
	double md;

	/* GELU over the range that matters, including |x| > 4 where erf saturates */
	float *h = rnd((size_t)N * I, 6), *bias = rnd(I, 1), *h2 = dup(h, (size_t)N * I);
	bert_cpu_bias_gelu(h, bias, N, I);
	bert_cpu_bias_gelu_ref(h2, bias, N, I);
	CHECK(close_all(h, h2, (size_t)N * I, ELEMENTWISE_ATOL, ELEMENTWISE_RTOL, &md),
	      "bias + GELU matches the erff ref: max diff %g", md);
	free(h), free(h2), free(bias);

	/* softmax of rows with large spreads (attention scores reach ±30) */
	for (int T = 1; T <= 130; T += 43) {
		float *s = rnd((size_t)N * T, 30), *s2 = dup(s, (size_t)N * T);
		bert_cpu_softmax(s, N, T);
		bert_cpu_softmax_ref(s2, N, T);
		CHECK(close_all(s, s2, (size_t)N * T, ELEMENTWISE_ATOL, ELEMENTWISE_RTOL, &md),
		      "softmax of rows of %d matches the expf ref: max diff %g", T, md);
		free(s), free(s2);
	}

	/* add + LayerNorm, with an offset mean so the variance pass matters */
	float *x = rnd((size_t)N * C, 3), *y = rnd((size_t)N * C, 2), *b = rnd(C, 1), *g = rnd(C, 1), *beta = rnd(C, 1);
	for (int i = 0; i < N * C; i++)
		x[i] += 5;
	float *x2 = dup(x, (size_t)N * C);
	bert_cpu_add_layernorm(x, y, b, g, beta, N, C, 1e-12f);
	bert_cpu_add_layernorm_ref(x2, y, b, g, beta, N, C, 1e-12f);
	CHECK(close_all(x, x2, (size_t)N * C, LAYERNORM_ATOL, 0, &md), "add + LayerNorm matches the ref: max diff %g", md);
	bert_cpu_add_layernorm(x, NULL, NULL, g, beta, N, C, 1e-5f);
	bert_cpu_add_layernorm_ref(x2, NULL, NULL, g, beta, N, C, 1e-5f);
	CHECK(close_all(x, x2, (size_t)N * C, LAYERNORM_ATOL, 0, &md), "LayerNorm alone matches the ref: max diff %g", md);
	free(x), free(x2), free(y), free(b), free(g), free(beta);
}

static void test_attention(void)
{
	int C = 48, NH = 4, B = 5;
	int offsets[] = {0, 1, 18, 21, 61, 131}; /* lengths 1, 17, 3 (loops), 40, 70 (GEMMs) */
	int N = offsets[B];
	float *qkv = rnd((size_t)N * 3 * C, 2), *qb = rnd(3 * C, 1), *qkv2 = dup(qkv, (size_t)N * 3 * C);
	float *ctx = malloc(sizeof(float) * N * C), *ref = malloc(sizeof(float) * N * C), *scratch = malloc(sizeof(float) * 70 * (70 + 48));
	double md;

	bert_cpu_attention(ctx, qkv, qb, B, offsets, C, NH, NULL, scratch);
	bert_cpu_attention_ref(ref, qkv2, qb, B, offsets, C, NH, NULL);
	CHECK(close_all(ctx, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
	      "packed attention (lengths 1, 17, 3, 40, 70) matches the ref: max diff %g", md);
	/* a sequence of one token attends to itself only: ctx = its V + bias */
	int ok = 1;
	for (int i = 0; i < C; i++)
		ok &= fabsf(ref[i] - (qkv2[2 * C + i] + qb[2 * C + i])) < 1e-6f;
	CHECK(ok, "a one-token sequence's context is its own value vector");
	free(qkv), free(qb), free(qkv2), free(ctx), free(ref), free(scratch);

	/* past 256 tokens the query rows go in blocks of 64 (no T x T scores):
	 * lengths 300 (blocks of 64, the last 44) and 257 (the last block 1) */
	int off2[] = {0, 300, 557};
	N = off2[2];
	qkv = rnd((size_t)N * 3 * C, 2), qb = rnd(3 * C, 1), qkv2 = dup(qkv, (size_t)N * 3 * C);
	ctx = malloc(sizeof(float) * N * C), ref = malloc(sizeof(float) * N * C);
	scratch = malloc(sizeof(float) * 300 * (64 + 48));
	bert_cpu_attention(ctx, qkv, qb, 2, off2, C, NH, NULL, scratch);
	bert_cpu_attention_ref(ref, qkv2, qb, 2, off2, C, NH, NULL);
	CHECK(close_all(ctx, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
	      "attention in blocks of query rows (lengths 300, 257; scratch 300 x (64 + C)) matches the ref: max diff %g",
	      md);
	free(qkv), free(qb), free(qkv2), free(ctx), free(ref), free(scratch);
}

/* The fused short-sequence kernel (heads of 32 and 64, up to 256 tokens):
 * lengths that leave every tail (query rows past a block of 4, keys past a
 * whole vector and past a block of vectors), one token, and 256 itself,
 * beside one past it (the GEMM path); scores of a spread up to ~±40. And
 * each sequence's context does not depend on its neighbours in the batch
 * (what lets any worker take any head and keep the bytes). */
static void test_attention_fused(void)
{
	static const int lens[] = {1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 129, 200, 256, 257};
	int B = (int)(sizeof lens / sizeof lens[0]);
	int offsets[sizeof lens / sizeof lens[0] + 1];
	double md;

	offsets[0] = 0;
	for (int b = 0; b < B; b++)
		offsets[b + 1] = offsets[b] + lens[b];
	for (int HS = 32; HS <= 64; HS *= 2) {
		int NH = 3, C = HS * NH, N = offsets[B];
		float *qkv = rnd((size_t)N * 3 * C, 1.5f), *qb = rnd(3 * C, 0.5f), *qkv2 = dup(qkv, (size_t)N * 3 * C);
		float *qkv3 = dup(qkv, (size_t)N * 3 * C);
		float *ctx = malloc(sizeof(float) * N * C), *ref = malloc(sizeof(float) * N * C);
		float *one = malloc(sizeof(float) * N * C);
		float *scratch = malloc(sizeof(float) * bert_cpu_attention_scratch(257, C));
		float *qkv4 = dup(qkv, (size_t)N * 3 * C);
		bert_cpu_attention(ctx, qkv, qb, B, offsets, C, NH, NULL, scratch);
		bert_cpu_attention_ref(ref, qkv2, qb, B, offsets, C, NH, NULL);
		CHECK(close_all(ctx, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
		      "fused attention, heads of %d, lengths 1..257 matches the ref: max diff %g", HS, md);
		int same = 1;
		for (int b = 0; b < B; b++) {
			int o = offsets[b], off1[2] = {0, lens[b]};
			bert_cpu_attention(one + (size_t)o * C, qkv3 + (size_t)o * 3 * C, qb, 1, off1, C, NH, NULL, scratch);
		}
		same = memcmp(one, ctx, sizeof(float) * (size_t)N * C) == 0;
		CHECK(same, "heads of %d: each sequence alone gives the same bytes as in the batch", HS);
		/* MPNet's position bias inside the fused kernel (its heads are 64) */
		struct bert_config cfg = {.arch = BERT_ARCH_MPNET, .hidden = C, .heads = NH, .max_pos = 514,
					  .pos_offset = 2, .rel_buckets = BERT_RELPOS_BUCKETS};
		float *bias = rnd((size_t)BERT_RELPOS_BUCKETS * NH, 3);
		struct bert_weights w = {.rel_bias = bias};
		struct bert_relpos rp = bert_relpos_new(&cfg, &w);
		memcpy(qkv2, qkv4, sizeof(float) * (size_t)N * 3 * C);
		bert_cpu_attention(ctx, qkv4, qb, B, offsets, C, NH, &rp, scratch);
		bert_cpu_attention_ref(ref, qkv2, qb, B, offsets, C, NH, bias);
		CHECK(close_all(ctx, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
		      "fused attention with MPNet's position bias, heads of %d, matches the ref: max diff %g", HS, md);
		bert_relpos_free(&rp);
		free(bias), free(qkv4);
		free(qkv), free(qb), free(qkv2), free(qkv3), free(ctx), free(ref), free(one), free(scratch);
	}
}

/* MPNet's relative-position bias: the fast attention's table (by head and
 * distance) against the ref's own bucket lookups, on the loop path, the
 * GEMM path and the blocked one (distances past max_distance 128 too). */
static void test_attention_relpos(void)
{
	int C = 48, NH = 4, B = 4;
	int offsets[] = {0, 3, 20, 90, 390}; /* lengths 3, 17 (loops), 70 (GEMMs), 300 (blocks) */
	int N = offsets[B];
	struct bert_config cfg = {.arch = BERT_ARCH_MPNET, .hidden = C, .heads = NH, .max_pos = 514, .pos_offset = 2,
				  .rel_buckets = BERT_RELPOS_BUCKETS};
	float *bias = rnd((size_t)BERT_RELPOS_BUCKETS * NH, 3);
	struct bert_weights w = {.rel_bias = bias};
	struct bert_relpos rp = bert_relpos_new(&cfg, &w);
	float *qkv = rnd((size_t)N * 3 * C, 2), *qb = rnd(3 * C, 1), *qkv2 = dup(qkv, (size_t)N * 3 * C);
	float *ctx = malloc(sizeof(float) * N * C), *ref = malloc(sizeof(float) * N * C), *plain = malloc(sizeof(float) * N * C);
	float *scratch = malloc(sizeof(float) * 300 * (64 + 48));
	double md;

	CHECK(rp.table && rp.span == 511, "the bias table spans 511 tokens either way (MPNet's 514 positions)");
	bert_cpu_attention(ctx, qkv, qb, B, offsets, C, NH, &rp, scratch);
	bert_cpu_attention_ref(ref, qkv2, qb, B, offsets, C, NH, bias);
	CHECK(close_all(ctx, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
	      "attention with MPNet's position bias (lengths 3, 17, 70, 300) matches the ref: max diff %g", md);
	bert_cpu_attention_ref(plain, qkv2, qb, B, offsets, C, NH, NULL);
	CHECK(!close_all(plain, ref, (size_t)N * C, ATTENTION_ATOL, ELEMENTWISE_RTOL, &md),
	      "the bias changes the result (max diff %g without it)", md);
	/* buckets: 0..7 exact, keys after the query in the upper 16, log-spaced, capped at 128 */
	CHECK(bert_relpos_bucket(0) == 0 && bert_relpos_bucket(-7) == 7 && bert_relpos_bucket(1) == 17 &&
		      bert_relpos_bucket(-16) == 10 && bert_relpos_bucket(16) == 26 && bert_relpos_bucket(-64) == 14 &&
		      bert_relpos_bucket(127) == 31 && bert_relpos_bucket(-500) == 15,
	      "relative-position buckets as MPNet's (0, -7, 1, -16, 16, -64, 127, -500)");
	bert_relpos_free(&rp);
	free(bias), free(qkv), free(qb), free(qkv2), free(ctx), free(ref), free(plain), free(scratch);
}

static void test_sha256(void)
{
	static const struct {
		const char *msg;
		const char *hex;
	} v[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	unsigned char d[32];
	char hex[65];
	struct sha256 s;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		sha256_init(&s);
		sha256_update(&s, v[i].msg, strlen(v[i].msg));
		sha256_final(&s, d);
		sha256_hex(d, 32, hex);
		CHECK_STR(hex, v[i].hex, "SHA-256 of a FIPS 180-4 example");
	}
	/* a million 'a', fed in uneven pieces to cross block boundaries */
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 997 + 1)
		sha256_update(&s, a + off, off + step > 1000000 ? 1000000 - off : step);
	sha256_final(&s, d);
	sha256_hex(d, 32, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		  "SHA-256 of a million 'a' in uneven pieces");
	sha256_hex(d, 4, hex);
	CHECK_STR(hex, "cdc76e5c", "the model hash is the first 8 hex digits");
	free(a);
}

static void test_minijson(void)
{
	static const char good[] = " {\"a\": [1, -2.5e3, true, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"n\": {\"k\": 9007199254740993}, \"a\": 2} ";
	char err[200];
	mjson_doc *d = mjson_parse(good, strlen(good), err, sizeof err);
	CHECK(d != NULL, "a valid document parses (%s)", d ? "" : err);
	if (d) {
		const struct mjson *r = mjson_root(d), *a = mjson_get(r, "a");
		int64_t k = 0;
		const char *s = NULL;
		CHECK(a && a->type == MJSON_ARRAY && a->len == 4, "the first of repeated keys is found, an array of 4");
		CHECK(a && a->child->next->num == -2500 && !a->child->next->is_int, "-2.5e3 is a real -2500");
		CHECK(mjson_get_str(r, "s", &s) == 1 && strcmp(s, "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0,
		      "\\u escapes and a surrogate pair decode to UTF-8");
		CHECK(mjson_get_int(mjson_get(r, "n"), "k", &k) == 1 && k == 9007199254740993LL,
		      "integers beyond 2^53 keep every digit");
		CHECK(mjson_get_int(r, "s", &k) == -1, "a string is not an integer");
		CHECK(mjson_get_int(r, "zz", &k) == 0, "an absent key says so");
		mjson_free(d);
	}
	static const char *const bad[] = {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"\\x\"", "01", "[1] x",
					  "\"\\ud800\"", "tru", "\"a\x01\"", "\"\xff\"", "\"\xc0\xaf\"",
					  "\"\xed\xa0\x80\"", "\"\xe2\x82\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = mjson_parse(bad[i], strlen(bad[i]), err, sizeof err);
		CHECK(d == NULL && strncmp(err, "byte ", 5) == 0, "bad JSON '%s' is refused with its place: %s", bad[i],
		      d ? "(parsed)" : err);
		mjson_free(d);
	}
	char deep[200];
	memset(deep, '[', sizeof deep);
	d = mjson_parse(deep, sizeof deep, err, sizeof err);
	CHECK(d == NULL && strstr(err, "nested deeper"), "nesting past the limit is refused, not a stack overflow: %s",
	      err);
}

int main(void)
{
	test_matmul();
	test_quant();
	test_mm_f32();
	test_bf16();
	test_elementwise();
	test_attention();
	test_attention_fused();
	test_attention_relpos();
	test_sha256(); /* with the SHA extensions where the CPU has them */
	sha256_force_plain = 1;
	test_sha256(); /* the plain C rounds */
	sha256_force_plain = 0;
	test_minijson();
	return test_report();
}
