/*
 * A fast parse of one envelope element: speed machinery only, no meaning. jansson's reader
 * takes each byte through a function pointer and copies every string twice; on ingest it was
 * the largest single cost of the server (bench/RESULTS.md). The parsing threads (stream.c)
 * try this reader first and use json_loadb for anything it does not take.
 *
 * The contract is one-sided: whatever this accepts, json_loadb(JSON_REJECT_DUPLICATES)
 * accepts too and builds the same tree (the same values of the same jansson types, members
 * in the same order); anything else it refuses, and jansson then decides and words the
 * error. So it accepts only a JSON object in strict RFC 8259 syntax and strict UTF-8 (no
 * overlong forms, no surrogates, nothing past U+10FFFF), without NUL in any string (neither
 * raw nor \u0000), without duplicate keys, nested at most 512 deep, with integers that fit
 * in 64 bits and reals that do not overflow; a number written with more than 60 characters
 * is left to jansson. test_fast_parse compares both readers on valid and broken inputs.
 */
#include "stix/stix_internal.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512
#define MAX_NUMBER 60

struct reader {
    const unsigned char *p, *end;
    unsigned depth;
    char *buf; /* decoded strings with escapes; as long as the element, made on first use */
    size_t cap;
};

static void skip_ws(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* Length of the valid UTF-8 sequence of a multi-byte character at p (first byte >= 0x80),
 * or 0: overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || (size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3) {
        unsigned cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    } else if (n == 4) {
        unsigned cp =
            ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
        if (cp < 0x10000 || cp > 0x10FFFF)
            return 0;
    }
    return n;
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        int d = c >= '0' && c <= '9'   ? (int)c - '0'
                : c >= 'a' && c <= 'f' ? (int)c - 'a' + 10
                : c >= 'A' && c <= 'F' ? (int)c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *t, unsigned cp)
{
    if (cp < 0x80) {
        t[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    t[0] = (char)(0xF0 | (cp >> 18));
    t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    t[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string whose opening quote r->p is at: *s and *len its decoded bytes (in the text when
 * it has no escape, else in r->buf, valid until the next string). False when refused. */
static bool read_string(struct reader *r, const char **s, size_t *len)
{
    const unsigned char *start = ++r->p;
    const unsigned char *p = start;
    while (p < r->end && *p != '"' && *p != '\\' && *p >= 0x20) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_len(p, r->end);
        if (n == 0)
            return false;
        p += n;
    }
    if (p < r->end && *p == '"') { /* no escape: the text itself */
        *s = (const char *)start;
        *len = (size_t)(p - start);
        r->p = p + 1;
        return true;
    }
    if (p >= r->end || *p != '\\')
        return false; /* a control character (NUL too) or the end */
    if (!r->buf) {
        r->cap = (size_t)(r->end - start) + 1;
        if (!(r->buf = malloc(r->cap)))
            return false;
    }
    char *t = r->buf;
    memcpy(t, start, (size_t)(p - start));
    t += p - start;
    while (p < r->end && *p != '"') {
        if (*p < 0x20)
            return false;
        if (*p >= 0x80) {
            size_t n = utf8_len(p, r->end);
            if (n == 0)
                return false;
            memcpy(t, p, n);
            t += n, p += n;
            continue;
        }
        if (*p != '\\') {
            *t++ = (char)*p++;
            continue;
        }
        if (++p >= r->end)
            return false;
        unsigned char e = *p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            *t++ = (char)e;
            break;
        case 'b':
            *t++ = '\b';
            break;
        case 'f':
            *t++ = '\f';
            break;
        case 'n':
            *t++ = '\n';
            break;
        case 'r':
            *t++ = '\r';
            break;
        case 't':
            *t++ = '\t';
            break;
        case 'u': {
            int cp = hex4(p, r->end);
            p += 4;
            if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) /* \u0000, a lone low surrogate */
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int lo = r->end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2, r->end) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            t += put_utf8(t, (unsigned)cp);
            break;
        }
        default:
            return false;
        }
    }
    if (p >= r->end)
        return false;
    *s = r->buf;
    *len = (size_t)(t - r->buf);
    r->p = p + 1;
    return true;
}

static bool point_is_dot(void)
{
    const struct lconv *l = localeconv();
    return l && l->decimal_point && !strcmp(l->decimal_point, ".");
}

