/*
 * herd-score — adds sentiment to posts (docs/records.md, "Scored posts").
 *
 * Reads any records; writes every record back in input order. Posts get
 * `vader` (VADER, src/text/vader.c) and/or `sentiment` (a BERT model,
 * src/bert, or VADER when it runs alone); other kinds pass through
 * unchanged. The text scored is the post's title and text joined by a
 * newline (one of them alone when the other is null or empty): what a
 * reader sees, as the WSB and news sentiment projects score it.
 *
 * Scorers sit behind one small interface (struct scorer): each takes a
 * batch of posts in input order and sets its own field on each. Records
 * wait in a window until a batch of posts is full (or the input ends), so
 * a model that wants batches (BERT) gets them and the output order stays
 * the input order. VADER alone needs no batch and scores post by post.
 *
 * The BERT scorer takes a window of --sort-window posts at a time:
 * tokenizes them on all CPUs, sorts the sequences by length so that each
 * batch of --batch holds texts of about the same length (the engine packs
 * each batch without padding, but attention and the batch's GEMMs still
 * like neighbours alike), runs the batches, and writes each post's result
 * back where it came from. --long split scores a long text's sentence
 * chunks and averages them, as FinBERT's own predict() scores sentences.
 */
#include "bert/bert.h"
#include "bert/cpu.h"
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "text/vader.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"Usage: herd-score [OPTIONS] [FILE...]\n"
	"Add sentiment (VADER, or a BERT model) to posts.\n"
	"\n"
	"Reads records (NDJSON) from FILEs or stdin and writes every one of them to\n"
	"stdout in input order. A post (\"kind\":\"post\") gets its title and text\n"
	"scored (joined by a newline; the one that is there when the other is null\n"
	"or \"\"); other records pass through unchanged. A post whose \"text\" is\n"
	"missing or not a string, or whose \"title\" is neither a string nor null,\n"
	"is rejected.\n"
	"\n"
	"With a BERT model (a directory: config.json, vocab.txt, model.safetensors,\n"
	"and head.safetensors for a sentence encoder; the default is models/default,\n"
	"built by `make models`), each post gets\n"
	"  \"sentiment\":{\"model\":NAME@HASH,\"label\":…,\"probs\":{…one per label…},\n"
	"      \"score\":P(positive)-P(negative),\"confidence\":max prob}\n"
	"      HASH: the first 8 hex digits of the SHA-256 of the weights; numbers\n"
	"      rounded to 4 decimals\n"
	"Texts are cut to --max-len tokens, or with --long split, a text longer than\n"
	"that is cut into chunks of whole sentences that fit, each chunk is scored and\n"
	"their probabilities (and logits, embeddings) are averaged.\n"
	"\n"
	"With --model vader, each post gets\n"
	"  \"vader\":{\"neg\":…,\"neu\":…,\"pos\":…,\"compound\":…}   exactly as vaderSentiment\n"
	"      3.3.2 computes it (rounded as it rounds: 3 decimals, 4 for compound)\n"
	"  \"sentiment\":{\"model\":\"vader@3.3.2\",\"label\":…,\"score\":compound,\"confidence\":|compound|}\n"
	"      label: positive (compound >= 0.05), negative (<= -0.05) or neutral\n"
	"A field already there is replaced; nothing else in the record changes.\n"
	"With -v, the lexicon or model loaded and the CPU time spent scoring are\n"
	"reported. The device a BERT model runs on is said in one line on stderr.\n"
	"\n"
	"Options:\n"
	"  -m, --model M           vader, or a BERT model directory (default models/default\n"
	"                          beside bin/, or $HERD_HOME/models/default)\n"
	"      --vader             also add \"vader\" when --model is a BERT model\n"
	"      --hybrid            VADER on every post (\"vader\"), and the BERT model's\n"
	"                          \"sentiment\" only on news (type article), posts with\n"
	"                          engagement.score >= --engagement-min, and posts that\n"
	"                          use a finance term (earnings, guidance, downgrade, …)\n"
	"      --engagement-min N  the --hybrid engagement threshold (default 100)\n"
	"      --lexicon DIR       VADER lexicon directory with vader_lexicon.txt and\n"
	"                          emoji_utf8_lexicon.txt (default data/vader beside bin/,\n"
	"                          or $HERD_HOME/data/vader; scripts/fetch-vader.sh fills it)\n"
	"  -b, --batch N           sequences per BERT batch (default 32); VADER alone\n"
	"                          scores post by post\n"
	"      --sort-window N     posts read before a BERT model scores them, sorted by\n"
	"                          length into batches (default 1024); output order is\n"
	"                          input order whatever N\n"
	"      --max-len N         tokens per sequence, [CLS] and [SEP] included (default 128)\n"
	"      --long MODE         truncate (default) or split: longer texts as averaged\n"
	"                          sentence chunks\n"
	"      --device D          auto (default: CUDA when a GPU is there), cpu or cuda\n"
	"      --precision P       on CUDA: fp16 (default), bf16 or fp32\n"
	"      --threads N         CPU threads for the model and the tokenizer (default:\n"
	"                          all CPUs)\n"
	"      --emit LIST         also add, for tests and debugging, any of: tokens (the\n"
	"                          ids; one array per chunk when split), logits, embedding\n"
	"                          (the pooled vector before the classifier)\n"
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-normalize --source reddit comments.ndjson | herd-score --model vader \\\n"
	"    | herd-aggregate --window 1h\n"
	"  herd-score --hybrid --long split posts.ndjson > scored.ndjson\n";

