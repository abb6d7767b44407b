/*
 * vader.c — VADER sentiment, a line-by-line port of vaderSentiment 3.3.2
 * (vaderSentiment/vaderSentiment.py); see vader.h.
 *
 * Each function below names the Python function it reproduces. The port
 * keeps the reference's quirks on purpose, because herd promises the same
 * numbers: the "but" rule rescales the first element *equal* to a value
 * (list.index), the three-words-back negation check multiplies by 1.25 when
 * the previous word is "so" or "this" whatever precedes it, "no" before a
 * lexicon word loses its own valence, a lexicon token listed twice takes
 * its later value, emoji become their descriptions before tokenizing.
 *
 * Text is handled the way CPython 3.11 handles a str: split() and strip()
 * on Unicode white space, strip(string.punctuation) on ASCII punctuation,
 * lengths in code points, lower() with its full mapping (İ, final sigma)
 * and isupper() on the Unicode Uppercase/Lowercase/Titlecase properties of
 * Unicode 14.0 (utf8proc's categories, which are Unicode 15.0, minus the
 * six letters 15.0 added, plus PropList's Other_Uppercase/Other_Lowercase).
 * Lowered tokens are looked up once in a hash table that also marks the
 * words the rules name, so the rules compare small integers, not strings.
 *
 * Arithmetic is IEEE double in the reference's order of operations; every
 * product is its own statement so that no compiler fuses it into an FMA
 * (herd builds with -std=c11, where GCC does not contract anyway).
 */
#include "vader.h"

#include "lib/buf.h"
#include "lib/ndjson.h"
#include "lib/strset.h"
#include "lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ------------------------------------------------------------ constants */

/* The reference's empirically derived constants. */
#define B_INCR 0.293
#define B_DECR -0.293
#define C_INCR 0.733
#define N_SCALAR -0.74
#define NORM_ALPHA 15 /* normalize(score, alpha=15) */

/* Words the rules compare against: ids stored in the lexicon table. Phrase
 * words (below) get ids after these, at load time. */
enum {
	W_NONE,
	W_NO, W_BUT, W_KIND, W_OF, W_LEAST, W_AT, W_VERY, W_NEVER, W_SO, W_THIS, W_WITHOUT, W_DOUBT, W_OR,
	W_NOR,
	W_FIXED_END
};
static const char *const rule_words[W_FIXED_END] = {
	[W_NO] = "no", [W_BUT] = "but", [W_KIND] = "kind", [W_OF] = "of", [W_LEAST] = "least", [W_AT] = "at",
	[W_VERY] = "very", [W_NEVER] = "never", [W_SO] = "so", [W_THIS] = "this", [W_WITHOUT] = "without",
	[W_DOUBT] = "doubt", [W_OR] = "or", [W_NOR] = "nor",
};

/* NEGATE, as listed in the reference. */
static const char *const negate_words[] = {
	"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
	"ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
	"dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
	"don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
	"neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
	"oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
	"oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
	"without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite",
};

struct weighted {
	const char *key;
	double value;
};

/* BOOSTER_DICT. Its keys with a space ("kind of") never equal a token; the
 * idiom check looks them up as two-word phrases. */
static const struct weighted booster_words[] = {
	{"absolutely", B_INCR}, {"amazingly", B_INCR}, {"awfully", B_INCR},
	{"completely", B_INCR}, {"considerable", B_INCR}, {"considerably", B_INCR},
	{"decidedly", B_INCR}, {"deeply", B_INCR}, {"effing", B_INCR}, {"enormous", B_INCR}, {"enormously", B_INCR},
	{"entirely", B_INCR}, {"especially", B_INCR}, {"exceptional", B_INCR}, {"exceptionally", B_INCR},
	{"extreme", B_INCR}, {"extremely", B_INCR},
	{"fabulously", B_INCR}, {"flipping", B_INCR}, {"flippin", B_INCR}, {"frackin", B_INCR}, {"fracking", B_INCR},
	{"fricking", B_INCR}, {"frickin", B_INCR}, {"frigging", B_INCR}, {"friggin", B_INCR}, {"fully", B_INCR},
	{"fuckin", B_INCR}, {"fucking", B_INCR}, {"fuggin", B_INCR}, {"fugging", B_INCR},
	{"greatly", B_INCR}, {"hella", B_INCR}, {"highly", B_INCR}, {"hugely", B_INCR},
	{"incredible", B_INCR}, {"incredibly", B_INCR}, {"intensely", B_INCR},
	{"major", B_INCR}, {"majorly", B_INCR}, {"more", B_INCR}, {"most", B_INCR}, {"particularly", B_INCR},
	{"purely", B_INCR}, {"quite", B_INCR}, {"really", B_INCR}, {"remarkably", B_INCR},
	{"so", B_INCR}, {"substantially", B_INCR},
	{"thoroughly", B_INCR}, {"total", B_INCR}, {"totally", B_INCR}, {"tremendous", B_INCR}, {"tremendously", B_INCR},
	{"uber", B_INCR}, {"unbelievably", B_INCR}, {"unusually", B_INCR}, {"utter", B_INCR}, {"utterly", B_INCR},
	{"very", B_INCR},
	{"almost", B_DECR}, {"barely", B_DECR}, {"hardly", B_DECR}, {"just enough", B_DECR},
	{"kind of", B_DECR}, {"kinda", B_DECR}, {"kindof", B_DECR}, {"kind-of", B_DECR},
	{"less", B_DECR}, {"little", B_DECR}, {"marginal", B_DECR}, {"marginally", B_DECR},
	{"occasional", B_DECR}, {"occasionally", B_DECR}, {"partly", B_DECR},
	{"scarce", B_DECR}, {"scarcely", B_DECR}, {"slight", B_DECR}, {"slightly", B_DECR}, {"somewhat", B_DECR},
	{"sort of", B_DECR}, {"sorta", B_DECR}, {"sortof", B_DECR}, {"sort-of", B_DECR},
};

/* SPECIAL_CASES. "badass" has no space, so it never equals the n-grams the
 * reference looks up; it is kept for the record and never matches here
 * either. SENTIMENT_LADEN_IDIOMS is "future work, not yet implemented" in
 * the reference (never called), so it is not here. */
static const struct weighted special_cases[] = {
	{"the shit", 3}, {"the bomb", 3}, {"bad ass", 1.5}, {"badass", 1.5}, {"bus stop", 0.0},
	{"yeah right", -2}, {"kiss of death", -1.5}, {"to die for", 3}, {"beating heart", 3.5},
};

/* ------------------------------------------------------------ structures */

enum { VF_LEX = 1, VF_BOOST = 2, VF_NEGATE = 4 };

