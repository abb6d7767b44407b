/*
 * test_vader.c — src/text/vader.c rule by rule, against numbers taken from
 * the reference (vaderSentiment 3.3.2) run on the same text with the same
 * made-up lexicons (tests/text/vader-mini/, so no download is needed):
 * `.venv/bin/python scripts/make-vader-golden.py --cases` prints the rows
 * of the table below. Also: the loader (later line wins, one-code-point
 * emoji, errors the reference raises on), Python's round(), thread safety.
 * The full lexicon is checked on real text by tests/text/check-vader-golden.sh.
 */
#include "test.h"
#include "text/vader.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* Scores are rounded decimals: the port must give the reference's doubles
 * exactly, so the tolerance is zero. */
#define SCORE_TOL 0.0

struct vcase {
	const char *rule, *text;
	double neg, neu, pos, compound;
};

/* scripts/make-vader-golden.py --cases */
static const struct vcase cases[] = {
	{"plain", "The book was good.", 0.0, 0.508, 0.492, 0.4404},
	{"empty text", "", 0.0, 0.0, 0.0, 0.0},
	{"white space only", " \t\n\u00a0", 0.0, 0.0, 0.0, 0.0},
	{"no lexicon word", "The book was on the table.", 0.0, 1.0, 0.0, 0.0},
	{"lexicon lookup is case-insensitive", "The book was Good.", 0.0, 0.508, 0.492, 0.4404},
	{"exclamation marks add 0.292 each", "The book was good!!", 0.0, 0.463, 0.537, 0.5399},
	{"exclamation marks count up to 4", "The book was good!!!!!!!", 0.0, 0.424, 0.576, 0.6209},
	{"one question mark adds nothing", "The book was good?", 0.0, 0.508, 0.492, 0.4404},
	{"2-3 question marks add 0.18 each", "The book was good???", 0.0, 0.466, 0.534, 0.533},
	{"4+ question marks add 0.96", "The book was good????", 0.0, 0.437, 0.563, 0.594},
	{"punctuation emphasis on a negative text", "The book was bad!!!", 0.593, 0.407, 0.0, -0.6571},
	{"ALL CAPS word among others", "The book was GOOD.", 0.0, 0.452, 0.548, 0.5622},
	{"all words in caps: no emphasis", "THE BOOK WAS GOOD.", 0.0, 0.508, 0.492, 0.4404},
	{"booster", "The book was very good.", 0.0, 0.556, 0.444, 0.4927},
	{"booster in caps", "The book was VERY good.", 0.0, 0.505, 0.495, 0.6028},
	{"booster two words back (x0.95)", "The book was very nice good.", 0.0, 0.389, 0.611, 0.7408},
	{"booster three words back (x0.9)", "very the book good.", 0.0, 0.487, 0.513, 0.4877},
	{"dampener", "The book was slightly good.", 0.0, 0.605, 0.395, 0.3832},
	{"booster before a negative word", "The book was extremely bad.", 0.487, 0.513, 0.0, -0.5849},
	{"kind of: both words skipped, phrase dampens", "The book was kind of good.", 0.0, 0.657, 0.343, 0.3832},
	{"sort of as a bi-gram before the word", "The book was sort of good.", 0.0, 0.657, 0.343, 0.3832},
	{"kinda", "The book was kinda good.", 0.0, 0.605, 0.395, 0.3832},
	{"negation", "The book was not good.", 0.376, 0.624, 0.0, -0.3412},
	{"contraction negates", "The book isn't good.", 0.445, 0.555, 0.0, -0.3412},
	{"n't inside any word negates", "The book mightn't've good.", 0.445, 0.555, 0.0, -0.3412},
	{"curly apostrophe does not negate", "The book isn\u2019t good.", 0.0, 0.508, 0.492, 0.4404},
	{"negation two words back", "The book was not very good.", 0.344, 0.656, 0.0, -0.3865},
	{"negation three words back", "not the book good.", 0.445, 0.555, 0.0, -0.3412},
	{"never so", "The book was never so good.", 0.0, 0.53, 0.47, 0.6626},
	{"never this", "The book was never this good.", 0.0, 0.557, 0.443, 0.6084},
	{"so three words back: x1.25 whatever precedes it", "book was so good.", 0.0, 0.445, 0.555, 0.5777},
	{"without doubt", "It is without doubt good.", 0.0, 0.58, 0.42, 0.4404},
	{"without a doubt", "without a doubt good.", 0.0, 0.508, 0.492, 0.4404},
	{"no before a lexicon word", "no good.", 0.706, 0.294, 0.0, -0.3412},
	{"no as its own word", "I said no.", 0.0, 1.0, 0.0, 0.0},
	{"no two words back", "no the good.", 0.822, 0.178, 0.0, -0.5583},
	{"no ... or", "no good or bad.", 0.332, 0.276, 0.393, 0.1139},
	{"least", "The least good book.", 0.445, 0.555, 0.0, -0.3412},
	{"at least", "It was at least good.", 0.0, 0.58, 0.42, 0.4404},
	{"very least", "the very least good.", 0.0, 0.486, 0.514, 0.4902},
	{"but: before x0.5, after x1.5", "The book was good, but the ending was bad.", 0.347, 0.511, 0.142, -0.5859},
	{"BUT in caps", "The book was good BUT the ending was bad.", 0.347, 0.511, 0.142, -0.5859},
	{"but: list.index finds an earlier equal value", "superb yummy but fine.", 0.0, 0.133, 0.867, 0.6705},
	{"but: a later value equal to a halved one", "superb but yummy.", 0.0, 0.167, 0.833, 0.6124},
	{"but: only the first but counts", "good but bad but good.", 0.378, 0.159, 0.462, 0.0129},
	{"idiom: the shit", "this book is the shit.", 0.0, 0.5, 0.5, 0.6124},
	{"idiom: the bomb", "that book is the bomb.", 0.0, 0.5, 0.5, 0.6124},
	{"idiom: bad ass", "that was a bad ass movie", 0.0, 0.444, 0.556, 0.6124},
	{"idiom: yeah right", "that was great yeah right", 0.297, 0.297, 0.406, 0.2732},
	{"idiom: kiss of death", "and it was the kiss of death", 0.5, 0.5, 0.0, -0.6124},
	{"idiom: to die for (never from die itself)", "the cake was to die for", 0.438, 0.562, 0.0, -0.5994},
	{"idiom: to die for, three words before", "it was to die for yummy", 0.328, 0.336, 0.336, 0.0258},
	{"idiom needs three words before", "the shit.", 0.783, 0.217, 0.0, -0.5574},
	{"emoticon kept whole", "Nice day :)", 0.0, 0.147, 0.853, 0.7003},
	{"short token keeps its punctuation", "ok.", 0.0, 1.0, 0.0, 0.0},
	{"punctuation stripped from a longer token", "((good))", 0.0, 0.0, 1.0, 0.4404},
	{"emoji replaced by its description", "The day \U0001f600", 0.0, 0.556, 0.444, 0.34},
	{"emoji glued to a word", "good\U0001f600day", 0.0, 0.159, 0.841, 0.6486},
	{"two emoji in a row", "\U0001f600\U0001f600", 0.0, 0.294, 0.706, 0.5859},
	{"emoji description with !", "glad \u2757", 0.0, 0.417, 0.583, 0.4199},
	{"duplicate emoji: the later line wins", "today \U0001f614", 0.608, 0.392, 0.0, -0.4767},
	{"multi-code-point emoji key never matches", "ok \U0001f44d\U0001f3fd", 0.0, 0.312, 0.688, 0.296},
	{"duplicate lexicon token: the later line wins", "The book was dupe.", 0.455, 0.545, 0.0, -0.3612},
	{"upper-case lexicon key is unreachable", "so :-\u00de", 0.0, 1.0, 0.0, 0.0},
	{"Unicode upper case counts as caps", "\u00c9COLE is GOOD and fun", 0.0, 0.302, 0.698, 0.7865},
	{"letters without case are not caps", "GOOD \u65e5\u672c", 0.0, 0.216, 0.784, 0.5622},
	{"circled letters are lower case", "GOOD \u24d0\u24d1 book", 0.0, 0.355, 0.645, 0.5622},
	{"Kelvin sign lower-cases to k", "o\u212a good", 0.0, 0.0, 1.0, 0.6249},
	{"dotted capital I lower-cases to two code points", "\u0130yi good", 0.0, 0.256, 0.744, 0.4404},
	{"final sigma", "\u039f\u0394\u039f\u03a3 good", 0.0, 0.0, 1.0, 0.6841},
	{"no-break space separates words", "not\u00a0good", 0.706, 0.294, 0.0, -0.3412},
	{"zero-width space does not", "not\u200bgood", 0.0, 1.0, 0.0, 0.0},
	{"ideographic space and line separator", "not\u3000very\u2028good", 0.567, 0.433, 0.0, -0.3865},
};
#define NCASES (sizeof cases / sizeof cases[0])

