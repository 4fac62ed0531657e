/*
 * Private to src/api/: helpers shared by the endpoint files.
 */
#ifndef LIAISON_API_INT_H
#define LIAISON_API_INT_H

#include "access/access.h"
#include "api/api.h"
#include "audit/audit.h"

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define STIX_MEDIA "application/stix+json;version=2.1"

struct api_call {
    struct api *api;
    struct http_request *req;
    struct http_response *resp;
    struct access_principal who;
    const char *media; /* the media type the response will carry */
    const char *next;  /* the next token of the page answered, when there is a next page */
    /* What the answer discloses to a partner (disclose.c): committed before it is sent. */
    struct audit_ticket ticket;
    /* A read-ahead (readahead.c) makes the answer before its request comes: its ticket is
     * committed before it is kept, and kept with it. */
    bool ahead;
    struct api_answer *ahead_taken; /* the answer made ahead that this request took */
    bool ahead_sent;                /* and sent */
};

/* A whole answer kept apart from the request that made them, in one allocation (answer.c):
 * by the response cache, to send again, and by the read-ahead, made before it was asked. */
struct api_answer {
    size_t size; /* bytes held, this struct included */
    int status;
    const char *content_type;
    size_t n_headers;
    const char *names[HTTP_MAX_RESP_HEADERS];
    const char *values[HTTP_MAX_RESP_HEADERS];
    const char *actor, *token_id, *name; /* who it was made for */
    int64_t partner, expires_us;
    const char *body;
    size_t body_len;
    char *owned_body;           /* the body, when it is not in the same allocation */
    struct audit_ticket ticket; /* read-ahead: what it discloses, on record (or empty) */
    const char *next;           /* read-ahead: the next token in it, or NULL */
};
/* Hash of everything a GET's answer is made from: instance, path, parameters (in the order of
 * their names), Accept, and the credentials (Authorization, client certificate). */
void api_request_key(uint64_t instance, const struct http_request *req, unsigned char key[32]);
/* Bytes api_answer_pack would take for the response of c (with its ticket when with_ticket). */
size_t api_answer_size(const struct api_call *c, bool with_ticket, const char *next);
/* Copies the response of c, and who it was made for, into one allocation; NULL when out of
 * memory. take_body: the body is taken from the response instead (which is left empty), for
 * an answer whose response will not be sent; and then c's ticket too (left empty), for an
 * answer made ahead. Freed with api_answer_free. */
struct api_answer *api_answer_pack(struct api_call *c, const char *next, bool take_body);
void api_answer_free(struct api_answer *a);
/* Sets c->who to whom a was made for (its actor, token, partner: for the rate limit and the
 * request log). */
void api_answer_who(struct api_call *c, const struct api_answer *a);
/* Fills the response from a; answers 500 and returns -1 when out of memory. last: a is freed
 * before the response is sent, so its strings are copied into the request's arena and a body
 * of its own is handed over to the response, not copied. */
int api_answer_replay(struct api_call *c, struct api_answer *a, bool last);

/* Read-ahead (readahead.c): the next page of a paged TAXII listing, made while its client
 * reads this one; docs/architecture.md, "Read-ahead". */
/* Takes the answer made ahead for this request, if one was and is still right (waits for one
 * being made); NULL otherwise. c->who is set when it returns one; api_readahead_finish after
 * use. key: the request's key when already hashed (api_request_key), or NULL. */
struct api_answer *api_readahead_take(struct api_call *c, const unsigned char *key);
/* Sends a taken answer (on record since it was made). */
void api_readahead_send(struct api_call *c, struct api_answer *a);
/* After the request: frees a taken answer, withdrawing its record when it was not sent. */
void api_readahead_finish(struct api_call *c, struct api_answer *a);
/* After an answer with a next page (c->next): asks for that page to be made. */
void api_readahead_schedule(struct api_call *c);
/* The request of a read-ahead, answered as api_handle would, minus the rate limit, the
 * response cache, metrics and log line (handle.c). */
void api_handle_ahead(struct api_call *c);

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
int api_parse_filter(struct api_call *c, int64_t coll, const char *scope, struct store_filter *f);
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
enum readahead_event { READAHEAD_MADE, READAHEAD_SENT, READAHEAD_DISCARDED };
void api_metrics_readahead(enum readahead_event e);
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
