/*
 * progress.h — a one-line progress report on stderr ("12,345 posts
 * (37%), 850 posts/s, 4.1 MB/s, ETA 20s") when stderr is a terminal, and nothing at all in cron or pipes
 * to files (DESIGN.md §5). Cheap enough to call for every record: it looks
 * at the clock only every 256 calls and redraws at most 4 times a second.
 */
#ifndef HERD_PROGRESS_H
#define HERD_PROGRESS_H

/* Begin reporting work named what ("records"); total_bytes 0 = unknown.
 * With a total, the line shows how far through it is and an ETA. */
void progress_start(const char *what, unsigned long long total_bytes);
/* The total size of files[0..n) when it is known: 0 when one of them is
 * stdin ("-"), not a regular file, or gzip-compressed (the bytes read
 * then are not the file's bytes). */
unsigned long long progress_total_of(char *const *files, int n);
void progress_update(unsigned long long count, unsigned long long bytes);
/* Erase the progress line (if one was drawn). */
void progress_end(void);

#endif
