/*
 * Disclosure records: which object versions were sent to a partner, in one
 * format for every route (audit.h); ticket.c writes them, `audit show` and
 * `audit verify` read them.
 *
 * A page of 1,000 objects named as [id, modified] pairs made a 79 KB entry,
 * and its commit (synced before the page may leave) took about 1.4 ms of a
 * partner's page on this machine. An entry names the versions by their
 * store keys (date_added: unique, never reused, and immutable with the row
 * they key) and carries a digest of what they named when sent:
 *
 *   {"collection": C, "endpoint": E, "count": N,
 *    "keys": base64url(varints of the zigzag deltas between successive keys),
 *    "digest": hex(BLAKE2b-128 over "id\nmodified\n" of each version, in order),
 *    "partner": the recipient's identity id, ...the route's notes}
 *
 * about 4 KB a page. `audit show` turns keys back into [id, modified] pairs:
 * from the store, or, for versions deleted since, from the delete entry, which
 * lists the keys and versions it removed. `audit verify` recomputes each digest,
 * so editing an object row named by a disclosure, or removing one without a
 * delete on record, is detected like an edit of the log itself. Entries written
 * before every route used this format (watch events, pushes and exports named
 * their [id, modified] pairs in the entry) are read as they are.
 */
#include "audit/audit_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char *const route_actions[] = {
    [AUDIT_ROUTE_READ] = "objects.disclose",
    [AUDIT_ROUTE_PUSH] = "objects.push",
    [AUDIT_ROUTE_EXPORT] = "objects.export",
};

const char *audit_route_action(enum audit_route route)
{
    return route_actions[route];
}

bool audit_action_discloses(const char *action)
{
    for (size_t i = 0; i < sizeof route_actions / sizeof *route_actions; i++)
        if (!strcmp(action, route_actions[i]))
            return true;
    return false;
}

static void digest_update(crypto_generichash_state *st, const char *id, const char *modified)
{
    crypto_generichash_update(st, (const unsigned char *)id, strlen(id));
    crypto_generichash_update(st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(st, (const unsigned char *)modified, strlen(modified));
    crypto_generichash_update(st, (const unsigned char *)"\n", 1);
}

/* Bounds of one entry's buffers: about 10 and 100 bytes a version, for pages of at most a
 * few thousand and exports of up to a million versions. */
#define MAX_KEYS (64u << 20)
#define MAX_DIGESTED (512u << 20)

int audit_part_add(struct audit_part *p, const struct store_row *rows, size_t n)
{
    if (!p->keys.max) {
        dbuf_init(&p->keys, MAX_KEYS);
        dbuf_init(&p->digest, MAX_DIGESTED);
    }
    if (p->detail)
        return LIA_EINTERNAL; /* on record already: a new part takes them */
    /* The digested text is gathered first, into one buffer sized beforehand, and hashed in
     * one call: four hash updates (or four appends) per version cost more than the hashing. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(rows[i].id) + strlen(rows[i].modified ? rows[i].modified : "") + 2;
    int rc = dbuf_reserve(&p->keys, n * 10);
    rc = rc ? rc : dbuf_reserve(&p->digest, total);
    if (rc)
        return rc;
    unsigned char *raw = (unsigned char *)p->keys.ptr + p->keys.len;
    char *text = p->digest.ptr + p->digest.len;
    size_t len = 0, tlen = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t d = (int64_t)((uint64_t)rows[i].date_added - (uint64_t)p->prev);
        /* zigzag: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... (no shift of a negative number) */
        uint64_t z = d < 0 ? ((uint64_t)(-(d + 1)) << 1) | 1 : (uint64_t)d << 1;
        p->prev = rows[i].date_added;
        do {
            raw[len++] = (unsigned char)((z & 0x7f) | (z > 0x7f ? 0x80 : 0));
            z >>= 7;
        } while (z);
        const char *m = rows[i].modified ? rows[i].modified : "";
        size_t il = strlen(rows[i].id), ml = strlen(m);
        memcpy(text + tlen, rows[i].id, il);
        text[tlen + il] = '\n';
        memcpy(text + tlen + il + 1, m, ml);
        text[tlen + il + 1 + ml] = '\n';
        tlen += il + ml + 2;
    }
    p->keys.len += len;
    p->digest.len += tlen;
    p->keys.ptr[p->keys.len] = '\0'; /* a dbuf stays terminated */
    p->digest.ptr[p->digest.len] = '\0';
    p->count += n;
    return 0;
}