enum {
	OPT_VADER = CLI_FIRST_PROGRAM_OPTION,
	OPT_LEXICON,
	OPT_HYBRID,
	OPT_ENGAGEMENT_MIN,
	OPT_SORT_WINDOW,
	OPT_MAX_LEN,
	OPT_LONG,
	OPT_DEVICE,
	OPT_PRECISION,
	OPT_THREADS,
	OPT_EMIT,
};

#define DEFAULT_BATCH 32
#define DEFAULT_SORT_WINDOW 1024
#define DEFAULT_MAX_LEN 128
#define DEFAULT_ENGAGEMENT_MIN 100
#define BERT_DECIMALS 1e4 /* sentiment numbers are rounded to 4 decimals */
#define VADER_POSITIVE 0.05 /* compound >= this: positive (the VADER authors' threshold) */
#define VADER_NEGATIVE -0.05

/* ------------------------------------------------------------ scorers */

/* A scorer sets its fields on a batch of posts: texts[i] (lens[i] bytes)
 * is the text of recs[i]. Returns 0, or -1 with a message in err. */
struct scorer {
	const char *name;
	long texts;     /* texts scored */
	double seconds; /* CPU time in run(), measured with --verbose only */
	int (*run)(struct scorer *sc, json_t *const *recs, const char *const *texts, const size_t *lens, size_t n,
		   char *err, size_t errlen);
	void (*free)(struct scorer *sc);
};

struct vader_scorer {
	struct scorer base;
	vader_t *v;
	vader_work_t *w;
	int sentiment;   /* also write "sentiment" (VADER is the model) */
	json_t *model;   /* "vader@3.3.2", shared by every record */
	json_t *label[3]; /* "negative", "neutral", "positive" */
};

static json_t *vader_object(const struct vader_scores *s)
{
	json_t *o = json_object();

	jx_set_real(o, "neg", s->neg);
	jx_set_real(o, "neu", s->neu);
	jx_set_real(o, "pos", s->pos);
	jx_set_real(o, "compound", s->compound);
	return o;
}

static json_t *vader_sentiment(const struct vader_scorer *vs, const struct vader_scores *s)
{
	json_t *o = json_object();
	int label = s->compound >= VADER_POSITIVE ? 2 : s->compound <= VADER_NEGATIVE ? 0 : 1;

	json_object_set(o, "model", vs->model);
	json_object_set(o, "label", vs->label[label]);
	jx_set_real(o, "score", s->compound);
	jx_set_real(o, "confidence", fabs(s->compound));
	return o;
}

static int vader_run(struct scorer *sc, json_t *const *recs, const char *const *texts, const size_t *lens, size_t n,
		     char *err, size_t errlen)
{
	struct vader_scorer *vs = (struct vader_scorer *)sc;

	for (size_t i = 0; i < n; i++) {
		struct vader_scores s;
		vader_score(vs->v, vs->w, texts[i], lens[i], &s);
		json_object_set_new(recs[i], "vader", vader_object(&s));
		if (vs->sentiment)
			json_object_set_new(recs[i], "sentiment", vader_sentiment(vs, &s));
	}
	return 0;
}

static void vader_scorer_free(struct scorer *sc)
{
	struct vader_scorer *vs = (struct vader_scorer *)sc;

	vader_free(vs->v);
	vader_work_free(vs->w);
	json_decref(vs->model);
	for (int i = 0; i < 3; i++)
		json_decref(vs->label[i]);
	free(vs);
}