static json_t *read_number(struct reader *r)
{
    const unsigned char *p = r->p;
    bool real = false;
    if (p < r->end && *p == '-')
        p++;
    if (p < r->end && *p == '0') {
        p++;
    } else if (p < r->end && *p >= '1' && *p <= '9') {
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < r->end && *p == '.') {
        real = true;
        if (++p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        real = true;
        if (++p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - r->p);
    char tok[MAX_NUMBER + 1];
    if (n > MAX_NUMBER || (real && !point_is_dot()))
        return NULL;
    memcpy(tok, r->p, n);
    tok[n] = '\0';
    char *stop;
    errno = 0;
    json_t *v;
    if (real) {
        double d = strtod(tok, &stop);
        if (errno == ERANGE && (d > 1.0 || d < -1.0)) /* overflow; jansson takes underflow */
            return NULL;
        v = json_real(d);
    } else {
        long long i = strtoll(tok, &stop, 10);
        if (errno == ERANGE)
            return NULL;
        v = json_integer((json_int_t)i);
    }
    if (stop != tok + n) {
        json_decref(v);
        return NULL;
    }
    r->p = p;
    return v;
}

static json_t *read_value(struct reader *r);

/* Steps into the container whose opening byte r->p is at: 0 when it is empty (and closed
 * again), 1 when a member follows, -1 when it is nested too deep. */
static int enter(struct reader *r, unsigned char close)
{
    if (++r->depth > MAX_DEPTH)
        return -1;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return 0;
    }
    return 1;
}

/* After a member: 1 at a comma (another follows), 0 at close (the container ends), else -1. */
static int next(struct reader *r, unsigned char close)
{
    skip_ws(r);
    if (r->p < r->end && *r->p == ',') {
        r->p++;
        skip_ws(r);
        return 1;
    }
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return 0;
    }
    return -1;
}

/* One member of an object: its key, a colon and its value, set in o. */
static bool read_member(struct reader *r, json_t *o)
{
    const char *key;
    size_t klen;
    if (r->p >= r->end || *r->p != '"' || !read_string(r, &key, &klen))
        return false;
    if (json_object_getn(o, key, klen))
        return false;  /* a duplicate key: jansson words it */
    char *copy = NULL; /* a key with escapes is in r->buf, which the value may reuse */
    if (key == r->buf) {
        if (!(copy = malloc(klen + 1)))
            return false;
        memcpy(copy, key, klen);
        key = copy;
    }
    skip_ws(r);
    json_t *v = NULL;
    if (r->p < r->end && *r->p == ':') {
        r->p++;
        skip_ws(r);
        v = read_value(r);
    }
    int rc = v ? json_object_setn_new_nocheck(o, key, klen, v) : -1;
    free(copy);
    return rc == 0;
}

static json_t *read_object(struct reader *r)
{
    json_t *o = json_object();
    int more = o ? enter(r, '}') : -1;
    while (more == 1)
        more = read_member(r, o) ? next(r, '}') : -1;
    if (more == 0)
        return o;
    json_decref(o);
    return NULL;
}

static json_t *read_array(struct reader *r)
{
    json_t *a = json_array();
    int more = a ? enter(r, ']') : -1;
    while (more == 1) {
        json_t *v = read_value(r);
        more = v && json_array_append_new(a, v) == 0 ? next(r, ']') : -1;
    }
    if (more == 0)
        return a;
    json_decref(a);
    return NULL;
}

/* true, false or null, not followed by a letter (jansson reads a run of letters as one word). */
static bool literal(struct reader *r, const char *word, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return r->p >= r->end || !((*r->p >= 'a' && *r->p <= 'z') || (*r->p >= 'A' && *r->p <= 'Z'));
}

static json_t *read_value(struct reader *r)
{
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        return read_object(r);
    case '[':
        return read_array(r);
    case '"': {
        const char *s;
        size_t len;
        if (!read_string(r, &s, &len))
            return NULL;
        return json_stringn_nocheck(s, len); /* read_string checked it: strict UTF-8, no NUL */
    }
    case 't':
        return literal(r, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(r, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(r, "null", 4) ? json_null() : NULL;
    default:
        return read_number(r);
    }
}

json_t *stix_fast_parse_object(const char *text, size_t len)
{
    struct reader r = {(const unsigned char *)text, (const unsigned char *)text + len, 0, NULL, 0};
    skip_ws(&r);
    json_t *o = r.p < r.end && *r.p == '{' ? read_object(&r) : NULL;
    skip_ws(&r);
    if (o && r.p != r.end) { /* something after the object */
        json_decref(o);
        o = NULL;
    }
    free(r.buf);
    return o;
}
