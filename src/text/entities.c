/*
 * entities.c — finding ticker mentions in text; see entities.h for the
 * rules and docs/entities.md for the dictionary files and measured figures.
 *
 * One pass splits the text into words (runs of [A-Za-z0-9_]) and notes for
 * each whether it is a cashtag, all capitals, a contraction part, a handle
 * or sits in a URL or an r/ u/ reference (those are never candidates). A
 * second pass takes cashtags, dictionary words and aliases; ENT_RECALL runs
 * a third that looks at the words around each doubtful candidate.
 */
#include "entities.h"
#include "lib/buf.h"
#include "lib/strset.h"
#include "lib/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ maps */

/* The dictionary's maps are string sets with a value per key
 * (src/lib/strset.c); these look a word up where it lies in the text. */

/* The value of key[0..n) in m, or -1 when absent. */
static int64_t map_get(const strset *m, const char *key, size_t n)
{
	int64_t v;

	return strset_get(m, key, n, strset_hash(key, n), &v) ? v : -1;
}

/* A pointer to the value of key (inserted as init when absent); valid
 * until the next insertion into m. */
static int64_t *map_at(strset *m, const char *key, int64_t init)
{
	size_t n = strlen(key);

	return strset_at(m, key, n, strset_hash(key, n), init);
}

/* ================================================================ dictionary */

enum {
	SYM_TICKER = 1, /* in tickers.tsv */
	SYM_STOP = 2,   /* in stoplist.txt: never bare in precision mode */
	SYM_WORD = 4,   /* a ticker that is also a word: not when the text shouts */
	SYM_NEVER = 8,  /* stop-listed as jargon (DD, PT, RSI): not even in recall */
};

typedef struct alias {
	char *text;            /* as written in aliases.tsv */
	size_t len;
	char sym[ENT_SYM_MAX];
	unsigned flags;        /* ENT_ALIAS_* */
	int64_t next;          /* next alias with the same first word, longer first; -1 ends */
} alias;

struct ent_dict {
	strset syms;      /* upper-case word → SYM_* flags */
	strset first;     /* lower-case first word of an alias → index of its longest alias */
	alias *aliases;
	size_t naliases, cap;
	size_t ntickers, nstops, nwords;
};

#define IS_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define IS_LOWER(c) ((c) >= 'a' && (c) <= 'z')
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (IS_UPPER(c) || IS_LOWER(c))
#define IS_WORD(c) (IS_ALPHA(c) || IS_DIGIT(c) || (c) == '_')
#define TO_LOWER(c) (IS_UPPER(c) ? (char)((c) + 32) : (c))
#define TO_UPPER(c) (IS_LOWER(c) ? (char)((c)-32) : (c))
#define FIRST_MAX 32 /* longest first word of an alias */

int ent_mode_parse(const char *name)
{
	static const char *const names[] = {"none", "cashtags", "precision", "recall"};

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *ent_mode_name(int mode)
{
	static const char *const names[] = {"none", "cashtags", "precision", "recall"};

	return mode >= 0 && mode < 4 ? names[mode] : "?";
}

ent_dict *ent_dict_new(void)
{
	return xcalloc(1, sizeof(ent_dict));
}

void ent_dict_free(ent_dict *d)
{
	if (!d)
		return;
	strset_free(&d->syms);
	strset_free(&d->first);
	for (size_t i = 0; i < d->naliases; i++)
		free(d->aliases[i].text);
	free(d->aliases);
	free(d);
}

/* Upper-case s into out[ENT_SYM_MAX]; 0 when it is a valid symbol. */
static int normalize_sym(const char *s, char *out)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ENT_SYM_MAX || !IS_ALPHA(s[0]))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = TO_UPPER(s[i]);
		if (!IS_UPPER(c) && !IS_DIGIT(c) && c != '.' && c != '-')
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Set flag on word (upper-cased), counting it in *count the first time. */
static int add_flag(ent_dict *d, const char *word, int flag, size_t *count)
{
	char u[ENT_SYM_MAX];
	int64_t *f;

	if (normalize_sym(word, u) < 0)
		return -1;
	f = map_at(&d->syms, u, 0);
	if (!(*f & flag))
		(*count)++;
	*f |= flag;
	return 0;
}

