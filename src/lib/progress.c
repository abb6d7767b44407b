/*
 * progress.c — terminal-only progress line; see progress.h.
 */
#include "progress.h"
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <unistd.h>

static int enabled, drawn;
static const char *label = "records";
static unsigned long long total, calls;
static double t0, last;

void progress_start(const char *what, unsigned long long total_bytes)
{
	enabled = !cli.quiet && isatty(STDERR_FILENO);
	label = what;
	total = total_bytes;
	calls = 0;
	drawn = 0;
	t0 = last = herd_now_mono();
}

void progress_update(unsigned long long count, unsigned long long bytes)
{
	double now, el, rate;

	if (!enabled || (++calls & 255) != 0)
		return;
	now = herd_now_mono();
	if (now - last < 0.25)
		return;
	last = now;
	el = now - t0;
	rate = el > 0 ? count / el : 0;
	fprintf(stderr, "\r%s: %llu %s, %.0f/s, %.1f MB/s", herd_prog, count, label, rate,
		el > 0 ? bytes / el / 1e6 : 0.0);
	if (total && bytes > 0 && bytes <= total)
		fprintf(stderr, ", ETA %.0fs ", el * (double)(total - bytes) / (double)bytes);
	fputs("\033[K", stderr);
	drawn = 1;
}

void progress_end(void)
{
	if (drawn)
		fputs("\r\033[K", stderr);
	drawn = 0;
}
