/*
 * quant.c — int8 projections (quant.h).
 */
#include "bert/quant.h"

#include "lib/util.h"

/* as cpu.c: the row loops run ~2x faster at 512 bits where there are */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif

#include "bert/vmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HERD_GEMM_DNNL)
#include <dnnl.h>
#endif

#define ROUNDER 12582912.0f /* 1.5 · 2^23: v + it - it rounds 0 <= v < 2^22 to an integer */


int bert_quant_supported(int *bits, char *name, size_t namelen, char *err, size_t errlen)
{
#if defined(HERD_GEMM_DNNL)
	dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
	const char *iname = isa == dnnl_cpu_isa_avx512_core_amx    ? "avx512_core_amx"
			    : isa == dnnl_cpu_isa_avx512_core_bf16 ? "avx512_core_bf16"
			    : isa == dnnl_cpu_isa_avx512_core_vnni ? "avx512_core_vnni"
			    : isa == dnnl_cpu_isa_avx512_core      ? "avx512_core"
			    : isa == dnnl_cpu_isa_avx2_vnni        ? "avx2_vnni"
			    : isa == dnnl_cpu_isa_avx2             ? "avx2"
								   : "sse41/avx";
	/* VNNI's vpdpbusd sums four u8·s8 products in 32 bits; without it
	 * vpmaddubsw sums two in 16 bits, saturating */
	int vnni = (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni;
	*bits = vnni ? 8 : 7;
	snprintf(name, namelen, "oneDNN u8s8s32 (%s), %d-bit weights", iname, *bits);
	return 0;
#else
	(void)bits, (void)name, (void)namelen;
	return herd_errf(err, errlen, "int8 needs oneDNN's int8 GEMM: this build has none (make GEMM=dnnl)");
#endif
}

void bert_qweight_init(struct bert_qweight *q, const float *w, int OC, int IC, int bits, int groups)
{
	float qmax = (float)((1 << (bits - 1)) - 1);

	if (groups < 1 || groups > BERT_QUANT_MAX_GROUPS || IC % groups != 0)
		groups = 1;
	q->OC = OC, q->IC = IC, q->G = groups;
	q->w = xaligned(64, (size_t)OC * IC);
	q->scale = xmalloc(sizeof(float) * (size_t)groups * OC);
	q->wsum = xcalloc((size_t)groups * OC, sizeof(int32_t));
	int Kg = IC / groups;
	for (int g = 0; g < groups; g++)
		for (int o = 0; o < OC; o++) {
			const float *r = w + (size_t)o * IC + (size_t)g * Kg;
			int8_t *qr = q->w + (size_t)o * IC + (size_t)g * Kg;
			float amax = 0;
			for (int k = 0; k < Kg; k++)
				amax = fabsf(r[k]) > amax ? fabsf(r[k]) : amax;
			float s = amax > 0 ? amax / qmax : 1.0f, inv = 1.0f / s;
			q->scale[(size_t)g * OC + o] = s;
			for (int k = 0; k < Kg; k++) {
				float v = nearbyintf(r[k] * inv);
				qr[k] = (int8_t)(v > qmax ? qmax : v < -qmax ? -qmax : v);
				q->wsum[(size_t)g * OC + o] += qr[k];
			}
		}
}

void bert_qweight_free(struct bert_qweight *q)
{
	if (!q)
		return;
	free(q->w), free(q->scale), free(q->wsum);
	memset(q, 0, sizeof *q);
}

/* A row x (IC) as u8 over its own range: x ≈ lo + s · qa (asymmetric: a
 * GELU output's small negative tail does not cost half the codes). */
static void quant_row(uint8_t *qa, const float *x, int IC, float *s_out, float *lo_out)
{
	float lo = vmin(x, IC), hi = vmax(x, IC);
	float s = hi > lo ? (hi - lo) / 255.0f : 1.0f, inv = 1.0f / s;
	for (int k = 0; k < IC; k++) {
		float v = (x[k] - lo) * inv;
		v = v > 255.0f ? 255.0f : v < 0.0f ? 0.0f : v;
		v = (v + ROUNDER) - ROUNDER; /* to the nearest integer, ties to even, as nearbyintf: vectorizes */
		qa[k] = (uint8_t)(int)v;
	}
	*s_out = s, *lo_out = lo;
}

/* acc (M, OC) = Σ_k qa[i, k] · w[o, k] over k in [k0, k0 + K), in
 * plain loops (qa and w rows IC apart). */
static void int_sums(int32_t *acc, const uint8_t *qa, int M, const struct bert_qweight *q, int k0, int K)
{
	int IC = q->IC, OC = q->OC;
	for (int i = 0; i < M; i++)
		for (int o = 0; o < OC; o++) {
			int32_t t = 0;
			for (int k = k0; k < k0 + K; k++)
				t += (int32_t)qa[(size_t)i * IC + k] * q->w[(size_t)o * IC + k];
			acc[(size_t)i * OC + o] = t;
		}
}

/* out[i, o] (=, or += when add) wscale[o] · (ascale[i] · acc[i, o] +
 * alo[i] · wsum[o]): group g's share of Σ_k x_k w_k, with x_k ≈ alo +
 * ascale · qa_k. */
static void dequant(float *out, const int32_t *acc, int M, const float *ascale, const float *alo,
		    const struct bert_qweight *q, int g, int add)
{
	int OC = q->OC;
	const int32_t *wsum = q->wsum + (size_t)g * OC;
	const float *wscale = q->scale + (size_t)g * OC;
	for (int i = 0; i < M; i++) {
		const int32_t *a = acc + (size_t)i * OC;
		float *r = out + (size_t)i * OC, s = ascale[i], lo = alo[i];
		if (add)
			for (int o = 0; o < OC; o++)
				r[o] += wscale[o] * (s * (float)a[o] + lo * (float)wsum[o]);
		else
			for (int o = 0; o < OC; o++)
				r[o] = wscale[o] * (s * (float)a[o] + lo * (float)wsum[o]);
	}
}

void bert_quant_matmul(float *out, const float *inp, int M, const struct bert_qweight *q, uint8_t *qa, int32_t *acc,
		       float *ascale)
{
	int IC = q->IC, OC = q->OC, G = q->G, Kg = IC / G;

	if (M <= 0)
		return;
	/* ascale: (G, M) scales, then (G, M) lows */
	for (int g = 0; g < G; g++)
		for (int i = 0; i < M; i++)
			quant_row(qa + (size_t)i * IC + (size_t)g * Kg, inp + (size_t)i * IC + (size_t)g * Kg, Kg,
				  &ascale[g * M + i], &ascale[(G + g) * M + i]);
	for (int g = 0; g < G; g++) {
#if defined(HERD_GEMM_DNNL)
		const int32_t co = 0;
		dnnl_gemm_u8s8s32('N', 'T', 'F', M, OC, Kg, 1.0f, qa + (size_t)g * Kg, IC, 0, q->w + (size_t)g * Kg, IC,
				  0, 0.0f, acc, OC, &co);
#else
		int_sums(acc, qa, M, q, g * Kg, Kg); /* never run: bert_quant_supported refuses such builds */
#endif
		dequant(out, acc, M, ascale + g * M, ascale + (G + g) * M, q, g, g > 0);
	}
}

void bert_quant_matmul_ref(float *out, const float *inp, int M, const struct bert_qweight *q)
{
	int IC = q->IC, OC = q->OC, G = q->G, Kg = IC / G;
	uint8_t *qa = xmalloc((size_t)IC);
	int32_t *acc = xmalloc(sizeof(int32_t) * (size_t)OC);

	for (int i = 0; i < M; i++)
		for (int g = 0; g < G; g++) {
			float s, lo;
			quant_row(qa + (size_t)g * Kg, inp + (size_t)i * IC + (size_t)g * Kg, Kg, &s, &lo);
			int_sums(acc, qa, 1, q, g * Kg, Kg);
			dequant(out + (size_t)i * OC, acc, 1, &s, &lo, q, g, g > 0);
		}
	free(qa), free(acc);
}
