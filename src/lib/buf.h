/*
 * buf.h — a growable byte buffer, for building output lines and strings
 * without fixed-size arrays. The buffer is always NUL-terminated after
 * buf_* calls, so b->p can be used as a C string.
 *
 * Ownership: buf_init fills a struct the caller owns; buf_free releases
 * its memory (and leaves an empty buffer). buf_free on an empty buf is a
 * no-op.
 */
#ifndef HERD_BUF_H
#define HERD_BUF_H

#include <stddef.h>

typedef struct buf {
	char *p;    /* data, NUL-terminated; NULL until first write */
	size_t len; /* bytes used, excluding the NUL */
	size_t cap; /* bytes allocated */
} buf_t;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf_t *b);
void buf_free(buf_t *b);
void buf_reset(buf_t *b); /* len = 0, keep memory */
void buf_reserve(buf_t *b, size_t extra);
void buf_put(buf_t *b, const void *data, size_t n);
void buf_puts(buf_t *b, const char *s);
/* Append one byte (inline: the JSON writer calls it for every brace). */
static inline void buf_putc(buf_t *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (free() them) and leave b empty. */
char *buf_steal(buf_t *b);

#endif
