/*
 * weights.h — the model's weights as the backends see them: fp32 host
 * arrays in one allocation (llm.c style), laid out as PyTorch stores them
 * (a Linear's weight is (OC, IC), row-major), with Q, K and V fused into
 * one (3C, C) matrix so one GEMM projects all three.
 *
 * model.c fills it from safetensors (converting F16/BF16 to fp32);
 * cpu.c and cuda.cu read it. Internal to src/bert.
 */
#ifndef HERD_BERT_WEIGHTS_H
#define HERD_BERT_WEIGHTS_H

#include "bert.h"

struct bert_layer_weights {
	const float *qkv_w;  /* (3C, C): rows 0..C-1 = Q, C..2C-1 = K, 2C..3C-1 = V */
	const float *qkv_b;  /* (3C) */
	const float *attn_out_w; /* (C, C) */
	const float *attn_out_b; /* (C) */
	const float *ln1_g, *ln1_b; /* (C) attention output LayerNorm */
	const float *ffn_in_w;  /* (I, C) */
	const float *ffn_in_b;  /* (I) */
	const float *ffn_out_w; /* (C, I) */
	const float *ffn_out_b; /* (C) */
	const float *ln2_g, *ln2_b; /* (C) output LayerNorm */
};

struct bert_weights {
	const float *word_emb; /* (V, C) */
	const float *pos_emb;  /* (P, C) */
	const float *type_emb; /* (type_vocab, C); herd always uses type 0; NULL for MPNet (no token types) */
	const float *emb_ln_g, *emb_ln_b; /* (C) */
	struct bert_layer_weights *layer; /* (L) */
	const float *rel_bias; /* (rel_buckets, NH) MPNet's relative-position bias, every layer's; NULL for BERT */
	const float *pool_w; /* (C, C) pooler dense, NULL for mean pooling */
	const float *pool_b; /* (C) */
	const float *cls_w;  /* (K, C) classifier, NULL when there is no head */
	const float *cls_b;  /* (K) */
};

#endif
