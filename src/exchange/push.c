/*
 * `liaison push`: send a peer what its partner may receive and has not
 * received yet.
 *
 * What is sent is read through the one gate (store_query_objects with the
 * partner's policy, design.md invariant 1): exactly what the partner would
 * get by reading the collection itself, every version, in date_added order
 * after the checkpoint. Nothing is filtered after fetching. Each envelope
 * stays under the peer's max_content_length (from its API root); before it
 * leaves, its disclosure ticket (audit/ticket.c) is committed (invariant 5). The status
 * the peer returns is followed until it is complete; objects it refused are
 * reported with its reason. The checkpoint moves after each envelope the
 * peer has finished with, so a push that stops resumes after the last
 * envelope the peer accepted.
 */
#define _GNU_SOURCE /* strcasestr */
#include "exchange/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"

#define ENVELOPE_OPEN "{\"objects\":["
#define ENVELOPE_CLOSE "]}"

struct push {
    struct store *s;
    const struct store_peer *peer;
    const struct store_collection *local;
    const char *remote;
    const struct exchange_opts *o;
    struct xc_client c;
    struct access_principal who;
    struct store_partner partner;
    struct store_checkpoint cp;
    struct exchange_result *res;
    size_t max_body;
    char actor[160];
    char position[32];
    struct audit_recorder recorder;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Names rows[0..n) in the envelope's ticket t and commits it: the envelope is posted only
 * while t is sendable. */
static int disclose(struct push *p, const struct store_row *rows, size_t n, struct audit_ticket *t,
                    struct lia_err *err)
{
    int rc = audit_ticket_init(t, AUDIT_ROUTE_PUSH, p->actor, p->partner.identity_id, err);
    rc = rc ? rc : audit_ticket_note(t, "peer", p->peer->name, 0, err);
    rc = rc ? rc : audit_ticket_add(t, p->local->id, "push", rows, n, err);
    return rc ? rc : audit_ticket_commit(&p->recorder, t, err);
}

/* Reads a status resource's counts and reports its failures. *done when not pending. */
static int take_status(struct push *p, json_t *st, bool *done, struct lia_err *err)
{
    const char *status = json_string_value(json_object_get(st, "status"));
    if (!status || !json_is_string(json_object_get(st, "id")))
        return lia_err_set(err, LIA_EIO, "peer %s: the answer to a POST is not a status resource",
                           p->peer->name);
    *done = !strcmp(status, "complete");
    if (!*done)
        return 0;
    /* success_count counts what the peer accepted, also what it held already (liaison says
     * "already held" in the success's message, medallion "Object already added"): only the
     * rest is new there. */
    json_t *s = json_object_get(st, "success_count");
    uint64_t ok =
        json_is_integer(s) && json_integer_value(s) > 0 ? (uint64_t)json_integer_value(s) : 0;
    uint64_t held = 0;
    size_t k;
    json_t *d;
    json_array_foreach(json_object_get(st, "successes"), k, d)
    {
        const char *msg = json_string_value(json_object_get(d, "message"));
        if (msg && strcasestr(msg, "already"))
            held++;
    }
    held = held > ok ? ok : held;
    p->res->stored += ok - held;
    p->res->existed += held;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(st, "failures"), i, f)
    {
        const char *id = json_string_value(json_object_get(f, "id"));
        const char *ver = json_string_value(json_object_get(f, "version"));
        const char *msg = json_string_value(json_object_get(f, "message"));
        p->res->refused++;
        char by[200];
        snprintf(by, sizeof by, "peer %s", p->peer->name);
        exchange_report(p->o, by, id ? id : "?", ver ? ver : "", msg ? msg : "(no reason given)");
    }
    return 0;
}

