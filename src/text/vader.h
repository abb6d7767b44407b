/*
 * vader.h — VADER sentiment (Hutto & Gilbert, ICWSM 2014), computed
 * exactly as the reference implementation vaderSentiment 3.3.2 computes
 * it under CPython 3.11: the same lexicon rules, the same quirks, the same
 * doubles, the same rounding (round half to even on the exact binary
 * value: 3 decimals, 4 for compound). herd-score is its caller.
 *
 * The lexicon (vader_lexicon.txt) and the emoji lexicon
 * (emoji_utf8_lexicon.txt) are read from files at run time, never
 * compiled in: scripts/fetch-vader.sh takes them out of the vaderSentiment
 * package into data/vader/. The rule word lists (boosters, negations,
 * special-case idioms) are code in the reference and are code here.
 *
 * A loaded vader_t is read-only, so any number of threads may score with
 * it at once, each with its own vader_work_t (scratch buffers reused from
 * call to call: no allocation per token, none per text once warm).
 */
#ifndef HERD_VADER_H
#define HERD_VADER_H

#include <stddef.h>

#define VADER_VERSION "3.3.2" /* the reference this file reproduces */
#define VADER_LEXICON_FILE "vader_lexicon.txt"
#define VADER_EMOJI_FILE "emoji_utf8_lexicon.txt"

typedef struct vader vader_t;
typedef struct vader_work vader_work_t;

/* What polarity_scores() returns, already rounded as it rounds them. */
struct vader_scores {
	double neg, neu, pos; /* proportions, rounded to 3 decimals */
	double compound;      /* normalized sum in [-1, 1], rounded to 4 */
};

/* Load the two lexicon files. Returns NULL and "path:line: reason" (or
 * "path: strerror") in err on failure: unreadable file, invalid UTF-8, a
 * line without TOKEN<TAB>VALUE, a value that is not a number — the cases
 * where the reference raises. Free with vader_free (NULL is a no-op). */
vader_t *vader_load(const char *lexicon_path, const char *emoji_path, char *err, size_t errlen);
/* The same with dir/vader_lexicon.txt and dir/emoji_utf8_lexicon.txt. */
vader_t *vader_load_dir(const char *dir, char *err, size_t errlen);
void vader_free(vader_t *v);
/* Distinct tokens in the lexicon (a token listed twice counts once: the
 * later line wins, as in the reference's dict). */
size_t vader_lexicon_size(const vader_t *v);
/* Emoji that can be replaced by their description: the entries whose key
 * is a single code point (the reference looks up one character at a time). */
size_t vader_emoji_size(const vader_t *v);

/* Scratch space for one thread. Never fails (allocation failure exits);
 * free with vader_work_free (NULL is a no-op). */
vader_work_t *vader_work_new(void);
void vader_work_free(vader_work_t *w);

/* Score text[0..len) (UTF-8; invalid bytes are kept as non-letters) into
 * out. w may be NULL (a temporary one is made and freed: slower). */
void vader_score(const vader_t *v, vader_work_t *w, const char *text, size_t len, struct vader_scores *out);

/* Python's round(x, ndigits) for a double: the double nearest to x
 * rounded to ndigits decimals, ties to even on x's exact binary value. */
double vader_round(double x, int ndigits);

#endif
