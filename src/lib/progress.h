/*
 * progress.h — a one-line progress report on stderr ("records, rate,
 * ETA") when stderr is a terminal, and nothing at all in cron or pipes
 * to files (DESIGN.md §5). Cheap enough to call for every record: it looks
 * at the clock only every 256 calls and redraws at most 4 times a second.
 */
#ifndef HERD_PROGRESS_H
#define HERD_PROGRESS_H

/* Begin reporting work named what ("records"); total_bytes 0 = unknown. */
void progress_start(const char *what, unsigned long long total_bytes);
void progress_update(unsigned long long count, unsigned long long bytes);
/* Erase the progress line (if one was drawn). */
void progress_end(void);

#endif
