/*
 * cell.c — one entity × window aggregate: adding posts, merging partial
 * states, printing `agg` and `agg_partial` records; see cell.h for why the
 * sums are fixed-point integers.
 */
#include "agg/cell.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Thresholds of VADER's own labels, for posts that have only `vader`. */
#define AGG_VADER_POS 0.05
#define AGG_VADER_NEG -0.05

#define FIX_ONE ((agg_fix)1 << AGG_FIX_BITS)

/* x in fixed point, rounded to nearest (ties to even): one rounding per
 * post term, the only rounding in the sums. |x| < 2^14 here. */
static agg_fix to_fix(double x)
{
	return (agg_fix)llrint(ldexp(x, AGG_FIX_BITS));
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------ posts */

/* An integer field of an object, 0 when absent or null. */
static int int_field(const json_t *obj, const char *key, const char *path, long long *out, char *err,
		     size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (jx_int(obj, key, out))
		return 0;
	if (json_is_real(v))
		return herd_errf(err, errlen, "field '%s' is %g, not an integer", path, json_real_value(v));
	return herd_errf(err, errlen, "field '%s' is %s, not an integer", path, jx_type_name(v));
}

/* A polarity field: a finite number in [-1, 1]. */
static int polarity(const json_t *obj, const char *key, const char *path, double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return herd_errf(err, errlen, "field '%s' is %s, not a number", path, v ? jx_type_name(v) : "missing");
	*out = json_number_value(v);
	if (!(*out >= -1.0 && *out <= 1.0))
		return herd_errf(err, errlen, "field '%s' is %g, outside [-1, 1]", path, *out);
	return 0;
}

int agg_contrib_from_post(agg_contrib *c, const json_t *post, char *scratch, size_t scratchlen, char *err,
			  size_t errlen)
{
	const char *source = jx_str(post, "source");
	json_t *community = json_object_get(post, "community");
	json_t *author = json_object_get(post, "author");
	json_t *eng = json_object_get(post, "engagement");
	json_t *sent = json_object_get(post, "sentiment");
	json_t *vader = json_object_get(post, "vader");
	long long score = 0, replies = 0;
	double p = 0.0, w;

	memset(c, 0, sizeof *c);
	if (!source || !source[0])
		return herd_errf(err, errlen, "field 'source' is missing or not a string");
	if (community && !json_is_null(community) && !json_is_string(community))
		return herd_errf(err, errlen, "field 'community' is %s, not a string", jx_type_name(community));
	if ((size_t)snprintf(scratch, scratchlen, json_is_string(community) ? "%s/%s" : "%s", source,
			     json_is_string(community) ? json_string_value(community) : "") >= scratchlen)
		return herd_errf(err, errlen, "source and community are too long");
	c->source_key = scratch;
	if (author && !json_is_null(author) && !json_is_string(author))
		return herd_errf(err, errlen, "field 'author' is %s, not a string", jx_type_name(author));
	if (json_is_string(author) && json_string_length(author) > 0) {
		c->author = json_string_value(author);
		c->author_hash = strset_hash(c->author, strlen(c->author));
	}
	if (eng && !json_is_null(eng)) {
		if (!json_is_object(eng))
			return herd_errf(err, errlen, "field 'engagement' is %s, not an object", jx_type_name(eng));
		if (int_field(eng, "score", "engagement.score", &score, err, errlen) < 0 ||
		    int_field(eng, "replies", "engagement.replies", &replies, err, errlen) < 0)
			return -1;
	}
	c->engagement = (int64_t)score + (int64_t)replies;

	if (json_is_object(sent)) {
		const char *label = jx_str(sent, "label");
		if (polarity(sent, "score", "sentiment.score", &p, err, errlen) < 0)
			return -1;
		c->polar = 1;
		if (label) {
			c->bull = strcmp(label, "positive") == 0;
			c->bear = strcmp(label, "negative") == 0;
		} else {
			c->bull = p >= AGG_VADER_POS;
			c->bear = p <= AGG_VADER_NEG;
		}
	} else if (sent && !json_is_null(sent)) {
		return herd_errf(err, errlen, "field 'sentiment' is %s, not an object", jx_type_name(sent));
	} else if (json_is_object(vader)) {
		if (polarity(vader, "compound", "vader.compound", &p, err, errlen) < 0)
			return -1;
		c->polar = 1;
		c->bull = p >= AGG_VADER_POS;
		c->bear = p <= AGG_VADER_NEG;
	}
	if (c->polar) {
		w = 1.0 + log1p(score > 0 ? (double)score : 0.0);
		c->p = to_fix(p);
		c->wp = to_fix(w * p);
		c->w = to_fix(w);
	}
	return 0;
}

/* ------------------------------------------------------------ cells */

agg_cell *agg_cell_new(const char *entity, int64_t len, int64_t start)
{
	agg_cell *c = xcalloc(1, sizeof *c);

	c->entity = xstrdup(entity);
	c->len = len;
	c->start = start;
	return c;
}

void agg_cell_free(agg_cell *c)
{
	if (!c)
		return;
	strset_free(&c->authors);
	for (size_t i = 0; i < c->nsrc; i++)
		free(c->src[i].key);
	free(c->src);
	free(c->entity);
	free(c);
}

static void add_source(agg_cell *c, const char *key, int64_t posts)
{
	for (size_t i = 0; i < c->nsrc; i++) {
		if (strcmp(c->src[i].key, key) == 0) {
			c->src[i].posts += posts;
			return;
		}
	}
	if (c->nsrc == c->capsrc) {
		c->capsrc = c->capsrc ? 2 * c->capsrc : 4;
		c->src = xrealloc(c->src, c->capsrc * sizeof *c->src);
	}
	c->src[c->nsrc].key = xstrdup(key);
	c->src[c->nsrc].posts = posts;
	c->nsrc++;
}

void agg_cell_add(agg_cell *c, const agg_contrib *k)
{
	c->posts++;
	if (k->author)
		strset_add(&c->authors, k->author, strlen(k->author), k->author_hash, NULL);
	add_source(c, k->source_key, 1);
	if (k->polar) {
		c->n++;
		c->bull += k->bull;
		c->bear += k->bear;
		c->psum += k->p;
		c->wpsum += k->wp;
		c->wsum += k->w;
	}
	c->engagement += k->engagement;
}

void agg_cell_merge(agg_cell *into, const agg_cell *from)
{
	into->posts += from->posts;
	for (size_t i = 0; i < from->authors.cap; i++) {
		const strset_slot *a = &from->authors.slot[i];
		if (a->key)
			strset_add(&into->authors, a->key, strlen(a->key), a->hash, NULL);
	}
	for (size_t i = 0; i < from->nsrc; i++)
		add_source(into, from->src[i].key, from->src[i].posts);
	into->n += from->n;
	into->bull += from->bull;
	into->bear += from->bear;
	into->psum += from->psum;
	into->wpsum += from->wpsum;
	into->wsum += from->wsum;
	into->engagement += from->engagement;
}

/* ------------------------------------------------------------ records */

/* x rounded to AGG_PRINT_DIGITS decimals, the decimal way ("%.6f"). */
static double printed(double x)
{
	char s[64];
	double r;

	snprintf(s, sizeof s, "%.*f", AGG_PRINT_DIGITS, x);
	r = strtod(s, NULL);
	return r == 0.0 ? 0.0 : r; /* no "-0.0" */
}

static int cmp_source(const void *a, const void *b)
{
	return strcmp(((const struct agg_source *)a)->key, ((const struct agg_source *)b)->key);
}

/* The keys agg and agg_partial share, in the contract's order. */
static json_t *common_keys(const agg_cell *c, const char *kind)
{
	json_t *rec = json_object(), *src = json_object();
	struct agg_source *sorted = xmalloc((c->nsrc ? c->nsrc : 1) * sizeof *sorted);
	char t[HTIME_LEN];

	json_object_set_new(rec, "kind", json_string(kind));
	json_object_set_new(rec, "entity", json_string(c->entity));
	json_object_set_new(rec, "window", json_string(htime_format_duration(c->len, t)));
	json_object_set_new(rec, "start", json_string(htime_format(c->start, t)));
	json_object_set_new(rec, "posts", json_integer(c->posts));
	json_object_set_new(rec, "authors", json_integer((json_int_t)c->authors.n));
	if (c->nsrc) { /* an empty cell has no src array at all */
		memcpy(sorted, c->src, c->nsrc * sizeof *sorted);
		qsort(sorted, c->nsrc, sizeof *sorted, cmp_source);
	}
	for (size_t i = 0; i < c->nsrc; i++)
		json_object_set_new(src, sorted[i].key, json_integer(sorted[i].posts));
	free(sorted);
	json_object_set_new(rec, "sources", src);
	if (c->n > 0) {
		json_t *s = json_object();
		json_object_set_new(s, "n", json_integer(c->n));
		json_object_set_new(s, "mean", json_real(printed((double)c->psum / (double)FIX_ONE / (double)c->n)));
		json_object_set_new(s, "weighted", json_real(printed((double)c->wpsum / (double)c->wsum)));
		json_object_set_new(s, "bull", json_integer(c->bull));
		json_object_set_new(s, "bear", json_integer(c->bear));
		json_object_set_new(rec, "sentiment", s);
	} else {
		json_object_set_new(rec, "sentiment", json_null());
	}
	json_object_set_new(rec, "engagement", json_integer(c->engagement));
	return rec;
}

json_t *agg_cell_to_agg(const agg_cell *c)
{
	return common_keys(c, "agg");
}

/* 128-bit integers travel as decimal strings (JSON numbers stop at 64). */
static json_t *fix_json(agg_fix v)
{
	char s[48], *p = s + sizeof s - 1;
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return json_string(p);
}

static int fix_from_json(const json_t *v, agg_fix *out)
{
	const char *s = json_string_value(v);
	unsigned __int128 u = 0, lim = ((unsigned __int128)1 << 126);
	int neg;

	if (!s)
		return -1;
	neg = *s == '-';
	s += neg;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || u >= lim / 10)
			return -1;
		u = u * 10 + (unsigned)(*s - '0');
	}
	*out = neg ? -(agg_fix)u : (agg_fix)u;
	return 0;
}

