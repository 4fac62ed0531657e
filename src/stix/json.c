/*
 * Strict JSON for STIX: parsing with limits, and the byte spans of envelope items.
 *
 * jansson does the parsing (JSON_REJECT_DUPLICATES, no JSON_ALLOW_NUL, end-of-input
 * check on, so trailing garbage, duplicate keys at any level, invalid UTF-8, lone
 * surrogate escapes and \u0000 are all refused). jansson's nesting limit is fixed
 * at compile time, so a cheap pre-scan of the bytes enforces limits->max_depth
 * and limits->max_string first, before any tree is built: a hostile body costs
 * one linear pass and no allocation. Strings are measured by their decoded
 * length in bytes (an escape counts as the bytes it stands for).
 *
 * Spans: once jansson has accepted the text, a small scanner walks the
 * top-level object to its "objects" member and splits that array's elements.
 * It may assume well-formed input, so it only tracks strings and nesting.
 * Each span starts at the element's first byte and ends after its last one
 * (surrounding whitespace excluded), which is what the store keeps verbatim.
 *
 * Envelope rules (decided here, documented in docs/stix-validation.md):
 *  - a body with "type": "bundle" is a STIX bundle; it must have a valid
 *    "bundle--" id; a "spec_version" other than "2.1" on it (STIX 2.0 bundles
 *    carry "2.0") is refused with STIX_EVERSION;
 *  - a body with another "type" is a lone object, not an envelope: STIX_EINVALID;
 *  - a body without "type" is a TAXII envelope ("more"/"next" ignored), unless it
 *    has "id" or "spec_version", which only a bundle has: then it is a bundle that
 *    lost its type, refused with STIX_EINVALID;
 *  - "objects" is optional, must be an array, and every element must be a JSON
 *    object; one element that is not makes the whole body STIX_EINVALID (there is
 *    no object to report a per-object status about, so nothing sensible to keep).
 */
#include "stix/stix.h"
#include "stix/stix_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STIX_DEFAULT_MAX_DEPTH 64
#define STIX_DEFAULT_MAX_STRING (1024 * 1024)
#define STIX_DEFAULT_MAX_OBJECTS 100000

struct limits {
    size_t depth, string, objects;
};

static struct limits effective_limits(const struct stix_limits *l)
{
    struct limits e = {STIX_DEFAULT_MAX_DEPTH, STIX_DEFAULT_MAX_STRING, STIX_DEFAULT_MAX_OBJECTS};
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
static long hex4(const char *t, size_t n, size_t i)
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
static int prescan(const char *t, size_t n, const struct limits *lim, struct lia_err *err)
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
                        long cp = hex4(t, n, i + 1);
                        long lo = -1;
                        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && t[i + 5] == '\\' &&
                            t[i + 6] == 'u')
                            lo = hex4(t, n, i + 7);
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

static int parse_strict(const char *text, size_t len, const struct limits *lim, json_t **out,
                        struct lia_err *err)
{
    *out = NULL;
    if (!text)
        return lia_err_set(err, STIX_EJSON, "empty body: a JSON document is required");
    int rc = prescan(text, len, lim, err);
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
    struct limits lim = effective_limits(limits);
    json_t *root;
    *out = NULL;
    int rc = parse_strict(text, len, &lim, &root, err);
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

static size_t skip_ws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* i is at an opening quote; returns the index after the closing one. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return n;
}

