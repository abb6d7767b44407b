/*
 * window.c — tokenize, order by length, batch and average (window.h).
 */
#include "bert/window.h"

#include "bert/pack.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#define MIN_PER_THREAD 64 /* texts tokenized per block: fewer are not worth waking a thread */

/* ids of text t[0..n) cut to max_len tokens, in a new array. */
static int32_t *tokenize_new(const bert_tokenizer *tok, const char *t, size_t n, int max_len, int *len)
{
	int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)max_len);
	*len = bert_tokenize(tok, t, n, max_len, ids);
	return ids;
}

/* One text's sequences. */
struct text_seqs {
	int n, cap;
	int32_t **ids;
	int *lens;
};

static void add_seq(struct text_seqs *o, const bert_tokenizer *tok, const char *t, size_t n, int max_len)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 1;
		o->ids = xrealloc(o->ids, sizeof *o->ids * (size_t)o->cap);
		o->lens = xrealloc(o->lens, sizeof *o->lens * (size_t)o->cap);
	}
	o->ids[o->n] = tokenize_new(tok, t, n, max_len, &o->lens[o->n]);
	o->n++;
}

/* Sentence chunks of t[0..n) that fit max_len tokens (window.h). */
static void text_split(struct text_seqs *o, const bert_tokenizer *tok, const char *t, size_t n, int max_len)
{
	size_t start = 0, chunk = 0; /* chunk: start of the chunk being filled */
	int used = 0;                /* its word pieces so far */

	while (start < n) {
		size_t end = start;
		while (end < n && t[end] != '\n' &&
		       !((t[end] == '.' || t[end] == '!' || t[end] == '?') && end + 1 < n && (t[end + 1] == ' ')))
			end++;
		end = end < n ? end + 1 : n; /* the sentence is t[start..end) */
		int pieces = bert_wordpieces(tok, t + start, end - start, NULL, 0);
		if (used > 0 && used + pieces + 2 > max_len) {
			add_seq(o, tok, t + chunk, start - chunk, max_len);
			chunk = start;
			used = 0;
		}
		used += pieces;
		start = end;
	}
	if (n > chunk)
		add_seq(o, tok, t + chunk, n - chunk, max_len);
}

struct tok_job {
	const bert_tokenizer *tok;
	const char *const *texts;
	const size_t *lens, *pick;
	int max_len, split;
	struct text_seqs *out; /* per text picked */
};

static void tok_part(void *arg, size_t from, size_t to, int worker)
{
	struct tok_job *j = arg;

	(void)worker;
	for (size_t i = from; i < to; i++) {
		size_t p = j->pick ? j->pick[i] : i;
		const char *t = j->texts[p];
		size_t n = j->lens[p];
		if (j->split && bert_wordpieces(j->tok, t, n, NULL, 0) + 2 > j->max_len)
			text_split(&j->out[i], j->tok, t, n, j->max_len);
		else
			add_seq(&j->out[i], j->tok, t, n, j->max_len);
	}
}

void bert_seqs_make(struct bert_seqs *s, const bert_tokenizer *tok, const char *const *texts, const size_t *lens,
		    const size_t *pick, size_t npick, int max_len, int split, tpool *pool)
{
	struct tok_job j = {tok, texts, lens, pick, max_len, split, xcalloc(npick ? npick : 1, sizeof *j.out)};
	size_t S = 0;

	tpool_for(pool, npick, MIN_PER_THREAD, tok_part, &j);
	for (size_t i = 0; i < npick; i++)
		S += (size_t)j.out[i].n;
	memset(s, 0, sizeof *s);
	s->n = S;
	s->ids = xmalloc(sizeof *s->ids * (S ? S : 1));
	s->lens = xmalloc(sizeof *s->lens * (S ? S : 1));
	s->text = xmalloc(sizeof *s->text * (S ? S : 1));
	s->order = xmalloc(sizeof *s->order * (S ? S : 1));
	for (size_t i = 0, k = 0; i < npick; i++) {
		for (int c = 0; c < j.out[i].n; c++, k++) {
			s->ids[k] = j.out[i].ids[c];
			s->lens[k] = j.out[i].lens[c];
			s->text[k] = pick ? pick[i] : i;
		}
		free(j.out[i].ids), free(j.out[i].lens);
	}
	free(j.out);
	bert_order_by_length(s->lens, S, s->order);
}

void bert_seqs_free(struct bert_seqs *s)
{
	for (size_t k = 0; k < s->n; k++)
		free(s->ids[k]);
	free(s->ids), free(s->lens), free(s->text), free(s->order);
	memset(s, 0, sizeof *s);
}