int audit_part_detail(struct audit_part *p, const char *partner, const char *notes)
{
    if (p->detail)
        return 0;
    unsigned char dg[16];
    crypto_generichash(dg, sizeof dg, (const unsigned char *)(p->digest.ptr ? p->digest.ptr : ""),
                       p->digest.len, NULL, 0);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, dg, sizeof dg);
    char *b64 = malloc(lia_b64url_len(p->keys.len) + 1);
    if (!b64)
        return LIA_ENOMEM;
    lia_b64url_encode((const unsigned char *)(p->keys.ptr ? p->keys.ptr : ""), p->keys.len, b64);
    struct dbuf out;
    dbuf_init(&out, MAX_KEYS * 2);
    int rc = dbuf_reserve(&out, strlen(b64) + 256);
    rc = rc ? rc : dbuf_puts(&out, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(&out, p->collection, strlen(p->collection));
    rc = rc ? rc : dbuf_puts(&out, ",\"endpoint\":");
    rc = rc ? rc : dbuf_json_string(&out, p->endpoint, strlen(p->endpoint));
    rc = rc ? rc
            : dbuf_printf(&out, ",\"count\":%zu,\"keys\":\"%s\",\"digest\":\"%s\"", p->count, b64,
                          hex);
    rc = rc ? rc : dbuf_puts(&out, ",\"partner\":");
    rc = rc ? rc : dbuf_json_string(&out, partner, strlen(partner));
    rc = rc ? rc : dbuf_puts(&out, notes ? notes : "");
    rc = rc ? rc : dbuf_puts(&out, "}");
    free(b64);
    if (rc) {
        dbuf_release(&out);
        return rc;
    }
    size_t len;
    p->detail = dbuf_detach(&out, &len);
    dbuf_release(&p->keys); /* what it was made from is not needed again */
    dbuf_release(&p->digest);
    return p->detail ? 0 : LIA_ENOMEM;
}

void audit_part_release(struct audit_part *p)
{
    free(p->collection);
    free(p->endpoint);
    free(p->detail);
    dbuf_release(&p->keys);
    dbuf_release(&p->digest);
    memset(p, 0, sizeof *p);
}

/* Decodes "keys" into count keys; -1 when it does not hold exactly count of them. */
static int decode_keys(const char *b64, size_t count, int64_t *keys)
{
    size_t n = strlen(b64);
    unsigned char *raw = malloc(n + 4);
    if (!raw)
        return -1;
    long len = lia_b64url_decode(b64, n, raw, n + 4);
    size_t got = 0, i = 0;
    int64_t prev = 0;
    while (len >= 0 && i < (size_t)len && got < count) {
        uint64_t z = 0;
        int shift = 0;
        for (;;) {
            if (i >= (size_t)len || shift > 63) {
                free(raw);
                return -1;
            }
            unsigned char b = raw[i++];
            z |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80))
                break;
        }
        int64_t d = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
        prev = (int64_t)((uint64_t)prev + (uint64_t)d);
        keys[got++] = prev;
    }
    bool ok = len >= 0 && got == count && i == (size_t)len;
    free(raw);
    return ok ? 0 : -1;
}

/* ---- versions removed by deletes on record: key -> (id, modified) ---- */

struct removed {
    int64_t key;
    char *id, *modified;
};

struct audit_removed {
    struct removed *v;
    size_t n, cap;
    bool sorted;
};

void audit_removed_free(struct audit_removed *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].id);
        free(m->v[i].modified);
    }
    free(m->v);
    free(m);
}

/* Keeps what an "object.delete" entry removed, and the key a "release.approve" entry moved a
 * version from (docs/people.md: disclosures made before the approval name that key); other
 * entries: nothing. */
static int removed_note(struct audit_removed *m, const struct store_audit_entry *e)
{
    bool deleted = !strcmp(e->action, "object.delete");
    if (!deleted && strcmp(e->action, "release.approve") != 0)
        return 0;
    json_t *d = json_loads(e->detail, 0, NULL);
    json_t *id = json_object_get(d, "id"), *rm = json_object_get(d, deleted ? "removed" : "moved");
    int rc = 0;
    size_t i;
    json_t *pair;
    if (json_is_string(id) && json_is_array(rm)) {
        json_array_foreach(rm, i, pair)
        {
            json_t *k = json_array_get(pair, 0), *mod = json_array_get(pair, 1);
            if (!json_is_integer(k) || !json_is_string(mod))
                continue;
            if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 64;
                struct removed *v = realloc(m->v, cap * sizeof *v);
                if (!v) {
                    rc = LIA_ENOMEM;
                    break;
                }
                m->v = v;
                m->cap = cap;
            }
            struct removed *r = &m->v[m->n];
            r->key = json_integer_value(k);
            r->id = strdup(json_string_value(id));
            r->modified = strdup(json_string_value(mod));
            if (!r->id || !r->modified) {
                free(r->id);
                free(r->modified);
                rc = LIA_ENOMEM;
                break;
            }
            m->n++;
            m->sorted = false;
        }
    }
    json_decref(d);
    return rc;
}