struct entry {
	uint32_t off, len;  /* key bytes in v->keys */
	uint16_t flags;     /* VF_* */
	uint16_t word;      /* W_* or a phrase word id; W_NONE otherwise */
	double valence;     /* lexicon value, when VF_LEX */
	double scalar;      /* booster value, when VF_BOOST */
};

#define PHRASE_MAX 3
struct phrase {
	int n;                    /* words, 2 or 3 */
	uint16_t ids[PHRASE_MAX]; /* word ids of its words */
	double value;
};

struct emoji {
	uint32_t cp;        /* the single code point */
	uint32_t line;      /* line in the file, to keep the later of two */
	uint32_t off, len;  /* description bytes in v->emoji_text */
};

/* A slot of the hash index: small, so the index stays in cache. */
struct slot {
	uint32_t hash;      /* the key's hash; 0 marks an empty slot (real ones are odd) */
	uint32_t entry;     /* index in v->ent */
};

struct vader {
	struct slot *slot;  /* open addressing, linear probing; mask + 1 slots, half full at most */
	uint32_t mask;
	struct entry *ent;  /* the entries, v->nent of them */
	uint32_t nent;
	size_t nlex;        /* entries with VF_LEX */
	buf_t keys;         /* every key, back to back */
	uint16_t next_word; /* next free word id */
	struct phrase special[sizeof special_cases / sizeof special_cases[0]];
	int nspecial;
	struct phrase boost_phrase[4];
	int nboost_phrase;
	struct emoji *emoji; /* sorted by cp, one per cp */
	size_t nemoji;
	int ascii_emoji;     /* some emoji key is an ASCII character */
	buf_t emoji_text;
};

/* One token of words_and_emoticons. */
struct tok {
	const struct entry *e;  /* the entry of its lower-case form, or NULL */
	unsigned upper : 1;     /* str.isupper() */
	unsigned nt : 1;        /* "n't" in its lower-case form */
};

struct vader_work {
	buf_t text;       /* the text after emoji replacement, when it has emoji */
	buf_t low;        /* lower-case form of the token being looked up */
	struct tok *tok;  /* tokens */
	double *sent;     /* one sentiment per token */
	size_t cap;       /* room in tok and sent */
	/* but_check's per-value hints: open addressing, hmask + 1 slots. */
	uint64_t *hkey;   /* value_key of the value */
	size_t *hint;     /* no position before this holds the value */
	unsigned char *hused;
	size_t hcap, hmask;
	long ep, qm;      /* "!" and "?" in the text, counted by tokenize */
};

/* ------------------------------------------------------------ Unicode, as CPython 3.11 has it */

/* Decode the code point at s[*i] (i < n) and advance *i. A byte that does
 * not start a valid sequence decodes as 0x110000 + byte: no space, no
 * letter, no emoji. */
static uint32_t u8_next(const unsigned char *s, size_t n, size_t *i)
{
	size_t k = *i;
	uint32_t c = s[k], cp;
	int more;

	if (c < 0x80) {
		*i = k + 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		more = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		cp = c & 0x07;
	} else {
		*i = k + 1;
		return 0x110000 + c;
	}
	if (k + (size_t)more >= n) {
		*i = k + 1;
		return 0x110000 + c;
	}
	for (int j = 1; j <= more; j++) {
		uint32_t b = s[k + j];
		if ((b & 0xc0) != 0x80) {
			*i = k + 1;
			return 0x110000 + c;
		}
		cp = cp << 6 | (b & 0x3f);
	}
	if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (more == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
		*i = k + 1;
		return 0x110000 + c;
	}
	*i = k + 1 + (size_t)more;
	return cp;
}

/* str.isspace() / the separators of str.split() and str.strip(). */
static int py_space(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
	return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The byte length of the white space code point at s[i], or 0. */
static size_t space_at(const unsigned char *s, size_t n, size_t i)
{
	size_t k = i;
	uint32_t cp;

	if (s[i] < 0x80)
		return py_space(s[i]);
	cp = u8_next(s, n, &k);
	return py_space(cp) ? k - i : 0;
}

/* The byte length of the white space code point ending at s[e - 1], or 0. */
static size_t space_before(const unsigned char *s, size_t b, size_t e)
{
	size_t k = e - 1;

	if (s[k] < 0x80)
		return py_space(s[k]);
	while (k > b && (s[k] & 0xc0) == 0x80 && e - k < 4)
		k--;
	return space_at(s, e, k) == e - k ? e - k : 0;
}

struct range {
	uint32_t lo, hi;
};

/* PropList.txt 14.0 Other_Uppercase and Other_Lowercase: letters that are
 * cased for str.isupper()/islower() without being Lu/Ll. */
static const struct range other_upper[] = {
	{0x2160, 0x216f}, {0x24b6, 0x24cf}, {0x1f130, 0x1f149}, {0x1f150, 0x1f169}, {0x1f170, 0x1f189},
};
static const struct range other_lower[] = {
	{0xaa, 0xaa}, {0xba, 0xba}, {0x2b0, 0x2b8}, {0x2c0, 0x2c1}, {0x2e0, 0x2e4}, {0x345, 0x345},
	{0x37a, 0x37a}, {0x1d2c, 0x1d6a}, {0x1d78, 0x1d78}, {0x1d9b, 0x1dbf}, {0x2071, 0x2071},
	{0x207f, 0x207f}, {0x2090, 0x209c}, {0x2170, 0x217f}, {0x24d0, 0x24e9}, {0x2c7c, 0x2c7d},
	{0xa69c, 0xa69d}, {0xa770, 0xa770}, {0xa7f8, 0xa7f9}, {0xab5c, 0xab5f}, {0x10780, 0x10780},
	{0x10783, 0x10785}, {0x10787, 0x107b0}, {0x107b2, 0x107ba},
};
/* Case_Ignorable code points that are not Mn, Me, Cf, Lm or Sk
 * (Word_Break MidLetter, MidNumLet, Single_Quote). */
static const uint32_t ignorable_punct[] = {
	0x27, 0x2e, 0x3a, 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027, 0xfe13, 0xfe52, 0xfe55,
	0xff07, 0xff0e, 0xff1a,
};

static int in_ranges(const struct range *r, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

enum { UC_UPPER = 1, UC_LOWER = 2, UC_TITLE = 4 };

/* CPython's UPPER_MASK / LOWER_MASK / TITLE_MASK for a code point. */
static int uc_case(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? UC_UPPER : (cp >= 'a' && cp <= 'z') ? UC_LOWER : 0;
	if (cp > 0x10ffff)
		return 0;
	if (cp >= 0x1df25 && cp <= 0x1df2a) /* Latin Extended-G letters of Unicode 15.0 */
		return 0;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: return UC_UPPER;
	case UTF8PROC_CATEGORY_LL: return UC_LOWER;
	case UTF8PROC_CATEGORY_LT: return UC_TITLE;
	default: break;
	}
	if (in_ranges(other_upper, sizeof other_upper / sizeof other_upper[0], cp))
		return UC_UPPER;
	if (in_ranges(other_lower, sizeof other_lower / sizeof other_lower[0], cp))
		return UC_LOWER;
	return 0;
}

static int uc_case_ignorable(uint32_t cp)
{
	if (cp > 0x10ffff)
		return 0;
	for (size_t i = 0; i < sizeof ignorable_punct / sizeof ignorable_punct[0]; i++)
		if (cp == ignorable_punct[i])
			return 1;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_SK: return !uc_case(cp);
	default: return 0;
	}
}

