/*
 * http.c — herd's libcurl client; see http.h.
 *
 * One request is a loop of attempts. Each attempt first waits out the pace
 * the previous response set (rate-limit headers), asks the policy whether
 * it may be sent (the budget counts every attempt, retries included, since
 * every one of them costs a request at the provider), then performs it and
 * sorts the outcome:
 *   transport error that may pass (timeout, reset, truncated body, nothing
 *     received, cannot connect)       → backoff, retry
 *   transport error that will not pass → fail now
 *   429                                → Retry-After, else the pace the
 *                                        headers give, else backoff; retry
 *   5xx                                → Retry-After if given, else backoff
 *   2xx                                → policy->classify: OK, RETRY, LIMITED
 *   anything else (304, 4xx)           → the caller's to read
 * A wait longer than max_wait ends the request as HTTP_LIMITED instead of
 * sleeping through it: cron runs again in a few minutes anyway.
 */
#include "http.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct http_client {
	CURL *curl;
	buf_t jar;           /* cookies, "host\tname=value\n" lines (see keep_cookies) */
	http_opts o;
	char ua[256];
	double next_at;      /* http_now() before which no request may be sent (pace) */
	char next_why[256];  /* why, for the message */
	unsigned long long rng;
};

/* ================================================================ secrets */

#define MAX_SECRETS 32
static char *secrets[MAX_SECRETS];
static int nsecrets;

static void secret_add1(const char *s)
{
	if (!s || strlen(s) < 4 || nsecrets == MAX_SECRETS)
		return;
	for (int i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return;
	secrets[nsecrets++] = xstrdup(s);
}

void http_secret_add(const char *s)
{
	buf_t b = BUF_INIT;

	if (!s)
		return;
	secret_add1(s);
	http_url_encode(&b, s); /* as it appears in a query string */
	secret_add1(b.p);
	buf_free(&b);
}

int http_secret_env_read(const char *name, char **out, char *why, size_t whylen)
{
	char fname[128];
	const char *v = getenv(name), *path;
	char *s;

	*out = NULL;
	if (v && *v) {
		s = xstrdup(v);
	} else {
		FILE *f;
		char line[4096];
		snprintf(fname, sizeof fname, "%s_FILE", name);
		if (!(path = getenv(fname)) || !*path)
			return 0;
		if (!(f = fopen(path, "r")))
			return herd_errf(why, whylen, "%s: cannot read %s: %s", path, fname, strerror(errno));
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
		s = xstrdup(line);
	}
	for (size_t n = strlen(s); n > 0 && isspace((unsigned char)s[n - 1]); n--)
		s[n - 1] = '\0';
	if (!*s) {
		free(s);
		return 0;
	}
	http_secret_add(s);
	*out = s;
	return 0;
}

char *http_secret_env(const char *name)
{
	char why[512], *s;

	if (http_secret_env_read(name, &s, why, sizeof why) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", why);
	return s;
}

char *http_redact(char *s)
{
	for (int i = 0; i < nsecrets; i++) {
		size_t n = strlen(secrets[i]);
		char *p;
		while ((p = strstr(s, secrets[i]))) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + n, strlen(p + n) + 1);
		}
	}
	return s;
}

int http_has_secret(const char *s, size_t n)
{
	for (int i = 0; i < nsecrets; i++)
		if (memmem(s, n, secrets[i], strlen(secrets[i])))
			return 1;
	return 0;
}

