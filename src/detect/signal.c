/*
 * signal.c — news-driven signals, the design of the system herd grew
 * from: when a news item about an entity arrives, the scored news of the
 * last --lookback (those whose model confidence reaches --min-confidence)
 * are combined with the price context of the entity's completed bars into
 * a score in [-1, 1]; |score| >= --min-score writes a BUY (positive) or
 * SELL (negative) `signal` event with a confidence, unless a signal for
 * the same entity and direction was written less than --expiry before.
 *
 *   news     = sum(conf_i * score_i) / sum(conf_i) over the window's news
 *              (score = P(pos) - P(neg) from herd-score)
 *   momentum = tanh(r / 0.10), r = the close's change over the last 5 bars
 *   rsi      = contrarian only at the extremes: (30 - RSI14)/30 under 30,
 *              -(RSI14 - 70)/30 over 70, else 0 (Wilder's RSI, 14 bars)
 *   score    = (0.60 news + 0.25 momentum + 0.15 rsi) x volume factor,
 *              volume factor = 1 + 0.25 clamp(log2(volume / its 20-bar
 *              mean), 0, 1): volume above its average confirms a move.
 *   A term whose bars are missing is 0 (news alone can reach 0.6).
 *   confidence = (weight of the news agreeing with the direction / all
 *              the weight) x the mean confidence of those agreeing items.
 *
 * Evaluation happens at each qualifying news item's own time, with only
 * the bars complete by then (at + interval <= t): no look-ahead, and the
 * same result whether the news came in one run or in hourly batches. The
 * state keeps the news of the last lookback, the last 64 bars of each
 * entity, the signal history, and the time of the last news evaluated;
 * news at or before it in a later run are late (counted, skipped).
 */
#include "detect.h"
#include "state.h"

#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W_NEWS 0.60
#define W_MOMENTUM 0.25
#define W_RSI 0.15
/* A 10% move over 5 bars gives momentum tanh(1) = 0.76. */
#define MOMENTUM_SCALE 0.10
#define MOMENTUM_BARS 5
#define RSI_BARS 14
#define RSI_HIGH 70.0
#define RSI_LOW 30.0
#define VOLUME_BARS 20
#define VOLUME_BOOST 0.25
/* Bars kept per entity between runs: RSI's warm-up and the volume mean. */
#define BAR_KEEP 64
/* Severity critical from this |score|. */
#define SCORE_CRITICAL 0.7

typedef struct news {
	char *id;
	int64_t at;
	double score, conf;
} news_t;

typedef struct bar {
	int64_t at, end;
	double close, volume; /* volume < 0: unknown */
} bar_t;

typedef struct gentity {
	char *name;
	news_t *news;
	size_t nnews, capnews;
	bar_t *bars;
	size_t nbars, capbars;
	int64_t last_buy, last_sell; /* last signal written per direction; 0 = never */
} gentity_t;

struct signals {
	detect_t *d;
	int64_t last; /* last news time evaluated by an earlier run */
	detect_names_t names;
	gentity_t *ent;
	size_t cap;
	char **types; /* --news, split */
	size_t ntypes;
	long unscored; /* news posts without a sentiment */
};

static gentity_t *entity_get(signals_t *g, const char *name)
{
	int added;
	long i = detect_names_slot(&g->names, name, (void **)&g->ent, &g->cap, sizeof *g->ent, &added);

	if (added) {
		g->ent[i].name = xstrdup(name);
	}
	return &g->ent[i];
}

static void add_news(gentity_t *e, const char *id, int64_t at, double score, double conf)
{
	e->news = xgrow(e->news, e->nnews + 1, &e->capnews, sizeof *e->news);
	e->news[e->nnews].id = xstrdup(id);
	e->news[e->nnews].at = at;
	e->news[e->nnews].score = score;
	e->news[e->nnews].conf = conf;
	e->nnews++;
}

