/*
 * Private to src/exchange/: the TAXII 2.1 client the pull and push share,
 * and the small helpers around it.
 */
#ifndef LIAISON_EXCHANGE_INT_H
#define LIAISON_EXCHANGE_INT_H

#include <curl/curl.h>
#include <jansson.h>

#include "access/access.h"
#include "audit/audit.h"
#include "exchange/exchange.h"

#define XC_TAXII "application/taxii+json;version=2.1"

/* One connection to one peer; reused across requests (keep-alive). */
struct xc_client {
    CURL *curl;
    struct curl_slist *get_headers;  /* Accept, Authorization (secret) */
    struct curl_slist *post_headers; /* the same plus Content-Type */
    const struct store_peer *peer;
    const struct exchange_opts *o;
    char *root; /* the API root URL, ending in '/'; malloc'd */
    /* Audit anchors (audit/anchor.c): the peer's latest signed checkpoint among its answers,
     * and ours to send with the next POST ("" for none). */
    char received_cp[AUDIT_CHECKPOINT_MAX];
    char send_cp[AUDIT_CHECKPOINT_MAX];
};

/* One answer. body is bounded by o->max_response. */
struct xc_resp {
    long status;
    struct dbuf body;
    char content_type[160];
    char added_last[64]; /* X-TAXII-Date-Added-Last, "" when absent */
    char www_auth[200];  /* WWW-Authenticate (the login the peer asks for), "" when absent */
    long retry_after;    /* seconds, -1 when absent */
    char checkpoint[AUDIT_CHECKPOINT_MAX]; /* X-Liaison-Audit-Checkpoint, "" when absent */
};

int xc_open(const struct store_peer *peer, const struct exchange_opts *o, struct xc_client *c,
            struct lia_err *err);
void xc_close(struct xc_client *c);
void xc_resp_release(struct xc_resp *r);
/* GET (body NULL) or POST; retries 429, 5xx, timeouts and network faults with backoff. 0 when
 * the peer gave an answer that is not retried (any status); LIA_EIO when it gave up. */
int xc_request(struct xc_client *c, const char *url, const char *body, size_t len,
               struct xc_resp *r, struct lia_err *err);
/* GET url expecting 200 and a TAXII 2.1 JSON object. Caller json_decref()s *out. */
int xc_get_json(struct xc_client *c, const char *url, json_t **out, struct lia_err *err);
/* Keeps the checkpoint the peer's answers carried as a witness of partner's log (a failure is
 * logged: the exchange itself succeeded). */
void xc_keep_witness(struct xc_client *c, struct store *s, const struct store_partner *partner);
/* Sends our latest signed checkpoint of s with the next POSTs. */
void xc_send_checkpoint(struct xc_client *c, struct store *s);
/* ref (absolute URL, absolute path or relative) against the discovery URL, ending in '/';
 * malloc'd, NULL when out of memory. */
char *xc_resolve(const char *discovery, const char *ref);
/* Finds the API root (configured, or by discovery) and sets c->root. */
int xc_find_root(struct xc_client *c, struct lia_err *err);
/* Fills err with the peer's error answer (TAXII error message when there is one). */
int xc_http_error(struct xc_client *c, const char *what, const struct xc_resp *r,
                  struct lia_err *err);
/* True when the Content-Type is a TAXII (or, with stix_ok, STIX) 2.1 media type. */
bool xc_media_ok(const char *content_type, bool stix_ok);
/* Appends s to url escaped as a query value or path segment. */
int xc_escape(struct dbuf *url, const char *s);

/* A lock per exchange (lock.c): flock() on a file in o->lock_dir, released when the holder
 * exits, even when killed. Returns the descriptor, or LIA_EBUSY when held by another run. */
int exchange_lock(const struct exchange_opts *o, const char *direction, int64_t peer,
                  int64_t local_coll, const char *remote_coll, int *fd, struct lia_err *err);
void exchange_unlock(int fd);

/* The principal a peer's objects are written as: its partner, under the exchange rule. */
int exchange_principal(struct store *s, int64_t partner, const char *actor, struct arena *a,
                       struct access_principal *who, struct store_partner *p, struct lia_err *err);
/* Records the end of a run in its checkpoint: last_ok on success, last_error otherwise. */
/* The checkpoint of one exchange (peer, direction, remote and local collection), read from
 * the store, or made and stored when this exchange runs for the first time (so that a first
 * run that fails is still remembered). */
int exchange_checkpoint_load(struct store *s, int64_t peer, const char *direction,
                             const char *remote_coll, int64_t local_coll, struct arena *a,
                             struct store_checkpoint *cp, struct lia_err *err);
void exchange_checkpoint_result(struct store *s, const struct store_checkpoint *cp, int rc,
                                const char *error);
struct stix_envelope;
/* A batch a peer sent, stored through the one write path (receive.c) as who (the exchange
 * rule), with provenance (peer 0 for imports) and an audit entry `action`, in one
 * transaction. finish adds the caller's rows and writes the audit detail from the batch's
 * counts. On success the counts are added to res; refusals are reported. */
struct exchange_batch {
    struct store *s;
    const struct access_principal *who;
    int64_t coll;
    const struct stix_envelope *env;
    int64_t peer;
    const char *trust, *via, *action;
    const struct exchange_opts *o;
    int (*finish)(struct store_txn *t, const struct exchange_result *batch, void *ctx,
                  struct dbuf *detail, struct lia_err *err);
    void *ctx;
};
int exchange_receive(const struct exchange_batch *b, struct exchange_result *res,
                     struct lia_err *err);
/* True when s is exactly n lowercase hex digits (signed.c). */
bool exchange_is_hex(const char *s, size_t n);
/* Copies the string member key of root into dst (size bytes, NUL inside refused); -1 when it
 * is absent, not a string, or too long (signed.c). */
int exchange_json_str(json_t *root, const char *key, char *dst, size_t size);
/* Prints (or logs) one refused object. */
void exchange_report(const struct exchange_opts *o, const char *who, const char *id,
                     const char *version, const char *why);

#endif
