/*
 * `liaison pull`: fetch what a peer added to one of its collections since
 * the checkpoint, and store it here.
 *
 * A run asks GET .../objects/?match[version]=all&limit=N&added_after=<pos>
 * and follows `next` while `more` is true (with the same filters, as TAXII
 * 2.1 asks). Each page is one transaction: its objects (through the one
 * write path, as the peer's partner), their provenance, an audit entry and
 * the new position (the page's X-TAXII-Date-Added-Last) commit together.
 *
 * Nothing may be skipped: a server may give many objects one date_added
 * (medallion gives one to every object of a POST; TAXII 2.1 section 3.4
 * makes added_after exclusive and timestamps need not be unique), and a
 * page can end in the middle of such a group. So a chain of next pages
 * starts from one microsecond before the position (inclusive of it): the
 * rest of the group comes again, and what arrives twice stores nothing
 * twice ((collection, id, modified) is unique). A run killed at any moment
 * thus resumes without loss, and every version ends up here exactly once.
 * A next token is never sent twice (it may be a consuming cursor): a failed
 * request with one starts the chain again from the position. Nor is it kept
 * across runs, for the same reason.
 *
 * Our own objects coming back (pushed by us to the collection we pull from)
 * are recognised and not recorded as the peer's: created by this instance's
 * identity, or the same id and version as one held in a collection this
 * instance pushes to that remote collection.
 *
 * An answer that is not TAXII 2.1 (wrong status, wrong media type, not JSON,
 * a STIX 2.0 bundle, a bundle instead of an envelope) stops the run before
 * anything of that page is stored, with a message saying what came back.
 */
#include "exchange/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

struct pull {
    struct store *s;
    const struct store_peer *peer;
    const char *remote;
    const struct store_collection *local;
    const struct exchange_opts *o;
    struct xc_client c;
    struct access_principal who;
    struct store_partner partner;
    struct store_checkpoint cp;
    struct exchange_result *res;
    char *owned_position; /* the position a committed page set (malloc'd) */
    char actor[160];
    const char *self;     /* this instance's identity */
    int64_t *pushed_from; /* local collections pushed to the same remote collection */
    size_t n_pushed_from;
};

/* added_after for a chain starting at position: one microsecond before it, so that the
 * objects sharing the position's date_added come again (inclusive). The position itself when
 * it is not a timestamp we can read. */
static void inclusive_after(const char *position, char out[64])
{
    int64_t us;
    int digits;
    struct lia_err e;
    if (stix_parse_timestamp(position, strlen(position), &us, &digits, &e) == 0 && us > 0) {
        char ts[32];
        lia_format_ts(us - 1, 6, ts);
        snprintf(out, 64, "%s", ts);
    } else {
        snprintf(out, 64, "%s", position);
    }
}

/* Whether the version of obj is ours: created here, or held in a collection we push to this
 * remote collection. */
static bool is_ours(struct pull *p, json_t *obj, const char *const *held_ids,
                    const char *const *held_mod, size_t n_held)
{
    const char *by = json_string_value(json_object_get(obj, "created_by_ref"));
    if (by && p->self && !strcmp(by, p->self))
        return true;
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *mod = json_string_value(json_object_get(obj, "modified"));
    int64_t want = 0, have = 0;
    int d;
    struct lia_err e;
    if (!id || (mod && stix_parse_timestamp(mod, strlen(mod), &want, &d, &e)))
        return false;
    for (size_t i = 0; i < n_held; i++) {
        if (strcmp(held_ids[i], id))
            continue;
        if (!mod || !held_mod[i])
            return !mod && !held_mod[i];
        if (stix_parse_timestamp(held_mod[i], strlen(held_mod[i]), &have, &d, &e) == 0 &&
            have == want)
            return true;
    }
    return false;
}

