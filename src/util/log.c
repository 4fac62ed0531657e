/*
 * Logging: one JSON object per line on stderr, never a secret in it. Lines of
 * several threads never interleave; a server buffers info lines per thread
 * (lia_log_buffer).
 */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
