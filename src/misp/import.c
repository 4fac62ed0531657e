/*
 * `liaison misp import`: reading MISP files and feeds, and storing what the mapping makes.
 *
 * Memory stays bounded by the largest event, not by the input: a feed directory is read one
 * event file at a time, and a file that is a list of events ([...] or {"response":[...]},
 * MISP's REST form) is cut into its elements by a scanner that follows strings and nesting
 * and never holds more than one element (at most max_event_bytes). Each element is parsed
 * with the same strict JSON rules as everything else (stix_parse_json). A malformed element,
 * event file or event is reported by its position and skipped; the others are imported. A
 * file cut short loses only the event it ends in.
 *
 * Each event is stored in one transaction through the one write path (write_event), so an
 * event is either all there or not at all, and importing it again finds every version held.
 */
#include "misp/misp_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ingest.h"
#include "stix/stix.h"

struct reader {
    const struct misp_import *im;
    struct misp_summary *sum;
    uint64_t bytes_before; /* of the files done (a feed) */
    uint64_t bytes_total;
};

struct event_batch {
    const struct misp_import *im;
    const char *event_uuid;
    struct misp_summary *sum;
    int64_t *fresh; /* date_added of the new versions */
    size_t n_fresh;
    char *detail;
};

static int event_result(const struct ingest_result *r, void *ctx)
{
    struct event_batch *e = ctx;
    if (r && !r->stored)
        misp_problem(e->sum, e->im->map.report, e->event_uuid, "%s refused: %s", r->id,
                     r->message ? r->message : "(no reason)");
    else if (r && r->is_new)
        e->fresh[e->n_fresh++] = r->date_added;
    return 0;
}

/* In the event's transaction: provenance when a partner sent it, and the audit detail. */
static int event_finish(struct store_txn *t, const struct ingest_tally *n, void *ctx,
                        const char **detail, struct lia_err *err)
{
    struct event_batch *e = ctx;
    const struct misp_import *im = e->im;
    int rc = im->exchange && e->n_fresh
                 ? store_provenance_put(t, e->fresh, e->n_fresh, 0, im->who->partner, lia_now_us(),
                                        im->trust, "misp", err)
                 : 0;
    json_t *d = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "collection", im->coll_id, "misp_event",
                          e->event_uuid, "received", (json_int_t)n->received, "stored",
                          (json_int_t)n->stored, "existed", (json_int_t)n->existed, "refused",
                          (json_int_t)n->refused);
    *detail = e->detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    return rc ? rc : *detail ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

/* Stores the objects of one event through the one write path (src/ingest/), in one
 * transaction: each object validated again and through the write rules, handling and storage;
 * a refusal counted and reported, the rest stored; the batch on the audit record
 * ("objects.import"), with provenance when a partner sent it. */
static int write_event(const struct misp_import *im, const char *event_uuid, json_t *objects,
                       struct misp_summary *sum, struct lia_err *err)
{
    size_t n = json_array_size(objects);
    struct stix_item *items = calloc(n ? n : 1, sizeof *items);
    struct event_batch e = {im, event_uuid, sum, malloc((n ? n : 1) * sizeof *e.fresh), 0, NULL};
    int rc = items && e.fresh ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        items[i].obj = json_array_get(objects, i);
        char *text = json_dumps(items[i].obj, JSON_COMPACT);
        items[i].text = text;
        items[i].len = text ? strlen(text) : 0;
        if (!text)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    struct ingest_spec spec = {.store = im->store,
                               .who = im->who,
                               .coll = im->coll,
                               .action = "objects.import",
                               .result = event_result,
                               .finish = event_finish,
                               .ctx = &e};
    struct ingest_tally tally;
    if (rc == 0)
        rc = ingest_items(&spec, items, n, &tally, err);
    if (rc == 0) {
        sum->objects_stored += tally.stored;
        sum->objects_existed += tally.existed;
        sum->objects_refused += tally.refused;
    }
    for (size_t i = 0; items && i < n; i++)
        free((char *)items[i].text);
    free(items);
    free(e.fresh);
    free(e.detail);
    return rc;
}

/* Maps and stores one event. Non-zero only for a store failure (which stops the import). */
static int import_event(struct reader *r, json_t *event, const char *position, struct lia_err *err)
{
    json_t *out = json_array();
    struct lia_err why;
    lia_err_clear(&why);
    if (misp_map_event(event, &r->im->map, out, r->sum, &why) != 0) {
        r->sum->events_malformed++;
        misp_problem(r->sum, r->im->map.report, position, "event skipped: %s", why.msg);
        json_decref(out);
        return 0;
    }
    char uuid[37] = "";
    misp_uuid_norm(json_object_get(event, "uuid"), uuid);
    int rc = write_event(r->im, uuid, out, r->sum, err);
    json_decref(out);
    if (rc == 0)
        r->sum->events++;
    return rc;
}

static bool looks_like_event(json_t *o)
{
    return json_is_object(o) && (json_object_get(o, "info") || json_object_get(o, "Attribute") ||
                                 json_object_get(o, "Object") || json_object_get(o, "date"));
}

