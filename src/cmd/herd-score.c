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
 * window of posts in input order and sets its own field on each. Records
 * wait in a window until it holds --sort-window posts (or the input
 * ends), so a model that wants batches (BERT) gets them and the output
 * order stays the input order. Windows go down a pipeline (issue 4: keep
 * the GPU fed): a reading thread reads, parses and tokenizes window k+1
 * and finishes and writes window k-1 while the main thread runs the model
 * on window k; the reading thread spreads its work over a pool of
 * --threads threads (lib/opipe.h). VADER alone needs no window: each
 * record is parsed, scored and written on one of the pool's threads
 * (opipe_map), output in input order. With --threads 1 it is all one
 * loop on one thread.
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
#include "lib/ndjson.h"
#include "lib/opipe.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "text/vader.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	"A BERT model scores windows of --sort-window posts in a pipeline: while it\n"
	"scores one window, the next is read, parsed and tokenized and the one before\n"
	"is written, on --threads threads. VADER alone: the threads share each chunk\n"
	"of 1024 lines read (--threads 1: record after record). The output is the\n"
	"same, byte for byte, whatever --threads (and for VADER whatever --sort-window;\n"
	"a BERT model's batches, set by --batch and --sort-window, can move the last\n"
	"float digits of its logits).\n"
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
	"  -b, --batch N           sequences per BERT batch (default 32)\n"
	"      --sort-window N     posts read before a BERT model scores them (default\n"
	"                          1024), sorted by length into batches; a window is\n"
	"                          written once scored\n"
	"      --max-len N         tokens per sequence, [CLS] and [SEP] included (default 128)\n"
	"      --long MODE         truncate (default) or split: longer texts as averaged\n"
	"                          sentence chunks\n"
	"      --device D          auto (default: CUDA when a GPU is there), cpu or cuda\n"
	"      --precision P       on CUDA: fp16 (default), bf16 or fp32\n"
	"      --threads N         threads for each stage: parsing, tokenizing, VADER,\n"
	"                          writing, and the model on the CPU (default: all CPUs;\n"
	"                          1: no pipeline, one window after the other)\n"
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
#define MIN_PER_THREAD 64 /* posts per thread: fewer are not worth waking one */

/* ------------------------------------------------------------ scorers */

/* A scorer sets its fields on a window of posts (texts[i], lens[i] bytes,
 * is the text of recs[i]) in up to three steps. prepare, on the reading
 * thread while the window before is scored, does the CPU's share before
 * the model (BERT's tokens) and returns what run needs. run, on the
 * scoring thread, runs the model, and nothing else, so that a GPU waits
 * for no JSON; 0, or -1 with a message in err. finish, on the reading
 * thread again before the window is written, sets the fields (from what
 * run found; VADER scores here) and frees what prepare made; scorers
 * finish in order, so fields keep their order. Each may be NULL. The reading
 * thread's work goes over pool: records are made, given their fields and
 * freed on the same threads, which is what malloc likes. */
struct scorer {
	const char *name;
	long texts;          /* texts scored */
	double seconds;      /* CPU time in run(), measured with --verbose only */
	double prep_seconds; /* ... and in prepare() and finish() */
	opipe_pool *pool;
	void *(*prepare)(struct scorer *sc, json_t *const *recs, const char *const *texts, const size_t *lens,
			 size_t n);
	int (*run)(struct scorer *sc, void *prep, char *err, size_t errlen);
	void (*finish)(struct scorer *sc, void *prep, json_t *const *recs, const char *const *texts, const size_t *lens,
		       size_t n);
	void (*free)(struct scorer *sc);
};

