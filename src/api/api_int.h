/*
 * Private to src/api/: helpers shared by the endpoint files.
 */
#ifndef LIAISON_API_INT_H
#define LIAISON_API_INT_H

#include "access/access.h"
#include "api/api.h"

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define STIX_MEDIA "application/stix+json;version=2.1"

struct api_call {
    struct api *api;
    struct http_request *req;
    struct http_response *resp;
    struct access_principal who;
    const char *media; /* the media type the response will carry */
    bool disclosed;    /* objects went on record as disclosed to a partner (disclose.c) */
};

/* The response cache (rcache.c). A probe is made before the request reads the store. */
struct api_rcache_probe {
    bool on;               /* the request may be answered from, or kept in, the cache */
    uint64_t gen;          /* the store's commit generation before anything was read */
    int64_t at_us;         /* and the time then: a kept answer's age counts from it */
    unsigned char key[32]; /* hash of the instance, path, parameters, Accept, credentials */
    void *hit;             /* the kept answer found, or NULL */
};
/* Looks the request up; true when a kept answer may be replayed, with c->who set to the
 * principal it was made for (for the rate limit and the log). */
bool api_rcache_find(struct api_call *c, struct api_rcache_probe *p);
/* Fills the response from the answer api_rcache_find found. */
void api_rcache_replay(struct api_call *c, const struct api_rcache_probe *p);
/* Keeps the answer just made, when it qualifies (see rcache.c). */
void api_rcache_keep(struct api_call *c, const struct api_rcache_probe *p);
/* A number no other API instance in this process has: part of every key. */
uint64_t api_rcache_instance(void);

/* Fills resp with a TAXII error message for http status, from a message. Returns -1 so
 * handlers can `return api_fail(...)`. */
int api_fail(struct api_call *c, int status, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
/* For the static analyzer, which cannot see into errors.c: the result is always -1. */
#define api_fail(c, status, ...) (api_fail((c), (status), __VA_ARGS__), -1)
#endif
/* Maps a layer error to status and message (the one place that does so). */
int api_fail_err(struct api_call *c, const struct lia_err *err);

/* Content negotiation: 406 when Accept allows neither; stix_ok allows the STIX type too. */
int api_negotiate(struct api_call *c, bool stix_ok);
/* 415 when Content-Type is not one of the TAXII/STIX 2.1 media types. */
int api_check_content_type(struct api_call *c);

/* Query parameters: refuses unknown and repeated ones (400). allowed is NULL-terminated. */
int api_check_params(struct api_call *c, const char *const *allowed);
const char *api_param(struct api_call *c, const char *key);

/* Builds a store filter from match[...], added_after, limit and next. scope binds next tokens
 * to the endpoint (and object id). */
int api_parse_filter(struct api_call *c, int64_t coll, const char *scope,
                     struct store_filter *f);
/* Makes the opaque next token continuing after date_added `last`. */
char *api_next_token(struct api_call *c, int64_t coll, const char *scope, int64_t last);
/* Decodes a next token made for (coll, scope) and the request's filters into *after; answers
 * 400 and returns -1 when it is malformed, forged or made for another query. */
int api_parse_next(struct api_call *c, int64_t coll, const char *scope, const char *tok,
                   int64_t *after);

void api_date_headers(struct api_call *c, const struct store_page *page);
char *api_format_ts(struct api_call *c, int64_t us);

/* Who owns status resources the caller creates: the partner, or the local token. */
const char *api_owner(struct api_call *c);
/* Records a page about to be disclosed to a partner; answers 5xx and returns -1 on failure.
 * Ends the request's read transaction (store_read_end) when it records anything: later store
 * calls of the request each take their own snapshot. */
int api_audit_disclosure(struct api_call *c, const char *collection, const char *what,
                         const struct store_page *page);
/* The detail of an "object.delete" entry: what was removed, keys and versions. */
char *api_delete_detail(struct api_call *c, const char *collection, const char *id,
                        const struct store_row *gone, size_t n);

/* Token bucket per principal; -1 (and the seconds to wait) when over rate_limit. */
int api_rate_check(struct api_call *c, int64_t *retry_after_s);

/* Metrics (metrics.c): counters bumped on the request path, and the /metrics answer. */
void api_metrics_request(int status, size_t in, size_t out, int64_t us);
void api_metrics_objects(size_t stored, size_t refused);
void api_metrics_disclosed(size_t n);
void api_metrics_rcache(bool hit);
void api_metrics(struct api_call *c);

/* GET /liaison/search (liaison_search.c). */
void api_liaison_search(struct api_call *c);
/* /liaison/intake... (liaison_intake.c); seg[1] == "intake". */
void api_liaison_intake(struct api_call *c, const char **seg, size_t nseg);
/* /liaison/watches... and /liaison/events (liaison_watch.c); seg[1] is one of them. */
void api_liaison_watches(struct api_call *c, const char **seg, size_t nseg);
/* /liaison/rfi... (liaison_rfi.c); seg[1] == "rfi". */
void api_liaison_rfi(struct api_call *c, const char **seg, size_t nseg);

void api_taxii_route(struct api_call *c, const char **seg, size_t nseg);

/* The analyst pages' files under web_root (static.c), before authentication: true when it
 * answered (a file, or index.html for a browser's page route); false leaves the request to
 * the API. */
bool api_static_route(struct api_call *c, const char **seg, size_t nseg);
/* /liaison/... (liaison.c): the liaison API beside TAXII; seg[0] == "liaison". */
void api_liaison_route(struct api_call *c, const char **seg, size_t nseg);
void api_liaison_whoami(struct api_call *c);
void api_liaison_partners(struct api_call *c);

#endif