/* str.isupper(): no lower-case or title-case letter and at least one
 * upper-case letter. */
static int py_isupper(const unsigned char *s, size_t n)
{
	int cased = 0;

	for (size_t i = 0; i < n;) {
		int f;
		if (s[i] < 0x80) {
			unsigned char c = s[i++];
			if (c >= 'a' && c <= 'z')
				return 0;
			cased |= c >= 'A' && c <= 'Z';
			continue;
		}
		f = uc_case(u8_next(s, n, &i));
		if (f & (UC_LOWER | UC_TITLE))
			return 0;
		cased |= f & UC_UPPER;
	}
	return cased;
}

/* CPython's handle_capital_sigma: Σ at s[at..) is final (ς) when a cased
 * letter precedes it and none follows, case-ignorables skipped. */
static int final_sigma(const unsigned char *s, size_t n, size_t at, size_t after)
{
	uint32_t cp = 0;
	size_t i = 0, k;
	int cased_before = 0;

	/* Scan forward from the start: the last non-ignorable before `at`. */
	while (i < at) {
		cp = u8_next(s, n, &i);
		if (!uc_case_ignorable(cp))
			cased_before = uc_case(cp) != 0;
	}
	if (!cased_before)
		return 0;
	for (k = after; k < n;) {
		cp = u8_next(s, n, &k);
		if (!uc_case_ignorable(cp))
			return !uc_case(cp);
	}
	return 1;
}

static void put_cp(buf_t *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp > 0x10ffff) { /* an invalid byte, kept as it was */
		buf_putc(b, (char)(cp - 0x110000));
		return;
	}
	n = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)u);
	buf_put(b, u, n);
}

/* str.lower() of s[0..n) into b (appended). */
static void py_lower(buf_t *b, const unsigned char *s, size_t n)
{
	size_t i = 0;

	buf_reserve(b, n + 8);
	while (i < n) {
		size_t start = i;
		uint32_t cp;

		if (s[i] < 0x80) {
			unsigned char c = s[i++];
			buf_putc(b, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
			continue;
		}
		cp = u8_next(s, n, &i);
		if (cp == 0x130) /* SpecialCasing: İ -> i + combining dot above */
			buf_put(b, "i\xcc\x87", 3);
		else if (cp == 0x3a3)
			put_cp(b, final_sigma(s, n, start, i) ? 0x3c2 : 0x3c3);
		else if (cp > 0x10ffff)
			put_cp(b, cp);
		else
			put_cp(b, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp));
	}
}

/* ASCII character classes: Python's white space, string.punctuation,
 * upper and lower case letters. */
enum { C_SPACE = 1, C_PUNCT = 2, C_UPPER = 4, C_LOWER = 8, C_EMPH = 16 /* ! and ? */ };
static const unsigned char ascii_class[256] = { /* bytes >= 0x80: none */
	['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE,
	[0x1c] = C_SPACE, [0x1d] = C_SPACE, [0x1e] = C_SPACE, [0x1f] = C_SPACE, [' '] = C_SPACE,
	['!'] = C_PUNCT | C_EMPH, ['"'] = C_PUNCT, ['#'] = C_PUNCT, ['$'] = C_PUNCT, ['%'] = C_PUNCT, ['&'] = C_PUNCT,
	['\''] = C_PUNCT, ['('] = C_PUNCT, [')'] = C_PUNCT, ['*'] = C_PUNCT, ['+'] = C_PUNCT, [','] = C_PUNCT,
	['-'] = C_PUNCT, ['.'] = C_PUNCT, ['/'] = C_PUNCT, [':'] = C_PUNCT, [';'] = C_PUNCT, ['<'] = C_PUNCT,
	['='] = C_PUNCT, ['>'] = C_PUNCT, ['?'] = C_PUNCT | C_EMPH, ['@'] = C_PUNCT, ['['] = C_PUNCT, ['\\'] = C_PUNCT,
	[']'] = C_PUNCT, ['^'] = C_PUNCT, ['_'] = C_PUNCT, ['`'] = C_PUNCT, ['{'] = C_PUNCT, ['|'] = C_PUNCT,
	['}'] = C_PUNCT, ['~'] = C_PUNCT,
	['A'] = C_UPPER, ['B'] = C_UPPER, ['C'] = C_UPPER, ['D'] = C_UPPER, ['E'] = C_UPPER, ['F'] = C_UPPER,
	['G'] = C_UPPER, ['H'] = C_UPPER, ['I'] = C_UPPER, ['J'] = C_UPPER, ['K'] = C_UPPER, ['L'] = C_UPPER,
	['M'] = C_UPPER, ['N'] = C_UPPER, ['O'] = C_UPPER, ['P'] = C_UPPER, ['Q'] = C_UPPER, ['R'] = C_UPPER,
	['S'] = C_UPPER, ['T'] = C_UPPER, ['U'] = C_UPPER, ['V'] = C_UPPER, ['W'] = C_UPPER, ['X'] = C_UPPER,
	['Y'] = C_UPPER, ['Z'] = C_UPPER,
	['a'] = C_LOWER, ['b'] = C_LOWER, ['c'] = C_LOWER, ['d'] = C_LOWER, ['e'] = C_LOWER, ['f'] = C_LOWER,
	['g'] = C_LOWER, ['h'] = C_LOWER, ['i'] = C_LOWER, ['j'] = C_LOWER, ['k'] = C_LOWER, ['l'] = C_LOWER,
	['m'] = C_LOWER, ['n'] = C_LOWER, ['o'] = C_LOWER, ['p'] = C_LOWER, ['q'] = C_LOWER, ['r'] = C_LOWER,
	['s'] = C_LOWER, ['t'] = C_LOWER, ['u'] = C_LOWER, ['v'] = C_LOWER, ['w'] = C_LOWER, ['x'] = C_LOWER,
	['y'] = C_LOWER, ['z'] = C_LOWER,
};

/* ------------------------------------------------------------ the table */

/*
 * Not lib/strset: every token of every text is looked up here, and with
 * strset as the table VADER's scoring took 6% more CPU (herd-score -v,
 * scoring alone, the bench-vader corpus of 99,612 texts: mean 0.180 s
 * against 0.169 s over 8 alternating runs each). A hit in strset reads
 * the slot, the key's own allocation, the value array and the entry;
 * here an 8-byte slot and the entry, with the keys packed in one buffer.
 * The hash is strset's (FNV-1a, 64 bits), folded to the 32 bits a slot
 * keeps (0.173 s against 0.171 s with a 32-bit FNV of its own: noise).
 */

/* The slot hash of a strset_hash: never 0 (0 marks an empty slot). */
static uint32_t slot_hash(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32)) | 1;
}

