/*
 * Strict JSON for STIX: parsing with limits.
 *
 * jansson does the parsing (JSON_REJECT_DUPLICATES, no JSON_ALLOW_NUL, end-of-input
 * check on, so trailing garbage, duplicate keys at any level, invalid UTF-8, lone
 * surrogate escapes and \u0000 are all refused). jansson's nesting limit is fixed
 * at compile time, so a cheap pre-scan of the bytes enforces limits->max_depth
 * and limits->max_string first, before any tree is built: a hostile body costs
 * one linear pass and no allocation. Strings are measured by their decoded
 * length in bytes (an escape counts as the bytes it stands for).
 *
 * The envelope rules and the byte spans of its items are in envelope.c; the parse of a
 * large envelope on two threads is in stream.c.
 */
#include "stix/stix_internal.h"

#include <string.h>

#define STIX_DEFAULT_MAX_DEPTH 64
#define STIX_DEFAULT_MAX_STRING (1024 * 1024)
#define STIX_DEFAULT_MAX_OBJECTS 100000

struct stix_json_limits stix_effective_limits(const struct stix_limits *l)
{
    struct stix_json_limits e = {STIX_DEFAULT_MAX_DEPTH, STIX_DEFAULT_MAX_STRING,
                                 STIX_DEFAULT_MAX_OBJECTS};
    if (l && l->max_depth)
        e.depth = l->max_depth;
    if (l && l->max_string)
        e.string = l->max_string;
    if (l && l->max_objects)
        e.objects = l->max_objects;
    return e;
}

/* Line and column (1-based, column in bytes) of byte offset off. Only used on error paths. */
static void position_of(const char *t, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (t[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Value of the 4 hex digits at t[i..i+4), or -1. */
long stix_hex4(const char *t, size_t n, size_t i)
{
    if (i + 4 > n)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hex_nibble(t[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* One pass over the raw bytes: nesting depth, decoded string lengths, raw NUL bytes.
 * Syntax errors are left to jansson. */
int stix_prescan(const char *t, size_t n, const struct stix_json_limits *lim, struct lia_err *err)
{
    size_t depth = 0, line, col;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '"') {
            size_t start = i, decoded = 0;
            for (i++; i < n && t[i] != '"'; i++) {
                if (t[i] == '\0')
                    break;
                if (t[i] == '\\' && i + 1 < n) {
                    i++;
                    if (t[i] == 'u') {
                        long cp = stix_hex4(t, n, i + 1);
                        long lo = -1;
                        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && t[i + 5] == '\\' &&
                            t[i + 6] == 'u')
                            lo = stix_hex4(t, n, i + 7);
                        if (lo >= 0xDC00 && lo <= 0xDFFF) {
                            decoded += 4;
                            i += 10;
                        } else {
                            decoded += cp < 0 ? 1 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
                            if (cp >= 0)
                                i += 4;
                        }
                        continue;
                    }
                }
                decoded++;
            }
            if (i < n && t[i] == '\0') {
                position_of(t, i, &line, &col);
                return lia_err_set(err, STIX_EJSON,
                                   "JSON error at byte %zu (line %zu, column "
                                   "%zu): NUL byte in a string",
                                   i, line, col);
            }
            if (decoded > lim->string) {
                position_of(t, start, &line, &col);
                return lia_err_set(err, LIA_ETOOBIG,
                                   "string at byte %zu (line %zu, column %zu) "
                                   "is longer than the limit of %zu bytes",
                                   start, line, col, lim->string);
            }
        } else if (c == '{' || c == '[') {
            if (++depth > lim->depth) {
                position_of(t, i, &line, &col);
                return lia_err_set(err, LIA_ETOOBIG,
                                   "JSON nesting deeper than the limit of %zu "
                                   "at byte %zu (line %zu, column %zu)",
                                   lim->depth, i, line, col);
            }
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
        } else if (c == '\0') {
            position_of(t, i, &line, &col);
            return lia_err_set(err, STIX_EJSON,
                               "JSON error at byte %zu (line %zu, column %zu): "
                               "NUL byte",
                               i, line, col);
        }
    }
    return LIA_OK;
}

int stix_parse_strict(const char *text, size_t len, const struct stix_json_limits *lim,
                      json_t **out, struct lia_err *err)
{
    *out = NULL;
    if (!text)
        return lia_err_set(err, STIX_EJSON, "empty body: a JSON document is required");
    int rc = stix_prescan(text, len, lim, err);
    if (rc)
        return rc;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return lia_err_set(err, LIA_ENOMEM, "out of memory parsing JSON");
        return lia_err_set(err, STIX_EJSON, "JSON error at byte %d (line %d, column %d): %s",
                           je.position, je.line, je.column, je.text);
    }
    *out = root;
    return LIA_OK;
}

int stix_parse_json(const char *text, size_t len, const struct stix_limits *limits, json_t **out,
                    struct lia_err *err)
{
    struct stix_json_limits lim = stix_effective_limits(limits);
    json_t *root;
    *out = NULL;
    int rc = stix_parse_strict(text, len, &lim, &root, err);
    if (rc)
        return rc;
    json_t *list = json_is_array(root) ? root : json_object_get(root, "objects");
    if (json_is_array(list) && json_array_size(list) > lim.objects) {
        size_t count = json_array_size(list);
        json_decref(root);
        return lia_err_set(err, LIA_ETOOBIG, "%zu objects, more than the limit of %zu", count,
                           lim.objects);
    }
    *out = root;
    return LIA_OK;
}
