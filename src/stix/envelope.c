/*
 * Envelopes and bundles: the rules of the body, and the exact byte span of each item.
 *
 * Spans: once jansson has accepted the text, a small scanner walks the
 * top-level object to its "objects" member and splits that array's elements.
 * It may assume well-formed input, so it only tracks strings and nesting.
 * Each span starts at the element's first byte and ends after its last one
 * (surrounding whitespace excluded), which is what the store keeps verbatim.
 * stream.c uses the same scanner on text not yet parsed, and checks its work.
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
#include "stix/stix_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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
                c = stix_hex4(t, b, i + 1);
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

/* The envelope rules; with elements false, not the one that every element is an object. */
int stix_check_envelope_root(json_t *root, struct stix_envelope *env, bool elements,
                             struct lia_err *err)
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

/* The spans of the root "objects" elements, scanned as split_objects does; 0 when there is
 * no such array or the scan runs off the text. */
size_t stix_scan_spans(const char *t, size_t n, struct stix_span **out, size_t max)
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
        struct stix_span *v = malloc(cap * sizeof *v);
        if (!v)
            return 0;
        bool full = false;
        for (;;) {
            i = skip_ws(t, n, i);
            if (i >= n || t[i] == ']')
                break;
            if (count == cap) {
                struct stix_span *bigger = realloc(v, 2 * cap * sizeof *v);
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

int stix_parse_envelope(const char *text, size_t len, const struct stix_limits *limits,
                        struct stix_envelope *env, struct lia_err *err)
{
    memset(env, 0, sizeof *env);
    struct stix_json_limits lim = stix_effective_limits(limits);
    struct stix_stream *st;
    size_t n;
    if (stix_stream_start(text, len, limits, false, NULL, &st, &n) == 0) {
        int prc = stix_stream_finish(st, env, err);
        if (prc != -1)
            return prc;
        lia_err_clear(err); /* an item that does not parse: the whole parse words it */
    }
    json_t *root;
    int rc = stix_parse_strict(text, len, &lim, &root, err);
    if (rc)
        return rc;
    json_t *objects = json_is_object(root) ? json_object_get(root, "objects") : NULL;
    if (json_is_array(objects) && json_array_size(objects) > lim.objects) {
        rc = lia_err_set(err, LIA_ETOOBIG, "%zu objects, more than the limit of %zu",
                         json_array_size(objects), lim.objects);
    } else {
        rc = stix_check_envelope_root(root, env, true, err);
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
    struct stix_arena *arenas;
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
            stix_arenas_free(r->arenas); /* after the tree built in them */
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
        r->arenas = env->arenas;
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
    stix_arenas_free(env->arenas);
    memset(env, 0, sizeof *env);
}
