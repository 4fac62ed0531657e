/*
 * The request pipeline (pipeline.h): one function, pipeline_run, takes every
 * request, and every request made ahead, from its read to its response, so
 * that what the speed-up machinery may do (replay a kept answer, send one made
 * ahead) and what every response must satisfy (its disclosures on record) is
 * decided in one place, whatever the endpoint.
 */
#include "pipeline/pipeline_int.h"

#include <stdatomic.h>
#include <string.h>

static atomic_ullong counters[PIPELINE_COUNTERS];

void pipeline_count(enum pipeline_counter what, size_t n)
{
    atomic_fetch_add_explicit(&counters[what], n, memory_order_relaxed);
}

void pipeline_stats(struct pipeline_stats *out)
{
    out->cache_hits = atomic_load(&counters[PIPELINE_CACHE_HIT]);
    out->cache_misses = atomic_load(&counters[PIPELINE_CACHE_MISS]);
    out->ahead_made = atomic_load(&counters[PIPELINE_AHEAD_MADE]);
    out->ahead_sent = atomic_load(&counters[PIPELINE_AHEAD_SENT]);
    out->ahead_discarded = atomic_load(&counters[PIPELINE_AHEAD_DISCARDED]);
    out->disclosed = atomic_load(&counters[PIPELINE_DISCLOSED]);
}

void pipeline_init(struct pipeline *p, struct store *s, struct audit_recorder *r,
                   const struct pipeline_config *cfg, const struct pipeline_handler *h, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->store = s;
    p->recorder = r;
    p->cfg = *cfg;
    p->handler = *h;
    p->ctx = ctx;
    p->instance = pipeline_rcache_instance();
}

void pipeline_call_init(struct pipeline_call *c, enum pipeline_mode mode, struct http_request *req,
                        struct http_response *resp)
{
    memset(c, 0, sizeof *c);
    c->mode = mode;
    c->req = req;
    c->resp = resp;
}

int pipeline_ticket(struct pipeline_call *c, struct audit_ticket **out, struct lia_err *err)
{
    *out = NULL;
    if (!c->who.partner)
        return 0;
    if (!c->ticket.actor &&
        audit_ticket_init(&c->ticket, AUDIT_ROUTE_READ, c->who.actor, c->who.identity, err) != 0)
        return err->code;
    *out = &c->ticket;
    return 0;
}

/* The read snapshot of one request: one store read transaction (one consistent view, one
 * lock round trip) for every read the request makes. Begun and ended by pipeline_run only,
 * and ended before the request's disclosure record is written: written while the snapshot
 * was held, on a second connection, the record made the reading connection drop its whole
 * page cache at its next read (the store changed under it): 0.7 to 1 ms of server CPU per
 * 1,000-object page (bench/RESULTS.md, run 7). The store pins the connection to the thread
 * (store_read_begin); this handle is what says the request holds it. */
struct snapshot {
    struct store *store;
    bool held;
};

static struct snapshot snapshot_begin(struct store *s, const struct pipeline_call *c)
{
    struct snapshot snap = {.store = s, .held = false};
    const char *m = c->req->method;
    if (!c->made && (!strcmp(m, "GET") || !strcmp(m, "HEAD")))
        snap.held = store_read_begin(s, NULL) == 0;
    return snap;
}

static void snapshot_end(struct snapshot *snap)
{
    if (snap->held)
        store_read_end(snap->store);
    snap->held = false;
}

/* Empties the response and has the handler word err in it. */
static void refuse(struct pipeline *p, struct pipeline_call *c, const struct lia_err *err)
{
    struct http_response *resp = c->resp;
    resp->status = 0;
    resp->content_type = NULL;
    resp->n_headers = 0;
    dbuf_reset(&resp->body);
    p->handler.fail(p->ctx, c, err);
}

/* A request made ahead: kept (c->ahead) only when it may be sent later, and then only once
 * its ticket is committed; an answer larger than readahead_bytes is not put on record at all
 * (its request will make it). */
static void keep_ahead(struct pipeline *p, struct pipeline_call *c, uint64_t gen)
{
    struct lia_err err;
    lia_err_clear(&err);
    uint64_t now;
    if (c->resp->status == 200 && !c->resp->stream && store_generation(p->store, &now) &&
        now == gen && pipeline_answer_size(c, true) <= p->cfg.readahead_bytes &&
        audit_ticket_commit(p->recorder, &c->ticket, &err) == 0)
        c->ahead = pipeline_answer_pack(c, true); /* takes the body and the ticket */
    audit_ticket_release(&c->ticket);
}