/* The entry for key (h = strset_hash(key, n)), or NULL. */
static const struct entry *table_find(const vader_t *v, const char *key, size_t n, uint64_t full)
{
	uint32_t h = slot_hash(full);

	for (uint32_t i = h & v->mask;; i = (i + 1) & v->mask) {
		const struct slot *sl = &v->slot[i];
		const struct entry *e;
		if (!sl->hash)
			return NULL;
		if (sl->hash != h)
			continue;
		e = &v->ent[sl->entry];
		if (e->len == n && memcmp(v->keys.p + e->off, key, n) == 0)
			return e;
	}
}

static void table_grow(vader_t *v)
{
	uint32_t old = v->slot ? v->mask + 1 : 0, size = old ? old * 2 : 1024;
	struct slot *slot = xcalloc(size, sizeof *slot);

	for (uint32_t i = 0; i < old; i++) {
		uint32_t k;
		if (!v->slot[i].hash)
			continue;
		for (k = v->slot[i].hash & (size - 1); slot[k].hash; k = (k + 1) & (size - 1))
			;
		slot[k] = v->slot[i];
	}
	free(v->slot);
	v->slot = slot;
	v->mask = size - 1;
}

/* The entry for key, added (all zero) when absent. The pointer is valid
 * until the next table_get. */
static struct entry *table_get(vader_t *v, const char *key, size_t n)
{
	uint32_t h = slot_hash(strset_hash(key, n)), i;

	if ((v->nent + 1) * 2 > v->mask + 1)
		table_grow(v);
	for (i = h & v->mask; v->slot[i].hash; i = (i + 1) & v->mask) {
		struct entry *e = &v->ent[v->slot[i].entry];
		if (v->slot[i].hash == h && e->len == n && memcmp(v->keys.p + e->off, key, n) == 0)
			return e;
	}
	v->ent = xrealloc(v->ent, (v->nent + 1) * sizeof *v->ent);
	v->ent[v->nent] = (struct entry){.off = (uint32_t)v->keys.len, .len = (uint32_t)n};
	buf_put(&v->keys, key, n);
	v->slot[i].hash = h;
	v->slot[i].entry = v->nent;
	return &v->ent[v->nent++];
}

/* The id of a word the rules or phrases name (assigned on first use). */
static uint16_t word_id(vader_t *v, const char *word, size_t n)
{
	struct entry *e = table_get(v, word, n);

	if (!e->word)
		e->word = v->next_word++;
	return e->word;
}

/* A "w1 w2[ w3]" key as a phrase of word ids; 0 when it has no space. */
static int make_phrase(vader_t *v, const char *key, double value, struct phrase *p)
{
	const char *s = key;

	p->n = 0;
	p->value = value;
	if (!strchr(key, ' '))
		return 0;
	while (*s && p->n < PHRASE_MAX) {
		size_t n = strcspn(s, " ");
		p->ids[p->n++] = word_id(v, s, n);
		s += n;
		s += *s == ' ';
	}
	return 1;
}

static void add_rule_words(vader_t *v)
{
	v->next_word = W_FIXED_END;
	for (int i = W_NONE + 1; i < W_FIXED_END; i++)
		table_get(v, rule_words[i], strlen(rule_words[i]))->word = (uint16_t)i;
	for (size_t i = 0; i < sizeof negate_words / sizeof negate_words[0]; i++)
		table_get(v, negate_words[i], strlen(negate_words[i]))->flags |= VF_NEGATE;
	for (size_t i = 0; i < sizeof booster_words / sizeof booster_words[0]; i++) {
		const struct weighted *b = &booster_words[i];
		if (make_phrase(v, b->key, b->value, &v->boost_phrase[v->nboost_phrase])) {
			v->nboost_phrase++;
		} else {
			struct entry *e = table_get(v, b->key, strlen(b->key));
			e->flags |= VF_BOOST;
			e->scalar = b->value;
		}
	}
	for (size_t i = 0; i < sizeof special_cases / sizeof special_cases[0]; i++)
		if (make_phrase(v, special_cases[i].key, special_cases[i].value, &v->special[v->nspecial]))
			v->nspecial++;
}

/* ------------------------------------------------------------ loading */

/* Read a whole file into b. */
static int read_file(const char *path, buf_t *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return herd_errf(err, errlen, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(b, chunk, n);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		return herd_errf(err, errlen, "%s: %s", path, strerror(e));
	}
	fclose(f);
	buf_putc(b, '\0'); /* make sure b->p exists */
	b->len--;
	return 0;
}

/* Python's str.strip() on s[*b..*e). */
static void py_strip(const unsigned char *s, size_t *b, size_t *e)
{
	size_t k;

	while (*b < *e && (k = space_at(s, *e, *b)) > 0)
		*b += k;
	while (*e > *b && (k = space_before(s, *b, *e)) > 0)
		*e -= k;
}

/* One line of a lexicon file as the reference reads it:
 * line.strip().split('\t')[0:2]. Returns 0, or -1 when it has one field. */
static int split_line(const char *s, size_t b, size_t e, size_t *k0, size_t *k1, size_t *v0, size_t *v1)
{
	const char *tab;

	py_strip((const unsigned char *)s, &b, &e);
	tab = memchr(s + b, '\t', e - b);
	if (!tab)
		return -1;
	*k0 = b;
	*k1 = (size_t)(tab - s);
	*v0 = *k1 + 1;
	tab = memchr(s + *v0, '\t', e - *v0);
	*v1 = tab ? (size_t)(tab - s) : e;
	return 0;
}

