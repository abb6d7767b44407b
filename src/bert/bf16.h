/*
 * bf16.h — bf16 projections for the CPU engine (--precision bf16 on the
 * CPU, issue 15): the four projections of every layer through oneDNN's
 * matmul primitive with bf16 inputs and fp32 accumulation and output,
 * where the CPU has AVX512_BF16 (vdpbf16ps; whether oneDNN 2.6 takes AMX
 * for these run-time-rows matmuls where a CPU has it is not measured).
 * The weights are rounded to bf16 once, at load (after the LoRA merge),
 * into the layout oneDNN's matmul asks for; each activation row block is
 * rounded to bf16 as it enters. The residual stream, attention, softmax,
 * LayerNorm, GELU, the biases, the pooler and the head stay fp32: cpu.c
 * runs them on the fp32 output as in fp32.
 *
 * Why a file apart from quant.c: int8 goes through oneDNN's GEMM calls
 * (dnnl_gemm_u8s8s32), bf16 has none in oneDNN 2.6's C API, only the
 * primitive (engine, streams, memory descriptors, a weight reorder).
 *
 * Where the CPU lacks AVX512_BF16 (AMD EPYC with AVX2, older Xeons),
 * bert_bf16_supported refuses with a message naming it; oneDNN's own
 * reference kernels (slow loops) are never run. HERD_CPU_NO_BF16=1 makes
 * it refuse as on such a CPU (the tests' way to check the message).
 *
 * bert_bf16_matmul_ref is the plain-loop oracle: the same bf16 rounding
 * of both inputs, sums in double. Shapes: M rows, IC in, OC out.
 */
#ifndef HERD_BERT_BF16_H
#define HERD_BERT_BF16_H

#include <stddef.h>
#include <stdint.h>

struct bert_bf16;

/* A weight (OC, IC) in bf16, in the matmul primitive's layout. */
struct bert_bf16_weight {
	void *w;   /* bf16, oneDNN's layout for this shape (opaque) */
	int shape; /* which of the context's primitives runs it */
	int OC, IC;
};

/* Can this process run bf16 on the CPU? 0, or -1 with the reason in err
 * (no AVX512_BF16 here, HERD_CPU_NO_BF16 set, a build without oneDNN). */
int bert_bf16_supported(char *err, size_t errlen);
/* The context for workers threads (each calls bert_bf16_matmul with its
 * own tid < workers). NULL with the reason in err when bf16 cannot run
 * here (bert_bf16_supported's reasons, or oneDNN finds no bf16 kernel).
 * Free with bert_bf16_free (NULL is a no-op), after the weights. */
struct bert_bf16 *bert_bf16_new(int workers, int max_rows, char *err, size_t errlen);
void bert_bf16_free(struct bert_bf16 *e);
/* Round w (OC, IC) to bf16 into q, in the layout of the context's
 * primitive for that shape (made here on first use). 0, or -1 with the
 * reason in err. Free with bert_bf16_weight_free. */
int bert_bf16_weight_init(struct bert_bf16 *e, struct bert_bf16_weight *q, const float *w, int OC, int IC, char *err,
			  size_t errlen);
void bert_bf16_weight_free(struct bert_bf16_weight *q);
/* The kernel oneDNN picked for the shapes made so far: "oneDNN 2.6
 * matmul gemm:jit (avx512_core_bf16)". */
const char *bert_bf16_info(const struct bert_bf16 *e);
/* out (M, OC) = bf16(inp (M, IC)) · bf16(w)ᵀ in fp32, on the calling
 * thread, worker tid; M <= max_rows. */
void bert_bf16_matmul(struct bert_bf16 *e, int tid, float *out, const float *inp, int M,
		      const struct bert_bf16_weight *q);
/* The same in plain loops from the fp32 weight w (OC, IC). */
void bert_bf16_matmul_ref(float *out, const float *inp, int M, const float *w, int OC, int IC);
/* x rounded to the nearest bf16 (ties to even) and back to fp32. */
float bert_bf16_round(float x);

#endif