struct vader_scorer {
	struct scorer base;
	vader_t *v;
	vader_work_t **w; /* one per thread of the pool */
	int nw;
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

struct vader_job {
	struct vader_scorer *vs;
	json_t *const *recs;
	const char *const *texts;
	const size_t *lens;
};

/* Score text[0..len) and set the fields on rec, with thread part's work. */
static void vader_set(struct vader_scorer *vs, int part, json_t *rec, const char *text, size_t len)
{
	struct vader_scores s;

	vader_score(vs->v, vs->w[part], text, len, &s);
	json_object_set_new(rec, "vader", vader_object(&s));
	if (vs->sentiment)
		json_object_set_new(rec, "sentiment", vader_sentiment(vs, &s));
}

static void vader_part(void *arg, size_t from, size_t to, int part)
{
	struct vader_job *j = arg;

	for (size_t i = from; i < to; i++)
		vader_set(j->vs, part, j->recs[i], j->texts[i], j->lens[i]);
}

static void vader_finish(struct scorer *sc, void *prep, json_t *const *recs, const char *const *texts,
			 const size_t *lens, size_t n)
{
	struct vader_job j = {(struct vader_scorer *)sc, recs, texts, lens};

	opipe_pool_for(sc->pool, n, MIN_PER_THREAD, vader_part, &j);
}

static void vader_scorer_free(struct scorer *sc)
{
	struct vader_scorer *vs = (struct vader_scorer *)sc;

	vader_free(vs->v);
	for (int i = 0; i < vs->nw; i++)
		vader_work_free(vs->w[i]);
	free(vs->w);
	json_decref(vs->model);
	for (int i = 0; i < 3; i++)
		json_decref(vs->label[i]);
	free(vs);
}

/* Load the lexicons from dir (NULL: the installed data/vader); it will
 * score on pool. */
static struct scorer *vader_scorer_new(const char *dir, int sentiment, opipe_pool *pool)
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
	vs->nw = opipe_pool_size(pool);
	vs->w = xmalloc(sizeof *vs->w * (size_t)vs->nw);
	for (int i = 0; i < vs->nw; i++)
		vs->w[i] = vader_work_new();
	vs->base.pool = pool;
	vs->sentiment = sentiment;
	vs->model = json_string("vader@" VADER_VERSION);
	vs->label[0] = json_string("negative");
	vs->label[1] = json_string("neutral");
	vs->label[2] = json_string("positive");
	vs->base.name = "vader";
	vs->base.finish = vader_finish;
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

/* A window's sequences, made by bert_prepare, and what the model made of
 * them (bert_run), made into fields by bert_finish. */
struct bert_prep {
	struct seq *seqs;
	size_t nseqs;
	struct seq **order;             /* seqs sorted by length */
	size_t n;                       /* posts in the window */
	float *logits, *probs, *pooled; /* per post: sums over its chunks */
	int *chunks;                    /* per post: sequences scored (0: not routed) */
};

struct tok_job {
	struct bert_scorer *bs;
	const char *const *texts;
	const size_t *lens;
	const int *want; /* posts to tokenize */
	struct seq **out; /* per post: its seqs (malloc'd array) */
	int *nout;
};

static int32_t *tokenize_new(const bert_tokenizer *tok, const char *t, size_t n, int max_len, int *len)
{
	int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)max_len);
	*len = bert_tokenize(tok, t, n, max_len, ids);
	return ids;
}

/* Sentence chunks of text[0..len) that fit max_len tokens: split after
 * . ! ? followed by a space, and at newlines; sentences are packed
 * greedily into chunks; a sentence longer than a chunk is truncated
 * (bert_tokenize keeps [CLS] … [SEP]). One seq per chunk. */
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

static void tok_part(void *arg, size_t from, size_t to, int part)
{
	struct tok_job *j = arg;
	for (size_t i = from; i < to; i++) {
		size_t p = (size_t)j->want[i];
		tokenize_post(j->bs, j->texts[p], j->lens[p], p, &j->out[i], &j->nout[i]);
	}
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

/* The window's posts (those --hybrid routes) as sequences, tokenized on
 * the prepare pool, sorted by length. */
static void *bert_prepare(struct scorer *sc, json_t *const *recs, const char *const *texts, const size_t *lens,
			  size_t n)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;
	struct bert_prep *bp = xcalloc(1, sizeof *bp);
	int *want = xmalloc(sizeof(int) * (n ? n : 1));
	size_t nwant = 0, cap = 0;

	for (size_t i = 0; i < n; i++)
		if (!bs->set.hybrid || routed(&bs->set, recs[i], texts[i], lens[i]))
			want[nwant++] = (int)i;
	struct tok_job job = {.bs = bs, .texts = texts, .lens = lens, .want = want};
	job.out = xcalloc(nwant ? nwant : 1, sizeof *job.out);
	job.nout = xcalloc(nwant ? nwant : 1, sizeof *job.nout);
	opipe_pool_for(sc->pool, nwant, MIN_PER_THREAD, tok_part, &job);
	for (size_t i = 0; i < nwant; i++) {
		bp->seqs = xgrow(bp->seqs, bp->nseqs + (size_t)job.nout[i], &cap, sizeof *bp->seqs);
		memcpy(bp->seqs + bp->nseqs, job.out[i], sizeof *bp->seqs * (size_t)job.nout[i]);
		bp->nseqs += (size_t)job.nout[i];
		free(job.out[i]);
	}
	free(job.out), free(job.nout), free(want);
	bp->order = xmalloc(sizeof *bp->order * (bp->nseqs ? bp->nseqs : 1));
	for (size_t i = 0; i < bp->nseqs; i++)
		bp->order[i] = &bp->seqs[i];
	qsort(bp->order, bp->nseqs, sizeof *bp->order, by_seq_len);
	bp->n = n;
	bp->logits = xcalloc(n ? n * (size_t)bs->cfg->labels : 1, sizeof(float));
	bp->probs = xcalloc(n ? n * (size_t)bs->cfg->labels : 1, sizeof(float));
	bp->pooled = bs->set.emit_embedding ? xcalloc(n ? n * (size_t)bs->cfg->hidden : 1, sizeof(float)) : NULL;
	bp->chunks = xcalloc(n ? n : 1, sizeof(int));
	return bp;
}

