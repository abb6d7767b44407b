/*
 * fetch.c — the fetcher's shared half: budgeted requests with parsed JSON
 * answers, raw records on stdout, the resumable paging driver and replays;
 * see fetch.h for the cursor rules and why a run is exactly-once.
 */
#include "fetch.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/sha1.h"
#include "lib/strset.h"
#include "lib/util.h"
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ================================================================ pages */

fetch_item *fetch_page_add(fetch_page *pg, json_t *item, json_t *includes, int64_t t, const char *id, int64_t time)
{
	fetch_item *it;

	pg->items = xgrow(pg->items, pg->n + 1, &pg->cap, sizeof *pg->items);
	it = &pg->items[pg->n++];
	memset(it, 0, sizeof *it);
	it->item = item;
	it->includes = includes;
	it->t = t;
	it->time = time;
	snprintf(it->id, sizeof it->id, "%s", id ? id : "");
	return it;
}

void fetch_page_set_next(fetch_page *pg, const char *next)
{
	free(pg->next);
	pg->next = next && *next ? xstrdup(next) : NULL;
}

void fetch_page_free(fetch_page *pg)
{
	for (size_t i = 0; i < pg->n; i++) {
		json_decref(pg->items[i].item);
		json_decref(pg->items[i].includes);
		free(pg->items[i].query);
	}
	free(pg->items);
	free(pg->next);
	json_decref(pg->src_state);
	memset(pg, 0, sizeof *pg);
}

/* ================================================================ marks */

static void mark_free(fetch_mark *m)
{
	json_decref(m->ids);
	m->ids = NULL;
	m->t = 0;
}

