/*
 * wikipedia.c — Wikimedia pageviews of an entity's article, as `metric`
 * records (name "pageviews"): attention that is not a post.
 *
 * The REST API answers /metrics/pageviews/per-article/en.wikipedia/
 * all-access/user/ARTICLE/daily/START/END with {"items":[{"project",
 * "article","granularity":"daily","timestamp":"2021012700","access",
 * "agent","views"}]}. The normalize section makes one metric per item: the
 * entity is the raw record's query (the symbol the article was fetched
 * for), else the article's title; `at` is the day (or hour) the timestamp
 * names, UTC; interval 1d (1h, 1mo for the other granularities).
 *
 * The fetch section takes queries as SYMBOL=Article_title, or SYMBOL alone
 * looked up in --articles FILE (default data/wikipedia/articles.tsv:
 * SYMBOL<TAB>Article_title lines). It asks once per article for the whole
 * days after the last one written, up to yesterday (UTC), since a day's
 * count is final once the day is over; a 404 for a range means "no data
 * yet" and writes nothing. Wikimedia asks for a User-Agent with contact
 * details: set HERD_CONTACT (an e-mail or URL) and herd adds it.
 */
#include "sources.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define DEFAULT_DAYS 30 /* a first run looks back this far without --since */

/* ================================================================ normalize */

/* "2021012700" (YYYYMMDDHH) → seconds; -1 when it is not one. */
static int wiki_time(const char *s, int64_t *t)
{
	int v[4] = {0}, w[4] = {4, 2, 2, 2};

	if (!s || strlen(s) != 10)
		return -1;
	for (int i = 0, k = 0; i < 4; i++)
		for (int j = 0; j < w[i]; j++, k++) {
			if (!isdigit((unsigned char)s[k]))
				return -1;
			v[i] = v[i] * 10 + (s[k] - '0');
		}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23)
		return -1;
	*t = htime_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * DAY + v[3] * 3600;
	return 0;
}

static const char *interval_of(const char *granularity)
{
	if (!granularity || strcmp(granularity, "daily") == 0)
		return "1d";
	if (strcmp(granularity, "hourly") == 0)
		return "1h";
	if (strcmp(granularity, "monthly") == 0)
		return "1mo";
	return granularity;
}

static int wiki_item(const json_t *it, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *entity = ctx, *article = jx_str(it, "article"), *ts = jx_str(it, "timestamp");
	long long views;
	char title[512];
	int64_t t;

	if (!json_is_object(it)) {
		snprintf(err, errlen, "a pageviews item is %s, not an object", jx_type_name(it));
		return -1;
	}
	if (!jx_int(it, "views", &views)) {
		snprintf(err, errlen, "no 'views' (not a per-article pageviews item)");
		return -1;
	}
	if (wiki_time(ts, &t) < 0) {
		char d[64];
		snprintf(err, errlen, "field 'timestamp' is %s, not YYYYMMDDHH",
			 src_describe(json_object_get(it, "timestamp"), d, sizeof d));
		return -1;
	}
	if (!entity) {
		if (!article) {
			snprintf(err, errlen, "no 'article' and no query to name the entity");
			return -1;
		}
		snprintf(title, sizeof title, "%s", article);
		for (char *p = title; *p; p++)
			if (*p == '_')
				*p = ' ';
		entity = title;
	}
	out->post(out->arg, metric_new("wikipedia", entity, t, "pageviews", (double)views,
				       interval_of(jx_str(it, "granularity"))));
	return 0;
}

static int wiki_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *items = json_object_get(v, "items");
	const char *entity = meta ? meta->query : NULL;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a Wikipedia item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (json_is_array(items)) {
		if (json_is_array(json_object_get(json_array_get(items, 0), "articles"))) {
			snprintf(err, errlen, "a top-articles response; herd reads per-article pageviews "
					      "(/metrics/pageviews/per-article/…)");
			return -1;
		}
		src_each(items, wiki_item, entity, out);
		return 0;
	}
	if (jx_str(v, "type") && jx_str(v, "title")) { /* an error body: {"type","title","detail"} */
		snprintf(err, errlen, "a Wikimedia error response (%s)", jx_str(v, "title"));
		return -1;
	}
	return wiki_item(v, entity, out, err, errlen);
}

/* ================================================================ fetch */

typedef struct wiki_priv {
	char **sym, **article; /* --articles */
	size_t n;
} wiki_priv;

static int load_articles(wiki_priv *w, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	long lineno = 0;

	if (!fp)
		return herd_errf(err, errlen, "--articles: %s: cannot open", path);
	while (fgets(line, sizeof line, fp)) {
		char *tab, *end;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (!(tab = strchr(line, '\t')) || tab == line || !tab[1]) {
			fclose(fp);
			return herd_errf(err, errlen, "--articles: %s:%ld: not SYMBOL<TAB>Article_title", path, lineno);
		}
		*tab++ = '\0';
		if ((end = strchr(tab, '\t')))
			*end = '\0';
		w->sym = xrealloc(w->sym, (w->n + 1) * sizeof *w->sym);
		w->article = xrealloc(w->article, (w->n + 1) * sizeof *w->article);
		w->sym[w->n] = xstrdup(line);
		w->article[w->n++] = xstrdup(tab);
	}
	fclose(fp);
	return 0;
}

