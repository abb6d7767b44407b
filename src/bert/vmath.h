/*
 * vmath.h — vectorizable float math shared by the CPU engine's forward
 * (cpu.c) and the training room's backward (train.c): expf and erf by
 * polynomials GCC turns into SIMD loops, a 16-lane sum and max. Header
 * only (static inline), no state.
 */
#ifndef HERD_BERT_VMATH_H
#define HERD_BERT_VMATH_H

#include <stdint.h>
#include <string.h>

/* expf for x <= 88.7, vectorizable: 2^n · p(r) with n = round(x·log2 e)
 * and a degree-6 polynomial on r in [-ln2/2, ln2/2] (Cephes' expf
 * coefficients); relative error ~1e-7, underflows to 0 below -87.3.
 * n is rounded by adding and taking away 1.5·2^23 (floorf would keep GCC
 * from vectorizing the loop without -fno-trapping-math). */
static inline float vexp(float x)
{
	x = x < -87.3f ? -87.3f : x;
	x = x > 88.7f ? 88.7f : x;
	float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
	float r = x - n * 0.693359375f + n * 2.12194440e-4f;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	union {
		int32_t i;
		float f;
	} s = {.i = ((int32_t)n + 127) << 23};
	return p * s.f;
}

/* erf, vectorizable: the rational approximation XLA and Eigen use on
 * [-4, 4] (erf(±4) = ±1 in float), absolute error ~1e-7. */
static inline float verf(float x)
{
	x = x < -4.0f ? -4.0f : x;
	x = x > 4.0f ? 4.0f : x;
	float x2 = x * x;
	float p = -2.72614225801306e-10f;
	p = p * x2 + 2.77068142495902e-08f;
	p = p * x2 + -2.10102402082508e-06f;
	p = p * x2 + -5.69250639462346e-05f;
	p = p * x2 + -7.34990630326855e-04f;
	p = p * x2 + -2.95459980854025e-03f;
	p = p * x2 + -1.60960333262415e-02f;
	p = p * x;
	float q = -1.45660718464996e-05f;
	q = q * x2 + -2.13374055278905e-04f;
	q = q * x2 + -1.68282697438203e-03f;
	q = q * x2 + -7.37332916720468e-03f;
	q = q * x2 + -1.42647390514189e-02f;
	return p / q;
}

#define LANES 16 /* independent partial sums: vectorize without reassociating */

static inline float vsum(const float *x, int n)
{
	float acc[LANES] = {0};
	int i = 0;
	for (; i + LANES <= n; i += LANES)
		for (int j = 0; j < LANES; j++)
			acc[j] += x[i + j];
	float s = 0;
	for (; i < n; i++)
		s += x[i];
	for (int j = 0; j < LANES; j++)
		s += acc[j];
	return s;
}

/* GCC does not vectorize a float max reduction without -ffast-math (NaN
 * and signed-zero rules), so it is written with vector types: 16 lanes of
 * compare-and-select, lowered to whatever registers the target has. */
typedef float v16sf __attribute__((vector_size(64)));
typedef int v16si __attribute__((vector_size(64)));

/* The largest (max 1) or smallest (max 0) of x[0..n); inlined with a
 * constant max, the choice costs nothing. */
static inline float vextreme(const float *x, int n, int max)
{
	float m = x[0];
	int i = 0;
	if (n >= LANES) {
		v16sf acc, v;
		memcpy(&acc, x, sizeof acc);
		for (i = LANES; i + LANES <= n; i += LANES) {
			memcpy(&v, x + i, sizeof v);
			v16si take = max ? v > acc : v < acc;
			acc = (v16sf)(((v16si)v & take) | ((v16si)acc & ~take));
		}
		for (int j = 0; j < LANES; j++)
			m = (max ? acc[j] > m : acc[j] < m) ? acc[j] : m;
	}
	for (; i < n; i++)
		m = (max ? x[i] > m : x[i] < m) ? x[i] : m;
	return m;
}

static inline float vmax(const float *x, int n)
{
	return vextreme(x, n, 1);
}

static inline float vmin(const float *x, int n)
{
	return vextreme(x, n, 0);
}

#endif
