/*
 * Private to src/api/: helpers shared by the endpoint files.
 */
#ifndef LIAISON_API_INT_H
#define LIAISON_API_INT_H

#include "access/access.h"
#include "api/api.h"
#include "audit/audit.h"
#include "pipeline/pipeline.h"

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define STIX_MEDIA "application/stix+json;version=2.1"

struct api_call {
    struct api *api;
    struct http_request *req;
    struct http_response *resp;
    struct access_principal *who; /* the caller (run->who) */
    const char *media;            /* the media type the response will carry */
    struct pipeline_call *run;    /* the request as the pipeline runs it: mode, ticket, next */
};

/* c, for the request run of api. */
void api_call_of(struct api_call *c, struct api *api, struct pipeline_call *run);

/* Fills resp with a TAXII error message for http status, from a message. Returns -1 so
 * handlers can `return api_fail(...)`. */
int api_fail(struct api_call *c, int status, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
/* For the static analyzer, which cannot see into errors.c: the result is always -1. */
#define api_fail(c, status, ...) (api_fail((c), (status), __VA_ARGS__), -1)
#endif
/* Words a refusal the http layer made before the request reached us (req->refused_status:
 * framing, libmicrohttpd's own limits). */
int api_fail_refused(struct api_call *c, int status, const char *reason);
/* Seconds a client should wait after a 503 (store unreachable or busy): PostgreSQL failover
 * and restarts take seconds (docs/scale-out.md). */
#define API_BUSY_RETRY_AFTER "5"
/* Maps a layer error to status and message (the one place that does so); a server-side cause
 * (503, 500) goes into the request's access-log line too. */
int api_fail_err(struct api_call *c, const struct lia_err *err);

/* Content negotiation: 406 when Accept allows neither; stix_ok allows the STIX type too. */
int api_negotiate(struct api_call *c, bool stix_ok);
/* 415 when Content-Type is not one of the TAXII/STIX 2.1 media types. */
int api_check_content_type(struct api_call *c);

/* Query parameters: refuses unknown and repeated ones (400). allowed is NULL-terminated. */
int api_check_params(struct api_call *c, const char *const *allowed);
const char *api_param(struct api_call *c, const char *key);

/* Splits the comma-separated values of parameter key (at most max, none empty) into *out (in
 * the request arena); answers 400 and returns -1 when they do not fit. */
int api_split_list(struct api_call *c, const char *key, const char *v, size_t max, char ***out,
                   size_t *n);
/* The limit parameter (default_page_size when absent, lowered to max_page_size); answers 400
 * and returns -1 when it is not a positive integer. */
int api_parse_limit(struct api_call *c, size_t *limit);
/* The STIX types listed in parameter key's value v into f->types; answers 400 and returns -1
 * when one is not a type name or there are too many. */
int api_parse_types(struct api_call *c, const char *key, const char *v, struct store_filter *f);
/* The search text of q as the store keeps it (text/ normalisation: Arabic letter forms,
 * diacritics, clitics, Latin folding), trimmed; answers 400 and returns -1 when q is not UTF-8
 * of at most 500 bytes or has fewer than 3 letters. */
int api_search_text(struct api_call *c, const char *q, const char *name, char **out);
/* The conditions on objects the desk's listings share (type, tlp, creator: docs/api.md,
 * "Browsing a collection"), added to f; answers 400 and returns -1 when one is malformed. */
int api_object_conditions(struct api_call *c, struct store_filter *f);
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
/* The endpoints' one reader of objects (read.c): store_query_objects with the caller's
 * policy (design.md invariant 1), and for a partner the page named in the request's
 * disclosure ticket under endpoint (design.md invariant 5), which the pipeline commits
 * before the answer leaves. Answers the request and returns -1 on failure. */
int api_read_objects(struct api_call *c, const struct store_collection *col, const char *endpoint,
                     const struct store_filter *f, bool with_json, struct store_page *page);
/* Whether policy p (another principal's: a partner's, for the audience of an object) would
 * be given a version of object id in col by the one gate: 1 and *modified (the version it would
 * get; "" for an object without versions), or 0; negative with err (LIA_ENOTFOUND: p has no
 * right on col). What the caller learns is about p, not a disclosure to p. */
/* store_query_objects for an answer built outside a request (shared with the CLI): policy p,
 * every version read named in t (NULL: a local principal) under endpoint. */
int api_read_rows(struct store *s, const struct store_policy *p, const struct store_collection *col,
                  const char *endpoint, const struct store_filter *f, struct arena *a,
                  struct audit_ticket *t, struct store_page *page, struct lia_err *err);
/* GET /liaison/corroboration/{collection}/{id} (liaison_corroboration.c). */
void api_liaison_corroboration(struct api_call *c, const char **seg, size_t nseg);
int api_gate_probe(struct api_call *c, const struct store_policy *p,
                   const struct store_collection *col, const char *id, const char **modified,
                   struct lia_err *err);
/* How many versions the caller may see that f selects (store_count_objects with the caller's
 * policy). Answers the request and returns -1 on failure. */
int api_count_objects(struct api_call *c, const struct store_collection *col,
                      const struct store_filter *f, int64_t *total);
/* The request's disclosure ticket (NULL for a local principal: nothing it is sent is a
 * disclosure), for endpoints that read through another layer (RFI views, watch tests);
 * answers 500 and returns -1 on failure. */
int api_ticket(struct api_call *c, struct audit_ticket **out);
/* The detail of an "object.delete" entry: what was removed, keys and versions. */
char *api_delete_detail(struct api_call *c, const char *collection, const char *id,
                        const struct store_row *gone, size_t n);

/* Token bucket per principal; -1 (and the seconds to wait) when over rate_limit. */
int api_rate_check(struct api_call *c, int64_t *retry_after_s);
/* Failed authentications per client address (auth_failure_rate, auth_failure_burst): true (and
 * the seconds to wait) while the address may not try again; api_auth_failed counts one. */
bool api_auth_blocked(struct api_call *c, int64_t *retry_after_s);
void api_auth_failed(struct api_call *c);
/* api_auth_blocked, answered: 429 with Retry-After and -1 while c's address may not try. */
int api_auth_blocked_or_reply(struct api_call *c);
/* The Prometheus lines of the connection guard and the authentication throttle. */
int api_ratelimit_metrics(struct dbuf *b);

/* Metrics (metrics.c): counters bumped on the request path, and the /metrics answer. */
void api_metrics_request(int status, size_t in, size_t out, int64_t us);
void api_metrics_objects(size_t stored, size_t refused);
void api_metrics(struct api_call *c);

/* GET /liaison/flows (liaison_flows.c). */
void api_liaison_flows(struct api_call *c);
/* GET /liaison/search (liaison_search.c). */
void api_liaison_search(struct api_call *c);
/* GET /liaison/browse/{collection} and /liaison/audience/{collection}/{id} (liaison_desk.c). */
void api_liaison_browse(struct api_call *c, const char **seg, size_t nseg);
void api_liaison_audience(struct api_call *c, const char **seg, size_t nseg);
/* GET /liaison/neighbours/{collection}/{id} (liaison_desk.c). */
void api_liaison_neighbours(struct api_call *c, const char **seg, size_t nseg);
void api_liaison_groups(struct api_call *c, const char **seg, size_t nseg); /* liaison_groups.c */
/* POST /liaison/export: a signed bundle file of a selection (liaison_export.c). */
void api_liaison_export(struct api_call *c, const char **seg, size_t nseg);
/* The request's body as a JSON object (liaison_rfi.c); NULL after answering 415 or 400. */
json_t *api_json_body(struct api_call *c);
/* /liaison/intake... (liaison_intake.c); seg[1] == "intake". */
void api_liaison_intake(struct api_call *c, const char **seg, size_t nseg);
/* /liaison/watches... and /liaison/events (liaison_watch.c); seg[1] is one of them. */
void api_liaison_watches(struct api_call *c, const char **seg, size_t nseg);
/* /liaison/misp/<collection>/... (liaison_misp.c): a MISP feed; seg[1] == "misp". */
void api_liaison_misp(struct api_call *c, const char **seg, size_t nseg);
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
/* People and four-eyes release (liaison_people.c, docs/people.md): POST /liaison/signin
 * (no principal: a name, a password and a TOTP code make a session), and /liaison/releases. */
void api_liaison_signin(struct api_call *c);
void api_liaison_releases(struct api_call *c, const char **seg, size_t nseg);
/* GET /liaison/review: the review queue; POST /liaison/review/COLL/ID/extend|delete */
void api_liaison_review(struct api_call *c, const char **seg, size_t nseg);
void api_liaison_partners(struct api_call *c);
/* liaison_audit.c: keeps the checkpoint a partner's request carries; GET
 * /liaison/audit/witness. */
void api_keep_witness(struct api_call *c);
void api_liaison_audit(struct api_call *c, const char **seg, size_t nseg);

#endif