/* Posts rows[0..n) as one envelope and follows its status until complete. */
static int send_envelope(struct push *p, const struct store_row *rows, size_t n,
                         struct lia_err *err)
{
    struct audit_ticket t;
    int rc = disclose(p, rows, n, &t, err);
    bool on_record = rc == 0 && audit_ticket_sendable(&t);
    audit_ticket_release(&t);
    if (rc)
        return rc;
    if (!on_record)
        return lia_err_set(err, LIA_EINTERNAL, "an envelope's disclosure is not on record");
    struct dbuf body;
    dbuf_init(&body, p->max_body);
    rc = dbuf_puts(&body, ENVELOPE_OPEN);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = dbuf_puts(&body, ",");
        rc = rc ? rc : dbuf_append(&body, rows[i].json, rows[i].json_len);
    }
    rc = rc ? rc : dbuf_puts(&body, ENVELOPE_CLOSE);
    if (rc) {
        dbuf_release(&body);
        return lia_err_set(err, LIA_EINTERNAL, "envelope over the peer's limit");
    }
    struct dbuf u;
    dbuf_init(&u, 16384);
    rc = dbuf_printf(&u, "%scollections/", p->c.root);
    rc = rc ? rc : xc_escape(&u, p->remote);
    rc = rc ? rc : dbuf_puts(&u, "/objects/");
    struct xc_resp r;
    xc_send_checkpoint(&p->c, p->s); /* our head, with this envelope's record in it */
    if (rc == 0)
        rc = xc_request(&p->c, u.ptr, body.ptr, body.len, &r, err);
    else
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    size_t sent = body.len;
    dbuf_release(&body);
    json_t *st = NULL;
    if (rc == 0) {
        if (r.status != 202 && r.status != 200)
            rc = xc_http_error(&p->c, "POST objects", &r, err);
        else if (!xc_media_ok(r.content_type, false) ||
                 !(st = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, NULL)))
            rc = lia_err_set(err, LIA_EIO, "peer %s: the answer to a POST is not TAXII 2.1 JSON",
                             p->peer->name);
        xc_resp_release(&r);
    }
    bool done = false;
    if (rc == 0)
        rc = take_status(p, st, &done, err);
    long wait = 200;
    for (int polls = 0; rc == 0 && !done; polls++) {
        if (polls > 600) {
            rc = lia_err_set(err, LIA_EIO, "peer %s: status %s still pending; giving up",
                             p->peer->name, json_string_value(json_object_get(st, "id")));
            break;
        }
        sleep_ms(wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
        dbuf_reset(&u);
        rc = dbuf_printf(&u, "%sstatus/", p->c.root);
        rc = rc ? rc : xc_escape(&u, json_string_value(json_object_get(st, "id")));
        rc = rc ? rc : dbuf_puts(&u, "/");
        json_t *next = NULL;
        if (rc == 0)
            rc = xc_get_json(&p->c, u.ptr, &next, err);
        if (rc == 0) {
            json_decref(st);
            st = next;
            rc = take_status(p, st, &done, err);
        }
    }
    json_decref(st);
    dbuf_release(&u);
    if (rc == 0) {
        p->res->received += n;
        exchange_progress_add(p->o->progress, n, sent);
    }
    return rc;
}

