/*
 * tokenizer.c — BERT WordPiece tokenization, id for id the same as Hugging
 * Face's Python BertTokenizer (transformers' BasicTokenizer +
 * WordpieceTokenizer; BertTokenizerLegacy in transformers 5) running on
 * Python 3.11, whose unicodedata is Unicode 14.0.
 *
 * bert_load and herd-score call it; herd-train through bert_load. It reads
 * vocab.txt and nothing else, prints nothing, and needs only libc and
 * utf8proc. A tokenizer is never written after bert_tokenizer_load
 * returns, so any number of threads may share one.
 *
 * The pipeline, in Hugging Face's order, for each text:
 *   1. special tokens ([CLS] [SEP] [PAD] [UNK] [MASK], or the names the
 *      model's tokenizer_config.json gives them: MPNet's <s> </s> <pad>
 *      [UNK] <mask>; each when in the vocab) are cut out of the raw text
 *      and kept whole (PreTrainedTokenizer's trie; the longest wins); the
 *      pieces between them are tokenized on their own;
 *   2. clean: drop U+0000, U+FFFD and every category C* character except
 *      \t \n \r; \t \n \r and category Zs become spaces;
 *   3. CJK ideographs (the ranges of _is_chinese_char) become words of
 *      their own;
 *   4. split on spaces (and U+2028/U+2029, which Python's str.split()
 *      also splits on); then for each word: NFC; a word that is exactly a
 *      special token is looked up whole (never_split); otherwise, uncased:
 *      Python's str.lower() (full mapping: İ -> i + U+0307; Σ -> ς at the
 *      end of a word), NFD, drop category Mn; cased: nothing more;
 *   5. split off every punctuation character (ASCII 33-47, 58-64, 91-96,
 *      123-126, category P*);
 *   6. WordPiece: greedy longest match, "##" on continuations, a piece
 *      over 100 characters or with no match becomes one [UNK].
 * Letters: T = tokens of a text (bert.h); V = vocabulary size.
 *
 * Unicode data is utf8proc's (2.8: Unicode 15.0). The characters Unicode
 * 15.0 added are unassigned (Cn) to Python 3.11, so HF drops them as
 * control characters: assigned_after_14 lists them and we drop them too.
 * tests/unit/test_tokenizer.c checks every code point against HF.
 */
#include "bert/bert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define WP_MAX_CHARS 100 /* WordpieceTokenizer.max_input_chars_per_word */
#define N_SPECIAL 5
#define STACK_CP 512     /* code points a word may have before the scratch goes to the heap */

/* ---------------------------------------------------------- the vocabulary */

struct vtok {
	uint32_t off, len; /* token bytes are text[off .. off+len), NUL-terminated */
};

/*
 * The vocabulary: vocab.txt as read (one allocation, tokens NUL-terminated
 * in place) and an open-addressing hash table over it. A slot holds
 * (hash >> 32) << 32 | (id + 1), 0 when empty; the high half rejects most
 * wrong slots without touching the token bytes. When a token appears twice
 * the later line wins, as in HF's load_vocab (a dict).
 */
struct bert_tokenizer {
	char *text;      /* vocab.txt's bytes */
	struct vtok *tok; /* (V) line i -> its bytes */
	uint64_t *slot;  /* hash table, mask + 1 slots, at most half full */
	size_t mask;
	uint64_t *seen;  /* FILTER_BITS bits, one set for each token's hash: most misses stop here */
	int n;           /* V: lines in vocab.txt */
	uint32_t maxlen[2]; /* bytes: [0] the longest token, [1] the longest "##" token less its "##" */
	int lowercase;
	int32_t cls, sep, unk;
	/* pad, unk, cls, sep, mask: their names ("" when the model has none)
	 * and ids (-1 when not in the vocab) */
	char special_name[N_SPECIAL][BERT_SPECIAL_NAME_MAX];
	int32_t special_id[N_SPECIAL];
	unsigned char special_first[128]; /* 1 for an ASCII byte a special token starts with */
};

static const struct bert_special_tokens bert_specials = {"[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"};

#define FILTER_BITS (1u << 19) /* 64 KiB: 6% of misses pass with a 30k vocabulary */
#define FILTER_BIT(h) ((uint32_t)((h) >> 16) & (FILTER_BITS - 1))

#define FNV_SEED 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t fnv_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = fnv_step(h, (unsigned char)s[i]);
	return h;
}