/* Python's float() on s[b..e): surrounding white space allowed. */
static int py_float(const char *s, size_t b, size_t e, double *out)
{
	char num[64], *end;

	py_strip((const unsigned char *)s, &b, &e);
	if (e == b || e - b >= sizeof num)
		return -1;
	memcpy(num, s + b, e - b);
	num[e - b] = '\0';
	*out = strtod(num, &end);
	return *end ? -1 : 0;
}

/* Call fn for each line of content.rstrip('\n').split('\n'). */
typedef int (*line_fn)(vader_t *v, const char *s, size_t b, size_t e, long lineno, const char *path, char *err,
		       size_t errlen);

static int each_line(vader_t *v, const buf_t *file, const char *path, line_fn fn, char *err, size_t errlen)
{
	size_t n = file->len, b = 0;
	long lineno = 0;

	if (!ndjson_utf8_valid(file->p, n, NULL))
		return herd_errf(err, errlen, "%s: not valid UTF-8", path);
	while (n > 0 && file->p[n - 1] == '\n')
		n--;
	while (b <= n) {
		const char *nl = memchr(file->p + b, '\n', n - b);
		size_t e = nl ? (size_t)(nl - file->p) : n;
		if (fn(v, file->p, b, e, ++lineno, path, err, errlen) < 0)
			return -1;
		b = e + 1;
	}
	return 0;
}

/* make_lex_dict: "token<TAB>mean<TAB>…", empty lines skipped; later wins. */
static int lex_line(vader_t *v, const char *s, size_t b, size_t e, long lineno, const char *path, char *err,
		    size_t errlen)
{
	size_t k0, k1, v0, v1;
	struct entry *ent;
	double val;

	if (b == e)
		return 0;
	if (split_line(s, b, e, &k0, &k1, &v0, &v1) < 0)
		return herd_errf(err, errlen, "%s:%ld: expected TOKEN<TAB>VALUE", path, lineno);
	if (py_float(s, v0, v1, &val) < 0)
		return herd_errf(err, errlen, "%s:%ld: '%.*s' is not a number", path, lineno, (int)(v1 - v0), s + v0);
	ent = table_get(v, s + k0, k1 - k0);
	if (!(ent->flags & VF_LEX))
		v->nlex++;
	ent->flags |= VF_LEX;
	ent->valence = val;
	return 0;
}

/* make_emoji_dict: "emoji<TAB>description"; no empty line allowed. Only
 * one-code-point keys can ever match (the reference looks up each
 * character), so only those are kept. */
static int emoji_line(vader_t *v, const char *s, size_t b, size_t e, long lineno, const char *path, char *err,
		      size_t errlen)
{
	size_t k0, k1, v0, v1, i;
	uint32_t cp;

	if (split_line(s, b, e, &k0, &k1, &v0, &v1) < 0)
		return herd_errf(err, errlen, "%s:%ld: expected EMOJI<TAB>DESCRIPTION", path, lineno);
	if (k1 == k0)
		return 0;
	i = k0;
	cp = u8_next((const unsigned char *)s, k1, &i);
	if (i != k1 || cp > 0x10ffff)
		return 0;
	v->emoji = xrealloc(v->emoji, (v->nemoji + 1) * sizeof *v->emoji);
	v->emoji[v->nemoji++] = (struct emoji){cp, (uint32_t)lineno, (uint32_t)v->emoji_text.len, (uint32_t)(v1 - v0)};
	buf_put(&v->emoji_text, s + v0, v1 - v0);
	return 0;
}