/* Load the lexicons from dir (NULL: the installed data/vader). */
static struct scorer *vader_scorer_new(const char *dir, int sentiment)
{
	struct vader_scorer *vs = xcalloc(1, sizeof *vs);
	char *found = NULL, err[512];

	if (!dir) {
		found = herd_data_path("data/vader/" VADER_LEXICON_FILE);
		if (!found)
			log_fatal(HERD_EXIT_FAIL, "no VADER lexicon: data/vader/%s not found beside bin/ "
				  "(run scripts/fetch-vader.sh, or give --lexicon DIR)", VADER_LEXICON_FILE);
		*strrchr(found, '/') = '\0';
		dir = found;
	}
	vs->v = vader_load_dir(dir, err, sizeof err);
	if (!vs->v)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	log_debug("VADER %s: %zu lexicon tokens, %zu emoji, from %s", VADER_VERSION, vader_lexicon_size(vs->v),
		  vader_emoji_size(vs->v), dir);
	free(found);
	vs->w = vader_work_new();
	vs->sentiment = sentiment;
	vs->model = json_string("vader@" VADER_VERSION);
	vs->label[0] = json_string("negative");
	vs->label[1] = json_string("neutral");
	vs->label[2] = json_string("positive");
	vs->base.name = "vader";
	vs->base.run = vader_run;
	vs->base.free = vader_scorer_free;
	return &vs->base;
}

/* ------------------------------------------------------------ BERT */

struct bert_settings {
	const char *dir;
	int batch, max_len, max_len_given, split, threads, hybrid;
	long engagement_min;
	enum bert_device device;
	enum bert_precision precision;
	int emit_tokens, emit_logits, emit_embedding;
};

/* One sequence the model runs: a whole text, or one chunk of a split one. */
struct seq {
	size_t post; /* index in the window's posts */
	int len;
	int32_t *ids;
};

struct bert_scorer {
	struct scorer base;
	struct bert_settings set;
	bert_model *m;
	const struct bert_config *cfg;
	json_t *model;                      /* "name@hash", shared by every record */
	json_t *label[BERT_MAX_LABELS];
	int ipos, ineg;                     /* indices of positive/negative, or -1 */
	/* per window */
	struct seq *seqs;
	size_t nseqs, capseqs;
	struct seq **order;                 /* seqs sorted by length */
	float *logits, *probs, *pooled;     /* per post: sums over its chunks */
	int *chunks;                        /* per post: sequences scored (0: not routed) */
	size_t cap_posts;
};

/* Words whose presence routes a post to the model under --hybrid: the
 * vocabulary of earnings, analysts, deals and filings, where VADER's
 * general lexicon misreads finance ("beat", "miss", "short", "guidance"). */
static const char *const finance_terms[] = {
	"earnings", "revenue", "revenues", "guidance", "eps", "dividend", "dividends", "buyback", "upgrade",
	"downgrade", "upgraded", "downgraded", "analyst", "analysts", "outlook", "forecast", "profit", "profits",
	"loss", "losses", "quarter", "quarterly", "q1", "q2", "q3", "q4", "fy", "margin", "margins", "merger",
	"acquisition", "ipo", "sec", "fda", "bankruptcy", "default", "debt", "bond", "bonds", "yield", "short",
	"squeeze", "calls", "puts", "options", "beat", "miss", "missed", "target", "valuation", "shares", "stock",
	"sales", "growth", "inflation", "fed", "rates", "layoffs", "lawsuit", "recall", "offering", "dilution",
};

static int has_finance_term(const char *t, size_t n)
{
	char word[32];
	size_t i = 0;

	while (i < n) {
		while (i < n && !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9')))
			i++;
		size_t k = 0;
		while (i < n && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9'))) {
			if (k < sizeof word - 1)
				word[k++] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
			i++;
		}
		word[k] = '\0';
		for (size_t w = 0; k && w < sizeof finance_terms / sizeof finance_terms[0]; w++)
			if (strcmp(word, finance_terms[w]) == 0)
				return 1;
	}
	return 0;
}

/* --hybrid: does this post go to the model too? */
static int routed(const struct bert_settings *set, json_t *rec, const char *text, size_t len)
{
	const char *type = jx_str(rec, "type");
	json_t *eng = json_object_get(rec, "engagement");
	json_t *score = json_is_object(eng) ? json_object_get(eng, "score") : NULL;

	if (type && strcmp(type, "article") == 0)
		return 1;
	if (json_is_number(score) && json_number_value(score) >= (double)set->engagement_min)
		return 1;
	return has_finance_term(text, len);
}

static double round4(double x)
{
	return round(x * BERT_DECIMALS) / BERT_DECIMALS;
}

/* A float as JSON with the 9 digits that give it back exactly. */
static json_t *exact_real(float f)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%.9g", f);
	return json_real(strtod(buf, NULL));
}