/* A batch's outputs summed into its texts': each sequence b of the batch
 * is s's order[b0 + b]; with redo, int8's near ties (bert_near_tie, on
 * the batch's probabilities) are set aside there instead
 * (bert_window_run runs them again in fp32). */
struct window_sums {
	const struct bert_seqs *s;
	const struct bert_window_out *out;
	int *chunks;
	size_t K, C;
	size_t *redo, nredo; /* sequences to run again: indices into s, in s->order's order */
};

static void add_batch(struct window_sums *w, bert_model *m, const size_t *order, int B, const float *lg,
		      const float *pr, const float *pool, int redo)
{
	size_t K = w->K, C = w->C;
	for (int b = 0; b < B; b++) {
		if (redo && bert_near_tie(m, pr + (size_t)b * K)) {
			w->redo[w->nredo++] = order[b];
			continue;
		}
		size_t p = w->s->text[order[b]];
		w->chunks[p]++;
		for (size_t k = 0; k < K; k++) {
			if (w->out->logits)
				w->out->logits[p * K + k] += lg[(size_t)b * K + k];
			if (w->out->probs)
				w->out->probs[p * K + k] += pr[(size_t)b * K + k];
		}
		if (pool)
			for (size_t c = 0; c < C; c++)
				w->out->pooled[p * C + c] += pool[(size_t)b * C + c];
	}
}

int bert_window_run(bert_model *m, const struct bert_seqs *s, int batch, size_t n, const struct bert_window_out *out,
		    char *err, size_t errlen)
{
	const struct bert_config *cfg = bert_get_config(m);
	size_t K = (size_t)cfg->labels, C = (size_t)cfg->hidden;
	const int32_t **ids = xmalloc(sizeof *ids * (size_t)batch);
	int *blen = xmalloc(sizeof(int) * (size_t)batch);
	float *lg = xmalloc(sizeof(float) * (size_t)batch * (K ? K : 1));
	float *pr = xmalloc(sizeof(float) * (size_t)batch * (K ? K : 1));
	float *pool = out->pooled ? xmalloc(sizeof(float) * (size_t)batch * C) : NULL;
	struct window_sums w = {s, out, out->chunks, K, C, xmalloc(sizeof(size_t) * (s->n ? s->n : 1)), 0};
	int rc = 0, B;

	if (!w.chunks)
		w.chunks = xmalloc(sizeof(int) * (n ? n : 1));
	memset(w.chunks, 0, sizeof(int) * n);
	if (out->logits)
		memset(out->logits, 0, sizeof(float) * n * K);
	if (out->probs)
		memset(out->probs, 0, sizeof(float) * n * K);
	if (out->pooled)
		memset(out->pooled, 0, sizeof(float) * n * C);
	for (size_t b0 = 0; (B = bert_batch_at((const int32_t *const *)s->ids, s->lens, s->order, s->n, b0, batch, ids,
					       blen)) > 0; b0 += (size_t)B) {
		if (bert_run(m, B, ids, blen, lg, pr, pool, err, errlen) < 0) {
			rc = -1;
			break;
		}
		add_batch(&w, m, s->order + b0, B, lg, pr, pool, K > 0);
	}
	/* int8's near ties, the window's together, in fp32: in full batches
	 * of like lengths rather than one or two a batch */
	if (w.nredo > 0 && rc == 0) {
		bert_int8_as_fp32(m, 1);
		for (size_t b0 = 0; (B = bert_batch_at((const int32_t *const *)s->ids, s->lens, w.redo, w.nredo, b0, batch,
						       ids, blen)) > 0; b0 += (size_t)B) {
			if (bert_run(m, B, ids, blen, lg, pr, pool, err, errlen) < 0) {
				rc = -1;
				break;
			}
			add_batch(&w, m, w.redo + b0, B, lg, pr, pool, 0);
		}
		bert_int8_as_fp32(m, 0);
	}
	int *chunks = w.chunks;
	for (size_t p = 0; p < n && rc == 0; p++) {
		if (chunks[p] <= 1)
			continue; /* the sum of one is the mean: not even a multiplication by 1 */
		float inv = 1.0f / (float)chunks[p];
		for (size_t k = 0; k < K; k++) {
			if (out->logits)
				out->logits[p * K + k] *= inv;
			if (out->probs)
				out->probs[p * K + k] *= inv;
		}
		if (out->pooled)
			for (size_t c = 0; c < C; c++)
				out->pooled[p * C + c] *= inv;
	}
	if (chunks != out->chunks)
		free(chunks);
	free(ids), free(blen), free(lg), free(pr), free(pool), free(w.redo);
	return rc;
}
