/*
 * watch: standing queries ("watches") and the engine that fires them. The face of src/watch/
 * (docs/watches.md).
 *
 * A watch belongs to a principal, its owner: a partner (rowid) or this instance's local
 * principals (0). It selects object versions by type, by name or alias (compared after the
 * Arabic and Latin normalisation of text/, so that الدولة الإسلامية, الدولة الاسلامية and
 * ISIS meet when the data lists them as aliases of one object), by location (country or
 * region) and by effective TLP. The engine follows every version stored after a cursor kept in
 * the store and, for each watch whose filters select it AND whose owner may see it — asked of
 * the store's one gate, store_query_objects with the owner's policy and that exact version —
 * records one event. The store keeps events unique per (watch, version): a watch fires once
 * per version, across restarts. Events go to the owner's webhook (POST, signed, retried) and
 * to the owner's server-sent-event streams, which are re-checked through the gate when sent.
 *
 * Threads: the engine runs two threads (matching, webhook deliveries); every other function
 * may be called from any thread. Nothing here logs a webhook secret.
 */
#ifndef LIAISON_WATCH_H
#define LIAISON_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/store.h"
#include "util/util.h"

#define WATCH_MAX_VALUES 16 /* types or locations in one watch */
#define WATCH_MAX_TEXT 256  /* bytes of a name or a name-like text */
#define WATCH_MAX_URL 2048  /* bytes of a webhook URL */

/* What a new watch asks for. Lists are OR-ed; the kinds of filter are AND-ed; an empty kind
 * selects everything. */
struct watch_spec {
    const char *name;
    const char *types[WATCH_MAX_VALUES];
    size_t n_types;
    const char *name_likes[WATCH_MAX_VALUES]; /* any of them in a name or alias; none: any */
    size_t n_name_likes;
    const char *text_likes[WATCH_MAX_VALUES]; /* any of them in a name, alias or description */
    size_t n_text_likes;
    const char *locations[WATCH_MAX_VALUES]; /* ISO 3166-1 alpha-2 codes or STIX regions */
    size_t n_locations;
    const char *marking_at_most; /* TLP name ("green", "amber+strict"...), NULL: any */
    /* Flows (docs/flows.md): a place a liaison-flow goes into or through, containment
     * included (a gazetteer key, an ISO 3166 code or a STIX region), NULL: any; and what
     * moves (flow-commodity-ov), none: anything. Either selects liaison-flow objects only. */
    const char *into;
    const char *what[WATCH_MAX_VALUES];
    size_t n_what;
    const char *webhook; /* http:// or https:// URL, NULL: none */
};

/* The policy the store applies for owner: local (0) sees all; a partner its grants and
 * clearance. LIA_ENOTFOUND when the partner is gone or disabled. */
int watch_owner_policy(struct store *s, int64_t owner, struct store_policy *p, struct lia_err *err);

/* Normalises text for name matching: text_normalize, then runs of spaces and punctuation
 * become one space, trimmed. Returns a malloc'd string, or NULL when out of memory. Also what
 * the corroboration of an entity compares names and aliases with (docs/flows.md). */
char *watch_normalize_name(const char *text, size_t len);

/* Validates spec (LIA_EINVAL naming the bad value) and stores it as a watch of owner, at most
 * max per owner (LIA_ETOOBIG). *id gets the new id and *secret the webhook signing secret —
 * shown to the caller once, NULL without a webhook — both in arena a. */
int watch_add(struct store *s, int64_t owner, const struct watch_spec *spec, size_t max,
              struct arena *a, const char **id, const char **secret, struct lia_err *err);

/* Appends a JSON array of views of owner's watches (owner < 0: all) to out: id, name, owner
 * (partner name or null), filters, webhook (the URL; never the secret), events, failed. */
int watch_list_json(struct store *s, int64_t owner, struct dbuf *out, struct lia_err *err);

/* Appends {"watch", "matches": [{"id","version","type","name","collection","date_added"}...],
 * "truncated"} to out: the newest versions of stored objects the watch selects now and its
 * owner may see, at most limit; each match is named in t (endpoint "watch-test") when t is not
 * NULL: the caller commits t before it sends out. LIA_ENOTFOUND when owner (< 0: any) has no
 * such watch. */
int watch_test_json(struct store *s, int64_t owner, const char *id, size_t limit,
                    struct audit_ticket *t, struct dbuf *out, struct lia_err *err);

struct watch_engine_config {
    int64_t poll_ms;        /* how often new versions are looked for */
    int64_t keepalive_ms;   /* streams are woken at least this often */
    size_t max_streams;     /* server-sent-event streams at once */
    int64_t recheck_ms;     /* streams are woken at least this often to recheck their caller */
    int max_attempts;       /* webhook deliveries before giving up */
    int64_t retry_base_ms;  /* first retry delay; doubles each attempt */
    long webhook_timeout_s; /* one delivery's whole time */
};

struct watch_engine;
struct watch_subscriber;

/* Starts the engine on s (which must outlive it). The cursor starts at the newest stored
 * version the first time: watches fire for versions stored after they could exist. */
int watch_engine_start(struct store *s, const struct watch_engine_config *cfg,
                       struct watch_engine **out, struct lia_err *err);
/* The interval at which the engine wakes every stream. */
int64_t watch_engine_keepalive_ms(const struct watch_engine *e);
/* Stops both threads (waits for a delivery under way) and frees e. Unsubscribe first. */
void watch_engine_stop(struct watch_engine *e);

/* Registers a stream of owner's events: wake(ctx) is called (from an engine thread, under the
 * engine's lock: it must not block or call back into the engine) when owner's watches fired,
 * every keepalive_ms and every recheck_ms (the stream then checks that its caller still holds
 * the rights it opened with: issue 27.1). LIA_EBUSY when max_streams are open. */
int watch_subscribe(struct watch_engine *e, int64_t owner, void (*wake)(void *ctx), void *ctx,
                    struct watch_subscriber **out, struct lia_err *err);
/* After it returns, wake is never called again for sub; frees sub. */
void watch_unsubscribe(struct watch_engine *e, struct watch_subscriber *sub);

/* For the desk's watch page: appends to out {"watch": {"id", "name"}, "events": [{"seq",
 * "fired", summary members...}], "before"?} with the events of owner's watch id newest first,
 * seq < before (0: from the newest), at most limit, only those whose version policy p may still
 * see (checked through the gate now), each named in t (the request's disclosure ticket; NULL
 * for local owners). LIA_ENOTFOUND when owner has no such watch. */
int watch_fired_json(struct store *s, int64_t owner, const struct store_policy *p, const char *id,
                     int64_t before, size_t limit, struct audit_ticket *t, struct dbuf *out,
                     struct lia_err *err);

/* For a stream: appends to out, as server-sent events ("id:", "event: watch", "data:"), the
 * events of owner's watches after *after that policy p may still see (checked through the
 * gate now), at most limit, each on record first for a partner (committed through r, on the
 * store of r); *after moves past every event read, shown or not. */
int watch_events_sse(struct audit_recorder *r, int64_t owner, const struct store_policy *p,
                     int64_t *after, size_t limit, struct dbuf *out, struct lia_err *err);

#endif
