/*
 * test_jsonx.c — typed field access and dotted paths (src/lib/jsonx.c),
 * and the growable buffer (src/lib/buf.c).
 */
#include "lib/buf.h"
#include "lib/jsonx.h"
#include "test.h"

#include <stdlib.h>

int main(void)
{
	const char *in = "{\"id\":\"t1_abc\",\"num_id\":1234567890123,\"score\":12,\"ratio\":0.5,"
			 "\"whole\":3.0,\"yes\":true,\"user\":{\"name\":\"bob\",\"n\":{\"deep\":7}},\"empty\":\"\"}";
	json_t *o = jx_parse(in, strlen(in), NULL, 0);
	char nb[32];
	long long i = 0;
	buf_t b = BUF_INIT;

	CHECK_STR(jx_str(o, "id"), "t1_abc", "string field");
	CHECK(jx_str(o, "score") == NULL, "a number is not a string");
	CHECK(jx_str(o, "missing") == NULL, "missing field is NULL");
	CHECK_STR(jx_str_or_num(o, "num_id", nb, sizeof nb), "1234567890123", "numeric id as text");
	CHECK(jx_str_or_num(o, "empty", nb, sizeof nb) == NULL, "empty string id is absent");
	CHECK(jx_num(o, "ratio", -1) == 0.5, "real field");
	CHECK(jx_num(o, "score", -1) == 12, "integer field as double");
	CHECK(jx_num(o, "id", -1) == -1, "string is not a number");
	CHECK(jx_int(o, "score", &i) && i == 12, "integer field");
	CHECK(jx_int(o, "whole", &i) && i == 3, "integral real as integer");
	CHECK(!jx_int(o, "ratio", &i), "0.5 is not an integer");
	CHECK(jx_bool(o, "yes") && !jx_bool(o, "score"), "booleans");
	CHECK_STR(json_string_value(jx_path(o, "user.name")), "bob", "dotted path");
	CHECK(json_integer_value(jx_path(o, "user.n.deep")) == 7, "deep path");
	CHECK(jx_path(o, "user.name.x") == NULL, "path through a string is NULL");
	CHECK_STR(jx_type_name(json_object_get(o, "ratio")), "number", "type name");
	CHECK_STR(jx_type_name_a(json_object_get(o, "user")), "an object", "type name with its article");
	CHECK_STR(jx_type_name_a(json_object_get(o, "id")), "a string", "… a string");
	CHECK_STR(jx_type_name_a(json_object_get(o, "yes")), "a boolean", "… a boolean");
	CHECK_STR(jx_type_name_a(NULL), "null", "… and a missing value is null, as in jx_type_name");
	CHECK_STR(jx_type_name(NULL), "null", "a missing value's type name is null");

	jx_set_str(o, "s", NULL);
	CHECK(json_is_null(json_object_get(o, "s")), "NULL string sets null");
	jx_set_strn(o, "s", "abcdef", 3);
	CHECK_STR(jx_str(o, "s"), "abc", "set_strn");
	json_decref(o);

	for (int k = 0; k < 1000; k++)
		buf_printf(&b, "%d,", k);
	CHECK(b.len == strlen(b.p) && strncmp(b.p, "0,1,2,", 6) == 0, "buf grows and stays terminated");
	buf_reset(&b);
	CHECK(b.len == 0 && b.p[0] == '\0', "reset empties");
	buf_puts(&b, "xy");
	char *s = buf_steal(&b);
	CHECK_STR(s, "xy", "steal");
	CHECK(b.p == NULL && b.len == 0, "steal leaves it empty");
	free(s);
	buf_free(&b);
	return test_report();
}