static int emoji_cmp(const void *a, const void *b)
{
	const struct emoji *x = a, *y = b;

	if (x->cp != y->cp)
		return x->cp < y->cp ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

vader_t *vader_load(const char *lexicon_path, const char *emoji_path, char *err, size_t errlen)
{
	vader_t *v = xcalloc(1, sizeof *v);
	buf_t file = BUF_INIT;
	size_t k = 0;

	buf_init(&v->keys);
	buf_init(&v->emoji_text);
	table_grow(v);
	if (read_file(lexicon_path, &file, err, errlen) < 0 ||
	    each_line(v, &file, lexicon_path, lex_line, err, errlen) < 0)
		goto bad;
	buf_reset(&file);
	if (read_file(emoji_path, &file, err, errlen) < 0 || each_line(v, &file, emoji_path, emoji_line, err, errlen) < 0)
		goto bad;
	buf_free(&file);
	/* One description per code point: the later line wins, as in a dict. */
	qsort(v->emoji, v->nemoji, sizeof *v->emoji, emoji_cmp);
	for (size_t i = 0; i < v->nemoji; i++) {
		if (k > 0 && v->emoji[k - 1].cp == v->emoji[i].cp)
			k--;
		v->emoji[k++] = v->emoji[i];
	}
	v->nemoji = k;
	v->ascii_emoji = v->nemoji > 0 && v->emoji[0].cp < 0x80;
	add_rule_words(v);
	return v;
bad:
	buf_free(&file);
	vader_free(v);
	return NULL;
}

vader_t *vader_load_dir(const char *dir, char *err, size_t errlen)
{
	buf_t lex = BUF_INIT, emo = BUF_INIT;
	vader_t *v;

	buf_printf(&lex, "%s/%s", dir, VADER_LEXICON_FILE);
	buf_printf(&emo, "%s/%s", dir, VADER_EMOJI_FILE);
	v = vader_load(lex.p, emo.p, err, errlen);
	buf_free(&lex);
	buf_free(&emo);
	return v;
}

void vader_free(vader_t *v)
{
	if (!v)
		return;
	free(v->slot);
	free(v->ent);
	buf_free(&v->keys);
	free(v->emoji);
	buf_free(&v->emoji_text);
	free(v);
}

size_t vader_lexicon_size(const vader_t *v)
{
	return v->nlex;
}

size_t vader_emoji_size(const vader_t *v)
{
	return v->nemoji;
}

vader_work_t *vader_work_new(void)
{
	vader_work_t *w = xcalloc(1, sizeof *w);

	buf_init(&w->text);
	buf_init(&w->low);
	return w;
}

void vader_work_free(vader_work_t *w)
{
	if (!w)
		return;
	buf_free(&w->text);
	buf_free(&w->low);
	free(w->tok);
	free(w->sent);
	free(w->hkey);
	free(w->hint);
	free(w->hused);
	free(w);
}

/* ------------------------------------------------------------ SentiText */

static const struct emoji *emoji_find(const vader_t *v, uint32_t cp)
{
	size_t lo = 0, hi = v->nemoji;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->emoji[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->nemoji && v->emoji[lo].cp == cp ? &v->emoji[lo] : NULL;
}

/* polarity_scores' first loop: each emoji character becomes its
 * description, after a space unless a space (or nothing) precedes it; no
 * space follows it. Returns the text to tokenize: s itself when it has no
 * emoji (most texts: nothing is copied), else out->p. */
static const char *replace_emoji(const vader_t *v, buf_t *out, const char *text, size_t n, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, copied = 0, last_emoji_end = (size_t)-1;
	int replaced = 0;

	while (i < n) {
		size_t start = i;
		const struct emoji *em;
		uint32_t cp;
		int prev_space;

		if (s[i] < 0x80 && !v->ascii_emoji) {
			uint64_t x;
			if (i + 8 <= n && (memcpy(&x, s + i, 8), !(x & 0x8080808080808080ull)))
				i += 8;
			else
				i++;
			continue;
		}
		cp = u8_next(s, n, &i);
		em = cp <= 0x10ffff ? emoji_find(v, cp) : NULL;
		if (!em)
			continue;
		/* prev_space: True at the start, False after an emoji, else
		 * whether the previous character is ' '. */
		prev_space = start == 0 || (last_emoji_end != start && s[start - 1] == ' ');
		if (!replaced) {
			buf_reset(out);
			buf_reserve(out, n + 64);
			replaced = 1;
		}
		buf_put(out, text + copied, start - copied);
		if (!prev_space)
			buf_putc(out, ' ');
		buf_put(out, v->emoji_text.p + em->off, em->len);
		copied = last_emoji_end = i;
	}
	if (!replaced) {
		*outlen = n;
		return text;
	}
	buf_put(out, text + copied, n - copied);
	*outlen = out->len;
	return out->p;
}

/* Code points in s[0..n), counting up to limit. */
static size_t cp_count(const unsigned char *s, size_t n, size_t limit)
{
	size_t c = 0;

	for (size_t i = 0; i < n && c <= limit;)
		c += (u8_next(s, n, &i), 1);
	return c;
}

static void work_reserve(vader_work_t *w, size_t n)
{
	if (n <= w->cap)
		return;
	w->cap = n < 64 ? 64 : n * 2;
	w->tok = xrealloc(w->tok, w->cap * sizeof *w->tok);
	w->sent = xrealloc(w->sent, w->cap * sizeof *w->sent);
}

/* Look up one token: its lower-case form (str.lower()) in the table, and
 * whether it is upper case (str.isupper()) and contains "n't". ASCII
 * tokens take a fast path; others go through the Unicode functions. */
static const struct entry *token_info(const vader_t *v, buf_t *low, const unsigned char *s, size_t n, struct tok *t)
{
	int cased = 0, lower = 0, apos = 0;
	uint64_t h = STRSET_FNV_BASIS;
	size_t i;
	char *o;

	buf_reset(low);
	buf_reserve(low, n + 8);
	o = low->p;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i], cls;
		if (c >= 0x80)
			break;
		cls = ascii_class[c];
		cased |= cls & (C_UPPER | C_LOWER);
		lower |= cls & C_LOWER;
		apos |= c == '\'';
		c = (cls & C_UPPER) ? c + 32 : c;
		o[i] = (char)c;
		h = (h ^ c) * STRSET_FNV_PRIME;
	}
	if (i == n) {
		low->len = n;
		o[n] = '\0';
		t->upper = cased && !lower;
	} else {
		buf_reset(low);
		py_lower(low, s, n);
		t->upper = py_isupper(s, n);
		apos = memchr(s, '\'', n) != NULL;
		h = strset_hash(low->p, low->len);
	}
	t->nt = apos && low->len >= 3 && memmem(low->p, low->len, "n't", 3) != NULL;
	return table_find(v, low->p, low->len, h);
}

/* _words_and_emoticons: split s[b..e) on white space, strip ASCII
 * punctuation from both ends of each word unless that leaves two code
 * points or fewer. Returns the number of tokens in w->tok; counts "!" and
 * "?" (never white space, so all of them are in words) into w->ep, w->qm. */
static size_t tokenize(const vader_t *v, vader_work_t *w, const unsigned char *s, size_t b, size_t e)
{
	size_t n = 0, i = b, k;

	w->ep = w->qm = 0;
	while (i < e) {
		size_t ws, ps, pe, len;
		struct tok *t;

		while (i < e) {
			if (s[i] < 0x80) {
				if (!(ascii_class[s[i]] & C_SPACE))
					break;
				i++;
			} else {
				if (!(k = space_at(s, e, i)))
					break;
				i += k;
			}
		}
		if (i >= e)
			break;
		ws = i;
		while (i < e) {
			if (s[i] < 0x80) {
				unsigned char cls = ascii_class[s[i]];
				if (cls & C_SPACE)
					break;
				if (cls & C_EMPH) {
					w->ep += s[i] == '!';
					w->qm += s[i] == '?';
				}
				i++;
			} else {
				if (space_at(s, e, i))
					break;
				(void)u8_next(s, e, &i);
			}
		}
		ps = ws;
		pe = i;
		while (ps < pe && (ascii_class[s[ps]] & C_PUNCT))
			ps++;
		while (pe > ps && (ascii_class[s[pe - 1]] & C_PUNCT))
			pe--;
		len = pe - ps; /* two code points take 2 to 8 bytes */
		if (len <= 2 || (len <= 8 && cp_count(s + ps, len, 2) <= 2)) {
			ps = ws;
			pe = i;
		}
		work_reserve(w, n + 1);
		t = &w->tok[n++];
		t->e = token_info(v, &w->low, s + ps, pe - ps, t);
	}
	return n;
}

/* ------------------------------------------------------------ the rules */

#define IN_LEX(t) ((t)->e && ((t)->e->flags & VF_LEX))
#define IS_BOOSTER(t) ((t)->e && ((t)->e->flags & VF_BOOST))
#define WORD(t) ((t)->e ? (t)->e->word : W_NONE)
/* negated([word]): in NEGATE, or containing "n't". */
#define NEGATED(t) (((t)->e && ((t)->e->flags & VF_NEGATE)) || (t)->nt)

/* scalar_inc_dec */
static double scalar_inc_dec(const struct tok *t, double valence, int cap_diff)
{
	double scalar = 0.0;

	if (IS_BOOSTER(t)) {
		scalar = t->e->scalar;
		if (valence < 0)
			scalar = scalar * -1;
		if (t->upper && cap_diff) {
			if (valence > 0)
				scalar = scalar + C_INCR;
			else
				scalar = scalar - C_INCR;
		}
	}
	return scalar;
}