int ent_dict_add_ticker(ent_dict *d, const char *sym)
{
	return add_flag(d, sym, SYM_TICKER, &d->ntickers);
}

int ent_dict_add_stop(ent_dict *d, const char *word)
{
	return add_flag(d, word, SYM_STOP, &d->nstops);
}

/* The length of the leading run of word characters of s[0..n); its first
 * FIRST_MAX - 1 bytes go lower-cased into out. */
static size_t first_word(const char *s, size_t n, char *out)
{
	size_t k = 0;

	while (k < n && IS_WORD(s[k])) {
		if (k < FIRST_MAX - 1)
			out[k] = TO_LOWER(s[k]);
		k++;
	}
	out[k < FIRST_MAX - 1 ? k : FIRST_MAX - 1] = '\0';
	return k;
}

int ent_dict_add_alias(ent_dict *d, const char *text, const char *sym, unsigned flags)
{
	char first[FIRST_MAX];
	size_t len = strlen(text);
	alias *a;
	int64_t *head, *link;
	int idx;
	size_t k;

	if (len == 0 || !IS_WORD(text[0]) || !IS_WORD(text[len - 1]))
		return -1;
	k = first_word(text, len, first);
	if (k == 0 || k >= FIRST_MAX)
		return -1;
	if (d->naliases == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->aliases = xrealloc(d->aliases, d->cap * sizeof *d->aliases);
	}
	idx = (int)d->naliases;
	a = &d->aliases[idx];
	if (normalize_sym(sym, a->sym) < 0)
		return -1;
	a->text = xstrdup(text);
	a->len = len;
	a->flags = flags;
	d->naliases++;
	/* Keep each chain longest first, so the longest alias wins. */
	head = map_at(&d->first, first, -1);
	link = head;
	while (*link >= 0 && d->aliases[*link].len >= len)
		link = &d->aliases[*link].next;
	a->next = *link;
	*link = idx;
	return 0;
}

size_t ent_dict_tickers(const ent_dict *d) { return d->ntickers; }
size_t ent_dict_stops(const ent_dict *d) { return d->nstops; }
size_t ent_dict_aliases(const ent_dict *d) { return d->naliases; }

static int sym_flags(const ent_dict *d, const char *s, size_t n)
{
	int64_t f = map_get(&d->syms, s, n);

	return f < 0 ? 0 : (int)f;
}

int ent_dict_is_ticker(const ent_dict *d, const char *sym)
{
	return (sym_flags(d, sym, strlen(sym)) & SYM_TICKER) != 0;
}

int ent_dict_is_stop(const ent_dict *d, const char *word)
{
	return (sym_flags(d, word, strlen(word)) & SYM_STOP) != 0;
}

/* ---------------------------------------------------------------- loading */

/* Split line at tabs into at most max fields (in place); returns the count. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;

	while (n < max) {
		char *tab = strchr(line, '\t');
		f[n++] = line;
		if (!tab)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	if (s[0] == ' ')
		memmove(s, s + strspn(s, " "), strlen(s + strspn(s, " ")) + 1);
}

/* Parse one line of a file; returns NULL or the reason it is bad. */
typedef const char *(*line_fn)(ent_dict *d, char *line);

/* A line of tickers.tsv or stoplist.txt: a word in the first column, added
 * by add (or `bad` returned), and an optional flag word in column flagcol
 * that sets `flag` (anything else there is an unknown flag). */
static const char *word_line(ent_dict *d, char *line, int (*add)(ent_dict *, const char *), const char *bad,
			     int flagcol, const char *flagname, int flag, size_t *count, const char *badflag)
{
	char *f[4];
	int n = split_tabs(line, f, flagcol + 1);

	trim(f[0]);
	if (add(d, f[0]) < 0)
		return bad;
	if (n == flagcol + 1) {
		trim(f[flagcol]);
		if (strcmp(f[flagcol], flagname) == 0)
			add_flag(d, f[0], flag, count);
		else if (f[flagcol][0])
			return badflag;
	}
	return NULL;
}

