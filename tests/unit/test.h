/*
 * test.h — a really minimal unit-test framework (after redis testhelp.h):
 * CHECK(condition, "what should hold") counts and reports; test_report()
 * prints the RESULT line tests/run.sh sums, and returns the exit status.
 */
#ifndef HERD_TEST_H
#define HERD_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			test_passed++;                                         \
		} else {                                                       \
			test_failed++;                                         \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want, what)                                                              \
	do {                                                                                    \
		const char *g_ = (got), *w_ = (want);                                           \
		CHECK(g_ && strcmp(g_, w_) == 0, "%s: got \"%s\", want \"%s\"", what, g_ ? g_ : "(null)", w_); \
	} while (0)

#define CHECK_NEAR(got, want, tol, what)                                                   \
	do {                                                                               \
		double g_ = (got), w_ = (want);                                            \
		CHECK(fabs(g_ - w_) <= (tol), "%s: got %.9g, want %.9g (tol %g)", what, g_, w_, (double)(tol)); \
	} while (0)

static inline int test_report(void)
{
	printf("RESULT %d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
