/*
 * Watches as their owners see them: add, list, the dry run (watch test), and the events a
 * stream sends. Every object a view names has just been returned to the owner by the store's
 * one gate (store_query_objects with the owner's policy): the test reads through it, and an
 * event is re-checked through it when it is sent, so that a grant revoked or a clearance
 * lowered after an event was recorded withholds that event too.
 */
#include "watch/watch_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "access/access.h"
#include "audit/audit.h"
#include "stix/stix.h"

#define TEST_PAGE 200

int watch_owner_policy(struct store *s, int64_t owner, struct store_policy *p, struct lia_err *err)
{
    memset(p, 0, sizeof *p);
    if (owner == 0) {
        p->all = true;
        p->clearance = STORE_TLP_RED;
        return 0;
    }
    struct arena a;
    arena_init(&a, 0);
    struct store_partner partner;
    int rc = store_partner_get(s, owner, NULL, NULL, &a, &partner, err);
    if (rc == 0 && partner.disabled)
        rc = lia_err_set(err, LIA_ENOTFOUND, "the owner of the watch is disabled");
    if (rc == 0) {
        p->partner = owner;
        p->clearance = partner.clearance;
    }
    arena_release(&a);
    return rc;
}

int watch_visible(struct store *s, const struct store_policy *p, int64_t coll, const char *id,
                  int64_t modified_us, int64_t date_added, bool *visible, struct lia_err *err)
{
    *visible = false;
    struct arena a;
    arena_init(&a, 0);
    struct store_filter f = {0};
    f.added_after = date_added - 1;
    f.ids = &id;
    f.n_ids = 1;
    f.version_at = &modified_us;
    f.n_version_at = 1;
    f.limit = 1;
    struct store_page page;
    int rc = store_query_objects(s, p, coll, &f, false, &a, &page, err);
    if (rc == LIA_ENOTFOUND) { /* a collection the owner may not read */
        lia_err_clear(err);
        rc = 0;
    } else if (rc == 0) {
        *visible = page.n == 1 && page.rows[0].date_added == date_added;
    }
    arena_release(&a);
    return rc;
}

static int json_member(struct dbuf *b, const char *key, const char *v, bool first)
{
    int rc = dbuf_printf(b, "%s\"%s\":", first ? "" : ",", key);
    if (rc == 0)
        rc = v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
    return rc;
}

int watch_summary(struct dbuf *out, const char *watch_id, const char *watch_name, json_t *obj,
                  const char *id, const char *type, const char *version, int64_t date_added,
                  const char *collection)
{
    char ts[32];
    lia_format_ts(date_added, 6, ts);
    const char *name = json_string_value(json_object_get(obj, "name"));
    int rc = dbuf_puts(out, "{");
    if (rc == 0 && watch_id)
        rc = json_member(out, "watch", watch_id, true) ||
             json_member(out, "watch_name", watch_name, false);
    if (rc == 0)
        rc = json_member(out, "id", id, !watch_id);
    if (rc == 0)
        rc = json_member(out, "type", type, false) || json_member(out, "name", name, false) ||
             json_member(out, "version", version, false) ||
             json_member(out, "date_added", ts, false) ||
             json_member(out, "collection", collection, false);
    if (rc == 0)
        rc = dbuf_puts(out, "}");
    return rc ? LIA_ETOOBIG : 0;
}

static int check_webhook(const char *url, struct lia_err *err)
{
    size_t len = strlen(url);
    if (len == 0 || len > WATCH_MAX_URL)
        return lia_err_set(err, LIA_EINVAL, "webhook: a URL of at most %d bytes is needed",
                           WATCH_MAX_URL);
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return lia_err_set(err, LIA_EINVAL, "webhook: only http:// and https:// URLs are allowed");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return lia_err_set(err, LIA_EINVAL,
                               "webhook: the URL has a space or control character");
    CURLU *u = curl_url();
    char *host = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host;
    curl_free(host);
    curl_url_cleanup(u);
    return ok ? 0 : lia_err_set(err, LIA_EINVAL, "webhook: '%.200s' is not a valid URL", url);
}

