/*
 * cell.c — one entity × window aggregate: adding posts (each id once),
 * merging partial states, printing `agg` and `agg_partial` records; see
 * cell.h for why a cell keeps its posts and why the sums are fixed-point
 * integers.
 */
#include "agg/cell.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Thresholds of VADER's own labels, for posts that have only `vader`. */
#define AGG_VADER_POS 0.05
#define AGG_VADER_NEG -0.05

#define FIX_ONE ((agg_fix)1 << AGG_FIX_BITS)

/* The largest weight a post can have, in fixed point: 1 + ln(1 + score)
 * is below 45 for any 64-bit score. Partials are checked against it. */
#define MAX_WEIGHT ((int64_t)64 << AGG_FIX_BITS)

/* x in fixed point, rounded to nearest (ties to even): one rounding per
 * post term, the only rounding in the sums. |x| < 45 here. */
static int64_t to_fix(double x)
{
	return (int64_t)llrint(ldexp(x, AGG_FIX_BITS));
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
	c->id = jx_str(post, "id");
	if (!c->id || !c->id[0])
		return herd_errf(err, errlen, "field 'id' is missing or not a string");
	c->id_hash = strset_hash(c->id, strlen(c->id));
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
	c->keep = 1;
	return c;
}

void agg_cell_drop_posts(agg_cell *c)
{
	free(c->post);
	c->post = NULL;
	c->cappost = 0;
	c->keep = 0;
}

void agg_cell_free(agg_cell *c)
{
	if (!c)
		return;
	free(c->post);
	strset_free(&c->ids);
	strset_free(&c->authors);
	for (size_t i = 0; i < c->nsrc; i++)
		free(c->src[i].key);
	free(c->src);
	free(c->entity);
	free(c);
}

/* The index of source key in c, added (with no posts) when new. */
static uint32_t source_index(agg_cell *c, const char *key)
{
	for (size_t i = 0; i < c->nsrc; i++)
		if (strcmp(c->src[i].key, key) == 0)
			return (uint32_t)i;
	if (c->nsrc == c->capsrc) {
		c->capsrc = c->capsrc ? 2 * c->capsrc : 4;
		c->src = xrealloc(c->src, c->capsrc * sizeof *c->src);
	}
	c->src[c->nsrc].key = xstrdup(key);
	c->src[c->nsrc].posts = 0;
	return (uint32_t)c->nsrc++;
}

int agg_cell_add(agg_cell *c, const agg_contrib *k)
{
	agg_post *p, one;
	const char *id;
	int added;

	id = strset_add(&c->ids, k->id, strlen(k->id), k->id_hash, &added);
	if (!added)
		return 0; /* the first occurrence of an id wins */
	if (c->keep && (size_t)c->posts == c->cappost) {
		c->cappost = c->cappost ? 2 * c->cappost : 4;
		c->post = xrealloc(c->post, c->cappost * sizeof *c->post);
	}
	p = c->keep ? &c->post[c->posts] : &one;
	c->posts++;
	p->id = id;
	p->author = k->author ? strset_add(&c->authors, k->author, strlen(k->author), k->author_hash, NULL) : NULL;
	p->src = source_index(c, k->source_key);
	c->src[p->src].posts++;
	p->polar = k->polar != 0;
	p->mood = (int8_t)(!k->polar ? 0 : k->bull ? 1 : k->bear ? -1 : 0);
	p->engagement = k->engagement;
	p->p = k->polar ? k->p : 0;
	p->wp = k->polar ? k->wp : 0;
	p->w = k->polar ? k->w : 0;
	if (p->polar) {
		c->n++;
		c->bull += p->mood > 0;
		c->bear += p->mood < 0;
		c->psum += p->p;
		c->wpsum += p->wp;
		c->wsum += p->w;
	}
	c->engagement += p->engagement;
	return 1;
}

/* The contribution of a post a cell holds (strings borrowed from c). */
static void contrib_of(const agg_cell *c, const agg_post *p, agg_contrib *k)
{
	k->id = p->id;
	k->id_hash = strset_hash(p->id, strlen(p->id));
	k->author = p->author;
	k->author_hash = p->author ? strset_hash(p->author, strlen(p->author)) : 0;
	k->source_key = c->src[p->src].key;
	k->polar = p->polar;
	k->bull = p->mood > 0;
	k->bear = p->mood < 0;
	k->p = p->p;
	k->wp = p->wp;
	k->w = p->w;
	k->engagement = p->engagement;
}