/* Tokens are a few bytes long: a loop beats a call to memcmp. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* The id of the token whose bytes are "##"[cont] + s[0..n), with hash h
 * (of those bytes), or -1. */
static int32_t vocab_find(const bert_tokenizer *t, uint64_t h, const char *s, size_t n, int cont)
{
	uint32_t tag = (uint32_t)(h >> 32), bit = FILTER_BIT(h);
	size_t want = n + (cont ? 2 : 0);
	if (!(t->seen[bit / 64] >> (bit % 64) & 1))
		return -1;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint64_t e = t->slot[i];
		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) != tag)
			continue;
		int32_t id = (int32_t)(uint32_t)e - 1;
		const char *v = t->text + t->tok[id].off;
		if (t->tok[id].len == want && (!cont || (v[0] == '#' && v[1] == '#')) &&
		    same_bytes(v + (cont ? 2 : 0), s, n))
			return id;
	}
}

static void vocab_insert(bert_tokenizer *t, int32_t id)
{
	const char *s = t->text + t->tok[id].off;
	uint64_t h = fnv(FNV_SEED, s, t->tok[id].len);
	uint32_t tag = (uint32_t)(h >> 32), bit = FILTER_BIT(h);
	t->seen[bit / 64] |= 1ULL << (bit % 64);
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint64_t e = t->slot[i];
		if (e && (uint32_t)(e >> 32) == tag) {
			int32_t old = (int32_t)(uint32_t)e - 1;
			if (t->tok[old].len == t->tok[id].len && memcmp(t->text + t->tok[old].off, s, t->tok[id].len) == 0) {
				t->slot[i] = ((uint64_t)tag << 32) | (uint32_t)(id + 1); /* later line wins */
				return;
			}
			continue;
		}
		if (!e) {
			t->slot[i] = ((uint64_t)tag << 32) | (uint32_t)(id + 1);
			return;
		}
	}
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

bert_tokenizer *bert_tokenizer_load(const char *vocab_path, int lowercase, char *err, size_t errlen)
{
	return bert_tokenizer_load_special(vocab_path, lowercase, &bert_specials, err, errlen);
}

bert_tokenizer *bert_tokenizer_load_special(const char *vocab_path, int lowercase, const struct bert_special_tokens *sp,
					    char *err, size_t errlen)
{
	bert_tokenizer *t;
	size_t len, lines = 0, cap;
	const char *names[N_SPECIAL] = {sp->pad, sp->unk, sp->cls, sp->sep, sp->mask};
	char *text;

	for (int k = 0; k < N_SPECIAL; k++) {
		size_t n = names[k] ? strlen(names[k]) : 0;
		if (n >= BERT_SPECIAL_NAME_MAX || (n && (unsigned char)names[k][0] >= 0x80) || (!n && k >= 1 && k <= 3)) {
			snprintf(err, errlen, "%s: special token \"%s\" must be 1..%d bytes and start with an ASCII character",
				 vocab_path, names[k] ? names[k] : "", BERT_SPECIAL_NAME_MAX - 1);
			return NULL;
		}
	}
	if (!(text = read_file(vocab_path, &len, err, errlen)))
		return NULL;
	if (len >= UINT32_MAX) {
		snprintf(err, errlen, "%s: too large for a vocabulary (%zu bytes)", vocab_path, len);
		free(text);
		return NULL;
	}
	/* Lines end at \n, \r\n or \r: Python reads vocab.txt in text mode
	 * (universal newlines) and strips the "\n" that is left. */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' || text[i] == '\r') {
			lines++;
			if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
				i++;
		}
	}
	if (len > 0 && text[len - 1] != '\n' && text[len - 1] != '\r')
		lines++;
	if (lines == 0 || lines >= INT32_MAX) {
		snprintf(err, errlen, "%s: %s", vocab_path, lines ? "too many lines" : "empty vocabulary");
		free(text);
		return NULL;
	}
	for (cap = 16; cap < 2 * lines; cap *= 2)
		;
	t = calloc(1, sizeof *t);
	if (t) {
		t->tok = malloc(lines * sizeof *t->tok);
		t->slot = calloc(cap, sizeof *t->slot);
		t->seen = calloc(FILTER_BITS / 64, sizeof *t->seen);
	}
	if (!t || !t->tok || !t->slot || !t->seen) {
		snprintf(err, errlen, "%s: out of memory", vocab_path);
		if (t) {
			free(t->tok);
			free(t->slot);
			free(t->seen);
		}
		free(t);
		free(text);
		return NULL;
	}
	t->text = text;
	t->mask = cap - 1;
	t->lowercase = lowercase != 0;
	for (size_t i = 0, start = 0; i <= len && (size_t)t->n < lines; i++) {
		if (i == len || text[i] == '\n' || text[i] == '\r') {
			uint32_t tlen = (uint32_t)(i - start);
			int cont = tlen >= 2 && text[start] == '#' && text[start + 1] == '#';
			t->tok[t->n].off = (uint32_t)start;
			t->tok[t->n].len = tlen;
			if (tlen > t->maxlen[0]) /* all tokens: a never_split word may hold anything */
				t->maxlen[0] = tlen;
			if (cont && tlen - 2 > t->maxlen[1])
				t->maxlen[1] = tlen - 2;
			t->n++;
			if (i < len && text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
				text[i++] = '\0';
			text[i] = '\0'; /* text[len] is the terminator read_file put there */
			start = i + 1;
		}
	}
	for (int32_t id = 0; id < t->n; id++)
		vocab_insert(t, id);
	for (int k = 0; k < N_SPECIAL; k++) {
		snprintf(t->special_name[k], BERT_SPECIAL_NAME_MAX, "%s", names[k] ? names[k] : "");
		t->special_id[k] = names[k] && *names[k] ? bert_token_id(t, names[k]) : -1;
		if (t->special_id[k] >= 0)
			t->special_first[(unsigned char)names[k][0]] = 1;
	}
	t->unk = t->special_id[1];
	t->cls = t->special_id[2];
	t->sep = t->special_id[3];
	if (t->unk < 0 || t->cls < 0 || t->sep < 0) {
		snprintf(err, errlen, "%s: no %s token: not the vocabulary of this model's tokenizer", vocab_path,
			 t->unk < 0 ? names[1] : t->cls < 0 ? names[2] : names[3]);
		bert_tokenizer_free(t);
		return NULL;
	}
	return t;
}