json_t *agg_cell_to_partial(const agg_cell *c)
{
	json_t *rec = common_keys(c, "agg_partial"), *st = json_object(), *authors = json_array();
	char **names = xmalloc((c->authors.n ? c->authors.n : 1) * sizeof *names);
	size_t k = 0;

	for (size_t i = 0; i < c->authors.cap; i++)
		if (c->authors.slot[i].key)
			names[k++] = c->authors.slot[i].key;
	qsort(names, k, sizeof *names, cmp_strp);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(authors, json_string(names[i]));
	free(names);
	json_object_set_new(st, "v", json_integer(AGG_PARTIAL_VERSION));
	json_object_set_new(st, "fix", json_integer(AGG_FIX_BITS));
	json_object_set_new(st, "authors", authors);
	json_object_set_new(st, "n", json_integer(c->n));
	json_object_set_new(st, "bull", json_integer(c->bull));
	json_object_set_new(st, "bear", json_integer(c->bear));
	json_object_set_new(st, "psum", fix_json(c->psum));
	json_object_set_new(st, "wpsum", fix_json(c->wpsum));
	json_object_set_new(st, "wsum", fix_json(c->wsum));
	json_object_set_new(rec, "state", st);
	return rec;
}

/* A non-negative integer field of a partial. */
static int count_field(const json_t *obj, const char *key, int64_t *out, char *err, size_t errlen)
{
	long long v;

	if (!jx_int(obj, key, &v) || v < 0)
		return herd_errf(err, errlen, "agg_partial: '%s' is not a count", key);
	*out = v;
	return 0;
}