size_t agg_cell_merge(agg_cell *into, const agg_cell *from)
{
	size_t held = 0;
	agg_contrib k;

	assert(from->keep);
	for (int64_t i = 0; i < from->posts; i++) {
		contrib_of(from, &from->post[i], &k);
		if (!agg_cell_add(into, &k))
			held++;
	}
	return held;
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

/* The order posts are written in partials: by id, so that a partial's
 * bytes depend only on which posts the cell holds. */
static int cmp_post_id(const void *a, const void *b)
{
	return strcmp((*(const agg_post *const *)a)->id, (*(const agg_post *const *)b)->id);
}

static int cmp_source_index(const void *a, const void *b, void *arg)
{
	const agg_cell *c = arg;

	return strcmp(c->src[*(const uint32_t *)a].key, c->src[*(const uint32_t *)b].key);
}

/*
 * The state: {"v":2,"fix":48,"sources":[key…],"posts":[post…]} with the
 * sources sorted and each post, sorted by id, as
 *   [id, author or null, source index, engagement]            no polarity
 *   [id, author or null, source index, engagement, mood, p, wp, w]
 * where mood is 1 bull, -1 bear, 0 neither and p, wp, w are the fixed-point
 * terms (integers below 2^54, exact in 64 bits).
 */
json_t *agg_cell_to_partial(const agg_cell *c)
{
	json_t *rec = common_keys(c, "agg_partial"), *st = json_object(), *srcs = json_array(), *posts = json_array();
	const agg_post **byid = xmalloc(((size_t)c->posts + 1) * sizeof *byid);
	uint32_t *order = xmalloc((c->nsrc + 1) * sizeof *order), *rank = xmalloc((c->nsrc + 1) * sizeof *rank);

	assert(c->keep);
	for (size_t i = 0; i < c->nsrc; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, c->nsrc, sizeof *order, cmp_source_index, (void *)c);
	for (size_t i = 0; i < c->nsrc; i++) {
		rank[order[i]] = (uint32_t)i;
		json_array_append_new(srcs, json_string(c->src[order[i]].key));
	}
	for (int64_t i = 0; i < c->posts; i++)
		byid[i] = &c->post[i];
	qsort(byid, (size_t)c->posts, sizeof *byid, cmp_post_id);
	for (int64_t i = 0; i < c->posts; i++) {
		const agg_post *p = byid[i];
		json_t *t = json_array();
		json_array_append_new(t, json_string(p->id));
		json_array_append_new(t, p->author ? json_string(p->author) : json_null());
		json_array_append_new(t, json_integer(rank[p->src]));
		json_array_append_new(t, json_integer(p->engagement));
		if (p->polar) {
			json_array_append_new(t, json_integer(p->mood));
			json_array_append_new(t, json_integer(p->p));
			json_array_append_new(t, json_integer(p->wp));
			json_array_append_new(t, json_integer(p->w));
		}
		json_array_append_new(posts, t);
	}
	free(byid);
	free(order);
	free(rank);
	json_object_set_new(st, "v", json_integer(AGG_PARTIAL_VERSION));
	json_object_set_new(st, "fix", json_integer(AGG_FIX_BITS));
	json_object_set_new(st, "sources", srcs);
	json_object_set_new(st, "posts", posts);
	json_object_set_new(rec, "state", st);
	return rec;
}

/* An integer element of a partial's post, within [lo, hi]. */
static int int_elem(const json_t *t, size_t i, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_array_get(t, i);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* One post of a partial's state into k (strings borrowed from the JSON);
 * -1 when it is not a post herd-aggregate writes. */
static int post_from_state(const json_t *t, const json_t *srcs, agg_contrib *k)
{
	json_t *id = json_array_get(t, 0), *author = json_array_get(t, 1);
	size_t n = json_array_size(t);
	int64_t src, mood;

	memset(k, 0, sizeof *k);
	if ((n != 4 && n != 8) || !json_is_string(id) || !json_string_value(id)[0] ||
	    !(json_is_null(author) || json_is_string(author)) ||
	    int_elem(t, 2, 0, (int64_t)json_array_size(srcs) - 1, &src) < 0 ||
	    int_elem(t, 3, INT64_MIN, INT64_MAX, &k->engagement) < 0)
		return -1;
	k->id = json_string_value(id);
	k->id_hash = strset_hash(k->id, strlen(k->id));
	if (json_is_string(author)) {
		k->author = json_string_value(author);
		k->author_hash = strset_hash(k->author, strlen(k->author));
	}
	k->source_key = json_string_value(json_array_get(srcs, (size_t)src));
	if (n == 4)
		return 0;
	if (int_elem(t, 4, -1, 1, &mood) < 0 || int_elem(t, 7, (int64_t)1 << AGG_FIX_BITS, MAX_WEIGHT, &k->w) < 0 ||
	    int_elem(t, 5, -((int64_t)1 << AGG_FIX_BITS), (int64_t)1 << AGG_FIX_BITS, &k->p) < 0 ||
	    int_elem(t, 6, -k->w, k->w, &k->wp) < 0)
		return -1;
	k->polar = 1;
	k->bull = mood > 0;
	k->bear = mood < 0;
	return 0;
}

agg_cell *agg_cell_from_partial(const json_t *rec, char *err, size_t errlen)
{
	static const char *const derived[] = {"posts", "authors", "sources", "sentiment", "engagement"};
	const char *entity = jx_str(rec, "entity"), *window = jx_str(rec, "window");
	json_t *st = json_object_get(rec, "state"), *srcs, *posts, *v, *mine;
	int64_t len, start;
	long long ver, fix;
	agg_cell *c;
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
	srcs = json_object_get(st, "sources");
	posts = json_object_get(st, "posts");
	if (!json_is_array(srcs) || !json_is_array(posts))
		return herd_errf(err, errlen, "agg_partial: 'state.sources' or 'state.posts' missing"), NULL;
	json_array_foreach(srcs, i, v)
		if (!json_is_string(v) || !json_string_value(v)[0])
			return herd_errf(err, errlen, "agg_partial: source %zu is not a name", i + 1), NULL;

	c = agg_cell_new(entity, len, start);
	json_array_foreach(posts, i, v) {
		agg_contrib k;
		if (!json_is_array(v) || post_from_state(v, srcs, &k) < 0) {
			herd_errf(err, errlen, "agg_partial: post %zu is not [id, author, source, engagement(, mood, p, wp, w)]",
				  i + 1);
			goto bad;
		}
		if (!agg_cell_add(c, &k)) {
			herd_errf(err, errlen, "agg_partial: post id '%.80s' is listed twice", k.id);
			goto bad;
		}
	}
	/* The agg keys a partial shows must be those of its posts. */
	mine = common_keys(c, "agg_partial");
	for (i = 0; i < sizeof derived / sizeof derived[0]; i++) {
		if (!json_equal(json_object_get(mine, derived[i]), json_object_get(rec, derived[i]))) {
			herd_errf(err, errlen, "agg_partial: '%s' does not match the posts in the state", derived[i]);
			json_decref(mine);
			goto bad;
		}
	}
	json_decref(mine);
	assert(agg_cell_check(c));
	return c;
bad:
	agg_cell_free(c);
	return NULL;
}

/* ------------------------------------------------------------ invariants */

int agg_cell_check(const agg_cell *c)
{
	int64_t n = 0, bull = 0, bear = 0, eng = 0, srcsum = 0, *per_src;
	agg_fix psum = 0, wpsum = 0, wsum = 0, one = (agg_fix)1 << AGG_FIX_BITS;
	int ok = 1;

	if (!c || !c->entity || c->len <= 0 || htime_floor(c->start, c->len) != c->start || c->posts < 0)
		return 0;
	if ((int64_t)c->ids.n != c->posts || (int64_t)c->authors.n > c->posts || c->bull + c->bear > c->n ||
	    c->bull < 0 || c->bear < 0 || c->n > c->posts || !strset_check(&c->authors))
		return 0; /* (not strset_check(&c->ids): as costly as counting the posts was) */
	if (c->psum > (agg_fix)c->n * one || c->psum < -(agg_fix)c->n * one || c->wsum < (agg_fix)c->n * one ||
	    c->wpsum > c->wsum || c->wpsum < -c->wsum)
		return 0;
	for (size_t i = 0; i < c->nsrc; i++) {
		if (!c->src[i].key || c->src[i].posts <= 0)
			return 0;
		srcsum += c->src[i].posts;
	}
	if (srcsum != c->posts || (c->keep && (size_t)c->posts > c->cappost))
		return 0;
	if (!c->keep)
		return 1;
	/* Every count and sum is that of post[]. */
	per_src = xcalloc(c->nsrc + 1, sizeof *per_src);
	for (int64_t i = 0; i < c->posts && ok; i++) {
		const agg_post *p = &c->post[i];
		ok = p->id && p->src < c->nsrc && (p->polar == 0 || p->polar == 1) && p->mood >= -1 && p->mood <= 1 &&
		     (p->polar || (p->mood == 0 && p->p == 0 && p->wp == 0 && p->w == 0));
		if (!ok)
			break;
		per_src[p->src]++;
		eng += p->engagement;
		if (!p->polar)
			continue;
		ok = p->w >= ((int64_t)1 << AGG_FIX_BITS) && p->w <= MAX_WEIGHT && p->wp >= -p->w && p->wp <= p->w &&
		     p->p >= -((int64_t)1 << AGG_FIX_BITS) && p->p <= ((int64_t)1 << AGG_FIX_BITS);
		n++;
		bull += p->mood > 0;
		bear += p->mood < 0;
		psum += p->p;
		wpsum += p->wp;
		wsum += p->w;
	}
	for (size_t i = 0; i < c->nsrc && ok; i++)
		ok = c->src[i].posts == per_src[i];
	free(per_src);
	return ok && n == c->n && bull == c->bull && bear == c->bear && psum == c->psum && wpsum == c->wpsum &&
	       wsum == c->wsum && eng == c->engagement;
}
