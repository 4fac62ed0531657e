/*
 * ingest: the one write path for objects. The face of src/ingest/ (design.md, "One write
 * path"). Every route that stores objects (TAXII POST, pull from a peer, import of a signed
 * file, intake publish, RFI writes) hands its batch to ingest_body or ingest_items, and one
 * function owns the batch from begin to commit: marking-definitions first, validation, the
 * write right, the creator rule, the rules of registered types, handling, storing (in
 * batches), the status tallies, the caller's own rows, the audit entry and the commit. So
 * none of these can differ between routes, and a new route cannot skip one.
 *
 * Invariants:
 *  - Nothing is stored unless all of it commits: a batch is one transaction, with its audit
 *    entry (design.md invariants 3 and 5). An object refused is reported with its reason and
 *    changes nothing; it never sinks the others (invariant 4).
 *  - An object is stored as the exact text it came as (invariant 2), except that a partner's
 *    object without created_by_ref gets the partner's identity as its first member.
 *  - Exchange writes (who->via_exchange: pull, import) carry objects other parties created:
 *    the creator rule is the exchange one (docs/exchange.md).
 */
#ifndef LIAISON_INGEST_H
#define LIAISON_INGEST_H

#include <jansson.h>

#include "access/access.h"
#include "stix/stix.h"
#include "store/store.h"
#include "util/util.h"

/* One object's outcome. Strings live until the callback returns. */
struct ingest_result {
    size_t index; /* its place in the batch */
    bool stored;  /* accepted: new, or a version already held */
    bool is_new;  /* a version this store did not hold */
    int64_t date_added;
    const char *id; /* for the status: the object's id and version */
    const char *version;
    const char *message; /* the refusal, or a note on a stored object; NULL if none */
    size_t bytes;        /* the length of its text */
};

/* What a batch did. */
struct ingest_tally {
    size_t received, stored, existed, refused; /* stored: new versions */
    uint64_t bytes;
};

struct ingest_spec {
    struct store *store;
    const struct access_principal *who; /* the writer; for exchange, the peer's partner */
    int64_t coll;                       /* collection rowid */
    /* The collection as who sees it: when given, a read-only token or a collection who may
     * not write to refuses the whole batch (LIA_EFORBIDDEN). */
    const struct store_collection *col;
    const char *action; /* the audit entry's action ("objects.add", ...) */
    /* Where the batch's working memory comes from: a request's arena, whose limit then bounds
     * it (request_memory: LIA_ENOMEM past it); NULL: the batch's own, freed chunk by chunk. */
    struct arena *a;
    /* Each object's outcome, in the order objects were stored (marking-definitions first);
     * non-zero fails the batch. May be NULL. */
    int (*result)(const struct ingest_result *r, void *ctx);
    /* After the last object, inside the transaction: the caller's own rows (status,
     * provenance, checkpoint) and the audit entry's detail (a JSON object text, kept until
     * the commit). */
    int (*finish)(struct store_txn *t, const struct ingest_tally *n, void *ctx, const char **detail,
                  struct lia_err *err);
    void *ctx;
};

/* The write right, for callers that must say it before anything else (POST answers 403
 * before it looks at the body). */
int ingest_may_write(const struct access_principal *who, const struct store_collection *col,
                     struct lia_err *err);

/* Stores the objects of a TAXII envelope text (a POST body): parsed strictly, and when large
 * parsed and validated by two threads while this one stores those already done. A body that
 * does not parse fails with the parser's error, nothing begun. */
int ingest_body(const struct ingest_spec *spec, const char *body, size_t len,
                const struct stix_limits *limits, struct ingest_tally *out, struct lia_err *err);
/* Stores items[0..n) (an envelope parsed already, or objects made here). */
int ingest_items(const struct ingest_spec *spec, const struct stix_item *items, size_t n,
                 struct ingest_tally *out, struct lia_err *err);

/* Rules of an object type, registered by the layer that knows it (rfi/ for its requests and
 * responses), applied on every write path. */
struct ingest_rule {
    const char *type;
    /* LIA_EFORBIDDEN or LIA_EINVAL with the reason refuse the object; any other non-zero fails
     * the batch. is_new: the collection holds no version of the object. */
    int (*check)(struct store_txn *t, struct store *s, const struct access_principal *who,
                 int64_t coll, json_t *obj, bool is_new, struct arena *a, struct lia_err *err);
    /* The identities the object is released to whatever its markings (at most 2), or NULL. */
    int (*parties)(json_t *obj, const char *ids[2], size_t *n);
};
/* Registers r (kept, not copied) for every write from now on. Types whose rules are not
 * registered in this process (liaison-rfi, liaison-rfi-response) are refused, not let in
 * unchecked. */
int ingest_register(const struct ingest_rule *r);

/* Deletes object id of col, which this instance created, at review (revoke.c, docs/people.md):
 * stores a revocation stub through the one write path, which removes every older version's
 * content and puts it on record; partners receive the stub. who: the person deciding, as an
 * administrator of this instance. *removed: 1 when the stub was stored. */
/* LIA_EUNSUPPORTED when the object is not this instance's to revoke (another party created
 * it, or it has no versions): delete it (access_review_delete) instead. */
int ingest_revoke(struct store *s, const struct access_principal *who,
                  const struct store_collection *col, const char *id, const char *reason,
                  size_t *removed, struct lia_err *err);
/* Removes object id of col at review, as `liaison review delete` and POST
 * /liaison/review/COLL/ID/delete do: revoked when it is ours (ingest_revoke, as: the
 * instance's administrator acting for who), else our copy deleted (access_review_delete).
 * reason (1 to 1000 bytes) goes on record; *n: versions removed; *revoked: which of the two. */
int ingest_review_remove(struct store *s, const struct access_principal *as,
                         const struct access_decider *who, const struct store_collection *col,
                         const char *id, const char *reason, size_t *n, bool *revoked,
                         struct lia_err *err);

#endif