int watch_add(struct store *s, int64_t owner, const struct watch_spec *spec, size_t max,
              struct arena *a, const char **id, const char **secret, struct lia_err *err)
{
    *id = NULL;
    *secret = NULL;
    if (!spec->name || !*spec->name || strlen(spec->name) > WATCH_MAX_TEXT)
        return lia_err_set(err, LIA_EINVAL, "a watch needs a name of 1-%d bytes", WATCH_MAX_TEXT);
    if (spec->webhook) {
        int rc = check_webhook(spec->webhook, err);
        if (rc)
            return rc;
    }
    char *query = NULL;
    int rc = watch_query_build(spec, &query, err);
    if (rc)
        return rc;
    char idbuf[64];
    stix_new_id("watch", idbuf, sizeof idbuf);
    char key[64] = "";
    if (spec->webhook) {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        lia_b64url_encode(raw, sizeof raw, key);
        sodium_memzero(raw, sizeof raw);
    }
    struct store_watch w = {0};
    w.id = idbuf;
    w.owner = owner;
    w.name = spec->name;
    w.query = query;
    w.webhook = spec->webhook;
    w.secret = spec->webhook ? key : NULL;
    int64_t rid = 0;
    rc = store_watch_add(s, &w, max, &rid, err);
    free(query);
    if (rc == 0) {
        *id = arena_strndup(a, idbuf, strlen(idbuf));
        if (spec->webhook)
            *secret = arena_strndup(a, key, strlen(key));
        if (!*id || (spec->webhook && !*secret))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

int watch_list_json(struct store *s, int64_t owner, struct dbuf *out, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_watch *ws;
    size_t n;
    int rc = store_watch_list(s, owner, &a, &ws, &n, err);
    if (rc == 0)
        rc = dbuf_puts(out, "[");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *partner = NULL;
        struct store_partner p;
        if (ws[i].owner && store_partner_get(s, ws[i].owner, NULL, NULL, &a, &p, err) == 0)
            partner = p.name;
        lia_err_clear(err);
        char created[32];
        lia_format_ts(ws[i].created, 3, created);
        rc = dbuf_puts(out, i ? ",{" : "{") || json_member(out, "id", ws[i].id, true) ||
             json_member(out, "name", ws[i].name, false) ||
             json_member(out, "owner", ws[i].owner ? (partner ? partner : "?") : NULL, false) ||
             dbuf_printf(out, ",\"filters\":%s", ws[i].query) ||
             json_member(out, "webhook", ws[i].webhook, false) ||
             json_member(out, "created", created, false) ||
             dbuf_printf(out, ",\"events\":%lld,\"failed_deliveries\":%lld}",
                         (long long)ws[i].events, (long long)ws[i].failed);
    }
    if (rc == 0)
        rc = dbuf_puts(out, "]");
    if (rc > 0 || (rc && !err->code))
        rc = lia_err_set(err, LIA_ETOOBIG, "watch list too large");
    arena_release(&a);
    return rc;
}

/* Appends the matches of q in one collection; stops at limit. */
static int test_collection(struct store *s, const struct store_policy *p,
                           const struct store_collection *coll, const struct watch_query *q,
                           size_t limit, size_t *found, bool *truncated, struct audit_ticket *t,
                           struct dbuf *out, struct lia_err *err)
{
    int64_t after = 0;
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_filter f = {0};
        f.after_key = after;
        f.types = q->types;
        f.n_types = q->n_types;
        f.version_sel = STORE_VER_LAST;
        f.limit = TEST_PAGE;
        struct store_page page;
        int rc = store_query_objects(s, p, coll->rid, &f, true, &a, &page, err);
        for (size_t i = 0; i < page.n && rc == 0; i++) {
            after = page.rows[i].date_added;
            json_t *obj = json_loadb(page.rows[i].json, page.rows[i].json_len, 0, NULL);
            const char *type = json_string_value(json_object_get(obj, "type"));
            int tlp = access_object_tlp(obj);
            if (tlp == STORE_TLP_NONE)
                tlp = coll->default_tlp;
            bool hit = type && watch_query_selects(q, type, tlp, obj);
            if (hit && q->into)
                rc = watch_flow_into(s, p, q, coll->rid, page.rows[i].date_added, &hit, err);
            if (hit && rc == 0) {
                if (*found == limit) {
                    *truncated = true;
                } else {
                    rc = dbuf_puts(out, *found ? "," : "");
                    if (rc == 0)
                        rc =
                            watch_summary(out, NULL, NULL, obj, page.rows[i].id, type,
                                          page.rows[i].modified, page.rows[i].date_added, coll->id);
                    if (rc == 0 && t)
                        rc = audit_ticket_add(t, coll->id, "watch-test", &page.rows[i], 1, err);
                    (*found)++;
                }
            }
            json_decref(obj);
        }
        bool more = page.more;
        arena_release(&a);
        if (rc > 0 || (rc && !err->code))
            rc = lia_err_set(err, LIA_ETOOBIG, "test result too large");
        if (rc || !more || *truncated)
            return rc;
    }
}

int watch_test_json(struct store *s, int64_t owner, const char *id, size_t limit,
                    struct audit_ticket *t, struct dbuf *out, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_watch w;
    struct watch_query q = {0};
    struct store_policy p;
    struct store_collection *cols = NULL;
    size_t n_cols = 0, found = 0;
    bool truncated = false;
    int rc = store_watch_get(s, owner, id, &a, &w, err);
    if (rc == 0)
        rc = watch_query_parse(w.query, &q, err);
    if (rc == 0)
        rc = watch_owner_policy(s, w.owner, &p, err);
    if (rc == 0)
        rc = store_collection_list(s, &p, &a, &cols, &n_cols, err);
    if (rc == 0)
        rc = dbuf_puts(out, "{") || json_member(out, "watch", w.id, true) ||
             dbuf_puts(out, ",\"matches\":[");
    for (size_t i = 0; i < n_cols && rc == 0 && !truncated; i++)
        if (p.all || cols[i].can_read)
            rc = test_collection(s, &p, &cols[i], &q, limit, &found, &truncated, t, out, err);
    if (rc == 0)
        rc = dbuf_printf(out, "],\"truncated\":%s}", truncated ? "true" : "false");
    if (rc > 0 || (rc && !err->code))
        rc = lia_err_set(err, LIA_ETOOBIG, "test result too large");
    watch_query_release(&q);
    arena_release(&a);
    return rc;
}

