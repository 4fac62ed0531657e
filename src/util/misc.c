/*
 * Small helpers without a better home: clock, strict integer parsing,
 * base64url, JSON-lines logging and whole-file I/O. gmtime and atoi are
 * banned elsewhere (style.md); these are the sanctioned replacements.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

int64_t lia_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* Writes v as exactly n decimal digits (zero-padded) and returns the end. */
static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

void lia_format_ts(int64_t us, int digits, char out[32])
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* outside RFC 3339; never produced by the store */
        int n = snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
                         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        snprintf(out + n, 32 - (size_t)n, "Z");
        return;
    }
    /* By hand: this runs for every date header and log line, where snprintf showed. */
    char *p = put_digits(out, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, rem / 3600, 2);
    *p++ = ':';
    p = put_digits(p, rem / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, rem % 60, 2);
    if (digits == 3 || digits == 6) {
        *p++ = '.';
        p = digits == 3 ? put_digits(p, frac / 1000, 3) : put_digits(p, frac, 6);
    }
    *p++ = 'Z';
    *p = '\0';
}

void lia_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = '\0';
}

int lia_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && s[0] == '-' && min < 0) {
        neg = true;
        i = 1;
    }
    if (i >= n || n - i > 18)
        return LIA_EINVAL;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LIA_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return LIA_EINVAL;
    *out = v;
    return LIA_OK;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t lia_b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void lia_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
}

static int b64url_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long lia_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outmax)
{
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outmax)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero, or two encodings would decode alike. */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

static enum lia_log_level log_level = LIA_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void lia_log_set_level(enum lia_log_level lvl)
{
    log_level = lvl;
}

static void log_write(const char *p, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(STDERR_FILENO, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/*
 * Buffered info lines (lia_log_buffer): a server thread appends its info and debug lines
 * to its own buffer and writes the buffer with one write(2) when it fills; a flusher
 * thread writes every buffer at least every flush_ms. A warning or error first writes
 * its thread's buffer, then itself, so a thread's lines stay in order. One write(2) per
 * request line cost the small GETs about a fifth of their rate.
 */
#define LOG_BUF_SIZE 16384

struct log_buf {
    pthread_mutex_t lock;
    size_t len;
    struct log_buf *next;
    char data[LOG_BUF_SIZE];
};

static struct {
    pthread_mutex_t lock; /* guards head and the flusher's state */
    pthread_cond_t wake;
    struct log_buf *head;
    pthread_key_t key;
    pthread_t flusher;
    int flush_ms;
    bool on, stop;
} lb = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void buf_write(struct log_buf *b) /* b->lock held */
{
    if (b->len) {
        pthread_mutex_lock(&log_lock);
        log_write(b->data, b->len);
        pthread_mutex_unlock(&log_lock);
        b->len = 0;
    }
}

static void flush_all(void)
{
    pthread_mutex_lock(&lb.lock);
    for (struct log_buf *b = lb.head; b; b = b->next) {
        pthread_mutex_lock(&b->lock);
        buf_write(b);
        pthread_mutex_unlock(&b->lock);
    }
    pthread_mutex_unlock(&lb.lock);
}

static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lb.lock);
    while (!lb.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)lb.flush_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&lb.wake, &lb.lock, &ts);
        for (struct log_buf *b = lb.head; b; b = b->next) {
            pthread_mutex_lock(&b->lock);
            buf_write(b);
            pthread_mutex_unlock(&b->lock);
        }
    }
    pthread_mutex_unlock(&lb.lock);
    return NULL;
}

