/*
 * quant.h — int8 projections for the CPU engine (--precision int8, issue
 * 15): weights quantized once per output channel (symmetric, s8), each
 * activation row quantized as it enters a GEMM (dynamic: u8 over the
 * row's own range, lo + s · q), the product summed in int32 by oneDNN's
 * matmul primitive on the weights packed once (bert_qweight_pack; the
 * engine's way) or by its dnnl_gemm_u8s8s32, which packs them again in
 * every call (VNNI where oneDNN finds it, its AVX2/AVX-512 kernels
 * otherwise; the same integers either way) and scaled back to fp32. Where the CPU has no VNNI
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

/* A weight (OC, IC) as s8, one scale per output channel; the
 * activations are quantized in G groups of IC / G values per row (each
 * its own range), one integer GEMM per group. */
struct bert_mm;
struct bert_mm_weight;

struct bert_qweight {
	int8_t *w;     /* (OC, IC) */
	struct bert_mm *mm;         /* a BERT_MM_S8 context (matmul.h) its groups are packed for, or NULL */
	struct bert_mm_weight *pk;  /* (G) each group's columns packed for mm (bert_qweight_pack) */
	float *scale;  /* (OC) w ≈ q · scale */
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
 * ranges each activation row is quantized in. */
void bert_qweight_init(struct bert_qweight *q, const float *w, int OC, int IC, int bits, int groups);
/* Pack q's groups once for mm, a BERT_MM_S8 context (matmul.h), whose
 * primitive then sums them (not dnnl_gemm_u8s8s32, which packs the
 * weights again in every call): the same integers. 0, or -1 with the
 * reason in err (q as it was). */
int bert_qweight_pack(struct bert_qweight *q, struct bert_mm *mm, char *err, size_t errlen);
/* Drop the packing: dnnl_gemm_u8s8s32 sums q again. */
void bert_qweight_free_pack(struct bert_qweight *q);
void bert_qweight_free(struct bert_qweight *q);
/* out (M, OC) = inp (M, IC) · wᵀ through int8, on the calling thread,
 * worker tid of q's packing context (when packed). Scratch: qa M·IC
 * bytes, acc M·OC int32, ascale 2·G·M floats. */
void bert_quant_matmul(float *out, const float *inp, int M, const struct bert_qweight *q, uint8_t *qa, int32_t *acc,
		       float *ascale, int tid);
void bert_quant_matmul_ref(float *out, const float *inp, int M, const struct bert_qweight *q);

#endif
