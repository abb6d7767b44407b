/*
 * window.h — the engine's batching for many texts at once, in one place
 * for every caller (herd-score's windows of posts, herd-train's features):
 * texts tokenized on a thread pool (cut to max_len tokens, or a long text
 * split into chunks of whole sentences that fit), the sequences ordered by
 * length (pack.h: a batch's sequences alike, none waiting on a long one),
 * run through bert_run in batches, and each text's results (the mean over
 * its chunks) written back in text order. Texts in, numbers out: no JSON,
 * no I/O; the bytes out depend on the texts, max_len, split and batch
 * alone, never on the pool's size.
 *
 * Letters as in bert.h; n texts, S sequences (S >= texts picked).
 */
#ifndef HERD_BERT_WINDOW_H
#define HERD_BERT_WINDOW_H

#include "bert/bert.h"
#include "lib/tpool.h"

#include <stddef.h>
#include <stdint.h>

/* The sequences of a window of texts, in text order (a split text's
 * chunks one after the other). */
struct bert_seqs {
	size_t n;       /* S sequences */
	int32_t **ids;  /* ids[s]: lens[s] token ids, [CLS] … [SEP] */
	int *lens;
	size_t *text;   /* the text (the caller's index) sequence s comes from */
	size_t *order;  /* 0..S-1 by length, ties in sequence order (bert_order_by_length) */
};

/* Tokenize texts[pick[i]] (texts[i] when pick is NULL), i < npick, each
 * lens[..] bytes of UTF-8, into s (which the caller owns: free with
 * bert_seqs_free). split 0: a text is cut to max_len tokens. split 1: a
 * text longer than that is cut after . ! ? followed by a space and at
 * newlines, its sentences packed greedily into chunks of at most max_len
 * tokens, one sequence each (a sentence longer than a chunk is cut).
 * Runs on pool's threads (NULL: the caller's). Never fails. */
void bert_seqs_make(struct bert_seqs *s, const bert_tokenizer *tok, const char *const *texts, const size_t *lens,
		    const size_t *pick, size_t npick, int max_len, int split, tpool *pool);
/* Frees what bert_seqs_make made; an all-zero s does nothing. */
void bert_seqs_free(struct bert_seqs *s);

/* What bert_window_run writes, per text (n of them, the caller's
 * indexes in s->text): each may be NULL. */
struct bert_window_out {
	float *logits; /* (n, K) the mean over the text's sequences */
	float *probs;  /* (n, K) the mean of their softmaxes */
	float *pooled; /* (n, C) the mean of their pooled vectors */
	int *chunks;   /* (n) sequences run for the text: 0 for a text not picked */
};

/* s's sequences through the model in batches of batch, in s->order; out
 * zeroed for n texts, then each text's sums divided by its chunks. Where
 * m runs int8 with a re-check (bert_options.int8_recheck), a sequence
 * whose int8 logits are near a tie (bert_near_tie) is set aside and run
 * again after the others with fp32 projections, the window's near ties
 * together, and its fp32 outputs are the ones summed. Returns 0, or -1
 * with bert_run's message in err. */
int bert_window_run(bert_model *m, const struct bert_seqs *s, int batch, size_t n, const struct bert_window_out *out,
		    char *err, size_t errlen);

#endif