void bert_tokenizer_free(bert_tokenizer *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->tok);
	free(t->slot);
	free(t->seen);
	free(t);
}

const char *bert_token_str(const bert_tokenizer *t, int32_t id)
{
	return id >= 0 && id < t->n ? t->text + t->tok[id].off : NULL;
}

int32_t bert_token_id(const bert_tokenizer *t, const char *token)
{
	size_t n = strlen(token);
	return vocab_find(t, fnv(FNV_SEED, token, n), token, n, 0);
}

int bert_vocab_size(const bert_tokenizer *t)
{
	return t->n;
}

/* ---------------------------------------------------------- Unicode, as Python 3.11 sees it */

/* ASCII classes: what _clean_text, _is_whitespace and _is_punctuation say. */
enum { A_WORD, A_DROP, A_SPACE, A_PUNCT };

static const unsigned char ascii_class[128] = {
#define D A_DROP
#define S A_SPACE
#define P A_PUNCT
	D, D, D, D, D, D, D, D, D, S, S, D, D, S, D, D, /* \t \n \r are spaces; \v \f are Cc */
	D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
	S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* space, !"#$%&'()*+,-./ */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, P, P, P, P, P, P, /* 0-9 :;<=>? */
	P, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* @ A-O */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, P, P, P, P, P, /* P-Z [\]^_ */
	P, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ` a-o */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, P, P, P, P, D, /* p-z {|}~ DEL */
#undef D
#undef S
#undef P
};

/* Code points Unicode 15.0 assigned: Cn, so dropped, in Python 3.11. */
static const uint32_t assigned_after_14[][2] = {
	{0x0CF3, 0x0CF3}, {0x0ECE, 0x0ECE}, {0x10EFD, 0x10EFF}, {0x1123F, 0x11241}, {0x11B00, 0x11B09},
	{0x11F00, 0x11F10}, {0x11F12, 0x11F3A}, {0x11F3E, 0x11F59}, {0x1342F, 0x1342F}, {0x13439, 0x13455},
	{0x1B132, 0x1B132}, {0x1B155, 0x1B155}, {0x1D2C0, 0x1D2D3}, {0x1DF25, 0x1DF2A}, {0x1E030, 0x1E06D},
	{0x1E08F, 0x1E08F}, {0x1E4D0, 0x1E4F9}, {0x1F6DC, 0x1F6DC}, {0x1F774, 0x1F776}, {0x1F77B, 0x1F77F},
	{0x1F7D9, 0x1F7D9}, {0x1FA75, 0x1FA77}, {0x1FA87, 0x1FA88}, {0x1FAAD, 0x1FAAF}, {0x1FABB, 0x1FABD},
	{0x1FABF, 0x1FABF}, {0x1FACE, 0x1FACF}, {0x1FADA, 0x1FADB}, {0x1FAE8, 0x1FAE8}, {0x1FAF7, 0x1FAF8},
	{0x2B739, 0x2B739}, {0x31350, 0x323AF},
};

static int in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < r[mid][0])
			hi = mid;
		else if (c > r[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Python's category, for a code point >= 0x80. */
static utf8proc_category_t category(uint32_t c)
{
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
	if (cat != UTF8PROC_CATEGORY_CN && c >= 0x0CF3 &&
	    in_ranges(c, assigned_after_14, COUNT(assigned_after_14)))
		return UTF8PROC_CATEGORY_CN;
	return cat;
}

static int is_control_cat(utf8proc_category_t cat)
{
	return cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
	       cat == UTF8PROC_CATEGORY_CS || cat == UTF8PROC_CATEGORY_CO;
}

static int is_punct(uint32_t c)
{
	if (c < 0x80)
		return ascii_class[c] == A_PUNCT;
	utf8proc_category_t cat = category(c);
	return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

/* BasicTokenizer._is_chinese_char. */
static int is_cjk(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
	       (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Case_Ignorable (DerivedCoreProperties): Mn Me Cf Lm Sk, and Word_Break
 * MidLetter, MidNumLet and Single_Quote. */
static int is_case_ignorable(uint32_t c)
{
	static const uint32_t mid[] = {0x27,   0x2E,   0x3A,   0xB7,   0x387,  0x55F,  0x5F4,  0x2018, 0x2019,
				       0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
	if (c < 0x80)
		return c == 0x27 || c == 0x2E || c == 0x3A || c == 0x5E || c == 0x60; /* ' . : and Sk ^ ` */
	utf8proc_category_t cat = category(c);
	if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_CF ||
	    cat == UTF8PROC_CATEGORY_LM || cat == UTF8PROC_CATEGORY_SK)
		return 1;
	for (size_t i = 0; i < COUNT(mid); i++)
		if (mid[i] == c)
			return 1;
	return 0;
}