void http_log(int level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (level < (int)log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg((enum log_level)level, "%s", http_redact(msg));
}

/* ================================================================ URLs */

void http_url_encode(buf_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_reserve(b, strlen(s));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_putc(b, (char)*p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
	if (!b->p)
		buf_puts(b, "");
}

/* ================================================================ time */

static const char *fake_sleep(void)
{
	const char *v = getenv("HERD_FAKE_SLEEP");

	return v && *v && strcmp(v, "0") != 0 ? v : NULL;
}

double http_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Sleep (or record the sleep) without a message. */
static void do_sleep(double s, const char *reason)
{
	const char *fake = fake_sleep();
	char msg[512];

	if (s <= 0)
		return;
	if (fake) {
		FILE *f = strcmp(fake, "1") == 0 ? stderr : fopen(fake, "a");
		snprintf(msg, sizeof msg, "%s", reason);
		http_redact(msg);
		if (f) {
			fprintf(f, "sleep %.3f %s\n", s, msg);
			if (f != stderr)
				fclose(f);
		}
		return;
	}
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void http_sleep(double s, const char *reason)
{
	if (s <= 0)
		return;
	http_log(s >= 1 ? LOG_INFO : LOG_DEBUG, "waiting %.1f s: %s", s, reason);
	do_sleep(s, reason);
}

double http_retry_after(const char *v, double now)
{
	char *end;
	double d;
	int64_t t;

	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (!*v)
		return -1;
	d = strtod(v, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (end != v && *end == '\0' && isdigit((unsigned char)*v))
		return d < 0 ? 0 : d;
	/* An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 9110, IMF-fixdate). */
	if (!isalpha((unsigned char)*v) || htime_parse(v, &t) < 0)
		return -1;
	return (double)t - now > 0 ? (double)t - now : 0;
}

double http_backoff(int n, double base, double cap, double u)
{
	double ceil_s = base * ldexp(1.0, n > 30 ? 30 : n);

	if (ceil_s > cap)
		ceil_s = cap;
	return u * ceil_s;
}

/* xorshift64*, seeded per client: jitter needs no quality, only spread. */
static double uniform(http_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* ================================================================ responses */

void http_response_init(http_response *r)
{
	memset(r, 0, sizeof *r);
}

static void clear_headers(http_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->nheaders = 0;
}

void http_response_free(http_response *r)
{
	clear_headers(r);
	free(r->headers);
	buf_free(&r->body);
	r->headers = NULL;
	r->capheaders = 0;
}

const char *http_header_get(const http_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	http_response *r = arg;

	buf_put(&r->body, p, size * n);
	return size * n;
}

/* One header line; a status line starts a new set (redirects, 100). */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	http_response *r = arg;
	size_t len = size * n, k;
	char *colon;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		clear_headers(r);
		return len;
	}
	if (!(colon = memchr(p, ':', len)))
		return len;
	r->headers = xgrow(r->headers, r->nheaders + 1, &r->capheaders, sizeof *r->headers);
	k = (size_t)(colon - p);
	r->headers[r->nheaders].name = xstrndup(p, k);
	for (char *q = r->headers[r->nheaders].name; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	colon++;
	while (colon < p + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	k = (size_t)(p + len - colon);
	while (k > 0 && isspace((unsigned char)colon[k - 1]))
		k--;
	r->headers[r->nheaders].value = xstrndup(colon, k);
	r->nheaders++;
	return len;
}

/* ================================================================ client */

const char *http_default_user_agent(void)
{
	static char ua[256];
	const char *contact = getenv("HERD_CONTACT");

	snprintf(ua, sizeof ua, "herd-fetch/%s (herd, a stock-chatter collector%s%s)", HERD_VERSION,
		 contact && *contact ? "; " : "", contact && *contact ? contact : "");
	return ua;
}

http_client *http_new(const http_opts *o)
{
	static int global;
	http_client *c = xcalloc(1, sizeof *c);

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			log_fatal(HERD_EXIT_FAIL, "libcurl: cannot initialise");
		global = 1;
	}
	if (o)
		c->o = *o;
	if (!c->o.connect_timeout_ms)
		c->o.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS;
	if (!c->o.timeout_ms)
		c->o.timeout_ms = HTTP_TIMEOUT_MS;
	if (c->o.retries < 0)
		c->o.retries = HTTP_RETRIES;
	if (c->o.retries > HTTP_RETRIES_MAX)
		c->o.retries = HTTP_RETRIES_MAX;
	if (c->o.backoff_base_s <= 0)
		c->o.backoff_base_s = HTTP_BACKOFF_BASE_S;
	if (c->o.backoff_cap_s <= 0)
		c->o.backoff_cap_s = HTTP_BACKOFF_CAP_S;
	if (c->o.max_wait_s <= 0)
		c->o.max_wait_s = HTTP_MAX_WAIT_S;
	snprintf(c->ua, sizeof c->ua, "%s", c->o.user_agent ? c->o.user_agent : http_default_user_agent());
	c->rng = (unsigned long long)getpid() * 0x9E3779B97F4A7C15ULL ^ (unsigned long long)(http_now() * 1e6);
	if (!c->rng)
		c->rng = 1;
	if (!(c->curl = curl_easy_init()))
		log_fatal(HERD_EXIT_FAIL, "libcurl: cannot create a handle");
	return c;
}

void http_free(http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	buf_free(&c->jar);
	free(c);
}

/* Transport errors a later attempt may not meet. */
static int transient(CURLcode e)
{
	switch (e) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* What the prerequest callback needs: libcurl calls it each time a request
 * is about to go out on a connection, its own silent re-sends included. */
typedef struct sending {
	const http_policy *p;
	http_response *r;
	int refused;       /* policy->before said no: the transfer was aborted */
	char why[512];
} sending;

/* libcurl re-sends a request by itself, without telling, when a reused
 * (keep-alive) connection turns out to be closed before any answer came.
 * Each such send reaches the server and costs a request of the budget, so
 * the budget is taken here, right before every send, and not once per
 * attempt of ours. */
static int on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	sending *s = arg;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (s->p && s->p->before && s->p->before(s->p->arg, s->why, sizeof s->why) < 0) {
		s->refused = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	s->r->sends++;
	return CURL_PREREQFUNC_OK;
}

/* ================================================================ cookies */

/*
 * For requests that ask (http_request.cookies): the name=value of each
 * Set-Cookie a host answered goes back to that host for the rest of the
 * run, in memory only. libcurl's own cookie engine does not survive the
 * curl_easy_reset every request starts with (and leaks when re-armed), so
 * this keeps the little that is needed (Google Trends' explore sets a
 * cookie its multiline answer wants): no paths, no expiry, no files.
 */
static void url_host(const char *url, char *host, size_t hostlen)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	snprintf(host, hostlen, "%.*s", (int)strcspn(p, "/?#"), p);
}

static void keep_cookies(http_client *c, const http_request *req, const http_response *r)
{
	char host[256];

	url_host(req->url, host, sizeof host);
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *v = r->headers[i].value;
		size_t n = strcspn(v, ";"), eq = strcspn(v, "=");
		buf_t keep = BUF_INIT;
		char *line, *end;

		if (strcmp(r->headers[i].name, "set-cookie") != 0 || eq >= n || eq == 0)
			continue;
		/* Drop the host's earlier cookie of that name, then add this one. */
		for (line = c->jar.p; line && *line; line = end) {
			end = strchr(line, '\n') + 1;
			if (!(strncmp(line, host, strlen(host)) == 0 && line[strlen(host)] == '\t' &&
			      strncmp(line + strlen(host) + 1, v, eq + 1) == 0))
				buf_put(&keep, line, (size_t)(end - line));
		}
		buf_printf(&keep, "%s\t%.*s\n", host, (int)n, v);
		buf_free(&c->jar);
		c->jar = keep;
	}
}

/* "Cookie: a=1; b=2" for the host of url, or "" when it has none. */
static void cookie_header(const http_client *c, const char *url, char *out, size_t outlen)
{
	char host[256];
	size_t hl, n = 0;

	url_host(url, host, sizeof host);
	hl = strlen(host);
	out[0] = '\0';
	for (const char *line = c->jar.p; line && *line; line = strchr(line, '\n') + 1) {
		size_t len = strcspn(line, "\n");
		if (len > hl && strncmp(line, host, hl) == 0 && line[hl] == '\t')
			n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%.*s", n ? "; " : "Cookie: ",
					      (int)(len - hl - 1), line + hl + 1);
	}
	if (n >= outlen)
		out[0] = '\0'; /* too many to send: none */
}

/* One attempt (libcurl may send it more than once: on_prereq). Returns the
 * curl code; r holds what came. */
static CURLcode perform(http_client *c, const http_request *req, http_response *r, sending *snd, char *errbuf)
{
	CURL *h = c->curl;
	struct curl_slist *hs = NULL;
	char line[1024];
	CURLcode e;
	double t0;

	buf_reset(&r->body);
	clear_headers(r);
	r->status = 0;
	curl_easy_reset(h); /* options only: the connection cache and TLS sessions stay */
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->ua);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl has: gzip, br, zstd */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, snd);
	errbuf[0] = '\0';
	hs = curl_slist_append(hs, "Accept: application/json");
	if (req->cookies) {
		char cookie[2048];
		cookie_header(c, req->url, cookie, sizeof cookie);
		if (cookie[0])
			hs = curl_slist_append(hs, cookie);
	}
	for (int i = 0; i < 8 && req->headers[i]; i++)
		hs = curl_slist_append(hs, req->headers[i]);
	if (req->if_none_match) {
		snprintf(line, sizeof line, "If-None-Match: %s", req->if_none_match);
		hs = curl_slist_append(hs, line);
	}
	if (req->if_modified_since) {
		snprintf(line, sizeof line, "If-Modified-Since: %s", req->if_modified_since);
		hs = curl_slist_append(hs, line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	if (req->userpwd) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERPWD, req->userpwd);
	}
	if (req->method && strcmp(req->method, "POST") == 0)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	t0 = herd_now_mono();
	e = curl_easy_perform(h);
	r->seconds = herd_now_mono() - t0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hs);
	if (req->cookies)
		keep_cookies(c, req, r);
	return e;
}