static int removed_scan(const struct store_audit_entry *e, void *arg)
{
    return removed_note(arg, e) ? 1 : 0;
}

int audit_removed_load(struct store *s, struct audit_removed **out, struct lia_err *err)
{
    *out = NULL;
    struct audit_removed *m = calloc(1, sizeof *m);
    if (!m)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    int rc = store_audit_scan(s, 0, removed_scan, m, err);
    if (rc == 1)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc) {
        audit_removed_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    int64_t x = ((const struct removed *)a)->key, y = ((const struct removed *)b)->key;
    return x < y ? -1 : x > y;
}

static const struct removed *removed_find(struct audit_removed *m, int64_t key)
{
    if (!m || !m->n)
        return NULL;
    if (!m->sorted) {
        qsort(m->v, m->n, sizeof *m->v, by_key);
        m->sorted = true;
    }
    struct removed probe = {.key = key};
    return bsearch(&probe, m->v, m->n, sizeof *m->v, by_key);
}

int audit_disclosure_resolve(struct store *s, const struct store_audit_entry *e,
                             struct audit_removed *removed, struct arena *a,
                             struct audit_disclosure *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    if (!audit_action_discloses(e->action))
        return 0;
    json_t *d = json_loads(e->detail, 0, NULL);
    json_t *keys = json_object_get(d, "keys"), *count = json_object_get(d, "count");
    json_t *digest = json_object_get(d, "digest"), *coll = json_object_get(d, "collection");
    if (!json_is_string(keys)) { /* an older entry (watch event, push, export): names its
                                    versions itself */
        json_decref(d);
        return 0;
    }
    out->keyed = true;
    int rc = 0;
    size_t n = json_is_integer(count) && json_integer_value(count) >= 0 &&
                       json_integer_value(count) <= 10000000
                   ? (size_t)json_integer_value(count)
                   : 0;
    int64_t *k = n ? arena_alloc(a, n * sizeof *k) : NULL;
    struct store_keyed *v = n ? arena_alloc(a, n * sizeof *v) : NULL;
    if (!json_is_integer(count) || !json_is_string(digest) || !json_is_string(coll) ||
        (n && (!k || !v)) || decode_keys(json_string_value(keys), n, k) != 0) {
        out->malformed = true;
        json_decref(d);
        return 0;
    }
    if (n)
        rc = store_versions_by_key(s, k, n, a, v, err);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (v[i].id && strcmp(v[i].collection, json_string_value(coll)) != 0)
            v[i].id = NULL; /* a key of another collection: not what was disclosed */
        if (!v[i].id) {
            const struct removed *r = removed_find(removed, k[i]);
            if (r) {
                v[i].id = r->id;
                v[i].modified = r->modified;
                out->deleted++;
            } else {
                out->missing++;
                continue;
            }
        }
        digest_update(&st, v[i].id, v[i].modified);
    }
    unsigned char dg[16];
    crypto_generichash_final(&st, dg, sizeof dg);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, dg, sizeof dg);
    out->digest_ok = rc == 0 && out->missing == 0 && !strcmp(hex, json_string_value(digest));
    out->n = n;
    out->keys = k;
    out->versions = v;
    json_decref(d);
    return rc;
}

char *audit_delete_detail(struct arena *a, const char *collection, const char *id,
                          const struct store_row *gone, size_t n)
{
    struct dbuf d;
    dbuf_init(&d, 64 * 1024 * 1024);
    int rc = dbuf_puts(&d, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(&d, collection, strlen(collection));
    rc = rc ? rc : dbuf_puts(&d, ",\"id\":");
    rc = rc ? rc : dbuf_json_string(&d, id, strlen(id));
    rc = rc ? rc : dbuf_printf(&d, ",\"versions\":%zu,\"removed\":[", n);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *m = gone[i].modified ? gone[i].modified : "";
        rc = dbuf_printf(&d, "%s[%lld,", i ? "," : "", (long long)gone[i].date_added);
        rc = rc ? rc : dbuf_json_string(&d, m, strlen(m));
        rc = rc ? rc : dbuf_puts(&d, "]");
    }
    rc = rc ? rc : dbuf_puts(&d, "]}");
    char *out = rc ? NULL : arena_strndup(a, d.ptr, d.len);
    dbuf_release(&d);
    return out;
}
