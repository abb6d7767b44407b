/*
 * fuzz_normalize.c — libFuzzer harness for every source normalizer
 * (src/sources/, through the registry in sources.c) and the entity
 * extractor (src/text/entities.c) that herd-normalize runs on each post.
 *
 * Input: one control byte, then JSON. The control byte's low 4 bits pick
 * the source (N: the Nth that source_names() lists, modulo their number;
 * 15: a `raw` record routed by its own "source" field, as herd-normalize
 * routes it), bit 4 gives a raw "query", bits 5-6 the entity mode. Each
 * record a normalizer makes must keep the contract of docs/records.md: a
 * post its kind, id "SOURCE:…", a created_at that reads back as a time,
 * text a string, entities an array; a metric its source, entity, a time
 * "at", a name and a number; a broken contract aborts like a crash does.
 * The entity dictionary is the project's own data/entities (FUZZ_TOP is
 * set by tests/fuzz/fuzz.mk).
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "sources/sources.h"
#include "text/entities.h"

static ent_dict *dict;
static ent_set set;
static buf_t out;
static int mode;
static const char *source_name;
static const char *names[32]; /* the registry's sources */
static int nnames;

static void fail(const char *what, const json_t *post)
{
	buf_reset(&out);
	ndjson_dump(&out, post);
	fprintf(stderr, "fuzz_normalize: a record from %s breaks the contract: %s: %.*s\n", source_name, what,
		(int)(out.len > 500 ? 500 : out.len), out.p);
	abort();
}

static void extract(json_t *post, const char *key)
{
	json_t *v = json_object_get(post, key);

	if (json_is_string(v))
		ent_extract(dict, mode, json_string_value(v), json_string_length(v), &set);
}

/* What herd-normalize's on_post does, with the contract checked. */
static void on_post(void *arg, json_t *post)
{
	const char *id = jx_str(post, "id"), *at = jx_str(post, "at"), *kind = jx_str(post, "kind");
	const char *src = jx_str(post, "source");
	json_t *tags = json_object_get(post, "entities"), *e;
	int64_t t;
	size_t i;

	(void)arg;
	if (kind && strcmp(kind, "metric") == 0) {
		if (!src || !jx_str(post, "entity") || !jx_str(post, "name") || !at || htime_parse(at, &t) != 0 ||
		    !json_is_number(json_object_get(post, "value")))
			fail("a metric without source, entity, name, a time 'at' or a number 'value'", post);
		buf_reset(&out);
		ndjson_dump(&out, post);
		json_decref(post);
		return;
	}
	at = jx_str(post, "created_at");
	if (!kind || strcmp(kind, "post") != 0)
		fail("kind is neither \"post\" nor \"metric\"", post);
	if (!src || !id || strncmp(id, src, strlen(src)) != 0 || id[strlen(src)] != ':')
		fail("id is not SOURCE:NATIVE", post);
	if (!at || htime_parse(at, &t) != 0)
		fail("created_at is not a time", post);
	if (!json_is_string(json_object_get(post, "text")) || !json_is_array(tags) ||
	    !json_is_object(json_object_get(post, "engagement")))
		fail("text, entities or engagement has the wrong type", post);
	ent_set_clear(&set);
	json_array_foreach(tags, i, e)
		if (json_is_string(e))
			ent_set_add(&set, json_string_value(e));
	extract(post, "title");
	extract(post, "text");
	ent_set_finish(&set);
	for (i = 0; i < set.n; i++)
		if (!set.v[i][0] || (i && strcmp(set.v[i - 1], set.v[i]) >= 0))
			fail("entities are not sorted, unique and non-empty", post);
	buf_reset(&out);
	ndjson_dump(&out, post);
	json_decref(post);
}

static void on_bad_item(void *arg, const json_t *item, size_t index, const char *reason)
{
	(void)arg, (void)item, (void)index;
	if (!reason || !reason[0])
		abort(); /* a bad item always says why */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024], *list = strdup(source_names()), *save = NULL;

	(void)argc, (void)argv;
	for (char *n = strtok_r(list, ", ", &save); n && nnames < 32; n = strtok_r(NULL, ", ", &save))
		names[nnames++] = n; /* list is kept for the run */
	dict = ent_dict_new();
	if (ent_dict_load_dir(dict, FUZZ_TOP "/data/entities", err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_normalize: %s\n", err);
		abort();
	}
	buf_init(&out);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	src_out o = {on_post, on_bad_item, NULL};
	const json_t *item, *inc;
	const source *src;
	src_meta meta = {0};
	char err[512];
	json_t *v;

	if (size < 1)
		return 0;
	err[0] = '\0';
	mode = (data[0] >> 5) & 3; /* ENT_NONE .. ENT_RECALL */
	v = jx_parse((const char *)data + 1, size - 1, err, sizeof err);
	if (!v)
		return 0;
	if ((data[0] & 0x0f) != 0x0f) {
		source_name = names[(data[0] & 0x0f) % nnames];
		src = source_find(source_name);
		item = v;
		if (data[0] & 0x10)
			meta.query = "GME";
	} else {
		/* A raw record, routed as herd-normalize routes it. */
		source_name = jx_str(v, "source");
		src = source_find(source_name);
		item = json_object_get(v, "item");
		inc = json_object_get(v, "includes");
		meta.query = jx_str(v, "query");
		meta.includes = json_is_object(inc) ? inc : NULL;
		if (!src || (!json_is_object(item) && !json_is_array(item))) {
			json_decref(v);
			return 0;
		}
	}
	if (source_normalize(src, item, &meta, &o, err, sizeof err) < 0 && !err[0])
		abort(); /* a refusal always says why */
	json_decref(v);
	return 0;
}