/* Takes our own objects out of env (they are counted in res->ours, not stored). */
static int drop_ours(struct pull *p, struct stix_envelope *env, struct lia_err *err)
{
    if (!env->n_items)
        return 0;
    struct arena a;
    arena_init(&a, 0);
    const char **ids = arena_alloc(&a, env->n_items * sizeof *ids);
    size_t n_ids = 0;
    for (size_t i = 0; ids && i < env->n_items; i++) {
        const char *id = json_string_value(json_object_get(env->items[i].obj, "id"));
        if (id)
            ids[n_ids++] = id;
    }
    const char **held_ids = NULL, **held_mod = NULL;
    size_t n_held = 0, cap = 0;
    int rc = ids ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    for (size_t k = 0; rc == 0 && n_ids && k < p->n_pushed_from; k++) {
        int64_t after = 0;
        bool more = true;
        while (rc == 0 && more) {
            struct store_filter f = {.after_key = after,
                                     .ids = ids,
                                     .n_ids = n_ids,
                                     .version_sel = STORE_VER_ALL,
                                     .limit = 1000};
            struct store_page page;
            rc = store_query_objects(p->s, &admin, p->pushed_from[k], &f, false, &a, &page, err);
            if (rc)
                break;
            if (n_held + page.n > cap) {
                size_t ncap = (n_held + page.n) * 2;
                const char **ni = arena_alloc(&a, ncap * sizeof *ni);
                const char **nm = arena_alloc(&a, ncap * sizeof *nm);
                if (!ni || !nm) {
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                    break;
                }
                if (n_held) {
                    memcpy(ni, held_ids, n_held * sizeof *ni);
                    memcpy(nm, held_mod, n_held * sizeof *nm);
                }
                held_ids = ni;
                held_mod = nm;
                cap = ncap;
            }
            for (size_t i = 0; i < page.n; i++) {
                held_ids[n_held] = page.rows[i].id;
                held_mod[n_held++] = page.rows[i].modified;
            }
            more = page.more && page.n;
            if (page.n)
                after = page.rows[page.n - 1].date_added;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < env->n_items; i++) {
        if (is_ours(p, env->items[i].obj, held_ids, held_mod, n_held))
            p->res->ours++;
        else
            env->items[kept++] = env->items[i];
    }
    if (rc == 0)
        env->n_items = kept;
    arena_release(&a);
    return rc;
}

static char *page_url(struct pull *p, const char *after, const char *next)
{
    struct dbuf u;
    dbuf_init(&u, 16384);
    int rc = dbuf_printf(&u, "%scollections/", p->c.root);
    rc = rc ? rc : xc_escape(&u, p->remote);
    rc = rc ? rc : dbuf_printf(&u, "/objects/?match%%5Bversion%%5D=all&limit=%zu", p->o->page);
    if (!rc && after) {
        rc = dbuf_puts(&u, "&added_after=");
        rc = rc ? rc : xc_escape(&u, after);
    }
    if (!rc && next) {
        rc = dbuf_puts(&u, "&next=");
        rc = rc ? rc : xc_escape(&u, next);
    }
    size_t len;
    char *s = rc ? NULL : dbuf_detach(&u, &len);
    dbuf_release(&u);
    return s;
}

/* Checks and parses one answer; nothing is stored when this fails. */
static int parse_page(struct pull *p, const char *url, struct xc_resp *r, struct stix_envelope *env,
                      bool *more, char **next, struct lia_err *err)
{
    if (r->status != 200)
        return xc_http_error(&p->c, "objects", r, err);
    if (!xc_media_ok(r->content_type, true))
        return lia_err_set(err, LIA_EIO,
                           "peer %s: objects answered Content-Type '%.80s', not TAXII 2.1; nothing "
                           "stored from it",
                           p->peer->name, r->content_type);
    struct stix_limits lim = {.max_depth = 64, .max_string = 16u << 20, .max_objects = 1u << 24};
    struct lia_err why;
    lia_err_clear(&why);
    int rc = stix_parse_envelope(r->body.ptr ? r->body.ptr : "", r->body.len, &lim, env, &why);
    if (rc == STIX_EVERSION)
        return lia_err_set(err, LIA_EIO,
                           "peer %s: answered STIX 2.0 content, not STIX 2.1 (%s); nothing stored "
                           "from it",
                           p->peer->name, why.msg);
    if (rc)
        return lia_err_set(err, LIA_EIO,
                           "peer %s: the answer is not a TAXII 2.1 envelope (%s); nothing stored "
                           "from it",
                           p->peer->name, why.msg);
    if (env->is_bundle) {
        stix_envelope_release(env);
        return lia_err_set(err, LIA_EIO,
                           "peer %s: answered a STIX bundle where TAXII 2.1 sends an envelope; "
                           "nothing stored from it",
                           p->peer->name);
    }
    json_t *m = json_object_get(env->root, "more");
    json_t *n = json_object_get(env->root, "next");
    if ((m && !json_is_boolean(m)) || (n && !json_is_string(n))) {
        stix_envelope_release(env);
        return lia_err_set(
            err, LIA_EIO, "peer %s: the envelope's more/next are malformed; nothing stored from it",
            p->peer->name);
    }
    *more = json_is_true(m);
    *next = n ? strdup(json_string_value(n)) : NULL;
    (void)url;
    return 0;
}

struct page {
    struct pull *p;
    struct store_checkpoint cp; /* the position after this page */
};

/* In the page's transaction: the new position, and the audit detail. */
static int page_done(struct store_txn *t, const struct exchange_result *n, void *ctx,
                     struct dbuf *d, struct lia_err *err)
{
    struct page *g = ctx;
    struct pull *p = g->p;
    g->cp.objects += (int64_t)n->stored;
    int rc = store_checkpoint_put(t, &g->cp, err);
    dbuf_puts(d, "{\"peer\":");
    dbuf_json_string(d, p->peer->name, strlen(p->peer->name));
    dbuf_printf(d, ",\"collection\":\"%s\",\"remote\":", p->local->id);
    dbuf_json_string(d, p->remote, strlen(p->remote));
    int r2 = dbuf_printf(d, ",\"received\":%llu,\"stored\":%llu,\"refused\":%llu}",
                         (unsigned long long)n->received, (unsigned long long)n->stored,
                         (unsigned long long)n->refused);
    return rc ? rc : r2 ? lia_err_set(err, r2, "audit record too large") : 0;
}

/* Stores one page with its provenance, audit entry and new position, in one transaction. */
static int store_page(struct pull *p, const struct stix_envelope *env, const char *position,
                      struct lia_err *err)
{
    struct page g = {.p = p, .cp = p->cp};
    if (position)
        g.cp.position = position;
    struct exchange_batch b = {.s = p->s,
                               .who = &p->who,
                               .coll = p->local->rid,
                               .env = env,
                               .peer = p->peer->rid,
                               .trust = p->partner.trust,
                               .via = "pull",
                               .action = "objects.pull",
                               .o = p->o,
                               .finish = page_done,
                               .ctx = &g};
    int rc = exchange_receive(&b, p->res, err);
    if (rc == 0) {
        if (position) {
            free(p->owned_position);
            p->owned_position = strdup(position);
            p->cp.position = p->owned_position;
        }
        p->cp.objects = g.cp.objects;
    }
    return rc;
}

static int run(struct pull *p, struct lia_err *err)
{
    int rc = xc_find_root(&p->c, err);
    char *next = NULL;
    bool more = true;
    /* A next token is bound to the filters it was issued for: keep added_after fixed along one
     * chain of next tokens, and take the new position only when a chain starts, inclusively
     * (objects sharing the position's date_added may not all have been fetched). */
    char chain_after[64] = "";
    int restarts = 0;
    while (rc == 0 && more) {
        if (!next && p->cp.position && p->cp.position[0])
            inclusive_after(p->cp.position, chain_after);
        char *url = page_url(p, chain_after[0] ? chain_after : NULL, next);
        if (!url) {
            free(next);
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        }
        struct xc_resp r;
        /* A next token may be a consuming cursor (medallion's is: it hands out the following
         * page each time it is used), so a request with one is never sent again: when it
         * fails, or the answer is not a page, the chain starts again from the position,
         * inclusively, which loses nothing (at most o->retries times per run). */
        struct exchange_opts once = *p->o;
        once.retries = 0;
        const struct exchange_opts *saved = p->c.o;
        if (next)
            p->c.o = &once;
        rc = xc_request(&p->c, url, NULL, 0, &r, err);
        p->c.o = saved;
        bool failed = rc != 0 || r.status != 200;
        if (next && failed && restarts < p->o->retries) {
            lia_log(LIA_LOG_WARN, "exchange.chain_restart",
                    "\"peer\":\"%s\",\"status\":%ld,\"from\":\"position\"", p->peer->name,
                    rc ? 0L : r.status);
            if (rc == 0)
                xc_resp_release(&r);
            free(url);
            free(next);
            next = NULL;
            restarts++;
            rc = 0;
            continue;
        }
        if (rc) {
            free(url);
            break;
        }
        struct stix_envelope env = {0};
        char *nnext = NULL;
        bool nmore = false;
        rc = parse_page(p, url, &r, &env, &nmore, &nnext, err);
        free(url);
        size_t body_bytes = r.body.len;
        char position[64];
        snprintf(position, sizeof position, "%s", r.added_last);
        if (rc) {
            xc_resp_release(&r);
            break;
        }
        uint64_t got = p->res->received + p->res->ours;
        char old[64];
        snprintf(old, sizeof old, "%s", p->cp.position ? p->cp.position : "");
        bool any = env.n_items > 0;
        rc = drop_ours(p, &env, err);
        if (rc == 0)
            rc = store_page(p, &env, any && position[0] ? position : NULL, err);
        stix_envelope_release(&env);
        xc_resp_release(&r); /* after the page: the envelope's items point into it */
        if (rc) {
            free(nnext);
            break;
        }
        exchange_progress_add(p->o->progress, p->res->received + p->res->ours - got, body_bytes);
        free(next);
        next = nnext;
        more = nmore;
        if (more && !next) {
            /* more without next: continue by added_after when the position moved. */
            if (!p->cp.position || !strcmp(p->cp.position, old))
                more = false;
        }
    }
    free(next);
    return rc;
}

int exchange_pull(struct store *s, const struct store_peer *peer, const char *remote_coll,
                  const struct store_collection *local, const struct exchange_opts *o,
                  struct exchange_result *res, struct lia_err *err)
{
    memset(res, 0, sizeof *res);
    struct pull p = {
        .s = s, .peer = peer, .remote = remote_coll, .local = local, .o = o, .res = res};
    snprintf(p.actor, sizeof p.actor, "peer:%s", peer->name);
    int fd;
    int rc = exchange_lock(o, "pull", peer->rid, local->rid, remote_coll, &fd, err);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    rc = exchange_principal(s, peer->partner, p.actor, &a, &p.who, &p.partner, err);
    if (rc == 0)
        rc =
            exchange_checkpoint_load(s, peer->rid, "pull", remote_coll, local->rid, &a, &p.cp, err);
    p.self = access_instance_identity(s);
    struct store_checkpoint *cps = NULL;
    size_t n_cps = 0;
    if (rc == 0)
        rc = store_checkpoint_list(s, peer->rid, &a, &cps, &n_cps, err);
    if (rc == 0 && n_cps && !(p.pushed_from = arena_alloc(&a, n_cps * sizeof *p.pushed_from)))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n_cps; i++)
        if (!strcmp(cps[i].direction, "push") && !strcmp(cps[i].remote_coll, remote_coll))
            p.pushed_from[p.n_pushed_from++] = cps[i].local_coll;
    if (rc == 0)
        rc = xc_open(peer, o, &p.c, err);
    if (rc == 0) {
        rc = run(&p, err);
        xc_keep_witness(&p.c, s, &p.partner); /* the peer's signed checkpoint, if it sent one */
        xc_close(&p.c);
    }
    if (rc != LIA_EBUSY && (rc == 0 || p.cp.peer))
        exchange_checkpoint_result(s, &p.cp, rc, rc ? err->msg : NULL);
    free(p.owned_position);
    arena_release(&a);
    exchange_unlock(fd);
    return rc;
}