/* Sentence chunks of text[0..len) that fit max_len tokens: split after
 * . ! ? followed by a space, and at newlines; sentences are packed
 * greedily into chunks; a sentence longer than a chunk is truncated
 * (bert_tokenize keeps [CLS] … [SEP]). Appends one seq per chunk. */
struct tok_job {
	struct bert_scorer *bs;
	const char *const *texts;
	const size_t *lens;
	const int *want; /* posts to tokenize */
	size_t n;
	struct seq **out; /* per post: its seqs (malloc'd array) */
	int *nout;
};

static int32_t *tokenize_new(const bert_tokenizer *tok, const char *t, size_t n, int max_len, int *len)
{
	int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)max_len);
	*len = bert_tokenize(tok, t, n, max_len, ids);
	return ids;
}

static void tokenize_post(struct bert_scorer *bs, const char *t, size_t n, size_t post, struct seq **out, int *nout)
{
	const bert_tokenizer *tok = bert_get_tokenizer(bs->m);
	int max_len = bs->set.max_len, cap = 4;
	struct seq *s = xmalloc(sizeof *s * (size_t)cap);
	int ns = 0;

	if (bs->set.split && bert_wordpieces(tok, t, n, NULL, 0) + 2 > max_len) {
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
				if (ns == cap)
					s = xrealloc(s, sizeof *s * (size_t)(cap *= 2));
				s[ns].post = post;
				s[ns].ids = tokenize_new(tok, t + chunk, start - chunk, max_len, &s[ns].len);
				ns++;
				chunk = start;
				used = 0;
			}
			used += pieces;
			start = end;
		}
		if (n > chunk) {
			if (ns == cap)
				s = xrealloc(s, sizeof *s * (size_t)(cap *= 2));
			s[ns].post = post;
			s[ns].ids = tokenize_new(tok, t + chunk, n - chunk, max_len, &s[ns].len);
			ns++;
		}
	} else {
		s[0].post = post;
		s[0].ids = tokenize_new(tok, t, n, max_len, &s[0].len);
		ns = 1;
	}
	*out = s;
	*nout = ns;
}

struct tok_thread {
	struct tok_job *job;
	size_t from, to;
};

static void *tok_worker(void *arg)
{
	struct tok_thread *tt = arg;
	struct tok_job *j = tt->job;
	for (size_t i = tt->from; i < tt->to; i++) {
		size_t p = (size_t)j->want[i];
		tokenize_post(j->bs, j->texts[p], j->lens[p], p, &j->out[i], &j->nout[i]);
	}
	return NULL;
}

static int by_seq_len(const void *a, const void *b)
{
	const struct seq *x = *(const struct seq *const *)a, *y = *(const struct seq *const *)b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: input order among equals */
}

static json_t *probs_object(const struct bert_scorer *bs, const float *p)
{
	json_t *o = json_object();
	for (int k = 0; k < bs->cfg->labels; k++)
		json_object_set_new(o, bs->cfg->label_names[k], json_real(round4(p[k])));
	return o;
}