static char mini_dir[4096];

static int same(const struct vader_scores *s, const struct vcase *c)
{
	return fabs(s->neg - c->neg) <= SCORE_TOL && fabs(s->neu - c->neu) <= SCORE_TOL &&
	       fabs(s->pos - c->pos) <= SCORE_TOL && fabs(s->compound - c->compound) <= SCORE_TOL;
}

static void test_cases(const vader_t *v)
{
	vader_work_t *w = vader_work_new();

	for (size_t i = 0; i < NCASES; i++) {
		const struct vcase *c = &cases[i];
		struct vader_scores s;
		vader_score(v, w, c->text, strlen(c->text), &s);
		CHECK(same(&s, c), "%s: \"%s\": got neg %g neu %g pos %g compound %g, want %g %g %g %g", c->rule,
		      c->text, s.neg, s.neu, s.pos, s.compound, c->neg, c->neu, c->pos, c->compound);
	}
	/* The same text twice in one work area gives the same scores (no state
	 * leaks from call to call), and a NULL work area works too. */
	for (size_t i = 0; i < NCASES; i++) {
		struct vader_scores a, b;
		vader_score(v, w, cases[i].text, strlen(cases[i].text), &a);
		vader_score(v, NULL, cases[i].text, strlen(cases[i].text), &b);
		CHECK(memcmp(&a, &b, sizeof a) == 0, "%s: a fresh work area scores the same", cases[i].rule);
	}
	vader_work_free(w);
}