static int advance(struct push *p, int64_t last, size_t n, struct lia_err *err)
{
    snprintf(p->position, sizeof p->position, "%lld", (long long)last);
    p->cp.position = p->position;
    p->cp.objects += (int64_t)n;
    struct store_txn *t;
    int rc = store_begin(p->s, &t, err);
    if (rc)
        return rc;
    rc = store_checkpoint_put(t, &p->cp, err);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

static bool contains(const char *hay, size_t n, const char *needle, size_t m)
{
    for (const char *p = hay; m <= n - (size_t)(p - hay);) {
        const char *c = memchr(p, needle[0], n - (size_t)(p - hay) - m + 1);
        if (!c)
            return false;
        if (!memcmp(c, needle, m))
            return true;
        p = c + 1;
    }
    return false;
}

/* The versions of page the peer's own partner created (created_by_ref): they came from it
 * (a request it sent, pulled from it), so they are not sent back, where its creator rule would
 * refuse each one as an echo every time. The others, in order, into *out (in a). */
static size_t not_theirs(struct push *p, const struct store_page *page, struct arena *a,
                         struct store_row **out)
{
    const char *me = p->partner.identity_id;
    size_t n = 0, mlen = me ? strlen(me) : 0;
    *out = page->n ? arena_alloc(a, page->n * sizeof **out) : NULL;
    if (!*out)
        return page->n ? (*out = page->rows, page->n) : 0;
    for (size_t i = 0; i < page->n; i++) {
        const struct store_row *r = &page->rows[i];
        bool theirs = false;
        if (mlen && r->json && contains(r->json, r->json_len, me, mlen)) { /* cheap test first */
            json_t *o = json_loadb(r->json, r->json_len, 0, NULL);
            const char *by = json_string_value(json_object_get(o, "created_by_ref"));
            theirs = by && !strcmp(by, me);
            json_decref(o);
        }
        if (theirs)
            p->res->theirs++;
        else
            (*out)[n++] = *r;
    }
    return n;
}

static int run(struct push *p, struct lia_err *err)
{
    int rc = xc_find_root(&p->c, err);
    json_t *root = NULL;
    if (rc == 0)
        rc = xc_get_json(&p->c, p->c.root, &root, err);
    if (rc)
        return rc;
    json_t *mcl = json_object_get(root, "max_content_length");
    p->max_body = json_is_integer(mcl) && json_integer_value(mcl) > 1024
                      ? (size_t)json_integer_value(mcl)
                      : 10u * 1024 * 1024;
    json_decref(root);
    int64_t after = 0;
    if (p->cp.position &&
        lia_parse_i64(p->cp.position, strlen(p->cp.position), 0, INT64_MAX, &after) != 0)
        after = 0;
    bool more = true;
    while (rc == 0 && more) {
        struct arena a;
        arena_init(&a, 0);
        struct store_filter f = {
            .after_key = after, .version_sel = STORE_VER_ALL, .limit = p->o->page};
        struct store_page page;
        rc = store_query_objects(p->s, &p->who.policy, p->local->rid, &f, true, &a, &page, err);
        more = rc == 0 && page.more;
        struct store_row *rows = NULL;
        size_t n = rc == 0 ? not_theirs(p, &page, &a, &rows) : 0;
        size_t start = 0, size = strlen(ENVELOPE_OPEN) + strlen(ENVELOPE_CLOSE);
        for (size_t i = 0; rc == 0 && i <= n; i++) {
            bool flush = i == n;
            size_t need = i < n ? rows[i].json_len + 1 : 0;
            if (!flush && size + need > p->max_body && i > start)
                flush = true;
            if (flush && i > start) {
                rc = send_envelope(p, rows + start, i - start, err);
                if (rc == 0)
                    rc = advance(p, rows[i - 1].date_added, i - start, err);
                start = i;
                size = strlen(ENVELOPE_OPEN) + strlen(ENVELOPE_CLOSE);
            }
            if (rc || i == n)
                break;
            if (size + need > p->max_body) {
                /* Alone over the peer's limit: it can never be sent. Say so, move on. */
                char by[200];
                snprintf(by, sizeof by, "peer %s", p->peer->name);
                exchange_report(p->o, by, rows[i].id, rows[i].modified ? rows[i].modified : "",
                                "larger than the peer's max_content_length; not sent");
                p->res->refused++;
                rc = advance(p, rows[i].date_added, 0, err);
                start = i + 1;
                continue;
            }
            size += need;
        }
        if (rc == 0 && page.n &&
            (n == 0 || rows[n - 1].date_added != page.rows[page.n - 1].date_added))
            rc = advance(p, page.rows[page.n - 1].date_added, 0, err); /* past their own, too */
        if (rc == 0 && page.n)
            after = page.rows[page.n - 1].date_added;
        arena_release(&a);
    }
    return rc;
}

int exchange_push(struct store *s, const struct store_peer *peer,
                  const struct store_collection *local, const char *remote_coll,
                  const struct exchange_opts *o, struct exchange_result *res, struct lia_err *err)
{
    memset(res, 0, sizeof *res);
    struct push p = {
        .s = s, .peer = peer, .local = local, .remote = remote_coll, .o = o, .res = res};
    snprintf(p.actor, sizeof p.actor, "peer:%s", peer->name);
    int fd;
    int rc = exchange_lock(o, "push", peer->rid, local->rid, remote_coll, &fd, err);
    if (rc)
        return rc;
    audit_recorder_init(&p.recorder, s);
    struct arena a;
    arena_init(&a, 0);
    rc = exchange_principal(s, peer->partner, p.actor, &a, &p.who, &p.partner, err);
    struct store_collection visible;
    if (rc == 0 && store_collection_get(s, &p.who.policy, local->id, &a, &visible, err) != 0)
        rc = lia_err_set(err, LIA_ENOTFOUND,
                         "partner %s may not read collection %s: nothing to push (grant it "
                         "--read first)",
                         p.partner.name, local->id);
    if (rc == 0)
        rc =
            exchange_checkpoint_load(s, peer->rid, "push", remote_coll, local->rid, &a, &p.cp, err);
    if (rc == 0)
        rc = xc_open(peer, o, &p.c, err);
    if (rc == 0) {
        rc = run(&p, err);
        xc_keep_witness(&p.c, s, &p.partner); /* the peer's signed checkpoint, if it sent one */
        xc_close(&p.c);
    }
    if (p.cp.peer)
        exchange_checkpoint_result(s, &p.cp, rc, rc ? err->msg : NULL);
    arena_release(&a);
    exchange_unlock(fd);
    audit_recorder_release(&p.recorder);
    return rc;
}