static void bert_prep_free(struct bert_prep *bp)
{
	for (size_t s = 0; s < bp->nseqs; s++)
		free(bp->seqs[s].ids);
	free(bp->seqs), free(bp->order);
	free(bp->logits), free(bp->probs), free(bp->pooled), free(bp->chunks);
	free(bp);
}

struct field_job {
	struct bert_scorer *bs;
	struct bert_prep *bp;
	json_t *const *recs;
};

/* Posts [from, to): their averaged results as fields. */
static void field_part(void *arg, size_t from, size_t to, int part)
{
	struct field_job *j = arg;
	struct bert_scorer *bs = j->bs;
	struct bert_prep *bp = j->bp;
	json_t *const *recs = j->recs;
	int K = bs->cfg->labels, C = bs->cfg->hidden;

	for (size_t i = from; i < to; i++) {
		if (!bp->chunks[i])
			continue;
		float *p = bp->probs + i * K, *l = bp->logits + i * K, inv = 1.0f / (float)bp->chunks[i];
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
			for (size_t s = 0; s < bp->nseqs; s++) {
				if (bp->seqs[s].post != i)
					continue;
				json_t *a = json_array();
				for (int t = 0; t < bp->seqs[s].len; t++)
					json_array_append_new(a, json_integer(bp->seqs[s].ids[t]));
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
				json_array_append_new(a, exact_real(bp->pooled[i * C + c] * inv));
			json_object_set_new(recs[i], "embedding", a);
		}
	}
}

/* The prepared sequences in batches of --batch through the model, each
 * result added to its post. */
static int bert_run_window(struct scorer *sc, void *prep, char *err, size_t errlen)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;
	struct bert_prep *bp = prep;
	int K = bs->cfg->labels, C = bs->cfg->hidden, B = bs->set.batch;
	const int32_t **ids = xmalloc(sizeof *ids * (size_t)B);
	int *blen = xmalloc(sizeof(int) * (size_t)B);
	float *lg = xmalloc(sizeof(float) * (size_t)B * K), *pr = xmalloc(sizeof(float) * (size_t)B * K);
	float *pool = bp->pooled ? xmalloc(sizeof(float) * (size_t)B * C) : NULL;
	int rc = 0;

	for (size_t b0 = 0; b0 < bp->nseqs && rc == 0; b0 += (size_t)B) {
		int nb = bp->nseqs - b0 < (size_t)B ? (int)(bp->nseqs - b0) : B;
		for (int b = 0; b < nb; b++) {
			ids[b] = bp->order[b0 + b]->ids;
			blen[b] = bp->order[b0 + b]->len;
		}
		if (bert_run(bs->m, nb, ids, blen, lg, pr, pool, err, errlen) < 0) {
			rc = -1;
			break;
		}
		for (int b = 0; b < nb; b++) {
			size_t p = bp->order[b0 + b]->post;
			bp->chunks[p]++;
			for (int k = 0; k < K; k++) {
				bp->logits[p * K + k] += lg[(size_t)b * K + k];
				bp->probs[p * K + k] += pr[(size_t)b * K + k];
			}
			if (pool)
				for (int c = 0; c < C; c++)
					bp->pooled[p * C + c] += pool[(size_t)b * C + c];
		}
	}
	free(ids), free(blen), free(lg), free(pr), free(pool);
	return rc;
}

/* The fields of the window's posts, on the pool. */
static void bert_finish(struct scorer *sc, void *prep, json_t *const *recs, const char *const *texts,
			const size_t *lens, size_t n)
{
	struct field_job fj = {(struct bert_scorer *)sc, prep, recs};

	opipe_pool_for(sc->pool, n, MIN_PER_THREAD, field_part, &fj);
	bert_prep_free(prep);
}