/* SYMBOL<TAB>NAME<TAB>KIND[<TAB>word] */
static const char *ticker_line(ent_dict *d, char *line)
{
	return word_line(d, line, ent_dict_add_ticker, "not a symbol (1-15 of A-Z 0-9 . -, starting with a letter)", 3,
			 "word", SYM_WORD, &d->nwords, "unknown flag (known: word)");
}

/* WORD[<TAB>never] */
static const char *stop_line(ent_dict *d, char *line)
{
	size_t unused = 0;

	return word_line(d, line, ent_dict_add_stop, "not a word (1-15 of A-Z 0-9 . -, starting with a letter)", 1,
			 "never", SYM_NEVER, &unused, "unknown flag (known: never)");
}

static const char *alias_line(ent_dict *d, char *line)
{
	char *f[3], *tok, *save;
	unsigned flags = 0;
	int n = split_tabs(line, f, 3);

	if (n < 2)
		return "expected ALIAS<TAB>SYMBOL[<TAB>FLAGS]";
	trim(f[0]);
	trim(f[1]);
	if (n == 3) {
		for (tok = strtok_r(f[2], ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (strcmp(tok, "cased") == 0)
				flags |= ENT_ALIAS_CASED;
			else if (strcmp(tok, "recall") == 0)
				flags |= ENT_ALIAS_RECALL;
			else
				return "unknown flag (known: cased, recall)";
		}
	}
	if (ent_dict_add_alias(d, f[0], f[1], flags) < 0)
		return "bad alias or symbol (an alias starts and ends with a letter or digit)";
	return NULL;
}

/* Load path with fn per line; 1 loaded, 0 absent, -1 error (err set). */
static int load_file(ent_dict *d, const char *path, line_fn fn, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	ssize_t n;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *why;
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#' || strspn(line, " \t") == (size_t)n)
			continue;
		if ((why = fn(d, line)) != NULL) {
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
			free(line);
			fclose(f);
			return -1;
		}
	}
	free(line);
	fclose(f);
	return 1;
}

int ent_dict_load_dir(ent_dict *d, const char *dir, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		line_fn fn;
	} files[] = {{"tickers.tsv", ticker_line}, {"aliases.tsv", alias_line}, {"stoplist.txt", stop_line}};
	buf_t path = BUF_INIT;
	int found = 0;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		int rc;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, files[i].name);
		rc = load_file(d, path.p, files[i].fn, err, errlen);
		if (rc < 0) {
			buf_free(&path);
			return -1;
		}
		found += rc;
	}
	buf_free(&path);
	if (!found) {
		snprintf(err, errlen, "%s: no dictionary here (tickers.tsv, aliases.tsv or stoplist.txt)", dir);
		return -1;
	}
	return 0;
}

/* ================================================================ sets */

void ent_set_clear(ent_set *s)
{
	s->n = 0;
}

void ent_set_free(ent_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static void set_add_n(ent_set *s, const char *sym, size_t n)
{
	if (n == 0 || n >= ENT_SYM_MAX)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	for (size_t i = 0; i < n; i++)
		s->v[s->n][i] = TO_UPPER(sym[i]);
	s->v[s->n][n] = '\0';
	s->n++;
}

int ent_set_add(ent_set *s, const char *sym)
{
	char u[ENT_SYM_MAX];

	if (normalize_sym(sym, u) < 0)
		return -1;
	set_add_n(s, u, strlen(u));
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	return strcmp(a, b);
}

void ent_set_finish(ent_set *s)
{
	size_t k = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof *s->v, cmp_sym);
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->v[i], s->v[k]) != 0)
			memcpy(s->v[++k], s->v[i], ENT_SYM_MAX);
	s->n = k + 1;
}

/* ================================================================ words */

enum {
	W_UPPER = 1,       /* letters only, all capitals (with a .B suffix) */
	W_LOWER = 2,       /* letters only, all lower case */
	W_CASHTAG = 4,     /* $ and 1-5 letters (+ class suffix) */
	W_DOLLARNUM = 8,   /* $ and digits: a price */
	W_STRIKE = 16,     /* digits then c/p: an option strike (50c, 2.5p) */
	W_NOCAND = 32,     /* never a bare candidate: handle, contraction part */
	W_TAKEN = 64,      /* counted as an entity by the precision pass */
};

