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
 */
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "text/vader.h"

#include <math.h>
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
	"With --model vader, each post gets\n"
	"  \"vader\":{\"neg\":…,\"neu\":…,\"pos\":…,\"compound\":…}   exactly as vaderSentiment\n"
	"      3.3.2 computes it (rounded as it rounds: 3 decimals, 4 for compound)\n"
	"  \"sentiment\":{\"model\":\"vader@3.3.2\",\"label\":…,\"score\":compound,\"confidence\":|compound|}\n"
	"      label: positive (compound >= 0.05), negative (<= -0.05) or neutral\n"
	"A field already there is replaced; nothing else in the record changes.\n"
	"With -v, the lexicon loaded and the CPU time spent scoring are reported.\n"
	"\n"
	"Options:\n"
	"  -m, --model M           vader, or a BERT model directory (default models/default;\n"
	"                          BERT models need the src/bert engine, not in this build yet)\n"
	"      --vader             also add \"vader\" when --model is a BERT model\n"
	"      --lexicon DIR       VADER lexicon directory with vader_lexicon.txt and\n"
	"                          emoji_utf8_lexicon.txt (default data/vader beside bin/,\n"
	"                          or $HERD_HOME/data/vader; scripts/fetch-vader.sh fills it)\n"
	"  -b, --batch N           posts per batch for a BERT model (default 32); VADER alone\n"
	"                          scores post by post\n"
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Example:\n"
	"  herd-normalize --source reddit comments.ndjson | herd-score --model vader \\\n"
	"    | herd-aggregate --window 1h\n";

enum { OPT_VADER = CLI_FIRST_PROGRAM_OPTION, OPT_LEXICON };

#define DEFAULT_BATCH 32
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

/* The BERT scorer (issue 3) plugs in here: a struct scorer whose run()
 * tokenizes texts[0..n), calls bert_run and sets "sentiment" per
 * docs/records.md. The engine (src/bert) is not in this build yet. */
static struct scorer *bert_scorer_new(const char *dir)
{
	log_fatal(HERD_EXIT_USAGE, "--model %s: BERT models need the src/bert engine, which is not in this build "
		  "yet; use --model vader", dir);
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
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *model = NULL, *lexicon = NULL;
	long batch = 0;
	int also_vader = 0, c, rc;
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
		default: log_usage("unexpected option");
		}
	}
	if (model && !*model)
		log_usage("--model: empty; give vader or a model directory");

	if (model && strcmp(model, "vader") == 0) {
		w.scorers[w.nscorers++] = vader_scorer_new(lexicon, 1);
		w.batch = batch ? (size_t)batch : 1;
	} else {
		w.scorers[w.nscorers++] = bert_scorer_new(model ? model : "models/default");
		if (also_vader)
			w.scorers[w.nscorers++] = vader_scorer_new(lexicon, 0);
		w.batch = batch ? (size_t)batch : DEFAULT_BATCH;
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
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