/* Cased (DerivedCoreProperties): Lu Ll Lt, anything with a case mapping,
 * and the Other_Lowercase/Other_Uppercase characters that have none. */
static int is_cased(uint32_t c)
{
	static const uint32_t other[][2] = {
		{0xAA, 0xAA}, {0xBA, 0xBA}, {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
	};
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	utf8proc_category_t cat = category(c);
	if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
		return 1;
	utf8proc_int32_t u = (utf8proc_int32_t)c;
	if (utf8proc_tolower(u) != u || utf8proc_toupper(u) != u || utf8proc_totitle(u) != u)
		return 1;
	return in_ranges(c, other, COUNT(other));
}

/* CPython's handle_capital_sigma: is the Σ at s[i] in the Final_Sigma
 * context (a cased letter before it, none after, skipping case-ignorable
 * characters on both sides)? */
static int final_sigma(const uint32_t *s, size_t n, size_t i)
{
	ptrdiff_t j;
	uint32_t c = 0;
	for (j = (ptrdiff_t)i - 1; j >= 0; j--) {
		c = s[j];
		if (!is_case_ignorable(c))
			break;
	}
	if (j < 0 || !is_cased(c))
		return 0;
	size_t k;
	for (k = i + 1; k < n; k++) {
		c = s[k];
		if (!is_case_ignorable(c))
			break;
	}
	return k == n || !is_cased(c);
}

/* ---------------------------------------------------------- scratch space */

/* Per-call working memory: on the stack while words are short, on the
 * heap (grown, freed when the call returns) for a longer one. */
struct buf {
	uint32_t *p;
	size_t cap;
	int heap;
};

static void buf_reserve(struct buf *b, size_t need)
{
	if (need <= b->cap)
		return;
	size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
	uint32_t *p = b->heap ? realloc(b->p, cap * sizeof *p) : malloc(cap * sizeof *p);
	if (!p)
		abort(); /* bert.h has no way to say it; xmalloc would exit too */
	if (!b->heap)
		memcpy(p, b->p, b->cap * sizeof *p);
	b->p = p;
	b->cap = cap;
	b->heap = 1;
}

/* Where ids go: the first cap are stored, the rest only counted. With a
 * limit, tokenizing stops after the piece that reaches it (truncation
 * keeps the first word pieces, so nothing after can matter). */
struct out {
	int32_t *ids;
	int cap;
	int n;
	int limit; /* 0: none */
	int stop;
};

struct work {
	const bert_tokenizer *t;
	struct out *o;
	struct buf word; /* the current word, cleaned (steps 2-4), code points */
	size_t nword;
	uint32_t maxcp;  /* largest code point in word */
	struct buf a, b; /* normalization: NFC -> a, lower -> b, NFD -> a */
	char bytes[4 * WP_MAX_CHARS + 4]; /* a piece in UTF-8 */
	uint32_t starts[WP_MAX_CHARS + 1]; /* where its characters start */
	uint32_t word_stack[STACK_CP], a_stack[2 * STACK_CP], b_stack[2 * STACK_CP];
};

static void work_init(struct work *w, const bert_tokenizer *t, struct out *o)
{
	w->t = t;
	w->o = o;
	w->word = (struct buf){w->word_stack, STACK_CP, 0};
	w->a = (struct buf){w->a_stack, 2 * STACK_CP, 0};
	w->b = (struct buf){w->b_stack, 2 * STACK_CP, 0};
	w->nword = 0;
	w->maxcp = 0;
}

static void work_free(struct work *w)
{
	if (w->word.heap)
		free(w->word.p);
	if (w->a.heap)
		free(w->a.p);
	if (w->b.heap)
		free(w->b.p);
}

/* ---------------------------------------------------------- WordPiece */

static void emit(struct out *o, int32_t id)
{
	if (o->n < o->cap)
		o->ids[o->n] = id;
	o->n++;
	if (o->limit && o->n >= o->limit)
		o->stop = 1;
}

/*
 * WordpieceTokenizer.tokenize on one piece of nc characters, UTF-8 in
 * s[0 .. starts[nc]), character k at s[starts[k]]. Greedy longest match
 * first; a piece with a stretch no entry covers becomes one [UNK]. For
 * each start the hashes of all its candidate ends come from one pass
 * (FNV-1a extends byte by byte), then the ends are probed longest first;
 * ends past the longest vocabulary entry are never probed.
 */
static void wordpiece(const bert_tokenizer *t, struct out *o, const char *s, const uint32_t *starts, size_t nc)
{
	uint64_t hs[WP_MAX_CHARS + 1];
	int first = o->n;
	size_t i = 0;

	while (i < nc) {
		int cont = i > 0;
		uint64_t h = cont ? fnv(FNV_SEED, "##", 2) : FNV_SEED;
		uint32_t room = t->maxlen[cont];
		size_t k = i, kmax = i;
		while (k < nc && starts[k + 1] - starts[i] <= room) {
			for (uint32_t b = starts[k]; b < starts[k + 1]; b++)
				h = fnv_step(h, (unsigned char)s[b]);
			hs[++k] = h;
			kmax = k;
		}
		int32_t id = -1;
		for (k = kmax; k > i; k--)
			if ((id = vocab_find(t, hs[k], s + starts[i], starts[k] - starts[i], cont)) >= 0)
				break;
		if (id < 0) {
			o->n = first;
			o->stop = 0;
			emit(o, t->unk);
			return;
		}
		emit(o, id);
		i = k;
	}
}

/* One piece of n code points (a basic token): UTF-8 encode, WordPiece. */
static void piece(struct work *w, const uint32_t *cp, size_t n)
{
	if (n == 0)
		return;
	if (n > WP_MAX_CHARS) {
		emit(w->o, w->t->unk);
		return;
	}
	uint32_t b = 0;
	for (size_t i = 0; i < n; i++) {
		w->starts[i] = b;
		if (cp[i] < 0x80)
			w->bytes[b++] = (char)cp[i];
		else
			b += (uint32_t)utf8proc_encode_char((utf8proc_int32_t)cp[i], (utf8proc_uint8_t *)w->bytes + b);
	}
	w->starts[n] = b;
	wordpiece(w->t, w->o, w->bytes, w->starts, n);
}

/* ---------------------------------------------------------- normalization */

static int ccc(uint32_t c)
{
	return c < 0x300 ? 0 : utf8proc_get_property((utf8proc_int32_t)c)->combining_class;
}

/* Canonical decomposition of s[0..n) into d, in canonical order: NFD.
 * Returns the length. */
static size_t decompose(struct buf *d, const uint32_t *s, size_t n)
{
	size_t m = 0;
	int bc = 0, reorder = 0;

	buf_reserve(d, n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0xC0) { /* nothing below U+00C0 decomposes */
			buf_reserve(d, m + 1);
			d->p[m++] = s[i];
			continue;
		}
		for (;;) {
			utf8proc_ssize_t r = utf8proc_decompose_char((utf8proc_int32_t)s[i], (utf8proc_int32_t *)d->p + m,
								     (utf8proc_ssize_t)(d->cap - m), UTF8PROC_DECOMPOSE, &bc);
			if (r < 0) /* not a code point: cannot happen, the decoder made them */
				r = 0;
			if ((size_t)r <= d->cap - m) {
				m += (size_t)r;
				break;
			}
			buf_reserve(d, m + (size_t)r);
		}
		reorder |= s[i] >= 0x300;
	}
	/* Canonical ordering: sort each run of combining marks by class,
	 * stably (utf8proc_decompose's exchange sort). */
	for (size_t pos = 0; reorder && pos + 1 < m;) {
		int c1 = ccc(d->p[pos]), c2 = ccc(d->p[pos + 1]);
		if (c1 > c2 && c2 > 0) {
			uint32_t x = d->p[pos];
			d->p[pos] = d->p[pos + 1];
			d->p[pos + 1] = x;
			pos = pos > 0 ? pos - 1 : pos + 1;
		} else {
			pos++;
		}
	}
	return m;
}