static void bert_scorer_free(struct scorer *sc)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;

	bert_free(bs->m);
	json_decref(bs->model);
	for (int k = 0; k < BERT_MAX_LABELS; k++)
		json_decref(bs->label[k]);
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
	bs->base.prepare = bert_prepare;
	bs->base.run = bert_run_window;
	bs->base.finish = bert_finish;
	bs->base.free = bert_scorer_free;
	return &bs->base;
}

/* ------------------------------------------------------------ the window */

/* Records wait in a window until it holds --sort-window posts (or the
 * input ends). A window goes round: the reading thread fills it and
 * prepares it, the scoring thread (the main one: the model runs where it
 * was loaded, as the CPU engine's GEMM library wants its threads set up)
 * runs the model on it, the reading thread finishes and writes it, in
 * input order, and fills it again. WINDOWS of them: while one is scored,
 * the next is read and prepared and the one before is written. */
struct window {
	json_t **recs;    /* records in input order (references held) */
	size_t nrecs, cap;
	json_t **posts;   /* the posts among them, in order */
	size_t *off;      /* each post's text in text */
	size_t *len;
	const char **texts;
	size_t nposts;
	buf_t text;       /* texts of the posts, back to back */
	void *prep[2];    /* per scorer: what its prepare() made */
	int scored;       /* back from the scoring thread, to be written */
};

#define WINDOWS 3

struct pipeline {
	struct scorer *scorers[2];
	int nscorers;
	size_t batch;       /* posts per window */
	struct window *w;   /* the window being filled */
	opipe_queue *q;     /* windows to score; NULL: one thread does all */
	opipe_queue *done;  /* windows scored, or new: to write, then fill */
	opipe_writer *out;  /* on the reading thread's pool */
	stream_t *s;
	char **files;
	int nfiles;
	opipe_pool *pool;   /* the reading thread's */
};

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct window *window_new(void)
{
	struct window *w = xcalloc(1, sizeof *w);

	buf_init(&w->text);
	return w;
}

/* Frees the window and the records it still holds; NULL does nothing. */
static void window_free(struct window *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nrecs; i++)
		json_decref(w->recs[i]);
	free(w->recs), free(w->posts), free(w->off), free(w->len), free(w->texts);
	buf_free(&w->text);
	free(w);
}

/* On the scoring thread: the model(s) on the window's posts. */
static void window_score(struct pipeline *p, struct window *w)
{
	int timed = log_get_level() <= LOG_DEBUG;
	char err[512];

	for (int k = 0; k < p->nscorers && w->nposts > 0; k++) {
		struct scorer *sc = p->scorers[k];
		double t0 = timed ? cpu_seconds() : 0;
		if (sc->run && sc->run(sc, w->prep[k], err, sizeof err) < 0)
			log_fatal(HERD_EXIT_FAIL, "%s: %s", sc->name, err);
		if (timed)
			sc->seconds += cpu_seconds() - t0;
	}
	w->scored = 1;
}

/* On the reading thread: the fields set, the records written (and let
 * go), the window emptied for the next records. */
static void window_write(struct pipeline *p, struct window *w)
{
	int timed = log_get_level() <= LOG_DEBUG;

	for (int k = 0; k < p->nscorers && w->nposts > 0; k++) {
		struct scorer *sc = p->scorers[k];
		double t0 = timed ? cpu_seconds() : 0;
		if (sc->finish)
			sc->finish(sc, w->prep[k], w->posts, w->texts, w->len, w->nposts);
		sc->texts += (long)w->nposts;
		if (timed)
			sc->prep_seconds += cpu_seconds() - t0;
	}
	opipe_writer_put(p->out, w->recs, w->nrecs);
	w->nrecs = w->nposts = 0;
	buf_reset(&w->text);
	memset(w->prep, 0, sizeof w->prep);
	w->scored = 0;
}

/* On the reading thread: prepare the window being filled and hand it to
 * the scoring thread (or score and write it here); take the next one to
 * fill, writing it first if it comes back scored. */