typedef struct word {
	uint32_t start, len; /* bytes of the word (a cashtag without its '$') */
	uint32_t flags;
} word;

/* Scratch kept between calls (one extractor per process). */
static word *words;
static size_t nwords, capwords;

static void push_word(uint32_t start, uint32_t len, uint32_t flags)
{
	if (nwords == capwords) {
		capwords = capwords ? 2 * capwords : 256;
		words = xrealloc(words, capwords * sizeof *words);
	}
	words[nwords].start = start;
	words[nwords].len = len;
	words[nwords].flags = flags;
	nwords++;
}

static int is_apostrophe(const char *t, size_t n, size_t i, size_t *width)
{
	if (i < n && (t[i] == '\'')) {
		*width = 1;
		return 1;
	}
	if (i + 2 < n && (unsigned char)t[i] == 0xe2 && (unsigned char)t[i + 1] == 0x80 &&
	    (unsigned char)t[i + 2] == 0x99) { /* U+2019 ’ */
		*width = 3;
		return 1;
	}
	return 0;
}

/* Contraction endings that make the word before them a plain word
 * ("DON'T", "WE'RE"); "'s" is left out because "GME's" is possessive. */
static int contraction_tail(const char *s, size_t n)
{
	static const char *const tails[] = {"t", "re", "ve", "ll", "d", "m"};

	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++)
		if (strlen(tails[i]) == n && strncasecmp(s, tails[i], n) == 0)
			return 1;
	return 0;
}

static int has_prefix_ci(const char *t, size_t n, size_t i, const char *p)
{
	size_t k = strlen(p);

	return i + k <= n && strncasecmp(t + i, p, k) == 0;
}

/* Split text into words; URLs and r/… u/… references are skipped. */
static void tokenize(const char *t, size_t n)
{
	size_t i = 0;

	nwords = 0;
	while (i < n) {
		size_t start, len, w;
		uint32_t flags = 0;
		int upper = 1, lower = 1, digits = 0, letters = 0;

		if (!IS_WORD(t[i])) {
			i++;
			continue;
		}
		start = i;
		/* URLs: skip to the next space (or closing bracket of a markdown link). */
		if (has_prefix_ci(t, n, i, "http://") || has_prefix_ci(t, n, i, "https://") ||
		    has_prefix_ci(t, n, i, "www.")) {
			while (i < n && t[i] != ' ' && t[i] != '\n' && t[i] != '\t' && t[i] != ')' && t[i] != ']')
				i++;
			continue;
		}
		while (i < n && IS_WORD(t[i])) {
			char c = t[i];
			upper &= IS_UPPER(c);
			lower &= IS_LOWER(c);
			digits += IS_DIGIT(c);
			letters += IS_ALPHA(c);
			i++;
		}
		len = i - start;
		/* "GMEs", "TSLAs": a plural of a capital word counts as the word. */
		if (!upper && len >= 3 && t[i - 1] == 's' && letters == (int)len) {
			size_t k = start;
			while (k < i - 1 && IS_UPPER(t[k]))
				k++;
			if (k == i - 1) {
				upper = 1;
				len--;
				letters--;
			}
		}
		upper = upper && letters == (int)len;
		/* r/wallstreetbets, u/someone, /r/GME: a name, not a mention. */
		if (len == 1 && (t[start] == 'r' || t[start] == 'u' || t[start] == 'R' || t[start] == 'U') &&
		    i < n && t[i] == '/' && (start == 0 || !IS_WORD(t[start - 1]))) {
			i++;
			while (i < n && (IS_WORD(t[i]) || t[i] == '-'))
				i++;
			continue;
		}
		/* Class suffix: BRK.B, BF.A (capitals only, then a word boundary). */
		if (upper && i + 1 < n && t[i] == '.' && IS_UPPER(t[i + 1])) {
			size_t k = i + 1;
			while (k < n && IS_UPPER(t[k]) && k - i <= 2)
				k++;
			if (k - i - 1 <= 2 && (k == n || !IS_WORD(t[k])) && !(k < n && t[k] == '.' && k + 1 < n && IS_ALPHA(t[k + 1]))) {
				i = k;
				len = i - start;
			}
		}
		if (upper)
			flags |= W_UPPER;
		if (lower && letters > 0)
			flags |= W_LOWER;
		if (start > 0 && t[start - 1] == '$' && (start == 1 || (!IS_WORD(t[start - 2]) && t[start - 2] != '$'))) {
			if (digits == 0 && letters > 0) {
				size_t base = 0;
				while (base < len && IS_ALPHA(t[start + base]))
					base++;
				if (base >= 1 && base <= 5)
					flags |= W_CASHTAG;
			} else if (IS_DIGIT(t[start])) {
				flags |= W_DOLLARNUM;
			}
		}
		if (digits && len >= 2 && (t[i - 1] == 'c' || t[i - 1] == 'p' || t[i - 1] == 'C' || t[i - 1] == 'P') &&
		    digits == (int)len - 1)
			flags |= W_STRIKE;
		/* Decimal strikes: "2.5c" reads as the words "2" and "5c". */
		if (start > 0 && t[start - 1] == '@')
			flags |= W_NOCAND; /* a handle */
		if (is_apostrophe(t, n, i, &w)) {
			size_t k = i + w;
			while (k < n && IS_ALPHA(t[k]))
				k++;
			if (contraction_tail(t + i + w, k - i - w))
				flags |= W_NOCAND;
		}
		if (start > 0) {
			/* The tail of a contraction or possessive ('s, 't) is never a word of its own. */
			size_t b = start;
			if (t[b - 1] == '\'' && b >= 2 && IS_ALPHA(t[b - 2]))
				flags |= W_NOCAND;
			else if (b >= 4 && (unsigned char)t[b - 1] == 0x99 && (unsigned char)t[b - 2] == 0x80 &&
				 (unsigned char)t[b - 3] == 0xe2 && IS_ALPHA(t[b - 4]))
				flags |= W_NOCAND;
		}
		push_word((uint32_t)start, (uint32_t)len, flags);
	}
}