/* NFC of s[0..n) into d. */
static size_t nfc(struct buf *d, const uint32_t *s, size_t n)
{
	size_t m = decompose(d, s, n);
	return (size_t)utf8proc_normalize_utf32((utf8proc_int32_t *)d->p, (utf8proc_ssize_t)m,
						UTF8PROC_COMPOSE | UTF8PROC_STABLE);
}

/* Python's str.lower() of s[0..n) into d: the full lower-case mapping
 * (only U+0130 has more than one character) and Final_Sigma. Sets *maxcp
 * to the largest code point written. */
static size_t lower(struct buf *d, const uint32_t *s, size_t n, uint32_t *maxcp)
{
	size_t m = 0;
	uint32_t mx = 0;

	buf_reserve(d, 2 * n);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = s[i];
		if (c < 0x80)
			c = c >= 'A' && c <= 'Z' ? c + 32 : c;
		else if (c == 0x130) {
			d->p[m++] = 'i';
			c = 0x307;
		} else if (c == 0x3A3)
			c = final_sigma(s, n, i) ? 0x3C2 : 0x3C3;
		else
			c = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
		d->p[m++] = c;
		mx = c > mx ? c : mx;
	}
	*maxcp = mx;
	return m;
}

static int is_special_name(const bert_tokenizer *t, const uint32_t *s, size_t n)
{
	if (n >= BERT_SPECIAL_NAME_MAX)
		return 0;
	for (int k = 0; k < N_SPECIAL; k++) {
		const char *name = t->special_name[k];
		size_t i = 0;
		while (i < n && name[i] && s[i] == (unsigned char)name[i])
			i++;
		if (i == n && !name[i])
			return 1;
	}
	return 0;
}

