/*
 * fuzz.h — what every libFuzzer harness in tests/fuzz shares: the input
 * bytes as a file: the readers under test take paths, so each input is
 * written into one memfd and opened as /proc/self/fd/N (no disk I/O).
 *
 * Header-only and static: each harness is one translation unit linked with
 * -fsanitize=fuzzer (tests/fuzz/fuzz.mk builds them, tests/fuzz/run.sh
 * runs them). Nothing here is part of herd.
 */
#ifndef HERD_FUZZ_H
#define HERD_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding exactly data[0..size); the same file is
 * rewritten for every input. Aborts (a harness bug, not a finding) when
 * the memfd cannot be made. */
__attribute__((unused)) static const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("herd-fuzz", 0);
		if (fd < 0) {
			perror("fuzz: memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz: writing the input");
		abort();
	}
	return path;
}

#endif