/* ================================================================ aliases */

/* Does alias a match text at i? Returns the end offset, or 0. A space in
 * the alias matches any run of spaces, newlines or hyphens. */
static size_t alias_match(const alias *a, const char *t, size_t n, size_t i, int cased)
{
	size_t j = 0;

	while (j < a->len) {
		char ac = a->text[j];
		if (ac == ' ') {
			if (i >= n || !(t[i] == ' ' || t[i] == '\n' || t[i] == '\t' || t[i] == '-'))
				return 0;
			while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\t' || t[i] == '-'))
				i++;
			j++;
			continue;
		}
		if (i >= n)
			return 0;
		if (cased ? t[i] != ac : TO_LOWER(t[i]) != TO_LOWER(ac))
			return 0;
		i++;
		j++;
	}
	if (i < n && IS_WORD(t[i]))
		return 0;
	return i;
}

/* The longest alias starting at word w: 1 when a sure one matched (added
 * to out), 2 when only a doubtful one did (a "recall" alias, or a "cased"
 * one in other capitals: only ENT_RECALL takes those, in context), else 0. */
static int match_alias(const ent_dict *d, const char *t, size_t n, const word *w, int doubtful, ent_set *out)
{
	char first[FIRST_MAX];
	size_t k;
	int64_t idx;

	if (w->flags & W_CASHTAG)
		return 0;
	k = first_word(t + w->start, w->len, first);
	if (k >= FIRST_MAX)
		return 0;
	for (idx = map_get(&d->first, first, k); idx >= 0; idx = d->aliases[idx].next) {
		const alias *a = &d->aliases[idx];
		int sure = !(a->flags & ENT_ALIAS_RECALL);
		if (sure && alias_match(a, t, n, w->start, (a->flags & ENT_ALIAS_CASED) != 0)) {
			set_add_n(out, a->sym, strlen(a->sym));
			return 1;
		}
		if (doubtful && alias_match(a, t, n, w->start, 0)) {
			set_add_n(out, a->sym, strlen(a->sym));
			return 2;
		}
	}
	return 0;
}