static int bert_scorer_run(struct scorer *sc, json_t *const *recs, const char *const *texts, const size_t *lens, size_t n,
			   char *err, size_t errlen)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;
	int K = bs->cfg->labels, C = bs->cfg->hidden;

	if (n > bs->cap_posts) {
		bs->cap_posts = n;
		free(bs->logits), free(bs->probs), free(bs->pooled), free(bs->chunks);
		bs->logits = xmalloc(sizeof(float) * n * (size_t)K);
		bs->probs = xmalloc(sizeof(float) * n * (size_t)K);
		bs->pooled = bs->set.emit_embedding ? xmalloc(sizeof(float) * n * (size_t)C) : NULL;
		bs->chunks = xmalloc(sizeof(int) * n);
	}
	memset(bs->logits, 0, sizeof(float) * n * (size_t)K);
	memset(bs->probs, 0, sizeof(float) * n * (size_t)K);
	if (bs->pooled)
		memset(bs->pooled, 0, sizeof(float) * n * (size_t)C);
	memset(bs->chunks, 0, sizeof(int) * n);

	/* which posts, then their sequences, tokenized on all threads */
	int *want = xmalloc(sizeof(int) * (n ? n : 1));
	size_t nwant = 0;
	for (size_t i = 0; i < n; i++)
		if (!bs->set.hybrid || routed(&bs->set, recs[i], texts[i], lens[i]))
			want[nwant++] = (int)i;
	struct tok_job job = {.bs = bs, .texts = texts, .lens = lens, .want = want, .n = nwant};
	job.out = xcalloc(nwant ? nwant : 1, sizeof *job.out);
	job.nout = xcalloc(nwant ? nwant : 1, sizeof *job.nout);
	int nt = bs->set.threads > 0 ? bs->set.threads : 1;
	if ((size_t)nt > nwant / 64 + 1)
		nt = (int)(nwant / 64 + 1); /* a few posts are not worth a thread */
	pthread_t th[64];
	struct tok_thread tt[64];
	nt = nt > 64 ? 64 : nt;
	for (int t = 0; t < nt; t++) {
		tt[t] = (struct tok_thread){&job, nwant * (size_t)t / (size_t)nt, nwant * (size_t)(t + 1) / (size_t)nt};
		if (t > 0 && pthread_create(&th[t], NULL, tok_worker, &tt[t]) != 0)
			log_fatal(HERD_EXIT_FAIL, "cannot start a tokenizer thread:");
	}
	tok_worker(&tt[0]);
	for (int t = 1; t < nt; t++)
		pthread_join(th[t], NULL);
	bs->nseqs = 0;
	for (size_t i = 0; i < nwant; i++) {
		if (bs->nseqs + (size_t)job.nout[i] > bs->capseqs) {
			bs->capseqs = 2 * (bs->nseqs + (size_t)job.nout[i]);
			bs->seqs = xrealloc(bs->seqs, sizeof *bs->seqs * bs->capseqs);
			bs->order = xrealloc(bs->order, sizeof *bs->order * bs->capseqs);
		}
		memcpy(bs->seqs + bs->nseqs, job.out[i], sizeof *bs->seqs * (size_t)job.nout[i]);
		bs->nseqs += (size_t)job.nout[i];
		free(job.out[i]);
	}
	free(job.out), free(job.nout), free(want);

	/* sort by length, run in batches, add each result to its post */
	for (size_t i = 0; i < bs->nseqs; i++)
		bs->order[i] = &bs->seqs[i];
	qsort(bs->order, bs->nseqs, sizeof *bs->order, by_seq_len);
	int B = bs->set.batch;
	const int32_t **ids = xmalloc(sizeof *ids * (size_t)B);
	int *blen = xmalloc(sizeof(int) * (size_t)B);
	float *lg = xmalloc(sizeof(float) * (size_t)B * K), *pr = xmalloc(sizeof(float) * (size_t)B * K);
	float *pool = bs->pooled ? xmalloc(sizeof(float) * (size_t)B * C) : NULL;
	int rc = 0;
	for (size_t b0 = 0; b0 < bs->nseqs && rc == 0; b0 += (size_t)B) {
		int nb = bs->nseqs - b0 < (size_t)B ? (int)(bs->nseqs - b0) : B;
		for (int b = 0; b < nb; b++) {
			ids[b] = bs->order[b0 + b]->ids;
			blen[b] = bs->order[b0 + b]->len;
		}
		if (bert_run(bs->m, nb, ids, blen, lg, pr, pool, err, errlen) < 0) {
			rc = -1;
			break;
		}
		for (int b = 0; b < nb; b++) {
			size_t p = bs->order[b0 + b]->post;
			bs->chunks[p]++;
			for (int k = 0; k < K; k++) {
				bs->logits[p * K + k] += lg[(size_t)b * K + k];
				bs->probs[p * K + k] += pr[(size_t)b * K + k];
			}
			if (pool)
				for (int c = 0; c < C; c++)
					bs->pooled[p * C + c] += pool[(size_t)b * C + c];
		}
	}
	free(ids), free(blen), free(lg), free(pr), free(pool);

	/* write the fields */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!bs->chunks[i])
			continue;
		float *p = bs->probs + i * K, *l = bs->logits + i * K, inv = 1.0f / (float)bs->chunks[i];
		int best = 0;
		for (int k = 0; k < K; k++) {
			p[k] *= inv, l[k] *= inv;
			best = p[k] > p[best] ? k : best;
		}
		double pos = bs->ipos >= 0 ? p[bs->ipos] : 0, neg = bs->ineg >= 0 ? p[bs->ineg] : 0;
		json_t *o = json_object();
		json_object_set(o, "model", bs->model);
		json_object_set(o, "label", bs->label[best]);
		json_object_set_new(o, "probs", probs_object(bs, p));
		json_object_set_new(o, "score", json_real(round4(pos - neg)));
		json_object_set_new(o, "confidence", json_real(round4(p[best])));
		json_object_set_new(recs[i], "sentiment", o);
		if (bs->set.emit_tokens) {
			json_t *all = json_array();
			for (size_t s = 0; s < bs->nseqs; s++) {
				if (bs->seqs[s].post != i)
					continue;
				json_t *a = json_array();
				for (int t = 0; t < bs->seqs[s].len; t++)
					json_array_append_new(a, json_integer(bs->seqs[s].ids[t]));
				json_array_append_new(all, a);
			}
			if (json_array_size(all) == 1)
				json_object_set(recs[i], "tokens", json_array_get(all, 0));
			else
				json_object_set(recs[i], "tokens", all);
			json_decref(all);
		}
		if (bs->set.emit_logits) {
			json_t *a = json_array();
			for (int k = 0; k < K; k++)
				json_array_append_new(a, exact_real(l[k]));
			json_object_set_new(recs[i], "logits", a);
		}
		if (bs->set.emit_embedding) {
			json_t *a = json_array();
			for (int c = 0; c < C; c++)
				json_array_append_new(a, exact_real(bs->pooled[i * C + c] * inv));
			json_object_set_new(recs[i], "embedding", a);
		}
	}
	for (size_t s = 0; s < bs->nseqs; s++)
		free(bs->seqs[s].ids);
	bs->nseqs = 0;
	return rc;
}

