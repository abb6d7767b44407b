/*
 * matmul.h — the CPU engine's projections through oneDNN's matmul
 * primitive, the weights packed once at load into the layout it asks for
 * (issue 15). Two uses:
 *
 *   fp32  where gemm.c's measurement finds it faster than dnnl_sgemm,
 *         which packs the weights again in every call (HERD_GEMM=matmul
 *         pins it): the same sums in fp32, ~15-30% more GFLOP/s in the
 *         engine's 64-row blocks on an AVX-512 Xeon
 *   bf16  --precision bf16 on the CPU, where it has AVX512_BF16
 *         (vdpbf16ps): the weights rounded to bf16 at load (after the
 *         LoRA merge), each activation row block rounded as it enters,
 *         fp32 sums and output. oneDNN 2.6's C API has no bf16 GEMM call,
 *         only the primitive, hence this file.
 *
 * Only the four projections of each layer; the residual stream,
 * attention, softmax, LayerNorm, GELU, the biases, the pooler and the
 * head stay fp32 in cpu.c, which runs them on the fp32 output as ever.
 *
 * Where the CPU lacks AVX512_BF16 (AMD EPYC with AVX2, older Xeons),
 * bert_bf16_supported refuses with a message naming it; oneDNN's own
 * reference kernels (slow loops) are never run for either type.
 * HERD_CPU_NO_BF16=1 makes it refuse as on such a CPU (the tests' way to
 * check the message). Whether oneDNN 2.6 takes AMX for these matmuls on
 * a CPU that has it is not measured.
 *
 * bert_bf16_matmul_ref is bf16's plain-loop oracle: the same rounding of
 * both inputs, sums in double. Shapes: M rows, IC in, OC out (bert.h).
 */
#ifndef HERD_BERT_MATMUL_H
#define HERD_BERT_MATMUL_H

#include <stddef.h>
#include <stdint.h>

enum bert_mm_type { BERT_MM_F32, BERT_MM_BF16 };

struct bert_mm;

/* A weight (OC, IC), packed for one of the context's primitives. */
struct bert_mm_weight {
	void *w;   /* fp32 or bf16, oneDNN's layout for this shape (opaque) */
	int shape; /* which of the context's primitives runs it */
	int OC, IC;
};

/* Can this process run bf16 on the CPU? 0, or -1 with the reason in err
 * (no AVX512_BF16 here, HERD_CPU_NO_BF16 set, a build without oneDNN). */
int bert_bf16_supported(char *err, size_t errlen);
/* The context for workers threads (each calls bert_mm_run with its own
 * tid < workers), blocks of at most max_rows rows. NULL with the reason
 * in err when the type cannot run here (bf16: bert_bf16_supported's
 * reasons; a build without oneDNN). Free with bert_mm_free (NULL is a
 * no-op), after the weights. */
struct bert_mm *bert_mm_new(enum bert_mm_type type, int workers, int max_rows, char *err, size_t errlen);
void bert_mm_free(struct bert_mm *e);
/* Pack w (OC, IC) into q (rounded to bf16 first for BERT_MM_BF16), in
 * the layout of the context's primitive for that shape and an output whose
 * rows are ldo >= OC floats apart (made here on first use): a panel of a
 * wider projection's output columns when ldo > OC. 0, or -1 with the
 * reason in err (oneDNN offers only its reference kernel). Free with
 * bert_mm_weight_free. */
int bert_mm_weight_init(struct bert_mm *e, struct bert_mm_weight *q, const float *w, int OC, int IC, int ldo,
			char *err, size_t errlen);
void bert_mm_weight_free(struct bert_mm_weight *q);
/* The kernel oneDNN picked for the shapes made so far: "oneDNN 2.6
 * matmul gemm:jit (avx512_core_bf16)". */
const char *bert_mm_info(const struct bert_mm *e);
/* out (M, OC), rows q's ldo apart, = inp (M, IC) · wᵀ in the context's
 * type, fp32 out, on the calling thread, worker tid; M <= max_rows. */
void bert_mm_run(struct bert_mm *e, int tid, float *out, const float *inp, int M, const struct bert_mm_weight *q);
/* bf16's oracle in plain loops from the fp32 weight w (OC, IC). */
void bert_bf16_matmul_ref(float *out, const float *inp, int M, const float *w, int OC, int IC);
/* x rounded to the nearest bf16 (ties to even) and back to fp32. */
float bert_bf16_round(float x);

#endif