static int mark_has(const fetch_mark *m, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(m->ids, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

/* Newer than m (everything is newer than no mark). */
static int newer(const fetch_item *it, const fetch_mark *m)
{
	return !m->ids || it->t > m->t || (it->t == m->t && !mark_has(m, it->id));
}

/* Older than m (everything is older than no mark). */
static int older(const fetch_item *it, const fetch_mark *m)
{
	return !m->ids || it->t < m->t || (it->t == m->t && !mark_has(m, it->id));
}

/* Move m to it when it is past m in direction dir (+1 up, -1 down). */
static void mark_extend(fetch_mark *m, const fetch_item *it, int dir)
{
	if (!m->ids || (dir > 0 ? it->t > m->t : it->t < m->t)) {
		json_decref(m->ids);
		m->ids = json_array();
		m->t = it->t;
	}
	if (it->t == m->t && !mark_has(m, it->id))
		json_array_append_new(m->ids, json_string(it->id));
}

static void mark_copy(fetch_mark *dst, const fetch_mark *src)
{
	mark_free(dst);
	dst->t = src->t;
	dst->ids = src->ids ? json_deep_copy(src->ids) : NULL;
}

static json_t *mark_json(const fetch_mark *m)
{
	if (!m->ids)
		return json_null();
	return json_pack("{s:I,s:O}", "t", (json_int_t)m->t, "ids", m->ids);
}

static void mark_read(fetch_mark *m, const json_t *v)
{
	long long t;

	mark_free(m);
	if (json_is_object(v) && jx_int(v, "t", &t) && json_is_array(json_object_get(v, "ids"))) {
		m->t = t;
		m->ids = json_deep_copy(json_object_get(v, "ids"));
	}
}

/* ================================================================ run */

int64_t fetch_now(const fetch_run *f)
{
	return f->o.now ? f->o.now : (int64_t)http_now();
}

const char *fetch_base(const fetch_run *f, const char *dflt)
{
	static char b[1024];
	const char *u = f->o.base_url ? f->o.base_url : dflt;
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		n--;
	snprintf(b, sizeof b, "%.*s", (int)n, u);
	return b;
}

/* ================================================================ holds */

/*
 * A wait the provider asked for that outlives the run (a Retry-After or a
 * rate-limit reset longer than --max-wait, or one still running when the
 * run ends) is kept in the state file, "hold.SOURCE" in state_kv:
 * {"until": epoch seconds, "at": when it was told, "why": …}. The next run
 * sleeps out what is left of it, or stops at once (exit 3) when that is
 * still longer than --max-wait, instead of asking the API too soon.
 */
static void hold_key(const fetch_run *f, char *key, size_t keylen)
{
	snprintf(key, keylen, "hold.%s", f->source);
}

static void hold_load(fetch_run *f)
{
	char key[96], *txt, reason[600], when[HTIME_LEN];
	json_t *v;
	long long at;
	double until;

	if (!f->state)
		return;
	hold_key(f, key, sizeof key);
	if (!(txt = fetch_state_kv_get(f->state, key)))
		return;
	v = json_loads(txt, 0, NULL);
	free(txt);
	until = jx_num(v, "until", 0);
	if (until > http_now() && jx_int(v, "at", &at)) {
		snprintf(reason, sizeof reason, "a run at %s was told: %s", htime_format(at, when),
			 jx_str(v, "why") ? jx_str(v, "why") : "wait");
		http_hold(f->http, until, f->source, reason);
		f->hold_loaded = until;
	}
	json_decref(v);
}

static void hold_save(fetch_run *f)
{
	char key[96], why[256], *txt;
	double until;
	json_t *v;

	if (!f->state || !(until = http_held_until(f->http, why, sizeof why)) || until == f->hold_loaded)
		return; /* none, or the one the state file has already */
	hold_key(f, key, sizeof key);
	v = json_pack("{s:f,s:I,s:s}", "until", until, "at", (json_int_t)http_now(), "why", why);
	txt = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
	fetch_state_kv_set(f->state, key, txt, fetch_now(f));
	free(txt);
	json_decref(v);
}

/* ================================================================ runs */

fetch_run *fetch_run_new(const char *source, const src_fetch *src, const fetch_opts *o, const http_opts *ho,
			 fetch_state *state)
{
	fetch_run *f = xcalloc(1, sizeof *f);

	f->source = source;
	f->src = src;
	f->o = *o;
	f->state = state;
	if (f->o.budget < 0)
		f->o.budget = src->budget;
	if (f->o.max_pages <= 0)
		f->o.max_pages = 10;
	f->http = http_new(ho);
	if (src->setup && src->setup(f, f->err, sizeof f->err) < 0)
		log_fatal(HERD_EXIT_USAGE, "%s: %s", source, http_redact(f->err));
	hold_load(f);
	return f;
}

void fetch_run_free(fetch_run *f)
{
	if (!f)
		return;
	if (f->src->cleanup)
		f->src->cleanup(f);
	hold_save(f);
	http_free(f->http);
	if (f->out && fclose(f->out) != 0)
		log_error("%s: write error:", f->out_path);
	free(f->pending_validators);
	free(f);
}

/* ================================================================ requests */

static int budget_spent(const fetch_run *f, const char *day, char *why, size_t whylen)
{
	return herd_errf(why, whylen, "the budget of %ld requests for %s (UTC) is spent; the next request waits for "
				      "tomorrow or a larger --budget",
			 f->o.budget, day);
}

/* Before connecting: a budget spent already stops the run without a
 * connection; the request is counted only when it is sent (budget_before). */
static int budget_ready(void *arg, char *why, size_t whylen)
{
	fetch_run *f = arg;
	char day[HTIME_LEN];

	if (!f->state || f->o.budget <= 0)
		return 0;
	htime_format_date(fetch_now(f), day);
	return fetch_state_used(f->state, f->source, day) >= f->o.budget ? budget_spent(f, day, why, whylen) : 0;
}

static int budget_before(void *arg, char *why, size_t whylen)
{
	fetch_run *f = arg;
	char day[HTIME_LEN];
	long used;

	if (!f->state) {
		f->requests++;
		return 0;
	}
	htime_format_date(fetch_now(f), day);
	if (!fetch_state_take(f->state, f->source, day, f->o.budget, &used))
		return budget_spent(f, day, why, whylen);
	f->requests++;
	return 0;
}

size_t fetch_json_start(const char *p, size_t n)
{
	size_t i = 0;

	if (n < 4 || memcmp(p, ")]}'", 4) != 0)
		return 0;
	i = 4;
	if (i < n && p[i] == ',')
		i++;
	while (i < n && (p[i] == '\n' || p[i] == '\r' || p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* The body as JSON (after any XSSI guard), or NULL with err. */
static json_t *body_json(const http_response *r, char *err, size_t errlen)
{
	const char *p = r->body.p ? r->body.p : "";
	size_t skip = fetch_json_start(p, r->body.len);

	return jx_parse(p + skip, r->body.len - skip, err, errlen);
}

static enum http_verdict json_classify(http_response *r, void *arg, double *wait, char *why, size_t whylen)
{
	fetch_run *f = arg;
	char err[256];
	json_t *v = body_json(r, err, sizeof err);

	if (!v) {
		snprintf(why, whylen, "the body is not JSON (%s)", err);
		*wait = 0; /* backoff: a proxy's error page or a cut body may pass */
		return HTTP_V_RETRY;
	}
	if (f->src->classify) {
		enum http_verdict vd = f->src->classify(v, wait, why, whylen);
		if (vd != HTTP_V_OK) {
			json_decref(v);
			return vd;
		}
	}
	json_decref(r->parsed);
	r->parsed = v;
	return HTTP_V_OK;
}

static double src_pace(const http_response *r, void *arg, char *why, size_t whylen)
{
	fetch_run *f = arg;

	return f->src->pace ? f->src->pace(r, why, whylen) : 0;
}

void fetch_api_error(const json_t *body, char *out, size_t outlen)
{
	json_t *e, *inner;
	const char *code, *msg;

	if (json_is_object(json_object_get(body, "chart"))) /* Yahoo: {"chart":{"result":null,"error":{…}}} */
		body = json_object_get(body, "chart");
	if (json_is_object(inner = json_object_get(body, "error")) && !json_object_get(body, "message"))
		body = inner; /* {"error":{"code","description"|"message"}} */
	e = json_object_get(body, "errors");
	code = jx_str(body, "code");
	msg = jx_str(body, "message");

	if (!msg)
		msg = jx_str(body, "error_description");
	if (!msg && json_is_string(json_object_get(body, "error")))
		msg = jx_str(body, "error");
	if (!msg)
		msg = jx_str(body, "description");
	if (!msg && json_is_array(e)) {
		msg = jx_str(json_array_get(e, 0), "message");
		if (!msg)
			msg = jx_str(json_array_get(e, 0), "detail");
	}
	if (!msg)
		msg = jx_str(body, "detail");
	if (!msg)
		msg = jx_str(body, "title");
	if (!code)
		code = jx_str(body, "title");
	if (code && msg && strcmp(code, msg) != 0)
		snprintf(out, outlen, "%s: %.300s", code, msg);
	else if (msg || code)
		snprintf(out, outlen, "%.300s", msg ? msg : code);
	else
		out[0] = '\0';
}

/* The validators stored for this query, when they are for this URL. */
static json_t *stored_validators(fetch_run *f, const char *urlsha)
{
	char *txt;
	json_t *v;

	if (!f->state || !f->cur || !(txt = fetch_state_validators(f->state, f->source, f->cur->key)))
		return NULL;
	v = json_loads(txt, 0, NULL);
	free(txt);
	if (v && !(jx_str(v, "url") && strcmp(jx_str(v, "url"), urlsha) == 0)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

int fetch_get(fetch_run *f, const fetch_req *req, json_t **body, long *status)
{
	http_policy pol = {budget_before, budget_ready, json_classify, src_pace, f};
	http_request hr = {0};
	http_response r;
	char what[512], why[1024], redacted[2048], sha[SHA1_HEX_LEN];
	json_t *val = NULL;
	enum http_result rc;
	int out;

	*body = NULL;
	*status = 0;
	snprintf(what, sizeof what, "%s %s", f->source, f->cur ? f->cur->key : "");
	if (f->cur && f->cur->page > 1)
		snprintf(what + strlen(what), sizeof what - strlen(what), " page %d", f->cur->page);
	http_redact(what);
	hr.method = req->method;
	hr.url = req->url;
	hr.body = req->body;
	for (int i = 0; i < 6 && req->headers[i]; i++)
		hr.headers[i] = req->headers[i];
	hr.userpwd = req->userpwd;
	hr.cookies = req->cookies;
	hr.what = what;
	snprintf(redacted, sizeof redacted, "%s", req->url);
	http_redact(redacted);
	sha1_hex(redacted, strlen(redacted), sha);
	if (req->conditional && (val = stored_validators(f, sha))) {
		hr.if_none_match = jx_str(val, "etag");
		hr.if_modified_since = jx_str(val, "last_modified");
	}
	http_log(LOG_DEBUG, "%s: %s %s", what, req->method ? req->method : "GET", redacted);
	http_response_init(&r);
	f->fetched_at = fetch_now(f);
	rc = http_send(f->http, &hr, &pol, &r, why, sizeof why);
	*status = r.status;
	switch (rc) {
	case HTTP_LIMITED:
		if (r.retry_at > 0)
			hold_save(f); /* now: a kill later must not lose it */
		/* fall through */
	case HTTP_STOPPED:
		snprintf(f->err, sizeof f->err, "%s", why);
		out = FETCH_STOP;
		break;
	case HTTP_FAILED:
		snprintf(f->err, sizeof f->err, "%s", why);
		out = FETCH_ERR;
		break;
	default:
		http_log(LOG_DEBUG, "%s: HTTP %ld, %zu bytes in %.3f s (%d attempt%s)", what, r.status, r.body.len,
			 r.seconds, r.attempts, r.attempts == 1 ? "" : "s");
		if (r.status == 304) {
			out = FETCH_OK;
		} else if (r.status >= 200 && r.status < 300) {
			const char *etag = http_header_get(&r, "etag"), *lm = http_header_get(&r, "last-modified");
			*body = r.parsed;
			r.parsed = NULL;
			if (req->conditional && (etag || lm)) {
				json_t *v = json_pack("{s:s}", "url", sha);
				if (etag)
					json_object_set_new(v, "etag", json_string(etag));
				if (lm)
					json_object_set_new(v, "last_modified", json_string(lm));
				free(f->pending_validators);
				f->pending_validators = json_dumps(v, JSON_COMPACT);
				json_decref(v);
			}
			out = FETCH_OK;
		} else {
			char api[512];
			*body = body_json(&r, api, sizeof api);
			fetch_api_error(*body, api, sizeof api);
			snprintf(f->err, sizeof f->err, "%.400s: HTTP %ld%s%.500s", what, r.status, api[0] ? ": " : "", api);
			out = FETCH_ERR;
		}
	}
	http_redact(f->err);
	json_decref(val);
	json_decref(r.parsed);
	http_response_free(&r);
	return out;
}

int fetch_parse(fetch_run *f, const fetch_query *q, const json_t *body, fetch_page *pg)
{
	char err[sizeof f->err - 128];

	if (!body) {
		pg->not_modified = 1;
		return FETCH_OK;
	}
	if (f->src->parse(f, body, q, pg, err, sizeof err) == 0)
		return FETCH_OK;
	if (q->page > 1)
		snprintf(f->err, sizeof f->err, "%s %s page %d: %s", f->source, q->key, q->page, err);
	else
		snprintf(f->err, sizeof f->err, "%s %s: %s", f->source, q->key, err);
	http_redact(f->err);
	return FETCH_ERR;
}

int fetch_get_page(fetch_run *f, const fetch_query *q, const fetch_req *req, fetch_page *pg, long *status)
{
	json_t *body;
	long st;
	int rc = fetch_get(f, req, &body, &st);

	if (rc == FETCH_OK)
		rc = fetch_parse(f, q, body, pg);
	json_decref(body);
	if (status)
		*status = st;
	return rc;
}

void fetch_err_hint(fetch_run *f, const char *fmt, ...)
{
	size_t n = strlen(f->err);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->err + n, sizeof f->err - n, fmt, ap);
	va_end(ap);
}

double fetch_pace_headers(const http_response *r, const char *remaining_name, const char *reset_name,
			  int reset_is_epoch, char *why, size_t whylen)
{
	const char *rem = http_header_get(r, remaining_name), *reset = http_header_get(r, reset_name);
	double left, at, wait;

	if (!rem || !reset)
		return 0;
	left = atof(rem);
	at = atof(reset);
	if (left >= 1)
		return 0;
	wait = reset_is_epoch ? at - http_now() : at;
	if (wait <= 0)
		return 0;
	snprintf(why, whylen, "%s: %s, %s: %s", remaining_name, rem, reset_name, reset);
	return wait;
}

/* ================================================================ output */

/*
 * Where raw records go: stdout, or the file of --output. Into a file the
 * run is exactly-once even when it is killed: the file's length is
 * committed in the state file with every cursor ("output.PATH" in
 * state_kv: {"dev","ino","len"}), and a run that finds the file longer
 * than the length committed for it cuts it back first — those bytes were
 * written by a run killed before it could commit their cursor, and this
 * run fetches them again. It cuts only lines that are raw records of its
 * own source; anything else there is someone else's, and it stops.
 */
static FILE *out_of(const fetch_run *f)
{
	return f->out ? f->out : stdout;
}

static void out_fail(const fetch_run *f)
{
	if (f->out)
		log_fatal(HERD_EXIT_FAIL, "%s: write error:", f->out_path);
	log_fatal(HERD_EXIT_FAIL, "write error:");
}

static void out_key(const fetch_run *f, char *key, size_t keylen)
{
	snprintf(key, keylen, "output.%s", f->out_path);
}

/* 1 when every line of fd from off to its end is a raw record of source. */
static int tail_is_ours(int fd, off_t off, const char *source)
{
	FILE *in = fdopen(dup(fd), "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ok = 1;

	if (!in || fseeko(in, off, SEEK_SET) != 0)
		ok = 0;
	while (ok && (n = getline(&line, &cap, in)) > 0) {
		json_t *v = json_loadb(line, (size_t)n, 0, NULL);
		const char *k = jx_str(v, "kind"), *s = jx_str(v, "source");
		/* the last line may be cut short by the kill: still ours */
		ok = v ? k && s && strcmp(k, "raw") == 0 && strcmp(s, source) == 0 : line[n - 1] != '\n';
		json_decref(v);
	}
	free(line);
	if (in)
		fclose(in);
	return ok;
}

int fetch_run_output(fetch_run *f, const char *path)
{
	char key[PATH_MAX + 16], *txt = NULL;
	struct stat sb;
	json_t *v = NULL;
	long long dev, ino, len;
	int fd;

	if (!f->state)
		return herd_errf(f->err, sizeof f->err, "--output needs the state file");
	if (!realpath(path, f->out_path)) {
		int c = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (c < 0 || close(c) != 0 || !realpath(path, f->out_path))
			return herd_errf(f->err, sizeof f->err, "%s: cannot create: %s", path, strerror(errno));
	}
	if ((fd = open(f->out_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return herd_errf(f->err, sizeof f->err, "%s: cannot open: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &sb) != 0) {
		herd_errf(f->err, sizeof f->err, "%s: %s", path,
			  errno == EWOULDBLOCK ? "another herd-fetch is writing it" : strerror(errno));
		close(fd);
		return -1;
	}
	out_key(f, key, sizeof key);
	if ((txt = fetch_state_kv_get(f->state, key)))
		v = json_loads(txt, 0, NULL);
	free(txt);
	if (jx_int(v, "dev", &dev) && jx_int(v, "ino", &ino) && jx_int(v, "len", &len) &&
	    dev == (long long)sb.st_dev && ino == (long long)sb.st_ino && len < (long long)sb.st_size) {
		if (!tail_is_ours(fd, (off_t)len, f->source)) {
			herd_errf(f->err, sizeof f->err,
				  "%s: %lld bytes after what the state file committed (%lld) are not all raw records of %s: "
				  "not cutting them (is the file shared with another source or state file?)",
				  path, (long long)sb.st_size - len, len, f->source);
			json_decref(v);
			close(fd);
			return -1;
		}
		http_log(LOG_WARN, "%s: cutting %lld bytes a killed run wrote after its last commit (fetched again now)",
			 path, (long long)sb.st_size - len);
		if (ftruncate(fd, (off_t)len) != 0) {
			herd_errf(f->err, sizeof f->err, "%s: cannot cut back: %s", path, strerror(errno));
			json_decref(v);
			close(fd);
			return -1;
		}
	}
	json_decref(v);
	if (lseek(fd, 0, SEEK_END) < 0 || !(f->out = fdopen(fd, "w"))) {
		herd_errf(f->err, sizeof f->err, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	f->out_dev = (long long)sb.st_dev;
	f->out_ino = (long long)sb.st_ino;
	f->out_len = ftello(f->out);
	return 0;
}

/* The output's committed length, in the transaction of a cursor. */
static void out_commit(fetch_run *f)
{
	char key[PATH_MAX + 16], *txt;
	json_t *v;

	if (!f->out)
		return;
	out_key(f, key, sizeof key);
	v = json_pack("{s:I,s:I,s:I}", "dev", (json_int_t)f->out_dev, "ino", (json_int_t)f->out_ino, "len",
		      (json_int_t)f->out_len);
	txt = json_dumps(v, JSON_COMPACT);
	fetch_state_kv_set(f->state, key, txt, fetch_now(f));
	free(txt);
	json_decref(v);
}

static void emit(fetch_run *f, const fetch_query *q, const fetch_item *it)
{
	static buf_t b;
	json_t *rec = json_object();
	const char *query = it->query ? it->query : q ? q->raw_query : NULL;
	char when[HTIME_LEN];

	json_object_set_new(rec, "kind", json_string("raw"));
	json_object_set_new(rec, "source", json_string(f->source));
	json_object_set_new(rec, "fetched_at", json_string(htime_format(f->fetched_at, when)));
	json_object_set_new(rec, "query", query ? json_string(query) : json_null());
	json_object_set_new(rec, "item", json_incref(it->item));
	if (it->includes)
		json_object_set_new(rec, "includes", json_incref(it->includes));
	buf_reset(&b);
	ndjson_dump(&b, rec);
	json_decref(rec);
	if (http_has_secret(b.p, b.len)) { /* an API that echoes a key back: never pass it on */
		http_redact(b.p);
		b.len = strlen(b.p);
	}
	buf_putc(&b, '\n');
	if (fwrite(b.p, 1, b.len, out_of(f)) != b.len)
		out_fail(f);
	f->items++;
}

/* Everything written so far is out of the process (or the run ends here):
 * only after this may a cursor move past it. An --output file is synced
 * too, and its length is what the next commit records. */
static void flush_out(fetch_run *f)
{
	FILE *o = out_of(f);

	if (fflush(o) != 0 || ferror(o) || (f->out && fdatasync(fileno(o)) != 0))
		out_fail(f);
	if (f->out)
		f->out_len = ftello(o);
}

/* ================================================================ cursors */

/* How many pages' written ids an unfinished run keeps in its cursor, so
 * that the run resumed from it knows a repeated item from an item the API
 * sent out of order: a page repeats items of the pages just before it
 * (items published meanwhile push the older ones down). */
#define SEEN_PAGES 2

typedef struct cursor {
	fetch_mark hwm;
	int running;            /* an unfinished run is recorded */
	fetch_mark stop, top, low;
	char *next;
	json_t *seen[SEEN_PAGES]; /* ids written on the last pages, oldest page first (owned) */
	strset written;           /* ids this pass wrote, and the seen[] it started with */
	json_t *src;              /* the source's own state (ascending sources), or NULL (owned) */
} cursor;

static void seen_reset(cursor *c)
{
	for (int i = 0; i < SEEN_PAGES; i++) {
		json_decref(c->seen[i]);
		c->seen[i] = json_array();
	}
	strset_free(&c->written);
}

static int seen_has(const cursor *c, const char *id)
{
	return strset_get(&c->written, id, strlen(id), strset_hash(id, strlen(id)), NULL);
}

static void seen_add(cursor *c, const char *id)
{
	strset_add(&c->written, id, strlen(id), strset_hash(id, strlen(id)), NULL);
	json_array_append_new(c->seen[SEEN_PAGES - 1], json_string(id));
}

/* A page is done: its ids become the newest of the kept pages. */
static void seen_next_page(cursor *c)
{
	json_decref(c->seen[0]);
	memmove(c->seen, c->seen + 1, (SEEN_PAGES - 1) * sizeof c->seen[0]);
	c->seen[SEEN_PAGES - 1] = json_array();
}

static void cursor_free(cursor *c)
{
	mark_free(&c->hwm);
	mark_free(&c->stop);
	mark_free(&c->top);
	mark_free(&c->low);
	free(c->next);
	for (int i = 0; i < SEEN_PAGES; i++)
		json_decref(c->seen[i]);
	strset_free(&c->written);
	json_decref(c->src);
	memset(c, 0, sizeof *c);
}

static void cursor_load(fetch_run *f, const char *key, cursor *c)
{
	char *txt = fetch_state_cursor(f->state, f->source, key);
	json_t *v = txt ? json_loads(txt, 0, NULL) : NULL, *run;

	memset(c, 0, sizeof *c);
	seen_reset(c);
	if (txt && !v)
		http_log(LOG_WARN, "%s %s: the stored cursor is not JSON; starting afresh", f->source, key);
	mark_read(&c->hwm, json_object_get(v, "hwm"));
	if (json_is_object(json_object_get(v, "src")))
		c->src = json_incref(json_object_get(v, "src"));
	if (json_is_object(run = json_object_get(v, "run"))) {
		c->running = 1;
		mark_read(&c->stop, json_object_get(run, "stop"));
		mark_read(&c->top, json_object_get(run, "top"));
		mark_read(&c->low, json_object_get(run, "low"));
		c->next = jx_str(run, "next") ? xstrdup(jx_str(run, "next")) : NULL;
		json_t *ids = json_object_get(run, "seen"), *id;
		size_t i;
		json_array_foreach(ids, i, id)
			if (json_is_string(id))
				seen_add(c, json_string_value(id));
	}
	json_decref(v);
	free(txt);
}

/* Commit c (and any validators the first page brought): called only
 * after the items it covers were flushed. */
static void cursor_save(fetch_run *f, const char *key, const cursor *c)
{
	json_t *v = json_pack("{s:o}", "hwm", mark_json(&c->hwm));
	char *txt;

	if (c->src)
		json_object_set(v, "src", c->src);
	if (c->running) {
		json_t *seen = json_array();
		for (int i = 0; i < SEEN_PAGES; i++)
			json_array_extend(seen, c->seen[i]);
		json_object_set_new(v, "run",
				    json_pack("{s:o,s:o,s:o,s:s*,s:o}", "stop", mark_json(&c->stop), "top",
					      mark_json(&c->top), "low", mark_json(&c->low), "next", c->next, "seen", seen));
	}
	txt = json_dumps(v, JSON_COMPACT);
	fetch_state_begin(f->state); /* the cursor, its validators and the output's length: one commit */
	fetch_state_set_cursor(f->state, f->source, key, txt, fetch_now(f));
	if (f->pending_validators) {
		fetch_state_set_validators(f->state, f->source, key, f->pending_validators, fetch_now(f));
		free(f->pending_validators);
		f->pending_validators = NULL;
	}
	out_commit(f);
	fetch_state_commit(f->state);
	free(txt);
	json_decref(v);
}

/* ================================================================ the driver */

/* Page down from c->next (or the newest page) to c->stop. Returns a
 * fetch_rc; *pages counts pages used; *finished says the stop was
 * reached (or the API has no more pages). */
static int backfill(fetch_run *f, fetch_query *q, cursor *c, int *pages, int *finished, long *written)
{
	int first_run = !c->stop.ids;
	char *prev_next = NULL;

	*finished = 0;
	q->stop = &c->stop;
	while (*pages < f->o.max_pages) {
		fetch_page pg = {0};
		int reached = 0, rc;
		long before = *written, disorder = 0;

		q->page = ++*pages;
		q->asked = c->next;
		rc = f->src->page(f, q, c->next, &pg);
		if (rc != FETCH_OK) {
			fetch_page_free(&pg);
			free(prev_next);
			return rc;
		}
		seen_next_page(c);
		for (size_t i = 0; i < pg.n; i++) {
			fetch_item *it = &pg.items[i];
			if (!newer(it, &c->stop) || (first_run && f->o.since && it->time && it->time < f->o.since)) {
				reached = 1;
				continue;
			}
			if (!older(it, &c->low)) {
				if (seen_has(c, it->id))
					continue; /* a page repeating an item already written */
				disorder++;       /* newer than items written, yet never written: keep it */
			}
			emit(f, q, it);
			seen_add(c, it->id);
			(*written)++;
			mark_extend(&c->top, it, +1);
			mark_extend(&c->low, it, -1);
		}
		flush_out(f);
		if (*written > before)
			http_log(LOG_DEBUG, "%s %s page %d: %ld new of %zu", f->source, q->key, q->page, *written - before,
				 pg.n);
		if (disorder) {
			http_log(LOG_WARN,
				 "%s %s page %d: %ld item%s newer than items already written (the API's order is not newest "
				 "first here); written, not dropped",
				 f->source, q->key, q->page, disorder, disorder == 1 ? "" : "s");
			f->out_of_order += disorder;
		}
		free(prev_next);
		prev_next = c->next;
		c->next = pg.next;
		pg.next = NULL;
		reached |= pg.not_modified;
		fetch_page_free(&pg);
		if (reached || !c->next) {
			*finished = 1;
			break;
		}
		if (prev_next && strcmp(prev_next, c->next) == 0) {
			http_log(LOG_WARN, "%s %s: page %d gives the same next page again; stopping this query here",
				 f->source, q->key, q->page);
			*finished = 1;
			break;
		}
		c->running = 1;
		cursor_save(f, q->key, c);
	}
	free(prev_next);
	return FETCH_OK;
}

static int newest_first(fetch_run *f, fetch_query *q, long *written)
{
	cursor c;
	int pages = 0, finished, rc;

	cursor_load(f, q->key, &c);
	if (c.running) { /* an earlier run stopped half way: finish it first */
		http_log(LOG_INFO, "%s %s: resuming an unfinished run", f->source, q->key);
		rc = backfill(f, q, &c, &pages, &finished, written);
		if (rc != FETCH_OK || !finished) {
			cursor_save(f, q->key, &c);
			cursor_free(&c);
			return rc;
		}
		if (c.top.ids)
			mark_copy(&c.hwm, &c.top);
		c.running = 0;
		cursor_save(f, q->key, &c);
	}
	/* A fresh pass from the newest item down to the high-water mark. */
	mark_copy(&c.stop, &c.hwm);
	mark_free(&c.top);
	mark_free(&c.low);
	seen_reset(&c);
	free(c.next);
	c.next = NULL;
	if (pages < f->o.max_pages) {
		rc = backfill(f, q, &c, &pages, &finished, written);
		if (rc == FETCH_OK && finished) {
			if (c.top.ids)
				mark_copy(&c.hwm, &c.top);
			c.running = 0;
		} else if (c.top.ids) {
			c.running = 1; /* resume at c.next next time */
		} else {
			c.running = 0; /* nothing written: nothing to resume */
		}
		cursor_save(f, q->key, &c);
		if (rc == FETCH_OK && !finished)
			http_log(LOG_INFO, "%s %s: stopped after %d pages (--max-pages); the next run goes on from there",
				 f->source, q->key, pages);
	} else {
		rc = FETCH_OK;
	}
	cursor_free(&c);
	return rc;
}

static int ascending(fetch_run *f, fetch_query *q, long *written)
{
	cursor c;
	fetch_page pg = {0};
	fetch_mark last = {0};
	int rc;

	cursor_load(f, q->key, &c);
	q->min_t = c.hwm.ids ? c.hwm.t : 0;
	q->src_state = c.src;
	q->page = 1;
	rc = f->src->page(f, q, NULL, &pg);
	q->src_state = NULL;
	if (rc == FETCH_OK) {
		for (size_t i = 0; i < pg.n; i++) {
			emit(f, q, &pg.items[i]);
			(*written)++;
			mark_extend(&last, &pg.items[i], +1);
		}
		flush_out(f);
		if (last.ids)
			mark_copy(&c.hwm, &last);
		if (pg.src_state && last.ids) { /* kept with the items it was made from */
			json_decref(c.src);
			c.src = pg.src_state;
			pg.src_state = NULL;
		}
		if (last.ids || f->pending_validators)
			cursor_save(f, q->key, &c);
	}
	mark_free(&last);
	fetch_page_free(&pg);
	cursor_free(&c);
	return rc;
}

static int is_ascending(const src_fetch *src, const char *variant)
{
	const char *l = src->ascending_variants;
	size_t n = variant ? strlen(variant) : 0;

	if (src->ascending)
		return 1;
	while (l && n && *l) {
		size_t k = strcspn(l, ",");
		if (k == n && strncmp(l, variant, n) == 0)
			return 1;
		l += k;
		l += *l == ',';
	}
	return 0;
}

/* One variant of a query (reddit's listings): fetch it and book the outcome. */
static int run_one(fetch_run *f, const char *query, const char *variant)
{
	char key[600], raw[512], canon[512];
	fetch_query q = {0};
	long written = 0;
	int rc;

	if (f->src->canonical)
		f->src->canonical(f, query, canon, sizeof canon);
	else
		snprintf(canon, sizeof canon, "%s", query);
	snprintf(key, sizeof key, "%s%s%s", canon, variant ? "/" : "", variant ? variant : "");
	snprintf(raw, sizeof raw, "%s", query);
	if (f->src->query_pairs && strchr(raw, '='))
		*strchr(raw, '=') = '\0';
	q.query = query;
	q.key = key;
	q.raw_query = raw;
	q.variant = variant;
	f->cur = &q;
	free(f->pending_validators);
	f->pending_validators = NULL;
	f->err[0] = '\0';
	rc = is_ascending(f->src, variant) ? ascending(f, &q, &written) : newest_first(f, &q, &written);
	f->cur = NULL;
	if (rc == FETCH_OK) {
		fetch_state_success(f->state, f->source, key, fetch_now(f), f->o.every, written);
		http_log(LOG_DEBUG, "%s %s: %ld new item%s", f->source, key, written, written == 1 ? "" : "s");
		f->queries_ok++;
	} else {
		fetch_state_failure(f->state, f->source, key, fetch_now(f), f->o.every, f->err);
		if (rc == FETCH_STOP) {
			http_log(LOG_WARN, "%s; stopping (what was written is kept, the next run goes on from there)", f->err);
			f->stopped = 1;
		} else {
			http_log(LOG_WARN, "%s", f->err);
			f->queries_failed++;
		}
	}
	return rc;
}

int fetch_run_query(fetch_run *f, const char *query)
{
	const char *vs = f->src->variants ? f->src->variants(f) : NULL;
	int worst = FETCH_OK;

	if (!vs)
		return run_one(f, query, NULL);
	while (*vs && !f->stopped) {
		size_t n = strcspn(vs, ",");
		char v[64];
		int rc;

		snprintf(v, sizeof v, "%.*s", (int)n, vs);
		rc = run_one(f, query, v);
		if (rc < worst)
			worst = rc;
		vs += n;
		vs += *vs == ',';
	}
	return worst;
}

/* ================================================================ replays */

/* A response body held in a recording, or v itself. Appends new
 * references to bodies. */
static void unwrap(const json_t *v, json_t *bodies)
{
	json_t *inter = json_object_get(v, "http_interactions"), *x, *body;
	size_t i;

	if (!inter)
		inter = json_object_get(v, "interactions"); /* VCR.py cassettes as JSON */
	if (json_is_array(inter)) {                         /* Betamax, VCR: request + response pairs */
		json_array_foreach(inter, i, x) {
			json_t *b = jx_path(x, "response.body");
			const char *s = json_is_string(b) ? json_string_value(b) : jx_str(b, "string");
			if (!s || !(body = json_loads(s, 0, NULL)))
				continue; /* a binary (base64) or non-JSON body: not an API answer */
			json_array_append_new(bodies, body);
		}
		return;
	}
	if (json_is_object(json_object_get(v, "request")) && (body = jx_path(v, "response.bodyJson"))) {
		json_array_append(bodies, body); /* a recorded pair (node-yahoo-finance2) */
		return;
	}
	json_array_append(bodies, (json_t *)v);
}

/* Write the items of every response v holds; where names it in messages
 * ("file" or "file:line"). 0, or -1 with f->err. */
static int replay_value(fetch_run *f, const json_t *v, const char *where)
{
	json_t *bodies = json_array(), *body;
	fetch_query q = {0};
	size_t i;
	int rc = 0;

	unwrap(v, bodies);
	q.query = q.key = q.raw_query = f->o.query_override;
	q.page = 1;
	json_array_foreach(bodies, i, body) {
		fetch_page pg = {0};
		char err[512];
		if (f->src->parse(f, body, &q, &pg, err, sizeof err) < 0) {
			if (json_array_size(bodies) > 1)
				herd_errf(f->err, sizeof f->err, "%s: response %zu: %s", where, i + 1, err);
			else
				herd_errf(f->err, sizeof f->err, "%s: %s", where, err);
			rc = -1;
		}
		for (size_t k = 0; k < pg.n; k++)
			emit(f, &q, &pg.items[k]);
		fetch_page_free(&pg);
		if (rc < 0)
			break;
	}
	json_decref(bodies);
	return rc;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r")] == '\0';
}

/* A file of one response (pretty-printed or not), or NDJSON of responses
 * (read a line at a time, so a long replay runs in little memory). */
int fetch_replay_file(fetch_run *f, const char *path)
{
	ndjson_reader *r = ndjson_open(path);
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	char where[1100], err[256], *line;
	json_t *v = NULL;
	size_t len;
	int n, rc = 0;

	if (!r)
		return herd_errf(f->err, sizeof f->err, "%s: cannot open: %s", name, strerror(errno));
	f->fetched_at = fetch_now(f);
	while ((n = ndjson_read(r, &line, &len)) == 1 && blank(line))
		;
	if (n == 0) { /* as herd-import and every filter take an empty input */
		ndjson_close(r);
		log_warn("%s: empty file, nothing replayed", name);
		return 0;
	}
	if (n == 1 && fetch_json_start(line, len) == len) { /* ")]}'" alone on its first line */
		while ((n = ndjson_read(r, &line, &len)) == 1 && blank(line))
			;
	}
	if (n == 1 && (v = jx_parse(line + fetch_json_start(line, len), len - fetch_json_start(line, len), err,
				    sizeof err))) {
		do { /* one response a line */
			if (!v && !blank(line) && !(v = jx_parse(line, len, err, sizeof err))) {
				rc = herd_errf(f->err, sizeof f->err, "%s:%ld: %s", name, ndjson_lineno(r), err);
				break;
			}
			snprintf(where, sizeof where, "%.1000s:%ld", name, ndjson_lineno(r));
			if (v && replay_value(f, v, where) < 0)
				rc = -1;
			json_decref(v);
			v = NULL;
		} while (rc == 0 && (n = ndjson_read(r, &line, &len)) == 1);
		if (n < 0)
			rc = herd_errf(f->err, sizeof f->err, "%s: cannot read:", name);
		ndjson_close(r);
	} else { /* one response, over several lines: read it whole */
		buf_t b = BUF_INIT;
		json_error_t je;
		for (; n == 1; n = ndjson_read(r, &line, &len)) {
			buf_put(&b, line, len);
			buf_putc(&b, '\n');
		}
		ndjson_close(r);
		if (n < 0) {
			buf_free(&b);
			return herd_errf(f->err, sizeof f->err, "%s: cannot read:", name);
		}
		if (!b.p)
			buf_puts(&b, "");
		if (!(v = json_loadb(b.p, b.len, 0, &je)))
			rc = herd_errf(f->err, sizeof f->err, "%s:%d: invalid JSON: %s", name, je.line, je.text);
		else
			rc = replay_value(f, v, name);
		json_decref(v);
		buf_free(&b);
	}
	flush_out(f);
	return rc;
}
