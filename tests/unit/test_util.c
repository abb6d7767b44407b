/*
 * test_util.c — the first things every program uses (src/lib/util.c):
 * xgrow makes room as promised and keeps what the array held, herd_errf
 * formats into the caller's buffer (or nowhere) and always says -1.
 */
#include "lib/util.h"
#include "test.h"

#include <stdlib.h>

static void test_xgrow(void)
{
	size_t cap = 0, n = 0, grows = 0;
	int *a = NULL;

	a = xgrow(a, 0, &cap, sizeof *a);
	CHECK(a == NULL && cap == 0, "room for nothing needs no allocation");
	for (int i = 0; i < 1000; i++) {
		size_t before = cap;
		a = xgrow(a, n + 1, &cap, sizeof *a);
		grows += cap != before;
		a[n++] = i;
	}
	CHECK(cap >= 1000 && cap < 2000, "room for 1000 ints, at most twice that (cap %zu)", cap);
	CHECK(cap == 1024, "the capacity doubles from 16: 1024 for 1000 (got %zu)", cap);
	CHECK(grows == 7, "seven allocations from 16 to 1024 (got %zu)", grows);
	int same = 1;
	for (int i = 0; i < 1000; i++)
		same &= a[i] == i;
	CHECK(same, "what the array held survives its moves");
	a = xgrow(a, 5000, &cap, sizeof *a);
	CHECK(cap == 8192, "a larger need doubles as often as it takes (got %zu)", cap);
	CHECK(a[999] == 999, "… and keeps the elements");
	free(a);
}

static void test_errf(void)
{
	char err[16];

	CHECK(herd_errf(err, sizeof err, "%s:%d: %s", "f", 12, "bad") == -1, "herd_errf returns -1");
	CHECK_STR(err, "f:12: bad", "herd_errf formats");
	herd_errf(err, sizeof err, "%s", "a reason longer than the buffer");
	CHECK(strlen(err) == sizeof err - 1, "a long reason is cut to the buffer, terminated");
	CHECK(herd_errf(NULL, 0, "nowhere") == -1, "no buffer: still -1");
}

int main(void)
{
	test_xgrow();
	test_errf();
	return test_report();
}
