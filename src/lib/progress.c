/*
 * progress.c — terminal-only progress line; see progress.h.
 */
#include "progress.h"
#include "cli.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
	fprintf(stderr, "\r%s: %llu %s", herd_prog, count, label);
	if (total && bytes <= total)
		fprintf(stderr, " (%.0f%%)", 100.0 * (double)bytes / (double)total);
	fprintf(stderr, ", %.0f %s/s", rate, label);
	/* Bytes count only where the stream reports them: a BERT model is
	 * measured in posts, not megabytes. */
	if (bytes > 0 && el > 0)
		fprintf(stderr, ", %.1f MB/s", bytes / el / 1e6);
	if (total && bytes > 0 && bytes <= total)
		fprintf(stderr, ", ETA %.0fs", el * (double)(total - bytes) / (double)bytes);
	fputs("\033[K", stderr);
	drawn = 1;
}

void progress_end(void)
{
	if (drawn)
		fputs("\r\033[K", stderr);
	drawn = 0;
}

unsigned long long progress_total_of(char *const *files, int n)
{
	unsigned long long sum = 0;

	for (int i = 0; i < n; i++) {
		struct stat st;
		unsigned char magic[2] = {0, 0};
		int fd;

		if (strcmp(files[i], "-") == 0 || stat(files[i], &st) != 0 || !S_ISREG(st.st_mode))
			return 0;
		fd = open(files[i], O_RDONLY);
		if (fd >= 0) {
			ssize_t got = read(fd, magic, 2);
			close(fd);
			if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
				return 0;
		}
		sum += (unsigned long long)st.st_size;
	}
	return sum;
}