static void add_bar(gentity_t *e, int64_t at, int64_t end, double close, double volume)
{
	e->bars = xgrow(e->bars, e->nbars + 1, &e->capbars, sizeof *e->bars);
	e->bars[e->nbars].at = at;
	e->bars[e->nbars].end = end;
	e->bars[e->nbars].close = close;
	e->bars[e->nbars].volume = volume;
	e->nbars++;
}

/* ------------------------------------------------------------------ state */

static void load_state(signals_t *g)
{
	sqlite3 *db = g->d->db;
	sqlite3_stmt *st;

	g->last = detect_state_get_int(db, "signal.last", 0);
	st = detect_state_prepare(db, "SELECT entity, id, at, score, conf FROM detect_signal_news ORDER BY entity, at, id");
	while (detect_state_step(db, st))
		add_news(entity_get(g, (const char *)sqlite3_column_text(st, 0)), (const char *)sqlite3_column_text(st, 1),
			 sqlite3_column_int64(st, 2), sqlite3_column_double(st, 3), sqlite3_column_double(st, 4));
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, at, end_at, close, volume FROM detect_signal_bars ORDER BY entity, at");
	while (detect_state_step(db, st))
		add_bar(entity_get(g, (const char *)sqlite3_column_text(st, 0)), sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_double(st, 3), sqlite3_column_double(st, 4));
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, direction, at FROM detect_signal_history");
	while (detect_state_step(db, st)) {
		gentity_t *e = entity_get(g, (const char *)sqlite3_column_text(st, 0));

		if (strcmp((const char *)sqlite3_column_text(st, 1), "BUY") == 0)
			e->last_buy = sqlite3_column_int64(st, 2);
		else
			e->last_sell = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
}

static void save_state(signals_t *g)
{
	sqlite3 *db = g->d->db;
	sqlite3_stmt *n, *b, *hi;

	detect_state_set_int(db, "signal.last", g->last);
	detect_state_exec(db, "DELETE FROM detect_signal_news; DELETE FROM detect_signal_bars;"
			      " DELETE FROM detect_signal_history");
	n = detect_state_prepare(db, "INSERT OR REPLACE INTO detect_signal_news VALUES (?,?,?,?,?)");
	b = detect_state_prepare(db, "INSERT OR REPLACE INTO detect_signal_bars VALUES (?,?,?,?,?)");
	hi = detect_state_prepare(db, "INSERT INTO detect_signal_history VALUES (?,?,?)");
	for (long i = 0; i < g->names.n; i++) {
		gentity_t *e = &g->ent[i];
		size_t from = e->nbars > BAR_KEEP ? e->nbars - BAR_KEEP : 0;

		/* News a later evaluation (after g->last) can still look back to. */
		for (size_t k = 0; k < e->nnews; k++) {
			if (e->news[k].at <= g->last - g->d->opt.lookback)
				continue;
			sqlite3_bind_text(n, 1, e->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(n, 2, e->news[k].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(n, 3, e->news[k].at);
			sqlite3_bind_double(n, 4, e->news[k].score);
			sqlite3_bind_double(n, 5, e->news[k].conf);
			detect_state_step_done(db, n);
		}
		for (size_t k = from; k < e->nbars; k++) {
			sqlite3_bind_text(b, 1, e->name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(b, 2, e->bars[k].at);
			sqlite3_bind_int64(b, 3, e->bars[k].end);
			sqlite3_bind_double(b, 4, e->bars[k].close);
			sqlite3_bind_double(b, 5, e->bars[k].volume);
			detect_state_step_done(db, b);
		}
		for (int dir = 0; dir < 2; dir++) {
			int64_t at = dir ? e->last_sell : e->last_buy;

			if (!at)
				continue;
			sqlite3_bind_text(hi, 1, e->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(hi, 2, dir ? "SELL" : "BUY", -1, SQLITE_STATIC);
			sqlite3_bind_int64(hi, 3, at);
			detect_state_step_done(db, hi);
		}
	}
	sqlite3_finalize(n);
	sqlite3_finalize(b);
	sqlite3_finalize(hi);
}

/* ------------------------------------------------------------------ input */

signals_t *signals_new(detect_t *d)
{
	signals_t *g = xcalloc(1, sizeof *g);
	char *types = xstrdup(d->opt.news), *save = NULL;

	g->d = d;
	detect_names_init(&g->names);
	for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		g->types = xrealloc(g->types, (g->ntypes + 1) * sizeof *g->types);
		g->types[g->ntypes++] = xstrdup(t);
	}
	free(types);
	load_state(g);
	return g;
}

static int is_news(const signals_t *g, const char *type)
{
	for (size_t i = 0; type && i < g->ntypes; i++)
		if (strcmp(g->types[i], type) == 0)
			return 1;
	return 0;
}

int signals_add_post(signals_t *g, const detect_post_t *p)
{
	size_t n = p->entities ? json_array_size(p->entities) : 0;

	if (!is_news(g, p->type))
		return 0;
	if (!p->has_sentiment) {
		g->unscored++;
		return 1;
	}
	if (p->at <= g->last) {
		g->d->rec_late = 1;
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *ent = json_string_value(json_array_get(p->entities, i));

		if (ent && *ent && !detect_excluded(g->d, ent))
			add_news(entity_get(g, ent), p->id, p->at, p->score, p->confidence);
	}
	return 1;
}

void signals_add_bar(signals_t *g, const detect_metric_t *m)
{
	int64_t iv = m->interval ? m->interval : g->d->opt.bar_interval;

	if (iv != g->d->opt.bar_interval)
		return;
	add_bar(entity_get(g, m->entity), m->at, m->at + iv, m->close, m->volume);
}

/* ------------------------------------------------------------------ evaluation */

static int cmp_news(const void *pa, const void *pb)
{
	const news_t *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int cmp_bar(const void *pa, const void *pb)
{
	const bar_t *a = pa, *b = pb;

	return (a->at > b->at) - (a->at < b->at);
}

/* Sort, and drop repeats (the same news id, or a bar for the same start:
 * the later one read wins) that state and input both hold. */
static void tidy(gentity_t *e)
{
	size_t k = 0;

	if (e->nnews)
		qsort(e->news, e->nnews, sizeof *e->news, cmp_news);
	for (size_t i = 0; i < e->nnews; i++) {
		if (k && e->news[k - 1].at == e->news[i].at && strcmp(e->news[k - 1].id, e->news[i].id) == 0) {
			free(e->news[i].id);
			continue;
		}
		e->news[k++] = e->news[i];
	}
	e->nnews = k;
	/* A stable sort keeps input order among equal starts: state first,
	 * then input, so the newest copy of a bar is last and wins. */
	if (e->nbars) {
		bar_t *tmp = xmalloc((e->nbars + 1) * sizeof *tmp);

		memcpy(tmp, e->bars, e->nbars * sizeof *tmp);
		/* insertion sort is stable and the bars are nearly sorted */
		for (size_t i = 1; i < e->nbars; i++) {
			bar_t x = tmp[i];
			size_t j = i;

			while (j > 0 && cmp_bar(&tmp[j - 1], &x) > 0) {
				tmp[j] = tmp[j - 1];
				j--;
			}
			tmp[j] = x;
		}
		k = 0;
		for (size_t i = 0; i < e->nbars; i++) {
			if (k && tmp[k - 1].at == tmp[i].at)
				k--;
			tmp[k++] = tmp[i];
		}
		memcpy(e->bars, tmp, k * sizeof *tmp);
		e->nbars = k;
		free(tmp);
	}
}

typedef struct context {
	size_t nbars;
	int has_momentum, has_rsi, has_volume;
	double momentum_r, momentum, rsi, rsi_term, volume_ratio, volume_factor;
} context_t;

/* Price context from bars[0..n) (complete ones, oldest first). */
static void price_context(const bar_t *b, size_t n, context_t *cx)
{
	memset(cx, 0, sizeof *cx);
	cx->nbars = n;
	cx->volume_factor = 1;
	if (n >= 2) {
		size_t k = n - 1 < MOMENTUM_BARS ? n - 1 : MOMENTUM_BARS;

		cx->momentum_r = b[n - 1].close / b[n - 1 - k].close - 1;
		cx->momentum = tanh(cx->momentum_r / MOMENTUM_SCALE);
		cx->has_momentum = 1;
	}
	if (n >= RSI_BARS + 1) {
		double gain = 0, loss = 0;

		for (size_t i = 1; i <= RSI_BARS; i++) {
			double ch = b[i].close - b[i - 1].close;

			gain += ch > 0 ? ch : 0;
			loss += ch < 0 ? -ch : 0;
		}
		gain /= RSI_BARS;
		loss /= RSI_BARS;
		for (size_t i = RSI_BARS + 1; i < n; i++) {
			double ch = b[i].close - b[i - 1].close;

			gain = (gain * (RSI_BARS - 1) + (ch > 0 ? ch : 0)) / RSI_BARS;
			loss = (loss * (RSI_BARS - 1) + (ch < 0 ? -ch : 0)) / RSI_BARS;
		}
		cx->rsi = loss == 0 ? 100 : 100 - 100 / (1 + gain / loss);
		cx->rsi_term = cx->rsi > RSI_HIGH ? -(cx->rsi - RSI_HIGH) / (100 - RSI_HIGH)
			       : cx->rsi < RSI_LOW ? (RSI_LOW - cx->rsi) / RSI_LOW
						   : 0;
		cx->has_rsi = 1;
	}
	if (n >= 2 && b[n - 1].volume >= 0) {
		double sum = 0;
		size_t m = 0;

		for (size_t i = n - 1; i-- > 0 && m < VOLUME_BARS;)
			if (b[i].volume >= 0) {
				sum += b[i].volume;
				m++;
			}
		if (m && sum > 0) {
			double lr;

			cx->volume_ratio = b[n - 1].volume / (sum / (double)m);
			lr = cx->volume_ratio > 0 ? log2(cx->volume_ratio) : 0;
			cx->volume_factor = 1 + VOLUME_BOOST * (lr < 0 ? 0 : lr > 1 ? 1 : lr);
			cx->has_volume = 1;
		}
	}
}

static void evaluate(signals_t *g, gentity_t *e, size_t idx)
{
	const detect_opts_t *op = &g->d->opt;
	int64_t t = e->news[idx].at;
	double wsum = 0, ssum = 0, news, raw, score, agree_w = 0, conf;
	long nused = 0, nagree = 0;
	size_t nb = 0;
	context_t cx;
	const char *dir;
	int64_t *last;
	char key[512], ts[HTIME_LEN], lb[32];
	json_t *ev, *ids, *nw;

	for (size_t k = 0; k <= idx; k++) {
		const news_t *n = &e->news[k];

		if (n->at <= t - op->lookback || n->conf < op->min_confidence)
			continue;
		wsum += n->conf;
		ssum += n->conf * n->score;
		nused++;
	}
	news = ssum / wsum;
	while (nb < e->nbars && e->bars[nb].end <= t)
		nb++;
	price_context(e->bars, nb, &cx);
	raw = W_NEWS * news + W_MOMENTUM * cx.momentum + W_RSI * cx.rsi_term;
	score = raw * cx.volume_factor;
	score = score > 1 ? 1 : score < -1 ? -1 : score;
	dir = score >= 0 ? "BUY" : "SELL";
	for (size_t k = 0; k <= idx; k++) {
		const news_t *n = &e->news[k];

		if (n->at <= t - op->lookback || n->conf < op->min_confidence)
			continue;
		if ((score >= 0) == (n->score >= 0)) {
			agree_w += n->conf;
			nagree++;
		}
	}
	/* share of the weight that agrees x mean confidence of the agreeing */
	conf = nagree ? (agree_w / wsum) * (agree_w / (double)nagree) : 0;
	if (fabs(score) < op->min_score) {
		detect_explain(g->d, e->name, "signal %s: news %.3f (%ld items) momentum %.3f rsi %.1f volume x%.2f -> score %.3f: |score| < %g, none",
			       htime_format(t, ts), news, nused, cx.momentum, cx.rsi, cx.volume_factor, score, op->min_score);
		return;
	}
	last = score >= 0 ? &e->last_buy : &e->last_sell;
	if (*last && t - *last < op->expiry) {
		detect_explain(g->d, e->name, "signal %s: score %.3f %s, but a %s was written at %s (within --expiry): none",
			       htime_format(t, ts), score, dir, dir, htime_format(*last, (char[HTIME_LEN]){0}));
		return;
	}
	detect_explain(g->d, e->name, "signal %s: news %.3f (%ld items) momentum %.3f rsi %.1f volume x%.2f -> score %.3f -> %s",
		       htime_format(t, ts), news, nused, cx.momentum, cx.rsi, cx.volume_factor, score, dir);
	*last = t;
	snprintf(key, sizeof key, "signal:%s:%s:%s", e->name, dir, htime_format(t, ts));
	ev = detect_event(g->d, "signal", e->name, t, key, fabs(score), fabs(score) >= SCORE_CRITICAL ? "critical" : "warn");
	jx_set_str(ev, "direction", dir);
	detect_set_real(ev, "confidence", conf, 3);
	detect_set_real(ev, "signed_score", score, 3);
	nw = json_object();
	jx_set_int(nw, "n", nused);
	detect_set_real(nw, "sentiment", news, 3);
	jx_set_str(nw, "lookback", htime_format_duration(op->lookback, lb));
	ids = json_array();
	for (size_t k = 0; k <= idx; k++) {
		const news_t *n = &e->news[k];

		if (n->at > t - op->lookback && n->conf >= op->min_confidence)
			json_array_append_new(ids, json_string(n->id));
	}
	json_object_set_new(nw, "ids", ids);
	json_object_set_new(ev, "news", nw);
	jx_set_int(ev, "bars", (long long)cx.nbars);
	if (cx.has_momentum)
		detect_set_real(ev, "momentum", cx.momentum_r, 4);
	if (cx.has_rsi)
		detect_set_real(ev, "rsi", cx.rsi, 1);
	if (cx.has_volume)
		detect_set_real(ev, "volume_ratio", cx.volume_ratio, 2);
}

void signals_run(signals_t *g)
{
	int64_t newest = g->last;

	for (long i = 0; i < g->names.n; i++) {
		gentity_t *e = &g->ent[i];

		tidy(e);
		/* One evaluation per distinct news time, with every item of
		 * that time, when at least one of them qualifies. */
		for (size_t k = 0; k < e->nnews;) {
			size_t j = k;
			int64_t at = e->news[k].at;
			int qualifies = 0;

			while (j < e->nnews && e->news[j].at == at) {
				if (e->news[j].conf >= g->d->opt.min_confidence)
					qualifies = 1;
				else if (at > g->last && at <= g->d->now)
					detect_explain(g->d, e->name, "signal: news %s confidence %.3f < %g: not used",
						       e->news[j].id, e->news[j].conf, g->d->opt.min_confidence);
				j++;
			}
			if (at > g->last && at > g->d->now)
				g->d->future += (long)(j - k);
			else if (at > g->last) {
				if (at > newest)
					newest = at;
				if (qualifies)
					evaluate(g, e, j - 1);
			}
			k = j;
		}
	}
	g->last = newest;
	save_state(g);
	if (g->unscored)
		log_warn("%ld news posts had no sentiment and were not used (score them with herd-score first)",
			 g->unscored);
}

void signals_free(signals_t *g)
{
	if (!g)
		return;
	for (long i = 0; i < g->names.n; i++) {
		for (size_t k = 0; k < g->ent[i].nnews; k++)
			free(g->ent[i].news[k].id);
		free(g->ent[i].news);
		free(g->ent[i].bars);
		free(g->ent[i].name);
	}
	for (size_t i = 0; i < g->ntypes; i++)
		free(g->types[i]);
	free(g->types);
	free(g->ent);
	detect_names_free(&g->names);
	free(g);
}