/* _negation_check */
static double negation_check(double valence, const struct tok *tk, int start_i, size_t i)
{
	if (start_i == 0) {
		if (NEGATED(&tk[i - 1]))
			valence = valence * N_SCALAR;
	}
	if (start_i == 1) {
		int w2 = WORD(&tk[i - 2]), w1 = WORD(&tk[i - 1]);
		if (w2 == W_NEVER && (w1 == W_SO || w1 == W_THIS))
			valence = valence * 1.25;
		else if (w2 == W_WITHOUT && w1 == W_DOUBT)
			;
		else if (NEGATED(&tk[i - 2]))
			valence = valence * N_SCALAR;
	}
	if (start_i == 2) {
		int w3 = WORD(&tk[i - 3]), w2 = WORD(&tk[i - 2]), w1 = WORD(&tk[i - 1]);
		/* As written: (never and (so or this)) or (so or this). */
		if ((w3 == W_NEVER && (w2 == W_SO || w2 == W_THIS)) || (w1 == W_SO || w1 == W_THIS))
			valence = valence * 1.25;
		else if (w3 == W_WITHOUT && (w2 == W_DOUBT || w1 == W_DOUBT))
			;
		else if (NEGATED(&tk[i - 3]))
			valence = valence * N_SCALAR;
	}
	return valence;
}

/* The phrase of list[0..n) the tokens at idx[0..k) spell, or NULL. */
static const struct phrase *phrase_find(const struct phrase *list, int n, const struct tok *tk, const size_t *idx,
					int k)
{
	uint16_t ids[PHRASE_MAX];

	for (int j = 0; j < k; j++) {
		ids[j] = WORD(&tk[idx[j]]);
		if (!ids[j])
			return NULL;
	}
	for (int p = 0; p < n; p++) {
		if (list[p].n != k)
			continue;
		if (memcmp(list[p].ids, ids, (size_t)k * sizeof ids[0]) == 0)
			return &list[p];
	}
	return NULL;
}

/* _special_idioms_check (i >= 3) */
static double special_idioms_check(const vader_t *v, double valence, const struct tok *tk, size_t n, size_t i)
{
	const size_t onezero[] = {i - 1, i}, twoonezero[] = {i - 2, i - 1, i}, twoone[] = {i - 2, i - 1},
		     threetwoone[] = {i - 3, i - 2, i - 1}, threetwo[] = {i - 3, i - 2};
	const struct {
		const size_t *idx;
		int k;
	} seqs[] = {{onezero, 2}, {twoonezero, 3}, {twoone, 2}, {threetwoone, 3}, {threetwo, 2}};
	const struct phrase *p;

	for (size_t s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
		if ((p = phrase_find(v->special, v->nspecial, tk, seqs[s].idx, seqs[s].k))) {
			valence = p->value;
			break;
		}
	}
	if (n - 1 > i) {
		const size_t zeroone[] = {i, i + 1};
		if ((p = phrase_find(v->special, v->nspecial, tk, zeroone, 2)))
			valence = p->value;
	}
	if (n - 1 > i + 1) {
		const size_t zeroonetwo[] = {i, i + 1, i + 2};
		if ((p = phrase_find(v->special, v->nspecial, tk, zeroonetwo, 3)))
			valence = p->value;
	}
	/* Booster bi-grams such as "kind of" before the word. */
	if ((p = phrase_find(v->boost_phrase, v->nboost_phrase, tk, threetwoone, 3)))
		valence = valence + p->value;
	if ((p = phrase_find(v->boost_phrase, v->nboost_phrase, tk, threetwo, 2)))
		valence = valence + p->value;
	if ((p = phrase_find(v->boost_phrase, v->nboost_phrase, tk, twoone, 2)))
		valence = valence + p->value;
	return valence;
}

/* _least_check */
static double least_check(double valence, const struct tok *tk, size_t i)
{
	if (i > 1 && !IN_LEX(&tk[i - 1]) && WORD(&tk[i - 1]) == W_LEAST) {
		if (WORD(&tk[i - 2]) != W_AT && WORD(&tk[i - 2]) != W_VERY)
			valence = valence * N_SCALAR;
	} else if (i > 0 && !IN_LEX(&tk[i - 1]) && WORD(&tk[i - 1]) == W_LEAST) {
		valence = valence * N_SCALAR;
	}
	return valence;
}

/* sentiment_valence, for a token that is no booster and no "kind of". */
static double sentiment_valence(const vader_t *v, const struct tok *tk, size_t n, size_t i, int cap_diff)
{
	const struct tok *t = &tk[i];
	double lexv, valence;

	if (!IN_LEX(t))
		return 0;
	lexv = t->e->valence;
	valence = lexv;
	/* "no" before a lexicon word negates it instead of counting itself. */
	if (WORD(t) == W_NO && i != n - 1 && IN_LEX(&tk[i + 1]))
		valence = 0.0;
	if ((i > 0 && WORD(&tk[i - 1]) == W_NO) || (i > 1 && WORD(&tk[i - 2]) == W_NO) ||
	    (i > 2 && WORD(&tk[i - 3]) == W_NO && (WORD(&tk[i - 1]) == W_OR || WORD(&tk[i - 1]) == W_NOR)))
		valence = lexv * N_SCALAR;
	if (t->upper && cap_diff) {
		if (valence > 0)
			valence = valence + C_INCR;
		else
			valence = valence - C_INCR;
	}
	for (int start_i = 0; start_i < 3; start_i++) {
		const struct tok *before;
		double s;

		if (!(i > (size_t)start_i))
			continue;
		before = &tk[i - (size_t)(start_i + 1)];
		if (IN_LEX(before))
			continue;
		s = scalar_inc_dec(before, valence, cap_diff);
		if (start_i == 1 && s != 0)
			s = s * 0.95;
		if (start_i == 2 && s != 0)
			s = s * 0.9;
		valence = valence + s;
		valence = negation_check(valence, tk, start_i, i);
		if (start_i == 2)
			valence = special_idioms_check(v, valence, tk, n, i);
	}
	return least_check(valence, tk, i);
}

/* _but_check: after the first "but", for each sentiment s in turn the
 * element at sentiments.index(s) — the first one *equal* to s, possibly an
 * earlier, already rescaled one — is rescaled (x0.5 before "but", x1.5
 * after). Done literally that is a scan from 0 per element, O(n^2) on a
 * long post; here each distinct value keeps a lower bound ("hint") on the
 * first position that holds it, so a scan starts there. The bound stays
 * true because positions only leave a value when they are its first
 * holder, and a position that joins a value lowers that value's bound.
 * A value never seen before has no holder before k: si = k, no scan. */
static uint64_t value_key(double x)
{
	uint64_t u;

	if (x == 0)
		x = 0.0; /* -0.0 == 0.0, as in Python */
	memcpy(&u, &x, sizeof u);
	return u;
}