static void window_send(struct pipeline *p)
{
	struct window *w = p->w;
	int timed = log_get_level() <= LOG_DEBUG;

	if (w->nrecs == 0)
		return;
	for (size_t i = 0; i < w->nposts; i++)
		w->texts[i] = w->text.p + w->off[i];
	for (int k = 0; k < p->nscorers && w->nposts > 0; k++) {
		struct scorer *sc = p->scorers[k];
		double t0 = timed ? cpu_seconds() : 0;
		if (sc->prepare)
			w->prep[k] = sc->prepare(sc, w->posts, w->texts, w->len, w->nposts);
		if (timed)
			sc->prep_seconds += cpu_seconds() - t0;
	}
	if (!p->q) {
		window_score(p, w);
		window_write(p, w);
		return;
	}
	if (opipe_queue_push(p->q, w) < 0 || !(p->w = opipe_queue_pop(p->done)))
		log_fatal(HERD_EXIT_FAIL, "the scoring thread has stopped"); /* never: the queues close at the end */
	if (p->w->scored)
		window_write(p, p->w);
}

static int on_record(stream_t *s, json_t *rec, void *arg);

/* The reading thread's run: records into windows, sent; at the end, the
 * windows still out written as they come back. */
static void *read_main(void *arg)
{
	struct pipeline *p = arg;
	struct window *w;

	opipe_run(p->s, p->files, p->nfiles, p->pool, on_record, p);
	window_send(p);
	if (p->q) {
		window_free(p->w);
		p->w = NULL;
		opipe_queue_close(p->q);
		while ((w = opipe_queue_pop(p->done))) {
			if (w->scored)
				window_write(p, w);
			window_free(w);
		}
	}
	return NULL;
}

/* Windows read, prepared, scored and written: on this thread alone with
 * one thread, else reading on a thread of its own and scoring here. */
