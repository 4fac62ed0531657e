/*
 * dbuf: a growable buffer born with a hard maximum (curl's dynbuf). Every
 * response body, every accumulated request body and every generated SQL text
 * goes through one, so no input can make a buffer grow without bound.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dbuf_init(struct dbuf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int dbuf_grow(struct dbuf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return LIA_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return LIA_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->ptr, cap);
    if (!p)
        return LIA_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return LIA_OK;
}

int dbuf_reserve(struct dbuf *b, size_t n)
{
    return dbuf_grow(b, n);
}

int dbuf_append(struct dbuf *b, const void *data, size_t n)
{
    int rc = dbuf_grow(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return LIA_OK;
}

int dbuf_puts(struct dbuf *b, const char *z)
{
    return dbuf_append(b, z, strlen(z));
}

int dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    int rc;
    if (n < 0) {
        rc = LIA_EINTERNAL;
    } else if ((size_t)n < sizeof small) {
        rc = dbuf_append(b, small, (size_t)n);
    } else if ((rc = dbuf_grow(b, (size_t)n)) == 0) {
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return rc;
}

int dbuf_json_string(struct dbuf *b, const char *z, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = dbuf_append(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)z[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = dbuf_append(b, z + start, i - start);
        char esc[7] = {'\\', 0};
        size_t elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (rc == 0)
            rc = dbuf_append(b, esc, elen);
        start = i + 1;
    }
    if (rc == 0)
        rc = dbuf_append(b, z + start, n - start);
    if (rc == 0)
        rc = dbuf_append(b, "\"", 1);
    return rc;
}

void dbuf_reset(struct dbuf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *dbuf_detach(struct dbuf *b, size_t *len)
{
    char *p = b->ptr;
    if (!p)
        p = calloc(1, 1);
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

void dbuf_release(struct dbuf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}