/* Wait out the pace set by the last response (or a hold carried over from
 * an earlier run). -1 when it is too long; r->retry_at says until when. */
static int wait_pace(http_client *c, http_response *r, char *why, size_t whylen)
{
	double d = c->next_at - http_now();

	if (d <= 0)
		return 0;
	if (d > c->o.max_wait_s) {
		r->retry_at = c->next_at;
		herd_errf(why, whylen, "%s: the next request is allowed in %.0f s, more than --max-wait %.0f s",
			  c->next_why, d, c->o.max_wait_s);
		return -1;
	}
	http_sleep(d, c->next_why);
	c->next_at = 0; /* served (HERD_FAKE_SLEEP: as if it had been) */
	return 0;
}

static void set_pace(http_client *c, const http_response *r, const http_policy *p, const char *what)
{
	char why[256] = "";
	double d;

	if (!p || !p->pace)
		return;
	d = p->pace(r, p->arg, why, sizeof why);
	if (d > 0) {
		c->next_at = http_now() + d;
		snprintf(c->next_why, sizeof c->next_why, "%.120s: %.120s", what, why[0] ? why : "rate limit");
	}
}

/* The provider asked for a wait longer than max_wait: no request of this
 * client before then (and r->retry_at tells the caller, who may keep it for
 * the next run). */
