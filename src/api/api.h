/*
 * api: TAXII 2.1 and the liaison endpoints beside it. The face of src/api/.
 *
 * api_handle is the http layer's handler: it runs the request through the
 * request pipeline (pipeline/pipeline.h) with this layer's steps, which
 * authenticate the caller, check media types and parameters, and answer from
 * the store through the caller's policy. Every error leaves as a TAXII error
 * message (JSON) with the HTTP status the specification names, worded in
 * exactly one place (errors.c). A request that fails changes nothing.
 */
#ifndef LIAISON_API_H
#define LIAISON_API_H

#include "audit/audit.h"
#include "http/http.h"
#include "pipeline/pipeline.h"
#include "stix/stix.h"
#include "store/store.h"
#include "util/util.h"

struct api_config {
    size_t max_content_length;
    struct stix_limits stix;
    size_t default_page_size;
    size_t max_page_size;
    size_t max_filter_values;    /* most values in one match[...] list */
    size_t rate_limit;           /* requests per second per principal; 0 = no limit */
    size_t rate_burst;           /* requests a principal may make at once */
    size_t auth_failure_rate;    /* failed authentications per minute per address; 0 = no limit */
    size_t auth_failure_burst;   /* failed authentications an address may make at once */
    size_t response_cache_bytes; /* per worker thread (pipeline/rcache.c); 0: no cache */
    size_t response_cache_ms;    /* longest a cached answer is replayed */
    size_t readahead_bytes;      /* answers made ahead, at most (pipeline/); 0: none */
    size_t readahead_threads;    /* threads making them; 0: none */
    size_t request_memory;       /* one request's arena, for requests made ahead */
    size_t max_response;         /* one response body, for requests made ahead */
    const char *title;
    const char *description;
    const char *contact;
    const char *web_root; /* the analyst pages' files (web/dist); NULL or "" serves none */
    size_t watch_max_per_principal; /* watches one principal may have (docs/watches.md) */
    size_t session_minutes;         /* a sign-in session's life (docs/people.md) */
    size_t signin_max_failures;     /* failed sign-ins in a row before a lock-out */
    size_t signin_lockout_seconds;  /* how long a lock-out lasts */
    size_t flows_max_rows;          /* flow rows one flows query may read (docs/flows.md) */
    size_t search_facet_rows;       /* matches one search's facets count (docs/api.md) */
    size_t export_max_objects;      /* versions one POST /liaison/export may name */
    const char *data_dir;           /* where signing.key is, read per signed export; NULL: none */
};

struct watch_engine;

struct api {
    struct store *store;
    struct api_config cfg;
    unsigned char next_key[32];     /* HMAC key for next tokens, kept in the store */
    uint64_t instance;              /* distinguishes this instance's cached answers (rcache.c) */
    struct watch_engine *watches;   /* set by the caller after api_init; NULL: no event streams */
    struct audit_recorder recorder; /* commits disclosure records, in groups */
    struct pipeline pipe;           /* every request runs through it (handle.c) */
};

/* The flows query (docs/flows.md), for GET /liaison/flows and `liaison flows`: the parameters
 * as given (each NULL when absent), answered as JSON into out through policy p; every flow
 * version counted is named in t (NULL: a local principal). LIA_EINVAL (a bad parameter, the
 * message says which), LIA_ENOTFOUND (collection), LIA_ETOOBIG (past max_rows). */
struct api_flows_params {
    const char *into, *out_of, *through, *what, *since, *source, *min_grade, *level, *collection;
};
int api_flows_answer(struct store *s, const struct store_policy *p,
                     const struct api_flows_params *in, size_t max_rows, struct arena *a,
                     struct audit_ticket *t, struct dbuf *out, struct lia_err *err);

/* Corroboration of an entity (docs/flows.md): for the object id of collection (a location,
 * intrusion-set, threat-actor or identity), the objects of the collections policy p may read
 * that refer to it by id or name it (its name or an alias, compared after the watch name
 * normalisation), grouped by source with their grading, our trust in the source and how many
 * of each source's reports another source corroborated later. Names and trust are given only
 * when p is a local principal's. At most max_rows objects are read (flows_max_rows). Every
 * version read is named in t (NULL: a local principal). LIA_EINVAL (not an entity type, bad
 * id), LIA_ENOTFOUND (collection or object), LIA_ETOOBIG. */
int api_corroboration_answer(struct store *s, const struct store_policy *p, const char *collection,
                             const char *id, size_t max_rows, struct arena *a,
                             struct audit_ticket *t, struct dbuf *out, struct lia_err *err);
/* Per partner (or the one named, LIA_ENOTFOUND when there is none), across every location,
 * intrusion-set and threat-actor: how many of its objects report on one, and how many of those
 * another source reported later (the per-entity rule) (GET /liaison/corroboration?partner=). */
int api_corroboration_partners(struct store *s, const struct store_policy *p, const char *partner,
                               size_t max_rows, struct arena *a, struct audit_ticket *t,
                               struct dbuf *out, struct lia_err *err);

/* Loads what the API keeps in the store (the next-token key). */
int api_init(struct api *api, struct store *s, const struct api_config *cfg, struct lia_err *err);

/* Starts the threads that make the next page of a paged listing while its client reads this
 * one (pipeline_readahead_start; none when cfg.readahead_threads or readahead_bytes is 0, or
 * when the store cannot tell whether it changed: PostgreSQL). Stop before the store is
 * closed. */
int api_readahead_start(struct api *api, struct lia_err *err);
void api_readahead_stop(struct api *api);

/* The http_handler_fn: ctx is a struct api. */
void api_handle(void *ctx, struct http_request *req, struct http_response *resp);
/* The http_precheck_fn: authenticates a request whose body has not been read (credentials,
 * the failed-authentication throttle), answering 401 or 429 when it may not go on. */
bool api_precheck(void *ctx, struct http_request *req, struct http_response *resp);

#endif