/* The hint slot for x in w->hint (open addressing on w->hkey). */
static size_t hint_slot(vader_work_t *w, double x, int *found)
{
	uint64_t k = value_key(x), h = k * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 32) & w->hmask;

	while (w->hused[i] && w->hkey[i] != k)
		i = (i + 1) & w->hmask;
	*found = w->hused[i];
	if (!*found) {
		w->hused[i] = 1;
		w->hkey[i] = k;
	}
	return i;
}

static void hint_lower(vader_work_t *w, double x, size_t pos)
{
	int found;
	size_t i = hint_slot(w, x, &found);

	if (!found || pos < w->hint[i])
		w->hint[i] = pos;
}

static void but_check(vader_work_t *w, size_t n)
{
	const struct tok *tk = w->tok;
	double *sent = w->sent;
	size_t bi, size;

	for (bi = 0; bi < n && WORD(&tk[bi]) != W_BUT; bi++)
		;
	if (bi == n)
		return;
	for (size = 64; size < 4 * n; size *= 2) /* at most 2n values: load <= 1/2 */
		;
	if (size > w->hcap) {
		w->hcap = size;
		w->hkey = xrealloc(w->hkey, size * sizeof *w->hkey);
		w->hint = xrealloc(w->hint, size * sizeof *w->hint);
		w->hused = xrealloc(w->hused, size);
	}
	w->hmask = size - 1;
	memset(w->hused, 0, size);
	for (size_t k = 0; k < n; k++) {
		double s = sent[k], t;
		int found;
		size_t h = hint_slot(w, s, &found), si = k;

		if (found) /* the first j >= hint with sent[j] == s; j <= k */
			for (si = w->hint[h]; sent[si] != s; si++)
				;
		if (si < bi)
			t = s * 0.5;
		else if (si > bi)
			t = s * 1.5;
		else
			t = s;
		sent[si] = t;
		w->hint[h] = t == s ? si : si + 1;
		if (t != s)
			hint_lower(w, t, si);
	}
}

/* normalize */
static double normalize(double score)
{
	double sq = score * score;
	double norm = score / sqrt(sq + NORM_ALPHA);

	if (norm < -1.0)
		return -1.0;
	if (norm > 1.0)
		return 1.0;
	return norm;
}

/* _punctuation_emphasis = _amplify_ep + _amplify_qm, from the counts of
 * "!" and "?" in the text (tokenize counts them). */
static double punctuation_emphasis(long ep, long qm)
{
	double ep_amp, qm_amp = 0.0;

	if (ep > 4)
		ep = 4;
	ep_amp = (double)ep * 0.292;
	if (qm > 1) {
		if (qm <= 3)
			qm_amp = (double)qm * 0.18;
		else
			qm_amp = 0.96;
	}
	return ep_amp + qm_amp;
}

double vader_round(double x, int ndigits)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
	char str[64];

	if (!isfinite(x))
		return x;
	/* Fast path: y = x·10^n carries an error below 2^-22 while |y| < 2^30,
	 * so when y is not within 1e-6 of a tie the exact value rounds the same
	 * way; the integer over 10^n is then correctly rounded by the division,
	 * as strtod would round the decimal. Zero keeps x's sign, as in Python. */
	if (ndigits >= 0 && ndigits <= 8) {
		double y = x * p10[ndigits];
		if (fabs(y) < 1073741824.0) {
			double f = floor(y), frac = y - f;
			if (fabs(frac - 0.5) > 1e-6)
				return copysign((frac < 0.5 ? f : f + 1) / p10[ndigits], x);
		}
	}
	/* Near a tie: glibc prints the exact binary value rounded half to
	 * even, as CPython's round() does through _Py_dg_dtoa. */
	snprintf(str, sizeof str, "%.*f", ndigits, x);
	return strtod(str, NULL);
}

/* score_valence */
static void score_valence(const double *sent, size_t n, long ep, long qm, struct vader_scores *out)
{
	double sum_s = 0.0, punct, compound, pos_sum = 0.0, neg_sum = 0.0, total, pos, neg, neu;
	long neu_count = 0;

	if (n == 0) {
		*out = (struct vader_scores){0.0, 0.0, 0.0, 0.0};
		return;
	}
	for (size_t i = 0; i < n; i++)
		sum_s = sum_s + sent[i];
	punct = punctuation_emphasis(ep, qm);
	if (sum_s > 0)
		sum_s = sum_s + punct;
	else if (sum_s < 0)
		sum_s = sum_s - punct;
	compound = normalize(sum_s);
	/* _sift_sentiment_scores */
	for (size_t i = 0; i < n; i++) {
		if (sent[i] > 0)
			pos_sum = pos_sum + (sent[i] + 1);
		if (sent[i] < 0)
			neg_sum = neg_sum + (sent[i] - 1);
		if (sent[i] == 0)
			neu_count++;
	}
	if (pos_sum > fabs(neg_sum))
		pos_sum = pos_sum + punct;
	else if (pos_sum < fabs(neg_sum))
		neg_sum = neg_sum - punct;
	total = pos_sum + fabs(neg_sum);
	total = total + (double)neu_count;
	pos = fabs(pos_sum / total);
	neg = fabs(neg_sum / total);
	neu = fabs((double)neu_count / total);
	out->neg = vader_round(neg, 3);
	out->neu = vader_round(neu, 3);
	out->pos = vader_round(pos, 3);
	out->compound = vader_round(compound, 4);
}

/* polarity_scores */
void vader_score(const vader_t *v, vader_work_t *w, const char *text, size_t len, struct vader_scores *out)
{
	vader_work_t *own = NULL;
	const unsigned char *s;
	size_t b, e, n, i, upper = 0;
	int cap_diff;

	if (!w)
		w = own = vader_work_new();
	s = (const unsigned char *)replace_emoji(v, &w->text, text, len, &e);
	b = 0;
	py_strip(s, &b, &e);
	n = tokenize(v, w, s, b, e);
	/* allcap_differential: some, but not all, tokens are ALL CAPS. */
	for (i = 0; i < n; i++)
		upper += w->tok[i].upper;
	cap_diff = n - upper > 0 && n - upper < n;
	for (i = 0; i < n; i++) {
		const struct tok *t = &w->tok[i];
		if (IS_BOOSTER(t) || (i < n - 1 && WORD(t) == W_KIND && WORD(&w->tok[i + 1]) == W_OF))
			w->sent[i] = 0;
		else
			w->sent[i] = sentiment_valence(v, w->tok, n, i, cap_diff);
	}
	but_check(w, n);
	score_valence(w->sent, n, w->ep, w->qm, out);
	vader_work_free(own);
}