int exchange_remote_collections(const struct store_peer *peer, const struct exchange_opts *o,
                                struct arena *a, struct exchange_remote_collection **out, size_t *n,
                                struct lia_err *err)
{
    struct xc_client c;
    *out = NULL;
    *n = 0;
    int rc = xc_open(peer, o, &c, err);
    if (rc)
        return rc;
    rc = xc_find_root(&c, err);
    json_t *j = NULL;
    char *url = rc ? NULL : arena_printf(a, "%scollections/", c.root);
    if (rc == 0)
        rc = url ? xc_get_json(&c, url, &j, err) : lia_err_set(err, LIA_ENOMEM, "out of memory");
    json_t *list = json_object_get(j, "collections");
    size_t count = json_is_array(list) ? json_array_size(list) : 0;
    if (rc == 0 && count) {
        *out = arena_alloc(a, count * sizeof **out);
        if (!*out)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        json_t *e = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        if (!id)
            continue;
        const char *title = json_string_value(json_object_get(e, "title"));
        struct exchange_remote_collection *rcoll = &(*out)[(*n)++];
        rcoll->id = arena_strndup(a, id, strlen(id));
        rcoll->title = title ? arena_strndup(a, title, strlen(title)) : "";
        rcoll->can_read = json_is_true(json_object_get(e, "can_read"));
        rcoll->can_write = json_is_true(json_object_get(e, "can_write"));
    }
    json_decref(j);
    xc_close(&c);
    return rc;
}

