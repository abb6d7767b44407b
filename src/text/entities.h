/*
 * entities.h — which tickers (and coins, funds, indices) a piece of text
 * mentions. herd-normalize calls it on every post's title and text; the
 * result becomes the post's sorted, unique "entities" (docs/records.md).
 *
 * Rules (docs/entities.md has the whole story and the measured figures):
 *   - cashtags always: $GME, $gme, $BRK.B — a '$' and 1–5 letters with an
 *     optional class suffix; never $5, $100k or US$;
 *   - bare upper-case words only when the dictionary lists them and the
 *     stop list does not (YOLO, DD, CEO, IT, ON, A … are words first);
 *     single letters never;
 *   - names and aliases (GameStop, Game Stop → GME) case-insensitively on
 *     word boundaries; an alias marked "cased" (Apple, Ford, Target) only
 *     with the capitals it is written with.
 * ENT_RECALL also takes stop-listed and single-letter tickers, lower-case
 * tickers, cased aliases in any case and capitals the dictionary does not
 * know (3-5 letters: penny stocks), but only where the words around them
 * say "ticker" (calls, shares, holding, 50c, $12, a neighbouring ticker) and
 * the text is not shouting in capitals. Stop words marked "never" (DD, PT,
 * AND) are never taken.
 *
 * It does not know what is listed where or when: the dictionary files do.
 */
#ifndef HERD_ENTITIES_H
#define HERD_ENTITIES_H

#include <stddef.h>

#define ENT_SYM_MAX 16 /* longest symbol + NUL ("BRK.B", "BTC") */

enum ent_mode {
	ENT_NONE,      /* no extraction (only what the source tags) */
	ENT_CASHTAGS,  /* cashtags only: no dictionary needed */
	ENT_PRECISION, /* the default: cashtags, safe bare tickers, aliases */
	ENT_RECALL,    /* also the ambiguous ones where context supports them */
};

/* "none", "cashtags", "precision" or "recall" → mode; -1 for anything else. */
int ent_mode_parse(const char *name);
const char *ent_mode_name(int mode);

/* Alias flags (the third column of aliases.tsv). */
enum {
	ENT_ALIAS_CASED = 1,  /* match only with the capitals written */
	ENT_ALIAS_RECALL = 2, /* only in ENT_RECALL */
};

typedef struct ent_dict ent_dict;

/* An empty dictionary; free with ent_dict_free (NULL is a no-op). */
ent_dict *ent_dict_new(void);
void ent_dict_free(ent_dict *d);
/* Load the dictionary files found in dir into d: tickers.tsv, aliases.tsv,
 * stoplist.txt (docs/entities.md); later loads add to earlier ones. Each
 * file is optional but dir must hold at least one. Returns 0, or -1 with
 * "path:line: reason" (or "dir: reason") in err. */
int ent_dict_load_dir(ent_dict *d, const char *dir, char *err, size_t errlen);
/* Add entries one at a time (what the loader does per line). Symbols and
 * stop words are upper-cased. Return 0, or -1 when the value is not valid
 * (a symbol is 1–15 letters, digits, '.' or '-', starting with a letter). */
int ent_dict_add_ticker(ent_dict *d, const char *sym);
int ent_dict_add_stop(ent_dict *d, const char *word);
int ent_dict_add_alias(ent_dict *d, const char *alias, const char *sym, unsigned flags);
/* Counts, for --verbose and tests. */
size_t ent_dict_tickers(const ent_dict *d);
size_t ent_dict_stops(const ent_dict *d);
size_t ent_dict_aliases(const ent_dict *d);
/* 1 when sym is a ticker of d / a stop word of d. */
int ent_dict_is_ticker(const ent_dict *d, const char *sym);
int ent_dict_is_stop(const ent_dict *d, const char *word);

/* A set of symbols: add in any order, then ent_set_finish sorts and
 * removes duplicates. The caller owns the struct; ent_set_free releases
 * its memory (an ENT_SET_INIT set needs no free until something is added). */
typedef struct ent_set {
	char (*v)[ENT_SYM_MAX];
	size_t n, cap;
} ent_set;
#define ENT_SET_INIT {NULL, 0, 0}

void ent_set_clear(ent_set *s); /* n = 0, keep memory */
void ent_set_free(ent_set *s);
/* Add sym upper-cased; returns 0, or -1 (nothing added) when it is empty,
 * too long or holds characters no symbol has. */
int ent_set_add(ent_set *s, const char *sym);
void ent_set_finish(ent_set *s);

/* Add to out the entities text[0..len) mentions under mode. d may be NULL
 * for ENT_NONE and ENT_CASHTAGS. text need not be NUL-terminated; bytes
 * >= 0x80 (emoji, accents) separate words. out is not sorted: call
 * ent_set_finish when all texts of a post are in. Not thread-safe (it
 * keeps its scratch space between calls). */
void ent_extract(const ent_dict *d, int mode, const char *text, size_t len, ent_set *out);

#endif
