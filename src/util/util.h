/*
 * util: the base layer every other layer stands on.
 *
 * Invariants of the types here:
 *  - struct lia_err always holds a NUL-terminated message; code 0 means "no
 *    error". Functions that fail fill it and return the same negative code.
 *  - struct arena owns every block it hands out; arena_release frees them all
 *    at once. Blocks are never freed one by one.
 *  - struct dbuf is never NULL-data after dbuf_init: buf.ptr is always
 *    NUL-terminated, buf.len excludes the NUL, and it never grows beyond
 *    buf.max bytes (appending past it fails with LIA_ETOOBIG and leaves the
 *    buffer as it was).
 *  - struct lia_str is a borrowed {ptr, len} view; it does not own memory and
 *    need not be NUL-terminated.
 */
#ifndef LIAISON_UTIL_H
#define LIAISON_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Result codes shared by every layer. Layers may add their own below -100. */
enum lia_rc {
    LIA_OK = 0,
    LIA_ENOMEM = -1,     /* allocation failed */
    LIA_EINVAL = -2,     /* bad input from a caller or user */
    LIA_ETOOBIG = -3,    /* a configured limit was crossed */
    LIA_ENOTFOUND = -4,  /* no such thing (or not visible: same answer) */
    LIA_EIO = -5,        /* file, socket or database failure */
    LIA_EFORBIDDEN = -6, /* the principal may not do this */
    LIA_EUNAUTH = -7,    /* no or bad credentials */
    LIA_ECONFLICT = -8,  /* exists already / state does not allow it */
    LIA_EUNSUPPORTED = -9,
    LIA_EBUSY = -10,     /* try again later (rate limit, lock) */
    LIA_EINTERNAL = -11, /* our own bug */
    LIA_ENOSPC = -12,    /* the disk is full: nothing was written; try again once freed */
};

struct lia_err {
    int code;
    char msg[512];
};

/* Fills err (if not NULL) and returns code, so callers can `return lia_err_set(...)`. */
int lia_err_set(struct lia_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#ifdef __clang_analyzer__
/* Tells the static analyzer what it cannot see across files: the result is `code`. */
#define lia_err_set(err, code, ...) (lia_err_set((err), (code), __VA_ARGS__), (code))
#endif
void lia_err_clear(struct lia_err *err);
const char *lia_rc_name(int code);

struct lia_str {
    const char *ptr;
    size_t len;
};
#define LIA_STR(lit) ((struct lia_str){(lit), sizeof(lit) - 1})
bool lia_str_eq(struct lia_str a, const char *z);

/* Arena: request-scoped memory, freed whole. max bounds the total it hands out. */
struct arena_block;
struct arena {
    struct arena_block *head;
    size_t used;
    size_t max;
    bool refused; /* an allocation was refused for crossing max */
};
void arena_init(struct arena *a, size_t max);
/* Returns zeroed memory owned by the arena, or NULL when out of memory or over max. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Counts n bytes that another thread allocated elsewhere for the arena's owner toward max,
 * as if they came from the arena; false (refused set) when that would cross max. */
bool arena_charge(struct arena *a, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_release(struct arena *a);

/* Interned strings (intern.c): equal texts become one pointer and a number, first come
 * first numbered, in the arena a. cap: the slots to start with (grown as needed). */
struct lia_interner {
    const char **slot; /* NULL: empty */
    size_t *len;
    uint32_t *num;
    size_t cap, n;
    struct arena *a;
};
int lia_intern_init(struct lia_interner *t, size_t cap, struct arena *a);
/* The one pointer for s[0..n) (copied into the arena the first time when copy, else s itself,
 * which must then live as long), its number in *num (may be NULL); NULL when out of memory. */
const char *lia_intern(struct lia_interner *t, const char *s, size_t n, bool copy, uint32_t *num);
/* The same without adding: NULL when s[0..n) is not interned. */
const char *lia_intern_find(const struct lia_interner *t, const char *s, size_t n, uint32_t *num);
/* rank[number]: the strings' places in byte order. */
uint32_t *lia_intern_ranks(const struct lia_interner *t, struct arena *a);

/* Growable byte buffer with a hard maximum (a denial-of-service guard). */
struct dbuf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t max;
};
void dbuf_init(struct dbuf *b, size_t max);
int dbuf_append(struct dbuf *b, const void *data, size_t n);
/* Makes room for n more bytes at once (one allocation instead of doublings); within max. */
int dbuf_reserve(struct dbuf *b, size_t n);
int dbuf_puts(struct dbuf *b, const char *z);
int dbuf_printf(struct dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends z as a JSON string literal with quotes, escaping as RFC 8259 asks. */
int dbuf_json_string(struct dbuf *b, const char *z, size_t n);
void dbuf_reset(struct dbuf *b);
/* Hands the memory to the caller (free() it); the buffer is empty afterwards. */
char *dbuf_detach(struct dbuf *b, size_t *len);
void dbuf_release(struct dbuf *b);

/* Time. All timestamps inside liaison are int64 microseconds since the Unix epoch, UTC. */
int64_t lia_now_us(void);
/* Formats us as RFC 3339 UTC with exactly `digits` fractional digits (0, 3 or 6): out >= 32 bytes.
 */
void lia_format_ts(int64_t us, int digits, char out[32]);

/* A random (version 4, RFC 4122) UUID in lowercase text, from libsodium's generator. */
void lia_uuid4(char out[37]);

/* Strict decimal parse of [s, s+n) into *out within [min, max]; no sign unless min < 0. */
int lia_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* Base64url without padding. encode: out must hold lia_b64url_len(n)+1 bytes. */
size_t lia_b64url_len(size_t n);
void lia_b64url_encode(const unsigned char *in, size_t n, char *out);
/* Returns decoded length, or -1 on any invalid character or length. out holds n*3/4+1. */
long lia_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outmax);

/* Logging: one JSON object per line on stderr. Never pass secrets. */
enum lia_log_level { LIA_LOG_DEBUG, LIA_LOG_INFO, LIA_LOG_WARN, LIA_LOG_ERROR };
void lia_log_set_level(enum lia_log_level lvl);
/* From now on each thread gathers its info and debug lines in a buffer written when full
 * and at least every flush_ms by a flusher thread (0: off, every line written at once).
 * Warnings and errors are written at once, after their thread's buffer. */
int lia_log_buffer(int flush_ms);
/* Stops the flusher and writes every buffer; later lines are written at once. */
void lia_log_flush(void);
/* msg is a short event name; fmt formats extra "key":value JSON members (may be NULL). */
void lia_log(enum lia_log_level lvl, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a whole file up to max bytes. Caller frees *out. */
int lia_read_file(const char *path, size_t max, char **out, size_t *len, struct lia_err *err);
/* Writes a file atomically (temp + rename) with the given mode. */
int lia_write_file(const char *path, const void *data, size_t len, int mode, struct lia_err *err);

#endif
