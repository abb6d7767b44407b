/*
 * positions.h — where a token is, in one place for both backends: its
 * position id (BERT's, MPNet's) and MPNet's relative-position buckets.
 * cpu.c, the training room (train.c) and cuda.cu's host side all call
 * these, so the GPU reads the same position rows and the same bias table
 * as the CPU for every token and distance (the bucket is computed in fp32
 * with the host's logf, as PyTorch does: tests/golden/mpnet-tiny).
 * Header-only: the CUDA backend is a shared object that links nothing of
 * herd's.
 */
#ifndef HERD_BERT_POSITIONS_H
#define HERD_BERT_POSITIONS_H

#include "bert/bert.h"

#include <stdint.h>

#include <math.h>
#include <stddef.h>

/* MPNet's relative-position bias (transformers' MPNetEncoder): the score
 * of query i against key j of a sequence gains rel_bias[bucket(j - i)][h],
 * the same in every layer. bucket is T5's bidirectional one with 32
 * buckets and max_distance 128 as MPNet computes it (in fp32: the same
 * bucket as PyTorch's for every distance, tests/golden/mpnet-tiny). */
#define BERT_RELPOS_BUCKETS 32
#define BERT_RELPOS_MAX_DISTANCE 128

static inline int bert_relpos_bucket(int rel)
{
	/* MPNetEncoder.relative_position_bucket, num_buckets 32, max_distance
	 * 128, in PyTorch's fp32: n = i - j; keys after the query take the
	 * upper half; |n| < 8 exact, then log-spaced up to 128, capped */
	const int half = BERT_RELPOS_BUCKETS / 2, exact = half / 2;
	int n = -rel, ret = n < 0 ? half : 0;
	n = n < 0 ? -n : n;
	if (n < exact)
		return ret + n;
	float f = logf((float)n / (float)exact) / (float)log((double)BERT_RELPOS_MAX_DISTANCE / exact) *
		  (float)(half - exact);
	int large = exact + (int)f;
	return ret + (large < half - 1 ? large : half - 1);
}

/* table (NH, 2·span + 1) from rel_bias (buckets, NH): head h's bias at
 * distance d = j - i (|d| <= span) is table[h·(2·span + 1) + span + d]. */
static inline void bert_relpos_fill(float *table, const float *rel_bias, int NH, int span)
{
	const size_t W = 2 * (size_t)span + 1;
	for (int d = -span; d <= span; d++) {
		const float *row = rel_bias + (size_t)bert_relpos_bucket(d) * NH;
		for (int h = 0; h < NH; h++)
			table[(size_t)h * W + span + d] = row[h];
	}
}

/* pos (N): each token's position id, as the embeddings read it. BERT:
 * its index in its sequence. MPNet (create_position_ids_from_input_ids):
 * padding_idx + 1 + the sequence's non-pad tokens before it, padding_idx
 * (pos_offset - 1) for a pad token (that id). */
static inline void bert_positions(const struct bert_config *cfg, int B, const int32_t *ids, const int *offsets,
				  int *pos)
{
	for (int b = 0; b < B; b++) {
		int next = cfg->pos_offset;
		for (int t = offsets[b]; t < offsets[b + 1]; t++) {
			if (cfg->arch == BERT_ARCH_MPNET && ids[t] == cfg->pos_offset - 1)
				pos[t] = cfg->pos_offset - 1; /* a pad token: padding_idx, not counted */
			else
				pos[t] = next++;
		}
	}
}

#endif
