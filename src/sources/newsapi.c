/*
 * newsapi.c — NewsAPI (/v2/everything, /v2/top-headlines): articles, alone
 * or in the {"status":"ok","articles":[…]} envelope; an error envelope
 * ({"status":"error","code":…,"message":…}) is reported as such.
 *
 * The normalize section maps an article to a post: id newsapi:<SHA-1 of
 * the url> (articles have no id of their own, and the url is what stays
 * the same when the same story is fetched twice), community = the outlet
 * (source.name), title, text = description (or the content snippet, its
 * "… [+1234 chars]" marker removed, when there is no description),
 * created_at = publishedAt. The fetch section (herd-fetch) is not written yet.
 */
#include "sources.h"
#include "lib/jsonx.h"
#include "lib/sha1.h"

#include <stdio.h>
#include <string.h>

/* ================================================================ normalize */

/* The length of content without its trailing "… [+N chars]" marker. */
static size_t content_len(const char *s, size_t n)
{
	size_t i = n;

	if (n < 10 || s[n - 1] != ']' || memcmp(s + n - 7, " chars]", 7) != 0)
		return n;
	i = n - 7;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i < 3 || memcmp(s + i - 3, " [+", 3) != 0)
		return n;
	i -= 3;
	if (i >= 3 && memcmp(s + i - 3, "\xe2\x80\xa6", 3) == 0) /* the "…" before it */
		i -= 3;
	return i;
}

static int newsapi_article(const json_t *a, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *url = jx_str(a, "url"), *author = jx_str(a, "author");
	json_t *source = json_object_get(a, "source"), *desc = json_object_get(a, "description");
	const char *outlet = jx_str(source, "name");
	char sha[SHA1_HEX_LEN];
	json_t *p;
	int64_t t;

	if (!json_is_object(a)) {
		snprintf(err, errlen, "a NewsAPI article is %s, not an object", jx_type_name(a));
		return -1;
	}
	if (!url || !*url) {
		snprintf(err, errlen, "no 'url' (the article's id is made from it)");
		return -1;
	}
	if (src_time(a, "publishedAt", &t, err, errlen) < 0)
		return -1;
	p = post_new("newsapi", "article");
	post_set_id(p, "newsapi", sha1_hex(url, strlen(url), sha));
	post_set_str(p, "community", outlet ? outlet : jx_str(source, "id"));
	post_set_time(p, t);
	post_set_str(p, "author", author && *author ? author : NULL);
	post_set_text(p, "title", json_object_get(a, "title"));
	if (json_is_string(desc) && json_string_length(desc) > 0 && strcmp(json_string_value(desc), "[Removed]") != 0) {
		post_set_text(p, "text", desc);
	} else {
		json_t *c = json_object_get(a, "content");
		if (json_is_string(c)) {
			json_t *cut = json_stringn(json_string_value(c),
						   content_len(json_string_value(c), json_string_length(c)));
			post_set_text(p, "text", cut);
			json_decref(cut);
		}
	}
	post_set_str(p, "url", url);
	out->post(out->arg, p);
	return 0;
}

static int newsapi_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *articles = json_object_get(v, "articles");
	const char *status = jx_str(v, "status");

	(void)meta;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "a NewsAPI item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (status && strcmp(status, "error") == 0) {
		const char *code = jx_str(v, "code"), *msg = jx_str(v, "message");
		snprintf(err, errlen, "a NewsAPI error response (%s: %s)", code ? code : "?", msg ? msg : "no message");
		return -1;
	}
	if (json_is_array(articles)) {
		src_each(articles, newsapi_article, NULL, out);
		return 0;
	}
	return newsapi_article(v, NULL, out, err, errlen);
}

/* ================================================================ registry */

const source source_newsapi = {
	.name = "newsapi",
	.claims = NULL,
	.normalize = newsapi_normalize,
};