int exchange_remote_readable(const struct store_peer *peer, const struct exchange_opts *o,
                             const char *remote, bool *readable, struct lia_err *err)
{
    /* Only a clear "no" counts: any other trouble is the pull's to report (its retries, its
     * exit code), so *readable stays true then. */
    *readable = true;
    struct xc_client c;
    struct lia_err quiet;
    lia_err_clear(&quiet);
    if (xc_open(peer, o, &c, &quiet) != 0)
        return 0;
    int rc = xc_find_root(&c, &quiet);
    struct dbuf u;
    dbuf_init(&u, 16384);
    if (rc == 0 &&
        (dbuf_printf(&u, "%scollections/", c.root) || xc_escape(&u, remote) || dbuf_puts(&u, "/")))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct xc_resp r;
    long status = 0;
    if (rc == 0 && xc_request(&c, u.ptr, NULL, 0, &r, &quiet) == 0) {
        status = r.status;
        json_t *j =
            r.status == 200 ? json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, NULL) : NULL;
        if (json_is_false(json_object_get(j, "can_read")))
            *readable = false;
        json_decref(j);
        xc_resp_release(&r);
    }
    dbuf_release(&u);
    xc_close(&c);
    if (rc || (status != 404 && status != 403))
        return rc == LIA_ENOMEM ? rc : 0;
    /* Not found by that name: a server without single-collection reads lists it. */
    struct arena a;
    arena_init(&a, 0);
    struct exchange_remote_collection *list;
    size_t n = 0;
    if (exchange_remote_collections(peer, o, &a, &list, &n, &quiet) == 0) {
        *readable = false;
        for (size_t i = 0; i < n; i++)
            *readable = *readable || (!strcmp(list[i].id, remote) && list[i].can_read);
    }
    arena_release(&a);
    return 0;
}