/* ================================================================ recall context */

/* Words after a candidate that say it is a ticker ("ON calls"). */
static const char *const cue_after[] = {"call", "calls", "put", "puts", "share", "shares", "stock", "stocks",
					"stonk", "stonks", "option", "options", "leaps", "strike", "strikes",
					"position", "positions", "earnings", "squeeze", "holders", "bagholders",
					"price", "pt", "ticker", "gang", "chart", "dip", "moon", "futures",
					"leap", "fd", "fds", "yolo", NULL};
/* Words before a candidate that say it is a ticker ("bought ON"). */
static const char *const cue_before[] = {"buy", "bought", "buying", "sell", "sold", "selling", "short",
					 "shorting", "shorted", "long", "calls", "puts", "shares", "ticker",
					 "holding", "hold", "holds", "own", NULL};

static int in_list(const char *const *list, const char *t, const word *w)
{
	for (int i = 0; list[i]; i++)
		if (strlen(list[i]) == w->len && strncasecmp(list[i], t + w->start, w->len) == 0)
			return 1;
	return 0;
}

static int is_joiner(const char *t, const word *w)
{
	return (w->len == 3 && strncasecmp(t + w->start, "and", 3) == 0) ||
	       (w->len == 2 && strncasecmp(t + w->start, "or", 2) == 0);
}

/* Is the text around words[i] shouting (several other all-capital words)? */
static int shouting(size_t i)
{
	int caps = 0;

	for (size_t k = i >= 2 ? i - 2 : 0; k <= i + 2 && k < nwords; k++)
		if (k != i && (words[k].flags & W_UPPER) && words[k].len >= 2 && !(words[k].flags & W_TAKEN))
			caps++;
	return caps >= 2;
}

/* Words right after a lower-case word that make it a ticker even when it
 * is also a word ("riot calls", "plug 30c"). */
static const char *const strong_after[] = {"call", "calls", "put", "puts", "shares", "options", "leaps", "fds",
					   NULL};

static int strong_cue(const char *t, size_t i)
{
	return i + 1 < nwords &&
	       ((words[i + 1].flags & (W_STRIKE | W_DOLLARNUM)) || in_list(strong_after, t, &words[i + 1]));
}

/* A trading word among the three words after words[i] or the two before
 * it (and the text not shouting). */
static int cue_supports(const char *t, size_t i)
{
	size_t k;

	if (shouting(i))
		return 0;
	for (k = i + 1; k < nwords && k <= i + 3; k++)
		if ((words[k].flags & (W_STRIKE | W_DOLLARNUM)) || in_list(cue_after, t, &words[k]))
			return 1;
	for (k = i; k > 0 && k + 2 > i; k--)
		if (in_list(cue_before, t, &words[k - 1]))
			return 1;
	return 0;
}

/* Do the words around words[i] support reading it as a ticker: a cue, or
 * a ticker beside it? */
static int context_supports(const char *t, size_t i)
{
	size_t k;

	if (shouting(i))
		return 0;
	/* A neighbouring ticker: "GME, ON and AMD". */
	for (k = i; k > 0 && k + 2 >= i; k--) {
		if (words[k - 1].flags & W_TAKEN)
			return 1;
		if (!is_joiner(t, &words[k - 1]))
			break;
	}
	for (k = i + 1; k < nwords && k <= i + 2; k++) {
		if (words[k].flags & W_TAKEN)
			return 1;
		if (!is_joiner(t, &words[k]))
			break;
	}
	return cue_supports(t, i);
}

/* ================================================================ extraction */

/* The dictionary flags of the bare word w (BRK.B as listed, else its base
 * BRK); *len is set to the length of the symbol that matched. */
static int word_flags(const ent_dict *d, const char *t, const word *w, size_t *len)
{
	const char *dot;
	int f;

	*len = w->len;
	f = sym_flags(d, t + w->start, w->len);
	if (!(f & SYM_TICKER) && (dot = memchr(t + w->start, '.', w->len)) != NULL) {
		*len = (size_t)(dot - (t + w->start));
		f = *len >= 2 ? sym_flags(d, t + w->start, *len) : 0;
	}
	return f;
}