/* Thread exit: the buffer is written and unlinked. */
static void buf_destroy(void *p)
{
    struct log_buf *b = p;
    pthread_mutex_lock(&lb.lock);
    for (struct log_buf **pp = &lb.head; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    pthread_mutex_lock(&b->lock);
    buf_write(b);
    pthread_mutex_unlock(&b->lock);
    pthread_mutex_unlock(&lb.lock);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static struct log_buf *thread_buf(void)
{
    struct log_buf *b = pthread_getspecific(lb.key);
    if (b)
        return b;
    b = malloc(sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->len = 0;
    pthread_mutex_lock(&lb.lock);
    b->next = lb.head;
    lb.head = b;
    pthread_mutex_unlock(&lb.lock);
    if (pthread_setspecific(lb.key, b) != 0) {
        buf_destroy(b);
        return NULL;
    }
    return b;
}

int lia_log_buffer(int flush_ms)
{
    if (lb.on || flush_ms <= 0)
        return 0;
    if (pthread_key_create(&lb.key, buf_destroy) != 0)
        return -1;
    lb.flush_ms = flush_ms;
    lb.stop = false;
    if (pthread_create(&lb.flusher, NULL, flusher_main, NULL) != 0) {
        pthread_key_delete(lb.key);
        return -1;
    }
    lb.on = true;
    return 0;
}

void lia_log_flush(void)
{
    if (!lb.on)
        return;
    pthread_mutex_lock(&lb.lock);
    lb.stop = true;
    pthread_cond_signal(&lb.wake);
    pthread_mutex_unlock(&lb.lock);
    pthread_join(lb.flusher, NULL);
    lb.on = false; /* later lines are written at once */
    flush_all();
}

void lia_log(enum lia_log_level lvl, const char *event, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (lvl < log_level)
        return;
    /* One buffer and one write(2) per line (or per buffer), so that lines of several
     * threads never interleave: a regular file or a pipe takes a write this small whole. */
    char line[2304];
    char ts[32];
    lia_format_ts(lia_now_us(), 6, ts);
    int n = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"%s\"", ts,
                     names[lvl], event);
    if (n < 0 || (size_t)n >= sizeof line - 3)
        return;
    size_t len = (size_t)n;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        line[len++] = ',';
        int m = vsnprintf(line + len, sizeof line - len - 2, fmt, ap);
        va_end(ap);
        if (m < 0)
            m = 0;
        len += (size_t)m < sizeof line - len - 2 ? (size_t)m : sizeof line - len - 3;
    }
    line[len++] = '}';
    line[len++] = '\n';
    struct log_buf *b = lb.on ? thread_buf() : NULL;
    if (b) {
        pthread_mutex_lock(&b->lock);
        if (lvl > LIA_LOG_INFO || b->len + len > sizeof b->data)
            buf_write(b);
        if (lvl <= LIA_LOG_INFO) {
            memcpy(b->data + b->len, line, len);
            b->len += len;
            pthread_mutex_unlock(&b->lock);
            return;
        }
        pthread_mutex_unlock(&b->lock);
    }
    pthread_mutex_lock(&log_lock); /* keeps the order of lines in a file stderr shares */
    log_write(line, len);
    pthread_mutex_unlock(&log_lock);
}

int lia_read_file(const char *path, size_t max, char **out, size_t *len, struct lia_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lia_err_set(err, errno == ENOENT ? LIA_ENOTFOUND : LIA_EIO, "cannot open %s: %s",
                           path, strerror(errno));
    struct dbuf b;
    dbuf_init(&b, max);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = dbuf_append(&b, chunk, n);
    if (rc == 0 && ferror(f))
        rc = LIA_EIO;
    fclose(f);
    if (rc) {
        dbuf_release(&b);
        return lia_err_set(err, rc,
                           rc == LIA_ETOOBIG ? "%s is larger than %zu bytes" : "cannot read %s",
                           path, max);
    }
    *out = dbuf_detach(&b, len);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int lia_write_file(const char *path, const void *data, size_t len, int mode, struct lia_err *err)
{
    /* A device, pipe or socket is written in place: renaming over it would replace it
     * (a rename over /dev/null makes it a regular file for every process). */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode))
            return lia_err_set(err, LIA_EINVAL, "%s is a directory", path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return lia_err_set(err, LIA_EIO, "cannot open %s: %s", path, strerror(errno));
        int rc = write_all(fd, data, len);
        int saved = errno;
        close(fd);
        return rc ? lia_err_set(err, LIA_EIO, "cannot write %s: %s", path, strerror(saved)) : 0;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        return lia_err_set(err, LIA_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return lia_err_set(err, LIA_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (write_all(fd, data, len) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot write %s: %s", tmp, strerror(saved));
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return lia_err_set(err, LIA_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    }
    return 0;
}