int watch_audit_disclosure(struct audit_recorder *r, const struct store_watch_event *ev,
                           const char *channel, struct audit_ticket *t, struct lia_err *err)
{
    memset(t, 0, sizeof *t);
    if (ev->owner == 0)
        return 0; /* this instance's own principals: nothing is disclosed */
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p;
    int rc = store_partner_get(r->store, ev->owner, NULL, NULL, &a, &p, err);
    char *actor = rc == 0 ? arena_printf(&a, "partner:%s/watch", p.name) : NULL;
    if (rc == 0 && !actor)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    rc = rc ? rc : audit_ticket_init(t, AUDIT_ROUTE_READ, actor, p.identity_id, err);
    rc = rc ? rc : audit_ticket_note(t, "watch", ev->watch_id ? ev->watch_id : "", 0, err);
    rc = rc ? rc : audit_ticket_note(t, "event", NULL, ev->seq, err);
    rc = rc ? rc : audit_ticket_note(t, "channel", channel, 0, err);
    rc = rc ? rc : audit_ticket_add_keys(t, r->store, "watch", &ev->obj_date_added, 1, err);
    rc = rc ? rc : audit_ticket_commit(r, t, err);
    arena_release(&a);
    return rc;
}

int watch_events_sse(struct audit_recorder *r, int64_t owner, const struct store_policy *p,
                     int64_t *after, size_t limit, struct dbuf *out, struct lia_err *err)
{
    struct store *s = r->store;
    struct arena a;
    arena_init(&a, 0);
    struct store_watch_event *ev;
    size_t n;
    int rc = store_watch_events(s, owner, *after, limit, &a, &ev, &n, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool visible = false;
        rc = watch_visible(s, p, ev[i].coll, ev[i].obj_id, ev[i].obj_modified, ev[i].obj_date_added,
                           &visible, err);
        /* A partner's event goes on the audit record before it goes on the stream, and
         * only an event on record goes. */
        struct audit_ticket t = {0};
        if (rc == 0 && visible)
            rc = watch_audit_disclosure(r, &ev[i], "sse", &t, err);
        if (rc == 0 && visible && !audit_ticket_sendable(&t))
            rc = lia_err_set(err, LIA_EINTERNAL, "an event's disclosure is not on record");
        if (rc == 0 && visible &&
            dbuf_printf(out, "id: %lld\nevent: watch\ndata: %s\n\n", (long long)ev[i].seq,
                        ev[i].summary) != 0)
            rc = lia_err_set(err, LIA_ETOOBIG, "event too large for the stream buffer");
        audit_ticket_release(&t);
        if (rc == 0)
            *after = ev[i].seq;
    }
    arena_release(&a);
    return rc;
}

int watch_fired_json(struct store *s, int64_t owner, const struct store_policy *p, const char *id,
                     int64_t before, size_t limit, struct audit_ticket *t, struct dbuf *out,
                     struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_watch w;
    struct store_watch_event *ev = NULL;
    size_t n = 0;
    int rc = store_watch_get(s, owner, id, &a, &w, err);
    rc = rc ? rc : store_watch_fired(s, owner, id, before, limit + 1, &a, &ev, &n, err);
    if (rc == 0)
        rc = dbuf_puts(out, "{\"watch\":{") || json_member(out, "id", w.id, true) ||
             json_member(out, "name", w.name, false) || dbuf_puts(out, "},\"events\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n && i < limit && rc == 0; i++) {
        bool visible = false;
        rc = watch_visible(s, p, ev[i].coll, ev[i].obj_id, ev[i].obj_modified, ev[i].obj_date_added,
                           &visible, err);
        if (rc || !visible)
            continue;
        if (t)
            rc = audit_ticket_add_keys(t, s, "watch-events", &ev[i].obj_date_added, 1, err);
        char fired[32];
        lia_format_ts(ev[i].created, 3, fired);
        /* The summary is an object: its members follow seq and fired. */
        if (rc == 0 && ev[i].summary[0] == '{')
            rc = dbuf_printf(out, "%s{\"seq\":%lld,\"fired\":\"%s\"%s%s", shown ? "," : "",
                             (long long)ev[i].seq, fired, ev[i].summary[1] == '}' ? "" : ",",
                             ev[i].summary + 1);
        shown++;
    }
    if (rc == 0)
        rc = dbuf_puts(out, "]");
    if (rc == 0 && n > limit)
        rc = dbuf_printf(out, ",\"before\":%lld", (long long)ev[limit - 1].seq);
    if (rc == 0)
        rc = dbuf_puts(out, "}");
    if (rc > 0 || (rc && !err->code))
        rc = lia_err_set(err, LIA_ETOOBIG, "the events do not fit the response limit");
    arena_release(&a);
    return rc;
}