static void pipeline_run(struct pipeline *p, int threads)
{
	p->w = window_new();
	p->out = opipe_writer_new(p->s, p->pool);
	if (threads == 1) {
		read_main(p);
	} else {
		pthread_t reading;
		struct window *w;
		p->q = opipe_queue_new(1);
		p->done = opipe_queue_new(WINDOWS);
		for (int i = 0; i < WINDOWS - 1; i++)
			opipe_queue_push(p->done, window_new());
		if (pthread_create(&reading, NULL, read_main, p) != 0)
			log_fatal(HERD_EXIT_FAIL, "cannot start the reading thread:");
		while ((w = opipe_queue_pop(p->q))) {
			window_score(p, w);
			opipe_queue_push(p->done, w);
		}
		opipe_queue_close(p->done); /* the reading thread writes what is left and ends */
		pthread_join(reading, NULL);
		opipe_queue_free(p->q);
		opipe_queue_free(p->done);
	}
	opipe_writer_free(p->out);
	window_free(p->w);
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

/* The text a post is scored on (title and text joined by a newline, or
 * the one that is there) appended to b: 0, or -1 with the reason to
 * reject the post. */
static int post_text(json_t *rec, buf_t *b, char *reason, size_t reasonlen)
{
	json_t *text = json_object_get(rec, "text"), *title = json_object_get(rec, "title");

	if (!text)
		return herd_errf(reason, reasonlen, "post has no field 'text'");
	if (!json_is_string(text))
		return herd_errf(reason, reasonlen, "field 'text' is %s, not a string", jx_type_name(text));
	if (title && !json_is_string(title) && !json_is_null(title))
		return herd_errf(reason, reasonlen, "field 'title' is %s, not a string or null", jx_type_name(title));
	if (title && json_is_string(title) && json_string_length(title) > 0) {
		buf_put(b, json_string_value(title), json_string_length(title));
		if (json_string_length(text) > 0)
			buf_putc(b, '\n');
	}
	buf_put(b, json_string_value(text), json_string_length(text));
	return 0;
}

static int is_post(json_t *rec)
{
	const char *kind = jx_str(rec, "kind");

	return kind && strcmp(kind, "post") == 0;
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct pipeline *p = arg;
	struct window *w = p->w;
	size_t at = w->text.len;

	if (!is_post(rec)) {
		window_add(w, rec, 0);
		if (w->nposts == 0 && w->nrecs >= p->batch)
			window_send(p); /* no post waits: cut anywhere, the batches stay the same */
		return 0;
	}
	if (post_text(rec, &w->text, s->reason, sizeof s->reason) < 0) {
		w->text.len = at;
		return -1;
	}
	window_add(w, rec, 1);
	w->off[w->nposts - 1] = at;
	w->len[w->nposts - 1] = w->text.len - at;
	if (w->nposts >= p->batch)
		window_send(p);
	return 0;
}

/* ------------------------------------------------------------ VADER alone */

/* VADER alone needs no window: each record is parsed, scored, written
 * and freed on one thread (opipe_map), threads taking a share of each
 * chunk of lines; output in input order. */
struct vader_map {
	struct vader_scorer *vs;
	buf_t *text;   /* per thread: the post's text */
	long *posts;   /* per thread: posts scored */
	double *secs;  /* per thread: CPU seconds scoring, with -v only */
	int timed;
};

static int vader_map(json_t *rec, buf_t *out, char *reason, size_t reasonlen, int part, void *arg)
{
	struct vader_map *vm = arg;

	if (is_post(rec)) {
		buf_t *t = &vm->text[part];
		double t0 = vm->timed ? cpu_seconds() : 0;
		buf_reset(t);
		if (post_text(rec, t, reason, reasonlen) < 0)
			return -1;
		vader_set(vm->vs, part, rec, t->p ? t->p : "", t->len);
		vm->posts[part]++;
		if (vm->timed)
			vm->secs[part] += cpu_seconds() - t0;
	}
	ndjson_dump(out, rec);
	buf_putc(out, '\n');
	return 1;
}

static void vader_alone(stream_t *s, char **files, int nfiles, struct scorer *sc, opipe_pool *pool)
{
	int n = opipe_pool_size(pool);
	struct vader_map vm = {.vs = (struct vader_scorer *)sc, .text = xcalloc((size_t)n, sizeof(buf_t)),
			       .posts = xcalloc((size_t)n, sizeof(long)), .secs = xcalloc((size_t)n, sizeof(double)),
			       .timed = log_get_level() <= LOG_DEBUG};

	opipe_map(s, files, nfiles, pool, vader_map, &vm);
	for (int k = 0; k < n; k++) {
		sc->texts += vm.posts[k];
		sc->seconds += vm.secs[k];
		buf_free(&vm.text[k]);
	}
	free(vm.text), free(vm.posts), free(vm.secs);
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
	struct pipeline p = {0};
	opipe_pool *pool;
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
	if (model && strcmp(model, "vader") != 0) {
		struct stat st;
		/* A name that is no directory is a mistyped option, not a broken
		 * model: exit 2 (a directory that does not load is exit 1, and so
		 * is a models/default not built yet: load says `make models`). */
		if ((stat(model, &st) != 0 || !S_ISDIR(st.st_mode)) && !strstr(model, "models/default"))
			log_usage("--model: '%s' is neither vader nor a model directory", model);
	}

	if (bset.threads == 0)
		bset.threads = bert_cpu_count();
	pool = opipe_pool_new(bset.threads); /* the reading thread's: JSON, tokens, VADER, fields */
	stream_init(&s);
	s.progress_label = "posts";
	if (model && strcmp(model, "vader") == 0) {
		if (bset.hybrid)
			log_usage("--hybrid needs a BERT model beside VADER, not --model vader");
		p.scorers[p.nscorers++] = vader_scorer_new(lexicon, 1, pool);
		vader_alone(&s, argv + optind, argc - optind, p.scorers[0], pool);
	} else {
		found = model ? NULL : herd_data_path("models/default/config.json");
		if (found)
			*strrchr(found, '/') = '\0'; /* the installed or checkout's models/default */
		bset.dir = model ? model : found ? found : "models/default";
		bset.batch = batch ? (int)batch : DEFAULT_BATCH;
		p.scorers[p.nscorers++] = bert_scorer_new(&bset);
		if (also_vader || bset.hybrid)
			p.scorers[p.nscorers++] = vader_scorer_new(lexicon, 0, pool);
		for (int k = 0; k < p.nscorers; k++)
			p.scorers[k]->pool = pool;
		p.batch = (size_t)sort_window;
		p.s = &s, p.files = argv + optind, p.nfiles = argc - optind, p.pool = pool;
		/* Windows of records are freed in bulk: with fastbins, glibc
		 * consolidates them again and again (a fifth of the CPU of a
		 * small model, measured); without, frees coalesce as they come.
		 * VADER alone frees record by record and is better off with them. */
		mallopt(M_MXFAST, 0);
		pipeline_run(&p, bset.threads);
	}

	for (int k = 0; k < p.nscorers; k++) {
		struct scorer *sc = p.scorers[k];
		double secs = sc->seconds + sc->prep_seconds;
		if (sc->texts > 0)
			log_debug("%s: %ld texts scored in %.3f s of CPU (%.2f us each)", sc->name, sc->texts, secs,
				  secs / (double)sc->texts * 1e6);
		sc->free(sc);
	}
	opipe_pool_free(pool);
	free(found);
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