static void bert_scorer_free(struct scorer *sc)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;

	bert_free(bs->m);
	json_decref(bs->model);
	for (int k = 0; k < BERT_MAX_LABELS; k++)
		json_decref(bs->label[k]);
	free(bs->seqs), free(bs->order), free(bs->logits), free(bs->probs), free(bs->pooled), free(bs->chunks);
	free(bs);
}

static struct scorer *bert_scorer_new(const struct bert_settings *set)
{
	struct bert_scorer *bs = xcalloc(1, sizeof *bs);
	struct bert_options o = {.device = set->device, .precision = set->precision, .threads = set->threads,
				 .max_batch = set->batch, .max_len = set->max_len};
	char err[1024], name[128];

	bs->set = *set;
	bs->m = bert_load(set->dir, &o, err, sizeof err);
	if (!bs->m) {
		if (errno == ENOENT && strstr(set->dir, "models/default"))
			log_fatal(HERD_EXIT_FAIL, "%s (the default model is built by `make models`)", err);
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	}
	bs->cfg = bert_get_config(bs->m);
	if (bs->cfg->labels == 0)
		log_fatal(HERD_EXIT_FAIL, "%s: the model has no classifier head (a sentence encoder needs "
			  "head.safetensors: train one with herd-train)", set->dir);
	if (!bert_get_tokenizer(bs->m))
		log_fatal(HERD_EXIT_FAIL, "%s: this build of the engine has no tokenizer", set->dir);
	if (bs->set.max_len > bs->cfg->max_pos) {
		if (set->max_len_given)
			log_usage("--max-len: %d is over the model's %d positions", set->max_len, bs->cfg->max_pos);
		bs->set.max_len = bs->cfg->max_pos; /* a small model's own limit */
	}
	bs->ipos = bs->ineg = -1;
	for (int k = 0; k < bs->cfg->labels; k++) {
		bs->label[k] = json_string(bs->cfg->label_names[k]);
		if (strcmp(bs->cfg->label_names[k], "positive") == 0)
			bs->ipos = k;
		if (strcmp(bs->cfg->label_names[k], "negative") == 0)
			bs->ineg = k;
	}
	snprintf(name, sizeof name, "%s@%s", bs->cfg->name, bs->cfg->hash);
	bs->model = json_string(name);
	log_info("%s: %s", name, bert_device_info(bs->m));
	bs->base.name = "bert";
	bs->base.run = bert_scorer_run;
	bs->base.free = bert_scorer_free;
	return &bs->base;
}

/* ------------------------------------------------------------ the window */