static void limited_until(http_client *c, http_response *r, double wait, const char *what, const char *reason)
{
	http_hold(c, http_now() + wait, what, reason);
	r->retry_at = c->next_at;
}

void http_hold(http_client *c, double until, const char *what, const char *reason)
{
	if (until <= c->next_at)
		return;
	c->next_at = until;
	snprintf(c->next_why, sizeof c->next_why, "%.120s: %.120s", what, reason);
}

double http_held_until(const http_client *c, char *why, size_t whylen)
{
	if (why)
		snprintf(why, whylen, "%s", c->next_why);
	return c->next_at > http_now() ? c->next_at : 0;
}

enum http_result http_send(http_client *c, const http_request *req, const http_policy *p, http_response *r,
			   char *why, size_t whylen)
{
	const char *what = req->what ? req->what : "request";
	char errbuf[CURL_ERROR_SIZE], reason[512], wait_why[600];
	int attempt;

	r->attempts = 0;
	r->sends = 0;
	r->retry_at = 0;
	why[0] = '\0';
	for (attempt = 0;; attempt++) {
		double wait = -1; /* < 0: the usual backoff */
		CURLcode e;

		sending snd = {p, r, 0, ""};

		if (wait_pace(c, r, why, whylen) < 0)
			return HTTP_LIMITED;
		if (p && p->ready && p->ready(p->arg, reason, sizeof reason) < 0) {
			herd_errf(why, whylen, "%s: %s", what, reason);
			return HTTP_STOPPED;
		}
		r->attempts = attempt + 1;
		e = perform(c, req, r, &snd, errbuf);
		if (snd.refused) {
			herd_errf(why, whylen, "%s: %s", what, snd.why);
			return HTTP_STOPPED;
		}
		if (e != CURLE_OK) {
			snprintf(reason, sizeof reason, "%s", errbuf[0] ? errbuf : curl_easy_strerror(e));
			http_redact(reason);
			http_log(LOG_DEBUG, "%s: attempt %d: %s", what, attempt + 1, reason);
			if (!transient(e)) {
				herd_errf(why, whylen, "%s: %s", what, reason);
				return HTTP_FAILED;
			}
		} else if (r->status == 429) {
			const char *ra = http_header_get(r, "retry-after");
			wait = http_retry_after(ra, http_now());
			snprintf(reason, sizeof reason, "HTTP 429 Too Many Requests%s%s", ra ? ", Retry-After: " : "",
				 ra ? ra : "");
			if (wait < 0 && p && p->pace) {
				double w = p->pace(r, p->arg, wait_why, sizeof wait_why);
				wait = w > 0 ? w : -1;
			}
			if (wait > c->o.max_wait_s) {
				herd_errf(why, whylen, "%s: rate limited (%s): %.0f s is more than --max-wait %.0f s", what,
					  reason, wait, c->o.max_wait_s);
				limited_until(c, r, wait, what, reason);
				return HTTP_LIMITED;
			}
		} else if (r->status >= 500) {
			const char *ra = http_header_get(r, "retry-after");
			wait = http_retry_after(ra, http_now());
			snprintf(reason, sizeof reason, "HTTP %ld", r->status);
			if (wait > c->o.max_wait_s)
				wait = -1; /* a 503 asking for hours: back off our own way */
		} else if (r->status >= 200 && r->status < 300) {
			enum http_verdict v = HTTP_V_OK;
			reason[0] = '\0';
			if (p && p->classify)
				v = p->classify(r, p->arg, &wait, reason, sizeof reason);
			http_redact(reason);
			if (v == HTTP_V_OK) {
				set_pace(c, r, p, what);
				return HTTP_OK;
			}
			if (v == HTTP_V_LIMITED) {
				herd_errf(why, whylen, "%s: %s", what, reason);
				return HTTP_LIMITED;
			}
			if (wait > c->o.max_wait_s) {
				herd_errf(why, whylen, "%s: %s: %.0f s is more than --max-wait %.0f s", what, reason, wait,
					  c->o.max_wait_s);
				limited_until(c, r, wait, what, reason);
				return HTTP_LIMITED;
			}
			if (wait == 0)
				wait = -1;
		} else {
			set_pace(c, r, p, what);
			return HTTP_OK; /* 304 and the 4xx: the caller reads them */
		}
		if (attempt >= c->o.retries) {
			herd_errf(why, whylen, "%s: %s (gave up after %d attempts)", what, reason, attempt + 1);
			return HTTP_FAILED;
		}
		if (wait < 0)
			wait = http_backoff(attempt, c->o.backoff_base_s, c->o.backoff_cap_s, uniform(c));
		snprintf(wait_why, sizeof wait_why, "%s: %s; attempt %d of %d in %.1f s", what, reason, attempt + 2,
			 c->o.retries + 1, wait);
		http_log(LOG_INFO, "%s", wait_why);
		do_sleep(wait, wait_why);
	}
}
