/*
 * entopts.c — --entities and --dict for the programs that extract
 * entities; see entopts.h.
 */
#include "text/entopts.h"
#include "lib/home.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdlib.h>

void ent_opts_init(ent_opts *o, int mode)
{
	o->mode = mode;
	o->mode_given = 0;
	o->dirs = NULL;
	o->ndirs = 0;
}

int ent_opts_option(ent_opts *o, int c, const char *arg)
{
	switch (c) {
	case ENT_OPT_ENTITIES:
		if ((o->mode = ent_mode_parse(arg)) < 0)
			log_usage("--entities: '%s' is not one of: precision, recall, cashtags, none", arg);
		o->mode_given = 1;
		return 1;
	case ENT_OPT_DICT:
		o->dirs = xrealloc(o->dirs, (size_t)(o->ndirs + 1) * sizeof *o->dirs);
		o->dirs[o->ndirs++] = arg;
		return 1;
	default:
		return 0;
	}
}

ent_dict *ent_opts_dict(const ent_opts *o)
{
	const char *const *dirs = o->dirs;
	int ndirs = o->ndirs;
	char err[1024], *found = NULL;
	ent_dict *d;

	if (o->mode != ENT_PRECISION && o->mode != ENT_RECALL)
		return NULL;
	if (ndirs == 0) {
		found = herd_data_path("data/entities");
		if (!found)
			log_fatal(HERD_EXIT_FAIL, "cannot find the entity dictionary data/entities beside the program "
						  "or in $HERD_HOME; give --dict DIR");
		dirs = (const char *const *)&found;
		ndirs = 1;
	}
	d = ent_dict_new();
	for (int i = 0; i < ndirs; i++)
		if (ent_dict_load_dir(d, dirs[i], err, sizeof err) < 0)
			log_fatal(HERD_EXIT_FAIL, "%s", err);
	log_debug("entity dictionary: %zu tickers, %zu aliases, %zu stop words (%s%s)", ent_dict_tickers(d),
		  ent_dict_aliases(d), ent_dict_stops(d), dirs[0], ndirs > 1 ? ", …" : "");
	free(found);
	return d;
}

void ent_opts_free(ent_opts *o)
{
	free(o->dirs);
	o->dirs = NULL;
	o->ndirs = 0;
}

void ent_extract_post(const ent_dict *d, int mode, const json_t *post, ent_set *out)
{
	static const char *const keys[] = {"title", "text"};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(post, keys[i]);
		if (json_is_string(v))
			ent_extract(d, mode, json_string_value(v), json_string_length(v), out);
	}
}