/* Records wait here until the batch of posts is full; then every scorer
 * runs on the posts and all records go out in input order. */
struct window {
	json_t **recs;    /* records in input order (references held) */
	size_t nrecs, cap;
	json_t **posts;   /* the posts among them, in order */
	size_t *off;      /* each post's text in text */
	size_t *len;
	const char **texts;
	size_t nposts;
	buf_t text;       /* texts of the posts, back to back */
	size_t batch;     /* posts per batch */
	struct scorer *scorers[2];
	int nscorers;
};

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void window_flush(stream_t *s, struct window *w)
{
	int timed = log_get_level() <= LOG_DEBUG;
	char err[512];

	for (size_t i = 0; i < w->nposts; i++)
		w->texts[i] = w->text.p + w->off[i];
	for (int k = 0; k < w->nscorers && w->nposts > 0; k++) {
		struct scorer *sc = w->scorers[k];
		double t0 = timed ? cpu_seconds() : 0;
		if (sc->run(sc, w->posts, w->texts, w->len, w->nposts, err, sizeof err) < 0)
			log_fatal(HERD_EXIT_FAIL, "%s: %s", sc->name, err);
		sc->texts += (long)w->nposts;
		if (timed)
			sc->seconds += cpu_seconds() - t0;
	}
	for (size_t i = 0; i < w->nrecs; i++) {
		stream_emit(s, w->recs[i]);
		json_decref(w->recs[i]);
	}
	w->nrecs = 0;
	w->nposts = 0;
	buf_reset(&w->text);
}

static void window_add(struct window *w, json_t *rec, int post)
{
	if (w->nrecs == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->recs = xrealloc(w->recs, w->cap * sizeof *w->recs);
		w->posts = xrealloc(w->posts, w->cap * sizeof *w->posts);
		w->off = xrealloc(w->off, w->cap * sizeof *w->off);
		w->len = xrealloc(w->len, w->cap * sizeof *w->len);
		w->texts = xrealloc(w->texts, w->cap * sizeof *w->texts);
	}
	w->recs[w->nrecs++] = json_incref(rec);
	if (post)
		w->posts[w->nposts++] = rec;
}