static int wiki_setup(fetch_run *f, char *err, size_t errlen)
{
	wiki_priv *w = xcalloc(1, sizeof *w);
	char *path = f->o.articles ? xstrdup(f->o.articles) : herd_data_path("data/wikipedia/articles.tsv");
	int rc = path ? load_articles(w, path, err, errlen) : 0;

	free(path);
	f->priv = w;
	return rc;
}

static void wiki_cleanup(fetch_run *f)
{
	wiki_priv *w = f->priv;

	for (size_t i = 0; w && i < w->n; i++) {
		free(w->sym[i]);
		free(w->article[i]);
	}
	if (w) {
		free(w->sym);
		free(w->article);
	}
	free(w);
}

/* The article of a query: after '=', else from --articles. */
static const char *article_of(const fetch_run *f, const char *query)
{
	const wiki_priv *w = f->priv;
	const char *eq = strchr(query, '=');

	if (eq)
		return eq[1] ? eq + 1 : NULL;
	for (size_t i = 0; w && i < w->n; i++)
		if (strcasecmp(w->sym[i], query) == 0)
			return w->article[i];
	return NULL;
}

/* GME and GME=GameStop are one query: SYMBOL=Article_title. */
static void wiki_canonical(const fetch_run *f, const char *query, char *out, size_t outlen)
{
	const char *article = article_of(f, query);

	if (article && !strchr(query, '='))
		snprintf(out, outlen, "%s=%s", query, article);
	else
		snprintf(out, outlen, "%s", query);
}

static int wiki_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
		      size_t errlen)
{
	json_t *items = json_object_get(body, "items"), *it;
	size_t i;

	(void)f;
	if (!json_is_array(items) || json_object_get(json_array_get(items, 0), "articles")) {
		snprintf(err, errlen, "not a per-article pageviews response (%s)",
			 json_is_array(items) ? "a top-articles list" : "no 'items'");
		return -1;
	}
	json_array_foreach(items, i, it) {
		int64_t t;
		if (wiki_time(jx_str(it, "timestamp"), &t) < 0 || (q->min_t && t <= q->min_t))
			continue;
		fetch_page_add(pg, json_incref(it), NULL, t, jx_str(it, "article"), t);
	}
	return 0;
}

static int wiki_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	const char *article = article_of(f, q->query);
	int64_t now = fetch_now(f), start, end;
	char s[HTIME_LEN], e[HTIME_LEN];
	buf_t url = BUF_INIT, title = BUF_INIT;
	fetch_req req = {0};
	json_t *body;
	long status;
	int rc;

	(void)next;
	if (!article) {
		snprintf(f->err, sizeof f->err, "wikipedia %s: no article: give %s=Article_title or list it in --articles FILE",
			 q->query, q->query);
		return FETCH_ERR;
	}
	start = q->min_t ? q->min_t + DAY : htime_floor(f->o.since ? f->o.since : now - DEFAULT_DAYS * DAY, DAY);
	end = htime_floor(now, DAY) - DAY; /* yesterday: today's count is not final */
	if (start > end)
		return FETCH_OK;
	buf_puts(&title, article);
	for (char *p = title.p; *p; p++)
		if (*p == ' ')
			*p = '_';
	htime_format(start, s);
	htime_format(end, e);
	buf_printf(&url, "%s/metrics/pageviews/per-article/en.wikipedia/all-access/user/", fetch_base(f, f->src->base_url));
	http_url_encode(&url, title.p);
	buf_printf(&url, "/daily/%.4s%.2s%.2s/%.4s%.2s%.2s", s, s + 5, s + 8, e, e + 5, e + 8);
	req.url = url.p;
	req.conditional = 1;
	rc = fetch_get(f, &req, &body, &status);
	if (rc == FETCH_ERR && status == 404) { /* no data for these days (yet) */
		http_log(LOG_DEBUG, "%s", f->err);
		rc = FETCH_OK;
	} else if (rc == FETCH_OK) {
		rc = fetch_parse(f, q, body, pg);
	}
	json_decref(body);
	buf_free(&url);
	buf_free(&title);
	return rc;
}

static const src_fetch wiki_fetch = {
	.base_url = "https://wikimedia.org/api/rest_v1",
	.ascending = 1,
	.query_pairs = 1,
	.canonical = wiki_canonical,
	.setup = wiki_setup,
	.cleanup = wiki_cleanup,
	.page = wiki_page,
	.parse = wiki_parse,
};

/* ================================================================ registry */

const source source_wikipedia = {
	.name = "wikipedia",
	.claims = NULL,
	.normalize = wiki_normalize,
	.fetch = &wiki_fetch,
};