/* The response writer: what the answer names goes on record before it may leave, and an
 * answer whose ticket is not committed leaves as an error that names nothing. An error
 * answer names nothing (the handler words it afresh), so its ticket is dropped unrecorded. */
static void write_out(struct pipeline *p, struct pipeline_call *c)
{
    struct lia_err err;
    lia_err_clear(&err);
    const struct audit_ticket *sent = c->kept ? &c->kept->ticket : &c->ticket;
    if (c->resp->status < 200 || c->resp->status >= 300) {
        audit_ticket_release(&c->ticket);
        return;
    }
    if (!c->made && audit_ticket_commit(p->recorder, &c->ticket, &err) != 0) {
        refuse(p, c, &err);
        return;
    }
    if (!audit_ticket_sendable(sent)) { /* cannot happen: a bug, and nothing leaves */
        lia_err_set(&err, LIA_EINTERNAL, "an answer's disclosure is not on record");
        lia_log(LIA_LOG_ERROR, "bug", "\"what\":\"%s\"", err.msg);
        refuse(p, c, &err);
        return;
    }
    pipeline_count(PIPELINE_DISCLOSED, sent->count);
    /* Every answer to a partner carries our latest signed checkpoint, which it keeps as a
     * witness of our log (audit/anchor.c): read after this answer's record is committed. */
    char *line;
    if (c->who.partner && audit_checkpoint_current(p->store, c->req->arena, &line, &err) == 0)
        http_add_header(c->resp, AUDIT_CHECKPOINT_HEADER, line);
}

/* Sends an answer made before the request: kept by the cache (hit), or made ahead (c->kept). */
static void replay(struct pipeline *p, struct pipeline_call *c, struct pipeline_answer *hit)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (c->kept)
        c->next = c->kept->next; /* the page after it is the next to make */
    struct pipeline_answer *a = c->kept ? c->kept : hit;
    if (pipeline_answer_replay(c, a, c->kept != NULL) != 0) {
        lia_err_set(&err, LIA_ENOMEM, "out of memory");
        refuse(p, c, &err);
        return;
    }
    if (c->kept) {
        c->kept_sent = true;
        pipeline_count(PIPELINE_AHEAD_SENT, 1);
    }
}

void pipeline_run(struct pipeline *p, struct pipeline_call *c)
{
    bool request = c->mode == PIPELINE_REQUEST;
    if (!request && !store_generation(p->store, &c->gen))
        return; /* nothing made ahead can be known to be current */
    /* 1. An answer made before the request: the generation is read before the snapshot. */
    struct pipeline_probe probe;
    memset(&probe, 0, sizeof probe);
    if (request) {
        c->made = pipeline_rcache_find(p, c, &probe);
        if (!c->made) {
            c->kept = pipeline_readahead_take(p, c, probe.on ? probe.key : NULL);
            c->made = c->kept != NULL;
        }
    }
    /* 2 and 3. The snapshot around the application's steps. */
    struct snapshot snap = snapshot_begin(p->store, c);
    c->admitted = p->handler.admit(p->ctx, c, c->made);
    if (c->admitted && c->made)
        replay(p, c, probe.hit);
    else if (c->admitted)
        p->handler.route(p->ctx, c);
    snapshot_end(&snap);
    /* 4. The writer. */
    if (!request) {
        keep_ahead(p, c, c->gen);
        return;
    }
    write_out(p, c);
    /* 5. For the requests to come. */
    if (!c->admitted)
        return;
    if (!c->made)
        pipeline_rcache_keep(p, c, &probe);
    pipeline_readahead_schedule(p, c);
}

void pipeline_finish(struct pipeline *p, struct pipeline_call *c)
{
    if (c->kept && !c->kept_sent)
        pipeline_readahead_withdraw(p, c->kept, c->resp->status == 429 ? "rate limit" : "not sent");
    else
        pipeline_answer_free(c->kept);
    c->kept = NULL;
    pipeline_answer_free(c->ahead);
    c->ahead = NULL;
    audit_ticket_release(&c->ticket);
}
