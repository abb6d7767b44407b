/*
 * test_strset.c — the hash set of strings (src/lib/strset.c): adding
 * tells new from seen, keys are copies that stay put while the set grows,
 * lookups by length find words inside a longer text, values start where
 * they are asked for, and the invariants hold through growth (checked
 * against a plain list, with keys that share prefixes and hashes that
 * share their low bits).
 */
#include "lib/strset.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#define HASH(s) strset_hash((s), strlen(s))

static void test_add_and_get(void)
{
	strset s = STRSET_INIT;
	char word[8] = "GME";
	const char *kept;
	int64_t v = -1;
	int added = -1;

	CHECK(!strset_get(&s, "GME", 3, HASH("GME"), NULL), "an empty set holds nothing");
	CHECK(strset_check(&s), "an empty set is valid");
	kept = strset_add(&s, word, 3, HASH("GME"), &added);
	CHECK(added == 1 && s.n == 1, "the first add is new");
	CHECK(kept != word && strcmp(kept, "GME") == 0, "the set keeps its own copy");
	word[0] = 'X';
	CHECK(strset_get(&s, "GME", 3, HASH("GME"), &v) && v == 0, "the copy does not change with the caller's buffer");
	CHECK(strset_add(&s, "GME", 3, HASH("GME"), &added) == kept && added == 0 && s.n == 1,
	      "adding it again returns the same copy and says it was there");
	CHECK(strset_add(&s, "", 0, HASH(""), &added) && added == 1 && s.n == 2, "the empty string is a key too");
	CHECK(strset_get(&s, "GMEX", 3, HASH("GME"), NULL), "a lookup by length finds GME at the start of GMEX");
	CHECK(!strset_get(&s, "GM", 2, HASH("GM"), NULL), "GM is not GME");
	strset_free(&s);
	CHECK(s.n == 0 && s.cap == 0 && s.slot == NULL && strset_check(&s), "free leaves an empty set");
	strset_free(&s); /* an empty set frees to nothing */
}

static void test_values(void)
{
	strset s = STRSET_INIT;
	int64_t v = 7;

	strset_add(&s, "plain", 5, HASH("plain"), NULL);
	CHECK(s.val == NULL, "no value array until a value is asked for");
	*strset_at(&s, "flags", 5, HASH("flags"), 4) |= 1;
	CHECK(strset_get(&s, "flags", 5, HASH("flags"), &v) && v == 5, "strset_at inserts with init, then updates");
	CHECK(strset_get(&s, "plain", 5, HASH("plain"), &v) && v == 0, "a key added before values has 0");
	CHECK(*strset_at(&s, "flags", 5, HASH("flags"), -1) == 5, "strset_at on a held key keeps its value");
	for (int i = 0; i < 100; i++) { /* growth carries the values */
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		*strset_at(&s, k, strlen(k), HASH(k), -1) = i;
	}
	CHECK(strset_check(&s), "valid after growth with values");
	CHECK(strset_get(&s, "k42", 3, HASH("k42"), &v) && v == 42, "k42 kept its value through growth");
	CHECK(strset_get(&s, "flags", 5, HASH("flags"), &v) && v == 5, "flags kept its value through growth");
	strset_free(&s);

	CHECK(*strset_at(&s, "first", 5, HASH("first"), -1) == -1, "strset_at on an empty set");
	strset_free(&s);
}

/* Many keys, against a plain list: the same membership, pointers that do
 * not move, and the invariants after every doubling. */
static void test_many(void)
{
	enum { N = 20000 };
	strset s = STRSET_INIT;
	const char **kept = calloc(N, sizeof *kept);
	size_t grows = 0, cap = 0;
	int bad_new = 0, bad_ptr = 0, bad_get = 0;

	for (int i = 0; i < 2 * N; i++) {
		char k[32];
		int added;
		const char *p;

		/* keys sharing long prefixes, each added twice (second round) */
		snprintf(k, sizeof k, "reddit:t1_%07d", i % N);
		p = strset_add(&s, k, strlen(k), HASH(k), &added);
		if (added != (i < N))
			bad_new++;
		if (i < N)
			kept[i] = p;
		else if (p != kept[i % N])
			bad_ptr++;
		if (s.cap != cap) {
			grows++;
			cap = s.cap;
			CHECK(strset_check(&s), "valid after growing to %zu slots", cap);
		}
	}
	CHECK(bad_new == 0, "add says new exactly the first time (%d wrong)", bad_new);
	CHECK(bad_ptr == 0, "keys stay where they were while the set grows (%d moved)", bad_ptr);
	CHECK(s.n == N && 2 * s.n <= s.cap, "n = %d keys within the load bound (cap %zu)", N, s.cap);
	CHECK(grows >= 10, "the set grew %zu times", grows);
	for (int i = 0; i < N; i++) {
		char k[32];
		snprintf(k, sizeof k, "reddit:t1_%07d", i);
		bad_get += !strset_get(&s, k, strlen(k), HASH(k), NULL);
		snprintf(k, sizeof k, "reddit:t3_%07d", i);
		bad_get += strset_get(&s, k, strlen(k), HASH(k), NULL);
	}
	CHECK(bad_get == 0, "every key is found and no other (%d wrong)", bad_get);

	/* A slot holding a wrong hash is caught by the check. */
	for (size_t i = 0; i < s.cap; i++)
		if (s.slot[i].key) {
			s.slot[i].hash ^= 1;
			CHECK(!strset_check(&s), "strset_check catches a wrong hash");
			s.slot[i].hash ^= 1;
			break;
		}
	free(kept);
	strset_free(&s);
}

/* Keys whose hashes are equal in their low 32 bits still spread (the
 * home slot folds the high half in), and collisions are resolved. */
static void test_collisions(void)
{
	strset s = STRSET_INIT;
	int found = 0;

	for (int i = 0; i < 64; i++) {
		char k[16];
		snprintf(k, sizeof k, "%d", i);
		/* one hash for all: every key probes the same run */
		strset_add(&s, k, strlen(k), 12345, NULL);
	}
	CHECK(s.n == 64, "64 keys with one hash are 64 keys (got %zu)", s.n);
	for (int i = 0; i < 64; i++) {
		char k[16];
		snprintf(k, sizeof k, "%d", i);
		found += strset_get(&s, k, strlen(k), 12345, NULL);
	}
	CHECK(found == 64, "all found along the probe run (%d)", found);
	CHECK(!strset_get(&s, "64", 2, 12345, NULL), "a missing key with the same hash is missing");
	strset_free(&s);
}

int main(void)
{
	CHECK(strset_hash("", 0) == 0xcbf29ce484222325ULL, "FNV-1a 64 of \"\" is its offset basis");
	CHECK(strset_hash("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a 64 of \"a\" (the published test vector)");
	test_add_and_get();
	test_values();
	test_many();
	test_collisions();
	return test_report();
}