/* BasicTokenizer on one word (step 4 on), then WordPiece on its pieces. */
static void flush_word(struct work *w)
{
	uint32_t *s = w->word.p, maxcp = w->maxcp;
	size_t n = w->nword;

	w->nword = 0;
	w->maxcp = 0;
	if (n == 0)
		return;
	if (maxcp >= 0x300) { /* NFC is the identity below U+0300 */
		n = nfc(&w->a, s, n);
		s = w->a.p;
	}
	if (is_special_name(w->t, s, n)) { /* never_split: looked up as it is */
		piece(w, s, n);
		return;
	}
	if (w->t->lowercase) {
		n = lower(&w->b, s, n, &maxcp);
		s = w->b.p;
		if (maxcp >= 0xC0) { /* strip accents: NFD, drop Mn */
			size_t m = decompose(&w->a, s, n), k = 0;
			s = w->a.p;
			for (size_t i = 0; i < m; i++)
				if (s[i] < 0x300 || category(s[i]) != UTF8PROC_CATEGORY_MN)
					s[k++] = s[i];
			n = k;
		}
	}
	size_t start = 0;
	for (size_t i = 0; i < n && !w->o->stop; i++) {
		if (is_punct(s[i])) {
			piece(w, s + start, i - start);
			if (!w->o->stop)
				piece(w, s + i, 1);
			start = i + 1;
		}
	}
	if (!w->o->stop)
		piece(w, s + start, n - start);
}

