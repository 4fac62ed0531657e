/*
 * Progress of long transfers (pull, push, export, import). On a terminal a
 * live line shows objects, bytes, rate and, when the total is known, the
 * time left; it is redrawn at most five times a second. Off a terminal
 * nothing is printed until the end. Either way the run ends with one
 * summary line on stdout, so logs and scripts get one line per run.
 */
#include "exchange/exchange.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void exchange_progress_init(struct exchange_progress *p, const char *what, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->out = out;
    p->tty = out && isatty(fileno(out));
    p->start_us = lia_now_us();
}

static void human_bytes(uint64_t b, char out[32])
{
    if (b >= 1024 * 1024)
        snprintf(out, 32, "%.1f MB", (double)b / (1024.0 * 1024.0));
    else
        snprintf(out, 32, "%.1f kB", (double)b / 1024.0);
}

static void line(struct exchange_progress *p, char *buf, size_t size)
{
    double secs = (double)(lia_now_us() - p->start_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    char bytes[32];
    human_bytes(p->bytes, bytes);
    int n = snprintf(buf, size, "%s: %llu objects, %s in %.1f s (%.0f objects/s, %.1f MB/s)",
                     p->what, (unsigned long long)p->objects, bytes, secs,
                     (double)p->objects / secs, (double)p->bytes / secs / (1024.0 * 1024.0));
    if (p->total_objects && p->objects && p->objects < p->total_objects && n > 0 &&
        (size_t)n < size) {
        double left = (double)(p->total_objects - p->objects) / ((double)p->objects / secs);
        snprintf(buf + n, size - (size_t)n, ", %llu of %llu, ETA %.0f s",
                 (unsigned long long)p->objects, (unsigned long long)p->total_objects, left);
    }
}

void exchange_progress_add(struct exchange_progress *p, uint64_t objects, uint64_t bytes)
{
    if (!p)
        return;
    p->objects += objects;
    p->bytes += bytes;
    if (!p->out || !p->tty)
        return;
    int64_t now = lia_now_us();
    if (now - p->drawn_us < 200000)
        return;
    p->drawn_us = now;
    char buf[256];
    line(p, buf, sizeof buf);
    fprintf(p->out, "\r\033[K%s", buf);
    fflush(p->out);
}

void exchange_progress_done(struct exchange_progress *p, const char *extra)
{
    if (!p || !p->out)
        return;
    char buf[256];
    line(p, buf, sizeof buf);
    if (p->tty && p->drawn_us) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    printf("%s%s%s\n", buf, extra ? "; " : "", extra ? extra : "");
    fflush(stdout);
}
