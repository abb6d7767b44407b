/*
 * quant.h — int8 projections for the CPU engine (--precision int8, issue
 * 15): weights quantized once per output channel and group of inputs
 * (symmetric, s8), each activation row quantized as it enters a GEMM
 * (dynamic: u8 over the row's own range, lo + s · q, in the same groups),
 * the product summed in int32 by oneDNN's
 * dnnl_gemm_u8s8s32 (VNNI where oneDNN finds it, its AVX2/AVX-512
 * kernels otherwise) and scaled back to fp32. Where the CPU has no VNNI
 * those kernels add pairs of u8·s8 products in 16 bits with saturation,
 * so the weights keep 7 bits there (|w| <= 63: no pair can saturate) and
 * 8 bits with VNNI; the choice is made at run time from oneDNN's ISA.
 * Attention, softmax, LayerNorm, GELU, the pooler and the head stay fp32.
 *
 * bert_quant_matmul_ref is the plain-loop oracle: the same quantization
 * and integer sums, so the fast one must equal it exactly.
 * Shapes: M rows, IC in, OC out (bert.h's letters).
 */
#ifndef HERD_BERT_QUANT_H
#define HERD_BERT_QUANT_H

#include <stddef.h>
#include <stdint.h>

#define BERT_QUANT_MAX_GROUPS 8

/* A weight (OC, IC) as s8 in G groups of IC / G inputs, one scale per
 * output channel and group; the activations are quantized in the same
 * groups per row (each its own range), one integer GEMM per group, whose
 * sums are scaled back with that group's scales. */
struct bert_qweight {
	int8_t *w;     /* (OC, IC) */
	float *scale;  /* (G, OC) w[o, k] ≈ q[o, k] · scale[g, o], g = k / (IC / G) */
	int32_t *wsum; /* (G, OC) Σ_k q[o, k] over group g: the activations' offsets' share */
	int OC, IC, G;
};

/* Can this process run int8 (a build with oneDNN)? 0, or -1 with the
 * reason in err. bits: the weight bits this CPU takes without saturation
 * (8 with VNNI, else 7); name: "oneDNN u8s8s32 (avx512_core_vnni), 8-bit
 * weights". */
int bert_quant_supported(int *bits, char *name, size_t namelen, char *err, size_t errlen);
/* Quantize w (OC, IC) into q (allocations q owns: bert_qweight_free);
 * groups (1..BERT_QUANT_MAX_GROUPS, dividing IC, else 1): how many
 * ranges each weight row and each activation row are quantized in. */
void bert_qweight_init(struct bert_qweight *q, const float *w, int OC, int IC, int bits, int groups);
void bert_qweight_free(struct bert_qweight *q);
/* out (M, OC) = inp (M, IC) · wᵀ through int8, on the calling thread.
 * Scratch: qa M·IC bytes, acc M·OC int32, ascale 2·G·M floats. */
void bert_quant_matmul(float *out, const float *inp, int M, const struct bert_qweight *q, uint8_t *qa, int32_t *acc,
		       float *ascale);
void bert_quant_matmul_ref(float *out, const float *inp, int M, const struct bert_qweight *q);

#endif