/* ------------------------------------------------------------ records */

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct window *w = arg;
	const char *kind = jx_str(rec, "kind");
	json_t *text, *title;
	size_t at;

	if (!kind || strcmp(kind, "post") != 0) {
		window_add(w, rec, 0);
		if (w->nposts == 0)
			window_flush(s, w); /* nothing waits for a batch: no need to hold it */
		return 0;
	}
	text = json_object_get(rec, "text");
	title = json_object_get(rec, "title");
	if (!text)
		return stream_reject(s, "post has no field 'text'");
	if (!json_is_string(text))
		return stream_reject(s, "field 'text' is %s, not a string", jx_type_name(text));
	if (title && !json_is_string(title) && !json_is_null(title))
		return stream_reject(s, "field 'title' is %s, not a string or null", jx_type_name(title));

	at = w->text.len;
	if (title && json_is_string(title) && json_string_length(title) > 0) {
		buf_put(&w->text, json_string_value(title), json_string_length(title));
		if (json_string_length(text) > 0)
			buf_putc(&w->text, '\n');
	}
	buf_put(&w->text, json_string_value(text), json_string_length(text));
	window_add(w, rec, 1);
	w->off[w->nposts - 1] = at;
	w->len[w->nposts - 1] = w->text.len - at;
	if (w->nposts >= w->batch)
		window_flush(s, w);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},
		{"vader", no_argument, NULL, OPT_VADER},
		{"lexicon", required_argument, NULL, OPT_LEXICON},
		{"batch", required_argument, NULL, 'b'},
		{"hybrid", no_argument, NULL, OPT_HYBRID},
		{"engagement-min", required_argument, NULL, OPT_ENGAGEMENT_MIN},
		{"sort-window", required_argument, NULL, OPT_SORT_WINDOW},
		{"max-len", required_argument, NULL, OPT_MAX_LEN},
		{"long", required_argument, NULL, OPT_LONG},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"precision", required_argument, NULL, OPT_PRECISION},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"emit", required_argument, NULL, OPT_EMIT},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *model = NULL, *lexicon = NULL;
	long batch = 0, sort_window = DEFAULT_SORT_WINDOW;
	char *found = NULL;
	int also_vader = 0, c, rc;
	struct bert_settings bset = {.max_len = DEFAULT_MAX_LEN, .engagement_min = DEFAULT_ENGAGEMENT_MIN,
				      .device = BERT_DEVICE_AUTO, .precision = BERT_FP16};
	struct window w = {0};
	stream_t s;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "m:b:hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case 'm': model = optarg; break;
		case OPT_VADER: also_vader = 1; break;
		case OPT_LEXICON: lexicon = optarg; break;
		case 'b': batch = cli_long("--batch", optarg, 1, 1 << 20); break;
		case OPT_HYBRID: bset.hybrid = 1; break;
		case OPT_ENGAGEMENT_MIN: bset.engagement_min = cli_long("--engagement-min", optarg, 0, 1L << 40); break;
		case OPT_SORT_WINDOW: sort_window = cli_long("--sort-window", optarg, 1, 1 << 24); break;
		case OPT_MAX_LEN:
			bset.max_len = (int)cli_long("--max-len", optarg, 2, 512);
			bset.max_len_given = 1;
			break;
		case OPT_LONG:
			if (strcmp(optarg, "truncate") == 0)
				bset.split = 0;
			else if (strcmp(optarg, "split") == 0)
				bset.split = 1;
			else
				log_usage("--long: '%s' is not truncate or split", optarg);
			break;
		case OPT_DEVICE:
			if (strcmp(optarg, "auto") == 0)
				bset.device = BERT_DEVICE_AUTO;
			else if (strcmp(optarg, "cpu") == 0)
				bset.device = BERT_DEVICE_CPU;
			else if (strcmp(optarg, "cuda") == 0)
				bset.device = BERT_DEVICE_CUDA;
			else
				log_usage("--device: '%s' is not auto, cpu or cuda", optarg);
			break;
		case OPT_PRECISION:
			if (strcmp(optarg, "fp16") == 0)
				bset.precision = BERT_FP16;
			else if (strcmp(optarg, "bf16") == 0)
				bset.precision = BERT_BF16;
			else if (strcmp(optarg, "fp32") == 0)
				bset.precision = BERT_FP32;
			else
				log_usage("--precision: '%s' is not fp16, bf16 or fp32", optarg);
			break;
		case OPT_THREADS: bset.threads = (int)cli_long("--threads", optarg, 1, 1024); break;
		case OPT_EMIT: {
			char *list = xstrdup(optarg), *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (strcmp(t, "tokens") == 0)
					bset.emit_tokens = 1;
				else if (strcmp(t, "logits") == 0)
					bset.emit_logits = 1;
				else if (strcmp(t, "embedding") == 0)
					bset.emit_embedding = 1;
				else
					log_usage("--emit: '%s' is not tokens, logits or embedding", t);
			}
			free(list);
			break;
		}
		default: log_usage("unexpected option");
		}
	}
	if (model && !*model)
		log_usage("--model: empty; give vader or a model directory");

	if (model && strcmp(model, "vader") == 0) {
		if (bset.hybrid)
			log_usage("--hybrid needs a BERT model beside VADER, not --model vader");
		w.scorers[w.nscorers++] = vader_scorer_new(lexicon, 1);
		w.batch = batch ? (size_t)batch : 1;
	} else {
		found = model ? NULL : herd_data_path("models/default/config.json");
		if (found)
			*strrchr(found, '/') = '\0'; /* the installed or checkout's models/default */
		bset.dir = model ? model : found ? found : "models/default";
		bset.batch = batch ? (int)batch : DEFAULT_BATCH;
		if (bset.threads == 0)
			bset.threads = bert_cpu_count();
		w.scorers[w.nscorers++] = bert_scorer_new(&bset);
		if (also_vader || bset.hybrid)
			w.scorers[w.nscorers++] = vader_scorer_new(lexicon, 0);
		w.batch = (size_t)sort_window;
	}
	buf_init(&w.text);

	stream_init(&s);
	s.progress_label = "posts";
	stream_run(&s, argv + optind, argc - optind, on_record, &w);
	window_flush(&s, &w);

	for (int k = 0; k < w.nscorers; k++) {
		struct scorer *sc = w.scorers[k];
		if (sc->texts > 0)
			log_debug("%s: %ld texts scored in %.3f s of CPU (%.2f us each)", sc->name, sc->texts, sc->seconds,
				  sc->seconds / (double)sc->texts * 1e6);
		sc->free(sc);
	}
	free(w.recs);
	free(w.posts);
	free(w.off);
	free(w.len);
	free(w.texts);
	buf_free(&w.text);
	free(found);
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