/* Bytes that are not UTF-8 are kept as non-letters: no crash, and the
 * words around them still count. */
static void test_invalid_utf8(const vader_t *v)
{
	static const char text[] = "good \xff\xfe bad \xe2\x82 great\xc0";
	struct vader_scores s;

	vader_score(v, NULL, text, sizeof text - 1, &s);
	CHECK(s.neu > 0 && s.pos > 0 && s.neg > 0, "invalid bytes: got neg %g neu %g pos %g", s.neg, s.neu, s.pos);
	vader_score(v, NULL, "good\0bad", 8, &s);
	CHECK(s.neu == 1.0 && s.compound == 0.0, "a NUL byte is a character: \"good\\0bad\" is one word, as in Python");
}

struct thread_arg {
	const vader_t *v;
	int bad;
};

static void *score_all(void *p)
{
	struct thread_arg *a = p;
	vader_work_t *w = vader_work_new();

	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < NCASES; i++) {
			struct vader_scores s;
			vader_score(a->v, w, cases[i].text, strlen(cases[i].text), &s);
			a->bad += !same(&s, &cases[i]);
		}
	}
	vader_work_free(w);
	return NULL;
}

static void test_threads(const vader_t *v)
{
	pthread_t t[4];
	struct thread_arg a[4];

	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){v, 0};
		pthread_create(&t[i], NULL, score_all, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(a[i].bad == 0, "thread %d: %d wrong scores while 4 threads shared one vader_t", i, a[i].bad);
	}
}

static void test_round(void)
{
	static const struct {
		double x;
		int n;
		double want; /* Python's round(x, n) */
	} r[] = {
		{0.0625, 3, 0.062}, {0.0635, 3, 0.064}, {2.5, 0, 2.0}, {3.5, 0, 4.0}, {-4e-05, 4, -0.0},
		{5e-05, 4, 0.0001}, {0.12345, 4, 0.1235}, {1.0005, 3, 1.0}, {0.4404499999999999, 4, 0.4404},
		{-0.0625, 3, -0.062}, {0.9999, 3, 1.0},
	};

	unsigned long long seed = 42;
	long wrong = 0;

	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		double got = vader_round(r[i].x, r[i].n);
		CHECK(got == r[i].want && signbit(got) == signbit(r[i].want), "round(%.17g, %d): got %.17g, want %.17g",
		      r[i].x, r[i].n, got, r[i].want);
	}
	/* The fast path against printf's exact rounding, on values at and next
	 * to every tie of 3 and 4 decimals in [-1, 1] and on random ones. */
	for (int k = -20000; k <= 20000; k++) {
		for (int d = -2; d <= 2; d++) {
			double x = nextafter(k / 20000.0, d < 0 ? -2.0 : 2.0), t;
			char str[64];
			if (d == 0)
				x = k / 20000.0;
			for (int j = 1; j < (d < 0 ? -d : d); j++)
				x = nextafter(x, d < 0 ? -2.0 : 2.0);
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if (d == 0 && (seed >> 60) == 0)
				x = (double)(seed >> 11) / 9007199254740992.0 * 2 - 1;
			for (int n = 3; n <= 4; n++) {
				snprintf(str, sizeof str, "%.*f", n, x);
				t = strtod(str, NULL);
				wrong += vader_round(x, n) != t || signbit(vader_round(x, n)) != signbit(t);
			}
		}
	}
	CHECK(wrong == 0, "vader_round disagrees with exact rounding on %ld of 400010 roundings", wrong);
}