/* Returns the index after the value that starts at i (well-formed input assumed). */
static size_t skip_value(const char *t, size_t n, size_t i)
{
    if (i >= n)
        return n;
    if (t[i] == '"')
        return skip_string(t, n, i);
    if (t[i] != '{' && t[i] != '[') {
        while (i < n && !strchr(",]} \t\r\n", t[i]))
            i++;
        return i;
    }
    size_t depth = 0;
    for (; i < n; i++) {
        char c = t[i];
        if (c == '"') {
            i = skip_string(t, n, i) - 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return n;
}

/* True when the raw member name t[a, b) (between the quotes, escapes undecoded) is "objects". */
static bool name_is_objects(const char *t, size_t a, size_t b)
{
    static const char want[] = "objects";
    size_t k = 0;
    for (size_t i = a; i < b; i++, k++) {
        long c = (unsigned char)t[i];
        if (c == '\\' && i + 1 < b) {
            i++;
            if (t[i] == 'u') {
                c = hex4(t, b, i + 1);
                i += 4;
            } else {
                c = t[i] == '"' || t[i] == '\\' || t[i] == '/' ? t[i] : -1;
            }
        }
        if (k >= sizeof want - 1 || c != want[k])
            return false;
    }
    return k == sizeof want - 1;
}

/* Fills env->items with the spans of the "objects" elements. */
static int split_objects(const char *t, size_t n, json_t *objects, struct stix_envelope *env,
                         struct lia_err *err)
{
    size_t count = json_array_size(objects), found = 0;
    if (count == 0)
        return LIA_OK;
    env->items = calloc(count, sizeof *env->items);
    if (!env->items)
        return lia_err_set(err, LIA_ENOMEM, "out of memory splitting %zu objects", count);
    size_t i = skip_ws(t, n, 0) + 1; /* after the root '{' */
    while (i < n) {
        i = skip_ws(t, n, i);
        if (i >= n || t[i] != '"')
            break;
        size_t name_end = skip_string(t, n, i);
        bool is_objects = name_is_objects(t, i + 1, name_end - 1);
        i = skip_ws(t, n, name_end) + 1; /* past ':' */
        i = skip_ws(t, n, i);
        if (!is_objects) {
            i = skip_value(t, n, i);
        } else {
            i++; /* past '[' */
            for (;;) {
                i = skip_ws(t, n, i);
                if (i >= n || t[i] == ']')
                    break;
                size_t start = i;
                i = skip_value(t, n, i);
                if (found < count) {
                    env->items[found].obj = json_array_get(objects, found);
                    env->items[found].text = t + start;
                    env->items[found].len = i - start;
                }
                found++;
                i = skip_ws(t, n, i);
                if (i < n && t[i] == ',')
                    i++;
            }
            break;
        }
        i = skip_ws(t, n, i);
        if (i < n && t[i] == ',')
            i++;
    }
    if (found != count)
        return lia_err_set(err, LIA_EINTERNAL, "span scanner found %zu objects, parser %zu", found,
                           count);
    env->n_items = count;
    return LIA_OK;
}

/* Classifies the root as bundle or envelope and checks what the envelope rules ask. */
static int check_root(json_t *root, struct stix_envelope *env, bool elements, struct lia_err *err);

static int check_envelope_root(json_t *root, struct stix_envelope *env, struct lia_err *err)
{
    return check_root(root, env, true, err);
}

/* The envelope rules; with elements false, not the one that every element is an object. */
static int check_root(json_t *root, struct stix_envelope *env, bool elements, struct lia_err *err)
{
    if (!json_is_object(root))
        return lia_err_set(err, STIX_EINVALID,
                           "the body must be a JSON object: a STIX bundle "
                           "or a TAXII envelope {\"objects\": [...]}");
    json_t *type = json_object_get(root, "type");
    json_t *id = json_object_get(root, "id");
    json_t *spec = json_object_get(root, "spec_version");
    if (type) {
        if (!json_is_string(type) || strcmp(json_string_value(type), "bundle") != 0)
            return lia_err_set(err, STIX_EINVALID,
                               "the body is a single object of type \"%s\", "
                               "not a bundle or envelope: wrap it in {\"objects\": [...]}",
                               json_is_string(type) ? json_string_value(type) : "?");
        if (spec && !(json_is_string(spec) && strcmp(json_string_value(spec), "2.1") == 0)) {
            if (json_is_string(spec) && strcmp(json_string_value(spec), "2.0") == 0)
                return lia_err_set(err, STIX_EVERSION,
                                   "the bundle has spec_version \"2.0\": STIX "
                                   "2.0 content is not accepted; liaison stores STIX 2.1");
            return lia_err_set(err, STIX_EVERSION,
                               "the bundle's spec_version is not \"2.1\": "
                               "liaison stores STIX 2.1 only");
        }
        if (!json_is_string(id) ||
            !stix_is_valid_id(json_string_value(id), json_string_length(id)) ||
            !stix_id_has_type(json_string_value(id), "bundle"))
            return lia_err_set(err, STIX_EINVALID,
                               "the bundle needs an \"id\" of the form "
                               "bundle--<uuid>");
        env->is_bundle = true;
    } else if (id || spec) {
        return lia_err_set(err, STIX_EINVALID,
                           "the body has \"%s\" but no \"type\": a bundle "
                           "needs \"type\": \"bundle\", a TAXII envelope has only objects, more "
                           "and next",
                           id ? "id" : "spec_version");
    }
    json_t *objects = json_object_get(root, "objects");
    if (objects && !json_is_array(objects))
        return lia_err_set(err, STIX_EINVALID, "\"objects\" must be an array");
    if (!elements)
        return LIA_OK;
    size_t k;
    json_t *v;
    json_array_foreach(objects, k, v)
    {
        if (!json_is_object(v))
            return lia_err_set(err, STIX_EINVALID, "objects[%zu] is not a JSON object", k);
    }
    return LIA_OK;
}

/*
 * Parallel parse of a large envelope: the same strictness, on two cores.
 *
 * The span scanner runs first, on bytes not yet known to be JSON, and the text is split in
 * two: the skeleton, where element i of the "objects" array is replaced by the number i,
 * and the elements themselves. The skeleton is parsed strictly and must hold exactly the
 * numbers 0..n-1 as its "objects" elements; each element is parsed strictly, by one of two
 * threads, and must be a JSON object. The scanner tells strings apart exactly as
 * JSON does, so a number it wrote lies outside every string of the skeleton; then the text
 * is the skeleton with valid objects put where valid numbers were, so it is valid JSON with
 * the same tree, duplicate keys having been looked for at every level. Anything else
 * (a scanner confused by broken input, an element that does not parse) falls back to the
 * one strict parse of the whole text, which gives the error its exact position.
 */
static size_t split_min_items = 64, split_min_bytes = 64 * 1024;

void stix_set_split_thresholds(size_t min_items, size_t min_bytes)
{
    split_min_items = min_items ? min_items : 1;
    split_min_bytes = min_bytes;
}

struct span {
    size_t start, end;
};

static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static void seed_jansson(void)
{
    json_object_seed(0); /* before two threads may build objects at once */
}

/* The spans of the root "objects" elements, scanned as split_objects does; 0 when there is
 * no such array or the scan runs off the text. */
static size_t scan_spans(const char *t, size_t n, struct span **out, size_t max)
{
    *out = NULL;
    size_t i = skip_ws(t, n, 0);
    if (i >= n || t[i] != '{')
        return 0;
    i++;
    while (i < n) {
        i = skip_ws(t, n, i);
        if (i >= n || t[i] != '"')
            return 0;
        size_t name_end = skip_string(t, n, i);
        bool is_objects = name_is_objects(t, i + 1, name_end - 1);
        i = skip_ws(t, n, name_end);
        if (i >= n || t[i] != ':')
            return 0;
        i = skip_ws(t, n, i + 1);
        if (!is_objects) {
            i = skip_ws(t, n, skip_value(t, n, i));
            if (i < n && t[i] == ',')
                i++;
            continue;
        }
        if (i >= n || t[i] != '[')
            return 0;
        i++;
        size_t cap = 256, count = 0;
        struct span *v = malloc(cap * sizeof *v);
        if (!v)
            return 0;
        bool full = false;
        for (;;) {
            i = skip_ws(t, n, i);
            if (i >= n || t[i] == ']')
                break;
            if (count == cap) {
                struct span *bigger = realloc(v, 2 * cap * sizeof *v);
                if (!bigger) {
                    free(v);
                    return 0;
                }
                v = bigger;
                cap *= 2;
            }
            if (count == max) {
                full = true; /* one more than allowed: the whole parse says so */
                break;
            }
            v[count].start = i;
            i = skip_value(t, n, i);
            v[count++].end = i;
            i = skip_ws(t, n, i);
            if (i < n && t[i] == ',')
                i++;
        }
        if (full || i >= n || t[i] != ']') {
            free(v);
            return 0;
        }
        *out = v;
        return count;
    }
    return 0;
}

static atomic_ulong parallel_parses;

unsigned long stix_parallel_parses(void)
{
    return atomic_load(&parallel_parses);
}

/*
 * The stream: two threads parse the elements (even and odd ones, so they come out nearly in
 * order) while the caller may already work on those that are ready (api/post.c), or just
 * waits for all (stix_parse_envelope). Only the skeleton is checked before the first
 * element is handed out; an element that fails makes the caller start over with the whole
 * parse, which gives the exact error.
 */
struct stix_stream {
    const char *text;
    size_t n;
    struct span *spans;
    json_t **objs;
    struct stix_checked *checked; /* validation of each parsed item */
    unsigned char *state;         /* 0 pending, 1 parsed, 2 failed; guarded by lock */
    json_t *root;                 /* the skeleton */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t th[2];
    int threads;
    bool stop;
    bool validate; /* also run stix_validate_object on each item */
};

struct stream_worker {
    struct stix_stream *s;
    size_t first;
};

static void *stream_main(void *arg)
{
    struct stream_worker *w = arg;
    struct stix_stream *s = w->s;
    for (size_t i = w->first; i < s->n; i += 2) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        json_error_t je;
        json_t *o = json_loadb(s->text + s->spans[i].start, s->spans[i].end - s->spans[i].start,
                               JSON_REJECT_DUPLICATES, &je);
        bool ok = json_is_object(o);
        if (!ok) {
            json_decref(o);
            o = NULL;
        } else if (s->validate) { /* validation is pure: done here, off the storing thread */
            struct stix_checked *ck = &s->checked[i];
            lia_err_clear(&ck->why);
            ck->rc = stix_validate_object(o, &ck->info, &ck->why);
        }
        pthread_mutex_lock(&s->lock);
        s->objs[i] = o;
        s->state[i] = ok ? 1 : 2;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
    free(w);
    return NULL;
}

static void stream_free(struct stix_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->threads; i++)
        pthread_join(s->th[i], NULL);
    if (s->objs)
        for (size_t i = 0; i < s->n; i++)
            json_decref(s->objs[i]);
    free(s->objs);
    free(s->checked);
    free(s->state);
    free(s->spans);
    json_decref(s->root);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

int stix_stream_start(const char *text, size_t len, const struct stix_limits *limits, bool validate,
                      struct stix_stream **out, size_t *n_items)
{
    *out = NULL;
    *n_items = 0;
    struct limits lim = effective_limits(limits);
    if (!text || len < split_min_bytes || prescan(text, len, &lim, NULL) != LIA_OK)
        return -1;
    struct span *spans;
    size_t n = scan_spans(text, len, &spans, lim.objects);
    if (n == 0 || n < split_min_items) {
        free(spans);
        return -1;
    }
    struct stix_stream *s = calloc(1, sizeof *s);
    char *skel = malloc(len + 32);
    if (!s || !skel) {
        free(s);
        free(skel);
        free(spans);
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->text = text;
    s->n = n;
    s->spans = spans;
    s->validate = validate;
    s->objs = calloc(n, sizeof(json_t *));
    s->checked = calloc(n, sizeof *s->checked);
    s->state = calloc(n, 1);
    size_t k = 0, at = 0;
    bool ok = s->objs && s->state && s->checked;
    for (size_t i = 0; ok && i < n; i++) {
        memcpy(skel + k, text + at, spans[i].start - at);
        k += spans[i].start - at;
        k += (size_t)snprintf(skel + k, 24, "%zu", i);
        at = spans[i].end;
        ok = k <= at;
    }
    if (ok) {
        memcpy(skel + k, text + at, len - at);
        k += len - at;
        json_error_t je;
        s->root = json_loadb(skel, k, JSON_REJECT_DUPLICATES, &je);
        json_t *list = json_object_get(s->root, "objects");
        struct stix_envelope probe = {0};
        ok = json_is_object(s->root) && json_is_array(list) && json_array_size(list) == n &&
             check_root(s->root, &probe, false, NULL) == LIA_OK;
        for (size_t i = 0; ok && i < n; i++) {
            json_t *e = json_array_get(list, i);
            ok = json_is_integer(e) && json_integer_value(e) == (json_int_t)i;
        }
    }
    free(skel);
    if (!ok) {
        stream_free(s);
        return -1;
    }
    pthread_once(&seed_once, seed_jansson);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the server's own threads */
    for (size_t t = 0; t < 2; t++) {
        struct stream_worker *w = malloc(sizeof *w);
        if (!w)
            break;
        w->s = s;
        w->first = t;
        if (pthread_create(&s->th[s->threads], NULL, stream_main, w) != 0) {
            free(w);
            break;
        }
        s->threads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (s->threads < 2) {
        stream_free(s);
        return -1;
    }
    *out = s;
    *n_items = n;
    return 0;
}

json_t *stix_stream_item(struct stix_stream *s, size_t i, const char **text, size_t *len,
                         const struct stix_checked **checked)
{
    if (i >= s->n)
        return NULL;
    pthread_mutex_lock(&s->lock);
    while (s->state[i] == 0)
        pthread_cond_wait(&s->cond, &s->lock);
    json_t *o = s->state[i] == 1 ? s->objs[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    *text = s->text + s->spans[i].start;
    *len = s->spans[i].end - s->spans[i].start;
    if (checked)
        *checked = &s->checked[i];
    return o;
}

int stix_stream_finish(struct stix_stream *s, struct stix_envelope *env, struct lia_err *err)
{
    memset(env, 0, sizeof *env);
    int rc = -1;
    const size_t n = s->n;
    if (n == 0) { /* stix_stream_start never makes one: the whole parse decides */
        stream_free(s);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t;
        size_t l;
        if (!stix_stream_item(s, i, &t, &l, NULL))
            goto out;
    }
    for (int i = 0; i < s->threads; i++)
        pthread_join(s->th[i], NULL);
    s->threads = 0;
    json_t *list = json_object_get(s->root, "objects");
    for (size_t i = 0; i < n; i++) {
        if (json_array_set_new(list, i, s->objs[i]) != 0)
            goto out;
        s->objs[i] = NULL;
    }
    rc = check_envelope_root(s->root, env, err);
    if (rc == LIA_OK) {
        env->items = calloc(n, sizeof *env->items);
        if (!env->items) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory splitting %zu objects", n);
        } else {
            for (size_t i = 0; i < n; i++) {
                env->items[i].obj = json_array_get(list, i);
                env->items[i].text = s->text + s->spans[i].start;
                env->items[i].len = s->spans[i].end - s->spans[i].start;
            }
            env->n_items = n;
            env->root = s->root;
            s->root = NULL;
            atomic_fetch_add(&parallel_parses, 1);
        }
    }
out:
    if (rc != LIA_OK)
        memset(env, 0, sizeof *env);
    stream_free(s);
    return rc;
}

void stix_stream_abort(struct stix_stream *s)
{
    stream_free(s);
}

int stix_parse_envelope(const char *text, size_t len, const struct stix_limits *limits,
                        struct stix_envelope *env, struct lia_err *err)
{
    memset(env, 0, sizeof *env);
    struct limits lim = effective_limits(limits);
    struct stix_stream *st;
    size_t n;
    if (stix_stream_start(text, len, limits, false, &st, &n) == 0) {
        int prc = stix_stream_finish(st, env, err);
        if (prc != -1)
            return prc;
        lia_err_clear(err); /* an item that does not parse: the whole parse words it */
    }
    json_t *root;
    int rc = parse_strict(text, len, &lim, &root, err);
    if (rc)
        return rc;
    json_t *objects = json_is_object(root) ? json_object_get(root, "objects") : NULL;
    if (json_is_array(objects) && json_array_size(objects) > lim.objects) {
        rc = lia_err_set(err, LIA_ETOOBIG, "%zu objects, more than the limit of %zu",
                         json_array_size(objects), lim.objects);
    } else {
        rc = check_envelope_root(root, env, err);
    }
    if (!rc) {
        env->root = root;
        rc = split_objects(text, len, objects, env, err);
    }
    if (rc) {
        free(env->items);
        json_decref(root);
        memset(env, 0, sizeof *env);
    }
    return rc;
}

/* The reaper: a thread that frees envelopes handed to stix_envelope_release_later. */
struct reap {
    struct reap *next;
    json_t *root;
    struct stix_item *items;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct reap *head;
    bool started, busy;
} reaper = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false, false};

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reaper.lock);
    for (;;) {
        while (!reaper.head)
            pthread_cond_wait(&reaper.cond, &reaper.lock);
        struct reap *r = reaper.head;
        reaper.head = NULL;
        reaper.busy = true;
        pthread_mutex_unlock(&reaper.lock);
        while (r) {
            struct reap *next = r->next;
            json_decref(r->root);
            free(r->items);
            free(r);
            r = next;
        }
        pthread_mutex_lock(&reaper.lock);
        reaper.busy = false;
        pthread_cond_broadcast(&reaper.cond);
    }
    return NULL;
}

void stix_envelope_release_later(struct stix_envelope *env)
{
    struct reap *r = env && env->root ? malloc(sizeof *r) : NULL;
    pthread_mutex_lock(&reaper.lock);
    if (r && !reaper.started) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        /* Signals stay with the thread that waits for them: block them all here. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        reaper.started = pthread_create(&th, &at, reaper_main, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&at);
    }
    if (r && reaper.started) {
        r->root = env->root;
        r->items = env->items;
        r->next = reaper.head;
        reaper.head = r;
        pthread_cond_signal(&reaper.cond);
        pthread_mutex_unlock(&reaper.lock);
        memset(env, 0, sizeof *env);
        return;
    }
    pthread_mutex_unlock(&reaper.lock);
    free(r);
    stix_envelope_release(env);
}

void stix_reaper_drain(void)
{
    pthread_mutex_lock(&reaper.lock);
    while (reaper.started && (reaper.head || reaper.busy))
        pthread_cond_wait(&reaper.cond, &reaper.lock);
    pthread_mutex_unlock(&reaper.lock);
}

void stix_envelope_release(struct stix_envelope *env)
{
    if (!env)
        return;
    free(env->items);
    json_decref(env->root);
    memset(env, 0, sizeof *env);
}