static void push(struct work *w, uint32_t c)
{
	if (w->nword == w->word.cap)
		buf_reserve(&w->word, w->nword + 1);
	w->word.p[w->nword++] = c;
	if (c > w->maxcp)
		w->maxcp = c;
}

/* ---------------------------------------------------------- the text */

/* Decode one UTF-8 character at s[0..n) (n >= 1): its length, and the
 * code point in *cp, or U+FFFD and length 1 for a byte that does not
 * start a well-formed sequence (Python's decoder, errors="replace", makes
 * U+FFFD of it too, and step 2 drops U+FFFD). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	*cp = 0xFFFD;
	if (c >= 0xC2 && c <= 0xDF) {
		if (n >= 2 && (s[1] & 0xC0) == 0x80) {
			*cp = (c & 0x1F) << 6 | (s[1] & 0x3F);
			return 2;
		}
	} else if (c >= 0xE0 && c <= 0xEF) {
		unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		if (n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80) {
			*cp = (c & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F);
			return 3;
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		if (n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
			*cp = (c & 0x07) << 18 | (s[1] & 0x3F) << 12 | (s[2] & 0x3F) << 6 | (s[3] & 0x3F);
			return 4;
		}
	}
	return 1;
}

/* The special token that starts at s[0..n) (the longest, when two do), or -1. */
static int special_at(const bert_tokenizer *t, const unsigned char *s, size_t n)
{
	int best = -1;
	size_t best_len = 0;
	for (int k = 0; k < N_SPECIAL; k++) {
		size_t len = strlen(t->special_name[k]);
		if (t->special_id[k] >= 0 && len > best_len && n >= len && memcmp(s, t->special_name[k], len) == 0)
			best = k, best_len = len;
	}
	return best;
}

static void run(const bert_tokenizer *t, const char *text, size_t len, struct out *o)
{
	const unsigned char *s = (const unsigned char *)text;
	struct work w;
	size_t i = 0;
	int k;

	work_init(&w, t, o);
	while (i < len && !o->stop) {
		uint32_t c = s[i];
		if (c < 0x80) {
			if (t->special_first[c] && (k = special_at(t, s + i, len - i)) >= 0) {
				flush_word(&w);
				if (!o->stop)
					emit(o, t->special_id[k]);
				i += strlen(t->special_name[k]);
				continue;
			}
			switch (ascii_class[c]) {
			case A_SPACE:
				flush_word(&w);
				break;
			case A_DROP:
				break;
			case A_PUNCT:
				push(&w, c);
				break;
			default:
				push(&w, c);
			}
			i++;
			continue;
		}
		i += utf8_next(s + i, len - i, &c);
		if (c == 0xFFFD)
			continue;
		utf8proc_category_t cat = category(c);
		if (is_control_cat(cat))
			continue;
		if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
			flush_word(&w);
		} else if (is_cjk(c)) {
			flush_word(&w);
			push(&w, c);
			flush_word(&w);
		} else {
			push(&w, c);
		}
	}
	if (!o->stop)
		flush_word(&w);
	work_free(&w);
}

/* ---------------------------------------------------------- the API */

int bert_wordpieces(const bert_tokenizer *t, const char *text, size_t len, int32_t *ids, int cap)
{
	struct out o = {ids, cap > 0 ? cap : 0, 0, 0, 0};
	run(t, text, len, &o);
	return o.n;
}

int bert_tokenize(const bert_tokenizer *t, const char *text, size_t len, int max_len, int32_t *ids)
{
	if (max_len < 2)
		return 0;
	struct out o = {ids + 1, max_len - 2, 0, max_len - 2, max_len == 2};
	run(t, text, len, &o);
	int n = o.n < max_len - 2 ? o.n : max_len - 2;
	ids[0] = t->cls;
	ids[n + 1] = t->sep;
	return n + 2;
}