agg_cell *agg_cell_from_partial(const json_t *rec, char *err, size_t errlen)
{
	const char *entity = jx_str(rec, "entity"), *window = jx_str(rec, "window");
	json_t *st = json_object_get(rec, "state"), *src = json_object_get(rec, "sources"), *v;
	int64_t len, start, posts = 0, eng;
	long long ver, fix;
	agg_cell *c;
	const char *key;
	size_t i;

	if (!entity || !entity[0])
		return herd_errf(err, errlen, "agg_partial: no entity"), NULL;
	if (!window || (len = htime_parse_duration(window)) < 0)
		return herd_errf(err, errlen, "agg_partial: 'window' is not a duration"), NULL;
	if (htime_from_json(json_object_get(rec, "start"), &start) < 0 || htime_floor(start, len) != start)
		return herd_errf(err, errlen, "agg_partial: 'start' is not a window start"), NULL;
	if (!json_is_object(st) || !jx_int(st, "v", &ver) || !jx_int(st, "fix", &fix))
		return herd_errf(err, errlen, "agg_partial: no 'state' with 'v' and 'fix'"), NULL;
	if (ver != AGG_PARTIAL_VERSION || fix != AGG_FIX_BITS)
		return herd_errf(err, errlen, "agg_partial: state version %lld/%lld, this herd-aggregate reads %d/%d",
			    ver, fix, AGG_PARTIAL_VERSION, AGG_FIX_BITS), NULL;
	if (count_field(rec, "posts", &posts, err, errlen) < 0)
		return NULL;
	if (!jx_int(rec, "engagement", &ver))
		return herd_errf(err, errlen, "agg_partial: 'engagement' is not an integer"), NULL;
	eng = ver;
	if (!json_is_object(src) || !json_is_array(json_object_get(st, "authors")))
		return herd_errf(err, errlen, "agg_partial: 'sources' or 'state.authors' missing"), NULL;

	c = agg_cell_new(entity, len, start);
	c->posts = posts;
	c->engagement = eng;
	json_object_foreach(src, key, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			herd_errf(err, errlen, "agg_partial: source '%s' is not a count", key);
			goto bad;
		}
		add_source(c, key, json_integer_value(v));
	}
	json_array_foreach(json_object_get(st, "authors"), i, v) {
		if (!json_is_string(v)) {
			herd_errf(err, errlen, "agg_partial: an author is not a string");
			goto bad;
		}
		strset_add(&c->authors, json_string_value(v), strlen(json_string_value(v)),
			   strset_hash(json_string_value(v), strlen(json_string_value(v))), NULL);
	}
	if (count_field(st, "n", &c->n, err, errlen) < 0 || count_field(st, "bull", &c->bull, err, errlen) < 0 ||
	    count_field(st, "bear", &c->bear, err, errlen) < 0)
		goto bad;
	if (fix_from_json(json_object_get(st, "psum"), &c->psum) < 0 ||
	    fix_from_json(json_object_get(st, "wpsum"), &c->wpsum) < 0 ||
	    fix_from_json(json_object_get(st, "wsum"), &c->wsum) < 0) {
		herd_errf(err, errlen, "agg_partial: 'psum', 'wpsum' or 'wsum' is not a decimal integer string");
		goto bad;
	}
	if (!agg_cell_check(c)) {
		herd_errf(err, errlen, "agg_partial: the state is inconsistent (counts or sums out of bounds)");
		goto bad;
	}
	return c;
bad:
	agg_cell_free(c);
	return NULL;
}

/* ------------------------------------------------------------ invariants */

int agg_cell_check(const agg_cell *c)
{
	int64_t srcsum = 0;

	if (!c || !c->entity || c->len <= 0 || htime_floor(c->start, c->len) != c->start)
		return 0;
	if ((int64_t)c->authors.n > c->posts || c->n > c->posts || c->bull + c->bear > c->n || c->bull < 0 ||
	    c->bear < 0)
		return 0;
	for (size_t i = 0; i < c->nsrc; i++) {
		if (c->src[i].posts < 0)
			return 0;
		srcsum += c->src[i].posts;
	}
	if (srcsum != c->posts)
		return 0;
	if (c->psum > (agg_fix)c->n * FIX_ONE || c->psum < -(agg_fix)c->n * FIX_ONE)
		return 0;
	if (c->wsum < (agg_fix)c->n * FIX_ONE || c->wpsum > c->wsum || c->wpsum < -c->wsum)
		return 0;
	return strset_check(&c->authors);
}