/* Write text to dir/name; returns the path (static buffer). */
static const char *put(const char *dir, const char *name, const char *text)
{
	static char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_load_errors(void)
{
	char dir[] = "/tmp/herd-test-vader-XXXXXX", lex[4200], emo[4200], err[512];
	static const struct {
		const char *what, *lexicon, *emoji, *want;
	} bad[] = {
		{"a lexicon line without a tab", "good\t1.9\nbad -2.5\n", "x\ty\n", "lex.txt:2: expected TOKEN<TAB>VALUE"},
		{"a value that is not a number", "good\t1.9\nbad\tvery\n", "x\ty\n", "lex.txt:2: 'very' is not a number"},
		{"invalid UTF-8", "good\t1.9\n\xff\t1\n", "x\ty\n", "lex.txt: not valid UTF-8"},
		{"an empty line in the emoji file", "good\t1.9\n", "x\ty\n\nz\tw\n", "emo.txt:2: expected EMOJI<TAB>DESCRIPTION"},
		{"an empty emoji file", "good\t1.9\n", "", "emo.txt:1: expected EMOJI<TAB>DESCRIPTION"},
	};
	vader_t *v;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp failed");
		return;
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(lex, sizeof lex, "%s", put(dir, "lex.txt", bad[i].lexicon));
		snprintf(emo, sizeof emo, "%s", put(dir, "emo.txt", bad[i].emoji));
		err[0] = '\0';
		v = vader_load(lex, emo, err, sizeof err);
		CHECK(!v && strstr(err, bad[i].want), "%s: got \"%s\", want \"...%s\"", bad[i].what, err, bad[i].want);
		vader_free(v);
	}
	/* What the reference accepts: empty lexicon lines, trailing newlines,
	 * CRLF, extra columns. */
	snprintf(lex, sizeof lex, "%s", put(dir, "lex.txt", "\ngood\t1.9\t0.5\t[1]\r\n\nbad\t-2.5\n\n\n"));
	snprintf(emo, sizeof emo, "%s", put(dir, "emo.txt", "x\ty\r\n\n\n"));
	v = vader_load(lex, emo, err, sizeof err);
	CHECK(v && vader_lexicon_size(v) == 2, "blank lines, CRLF and extra columns load: %s", v ? "ok" : err);
	vader_free(v);
	v = vader_load("/nonexistent/lex.txt", emo, err, sizeof err);
	CHECK(!v && strstr(err, "/nonexistent/lex.txt: No such file"), "missing file: got \"%s\"", err);
	unlink(lex);
	unlink(emo);
	rmdir(dir);
}

int main(void)
{
	const char *top = getenv("HERD_TOP");
	char err[512];
	vader_t *v;

	snprintf(mini_dir, sizeof mini_dir, "%s/tests/text/vader-mini", top ? top : ".");
	v = vader_load_dir(mini_dir, err, sizeof err);
	CHECK(v != NULL, "load the mini lexicons: %s", err);
	if (!v)
		return test_report();
	/* 26 tokens, "dupe" twice, and an empty line; 5 emoji lines, one with
	 * two code points and one code point twice. */
	CHECK(vader_lexicon_size(v) == 25, "mini lexicon: %zu distinct tokens, want 25", vader_lexicon_size(v));
	CHECK(vader_emoji_size(v) == 3, "mini emoji lexicon: %zu usable emoji, want 3", vader_emoji_size(v));
	test_cases(v);
	test_invalid_utf8(v);
	test_threads(v);
	test_round();
	test_load_errors();
	vader_free(v);
	return test_report();
}
