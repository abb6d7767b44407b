/*
 * out.h — what one forward pass gives: the one output struct both
 * backends fill (cpu.c's bert_cpu_run, cuda.cu's bert_cuda_forward), so
 * that model.c has one path whatever the device. Every output may be
 * NULL (not computed, not copied back). Pooled features are pooled where
 * the hidden states are: on the GPU for the CUDA backend.
 *
 * Shapes use bert.h's letters; the batch is packed (N tokens).
 */
#ifndef HERD_BERT_OUT_H
#define HERD_BERT_OUT_H

struct bert_out {
	float *logits;     /* (B, K) classifier output (needs a classifier in the checkpoint) */
	float *pooled;     /* (B, C) pooler output, or the mean of the last hidden states */
	float *hidden;     /* (N, C) last hidden states, packed like the input */
	float *layer_mean; /* (B, L, C) each layer's output averaged over the sequence's tokens */
	float *last_max;   /* (B, C) the last hidden states' maximum over the sequence's tokens */
};

#endif