void ent_extract(const ent_dict *d, int mode, const char *t, size_t n, ent_set *out)
{
	size_t len;
	int f;

	if (mode == ENT_NONE || n == 0)
		return;
	tokenize(t, n);
	/* Cashtags, aliases, and dictionary tickers that are not words. */
	for (size_t i = 0; i < nwords; i++) {
		word *w = &words[i];
		if (w->flags & W_CASHTAG) {
			set_add_n(out, t + w->start, w->len);
			w->flags |= W_TAKEN;
			continue;
		}
		if (mode == ENT_CASHTAGS || !d)
			continue;
		if (match_alias(d, t, n, w, 0, out))
			w->flags |= W_TAKEN;
		if ((w->flags & (W_UPPER | W_NOCAND)) == W_UPPER && w->len >= 2) {
			f = word_flags(d, t, w, &len);
			if ((f & (SYM_TICKER | SYM_STOP | SYM_WORD)) == SYM_TICKER) {
				set_add_n(out, t + w->start, len);
				w->flags |= W_TAKEN;
			}
		}
	}
	if (mode == ENT_CASHTAGS || !d)
		return;
	/* Tickers that are also words (RIOT, PLUG), unless the text shouts. */
	for (size_t i = 0; i < nwords; i++) {
		word *w = &words[i];
		if ((w->flags & (W_UPPER | W_NOCAND | W_TAKEN | W_CASHTAG)) != W_UPPER || w->len < 2)
			continue;
		f = word_flags(d, t, w, &len);
		if ((f & (SYM_TICKER | SYM_STOP | SYM_WORD)) == (SYM_TICKER | SYM_WORD) && !shouting(i)) {
			set_add_n(out, t + w->start, len);
			w->flags |= W_TAKEN;
		}
	}
	if (mode != ENT_RECALL)
		return;
	/* Recall: the doubtful ones, where the words around support them. */
	for (size_t i = 0; i < nwords; i++) {
		word *w = &words[i];
		char up[ENT_SYM_MAX];
		ent_set one = ENT_SET_INIT;

		if (w->flags & (W_TAKEN | W_CASHTAG))
			continue;
		/* Doubtful aliases: "Coinbase" (recall), "apple" (cased Apple). */
		if (match_alias(d, t, n, w, 1, &one) == 2 && context_supports(t, i)) {
			set_add_n(out, one.v[0], strlen(one.v[0]));
			w->flags |= W_TAKEN;
		}
		ent_set_free(&one);
		if ((w->flags & (W_TAKEN | W_NOCAND)) || w->len >= ENT_SYM_MAX)
			continue;
		if (w->flags & W_UPPER) {
			/* Stop-listed and single-letter tickers, in context; capitals the
			 * dictionary does not know (penny stocks), with a trading word. */
			f = word_flags(d, t, w, &len);
			if (((f & SYM_TICKER) && !(f & SYM_NEVER) && (len == 1 || (f & SYM_STOP)) &&
			     context_supports(t, i)) ||
			    (!f && w->len >= 3 && w->len <= 5 && !memchr(t + w->start, '.', w->len) &&
			     cue_supports(t, i))) {
				set_add_n(out, t + w->start, f ? len : w->len);
				w->flags |= W_TAKEN;
			}
		} else if ((w->flags & W_LOWER) && w->len >= 3) {
			/* Lower-case tickers ("pltr calls", "spy puts"). */
			for (size_t k = 0; k < w->len; k++)
				up[k] = TO_UPPER(t[w->start + k]);
			f = sym_flags(d, up, w->len);
			/* A lower-case "gold" or "plug" is the word unless "calls" follows. */
			if ((f & SYM_TICKER) && !(f & SYM_STOP) &&
			    ((f & SYM_WORD) ? strong_cue(t, i) : context_supports(t, i))) {
				set_add_n(out, up, w->len);
				w->flags |= W_TAKEN;
			}
		}
	}
}