/* A parsed document: an event in any of MISP's shapes, or a list of them. */
static int import_document(struct reader *r, json_t *doc, const char *position, int depth,
                           struct lia_err *err)
{
    json_t *list = json_is_array(doc) ? doc : json_object_get(doc, "response");
    if (json_is_object(json_object_get(doc, "Event")))
        return import_event(r, json_object_get(doc, "Event"), position, err);
    if (looks_like_event(doc))
        return import_event(r, doc, position, err);
    if (json_is_array(list) && depth == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            char pos[600];
            snprintf(pos, sizeof pos, "%s, element %zu", position, i);
            int rc = import_document(r, e, pos, depth + 1, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    r->sum->events_malformed++;
    const char *what = json_object_get(doc, "SharingGroup") ? " (a SharingGroup record)"
                       : json_object_get(doc, "Object")     ? " (a bare MISP object)"
                       : json_object_get(json_object_get(doc, "response"), "Attribute")
                           ? " (a list of bare attributes)"
                           : "";
    misp_problem(r->sum, r->im->map.report, position, "not a MISP event%s: skipped", what);
    return 0;
}

static int parse_and_import(struct reader *r, const char *text, size_t len, const char *position,
                            struct lia_err *err)
{
    struct stix_limits lim = {
        .max_depth = 64, .max_string = r->im->max_event_bytes, .max_objects = r->im->max_events};
    json_t *doc = NULL;
    struct lia_err why;
    lia_err_clear(&why);
    if (stix_parse_json(text, len, &lim, &doc, &why) != 0) {
        r->sum->events_malformed++;
        misp_problem(r->sum, r->im->map.report, position, "not valid JSON: %s", why.msg);
        return 0;
    }
    int rc = import_document(r, doc, position, 0, err);
    json_decref(doc);
    return rc;
}

/* The stream scanner: one JSON value at a time from f, no more than max bytes of it kept. */
struct scan {
    FILE *f;
    uint64_t off; /* bytes consumed */
};

static int scan_get(struct scan *s)
{
    int c = getc(s->f);
    if (c != EOF)
        s->off++;
    return c;
}

static int scan_skip_ws(struct scan *s)
{
    int c;
    do
        c = scan_get(s);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    return c;
}

/* Reads the value starting with c into b (up to b->max: *too_big when past it, the rest
 * consumed). Returns the byte after it (EOF when the file ends inside it: *cut). */
static int scan_value(struct scan *s, int c, struct dbuf *b, bool *too_big, bool *cut)
{
    int depth = 0;
    bool in_str = false, esc = false;
    *too_big = *cut = false;
    for (;;) {
        if (c == EOF) {
            *cut = depth > 0 || in_str;
            return EOF;
        }
        if (!in_str && depth == 0 && b->len > 0 &&
            (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t'))
            return c; /* the end of a scalar */
        if (!*too_big) {
            char ch = (char)c;
            if (dbuf_append(b, &ch, 1))
                *too_big = true;
        }
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return scan_get(s);
        }
        if (depth == 0 && !in_str && (c == '"' && b->len > 1))
            return scan_get(s); /* a whole string */
        c = scan_get(s);
    }
}

static void progress(struct reader *r, uint64_t off)
{
    if (r->im->progress)
        r->im->progress(r->im->progress_ctx, r->bytes_before + off, r->bytes_total, r->sum->events);
}

/* The elements of the array whose '[' was just read: each parsed and imported alone. */
static int stream_array(struct reader *r, struct scan *s, const char *label, struct lia_err *err)
{
    struct dbuf b;
    dbuf_init(&b, r->im->max_event_bytes);
    int rc = 0;
    size_t i = 0;
    int c = scan_skip_ws(s);
    bool done = c == ']'; /* an empty list */
    while (rc == 0 && !done) {
        char pos[600];
        snprintf(pos, sizeof pos, "%s: element %zu (byte %llu)", label, i,
                 (unsigned long long)(s->off ? s->off - 1 : 0));
        if (i >= r->im->max_events) {
            misp_problem(r->sum, r->im->map.report, pos,
                         "more than %zu events in one file: the rest is not read",
                         r->im->max_events);
            break;
        }
        bool too_big, cut;
        dbuf_reset(&b);
        c = scan_value(s, c, &b, &too_big, &cut);
        if (cut) {
            r->sum->events_malformed++;
            misp_problem(r->sum, r->im->map.report, pos,
                         "the file ends inside this element (truncated): skipped");
            break;
        }
        if (too_big) {
            r->sum->events_malformed++;
            misp_problem(r->sum, r->im->map.report, pos,
                         "larger than the limit of %zu bytes (--max-event-bytes): skipped",
                         r->im->max_event_bytes);
        } else {
            rc = parse_and_import(r, b.ptr, b.len, pos, err);
        }
        progress(r, s->off);
        i++;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            c = scan_skip_ws(s);
        if (c == ',') {
            c = scan_skip_ws(s);
        } else if (c == ']') {
            done = true;
        } else {
            char at[600];
            snprintf(at, sizeof at, "%s: byte %llu", label, (unsigned long long)s->off);
            r->sum->events_malformed++;
            misp_problem(r->sum, r->im->map.report, at,
                         c == EOF ? "the file ends inside the list (truncated)"
                                  : "expected ',' or ']' after an element: the rest is not read");
            break;
        }
    }
    dbuf_release(&b);
    return rc;
}

/* One file: a list streamed element by element, anything else read whole (bounded). */
static int import_file(struct reader *r, const char *path, const char *label, struct lia_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        r->sum->events_malformed++;
        misp_problem(r->sum, r->im->map.report, label, "cannot read: %s", strerror(errno));
        return 0;
    }
    struct scan s = {.f = f};
    int c = scan_skip_ws(&s);
    int rc = 0;
    bool streamed = false;
    if (c == '[') {
        streamed = true;
        rc = stream_array(r, &s, label, err);
    } else if (c == '{') {
        /* {"response": [...]}: MISP's REST form, streamed when "response" comes first. */
        struct dbuf key;
        dbuf_init(&key, 64);
        bool too_big, cut;
        int d = scan_value(&s, scan_skip_ws(&s), &key, &too_big, &cut);
        if (d == ' ' || d == '\n' || d == '\r' || d == '\t')
            d = scan_skip_ws(&s);
        if (!too_big && key.ptr && !strcmp(key.ptr, "\"response\"") && d == ':' &&
            scan_skip_ws(&s) == '[') {
            streamed = true;
            rc = stream_array(r, &s, label, err);
        }
        dbuf_release(&key);
    }
    fclose(f);
    if (streamed || rc) {
        progress(r, s.off);
        return rc;
    }
    char *text = NULL;
    size_t len = 0;
    struct lia_err why;
    lia_err_clear(&why);
    int frc = lia_read_file(path, r->im->max_event_bytes, &text, &len, &why);
    if (frc) {
        r->sum->events_malformed++;
        misp_problem(r->sum, r->im->map.report, label, "%s",
                     frc == LIA_ETOOBIG ? "larger than --max-event-bytes: skipped" : why.msg);
        return 0;
    }
    rc = parse_and_import(r, text, len, label, err);
    free(text);
    progress(r, len);
    return rc;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* A feed directory: manifest.json names the events; each <uuid>.json is one event. */
static int import_feed(struct reader *r, const char *dir, struct lia_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(path, r->im->max_event_bytes, &text, &len, err);
    if (rc)
        return lia_err_set(err, rc == LIA_ETOOBIG ? LIA_ETOOBIG : LIA_EINVAL,
                           "%s is not a MISP feed: %s", dir,
                           rc == LIA_ETOOBIG ? "manifest.json is too large" : err->msg);
    struct stix_limits lim = {.max_depth = 64, .max_string = 1u << 20, .max_objects = 1};
    json_t *manifest = NULL;
    rc = stix_parse_json(text, len, &lim, &manifest, err);
    free(text);
    if (rc || !json_is_object(manifest)) {
        json_decref(manifest);
        return lia_err_set(err, LIA_EINVAL, "%s/manifest.json is not a MISP feed manifest%s%s", dir,
                           rc ? ": " : " (not a JSON object)", rc ? err->msg : "");
    }
    if (json_object_size(manifest) > r->im->max_events) {
        size_t n = json_object_size(manifest);
        json_decref(manifest);
        return lia_err_set(err, LIA_ETOOBIG, "the feed names %zu events, more than %zu", n,
                           r->im->max_events);
    }
    const char *key;
    json_t *v;
    json_object_foreach(manifest, key, v)
    {
        char uuid[37];
        json_t *k = json_string(key);
        bool ok = misp_uuid_norm(k, uuid);
        json_decref(k);
        if (ok) {
            snprintf(path, sizeof path, "%s/%s.json", dir, key);
            r->bytes_total += file_size(path);
        }
    }
    size_t i = 0;
    json_object_foreach(manifest, key, v)
    {
        char uuid[37], label[4400];
        json_t *k = json_string(key);
        bool ok = misp_uuid_norm(k, uuid);
        json_decref(k);
        snprintf(path, sizeof path, "%s/%s.json", dir, key);
        snprintf(label, sizeof label, "%s (manifest entry %zu)", path, i++);
        if (!ok) {
            r->sum->events_malformed++;
            misp_problem(r->sum, r->im->map.report, label,
                         "the manifest key is not an event uuid: skipped");
            continue;
        }
        rc = import_file(r, path, label, err);
        r->bytes_before += file_size(path);
        if (rc)
            break;
    }
    json_decref(manifest);
    return rc;
}

int misp_import_path(const char *path, const struct misp_import *im, struct misp_summary *sum,
                     struct lia_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return lia_err_set(err, LIA_ENOTFOUND, "%s: %s", path, strerror(errno));
    struct reader r = {.im = im, .sum = sum};
    if (S_ISDIR(st.st_mode))
        return import_feed(&r, path, err);
    r.bytes_total = (uint64_t)st.st_size;
    return import_file(&r, path, path, err);
}
