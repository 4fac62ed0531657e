/*
 * audit: the append-only, hash-chained log of every change and disclosure.
 * The face of src/audit/ (design.md invariant 5).
 *
 * Each entry's hash is BLAKE2b-256 over the previous entry's hash and the
 * entry's own fields, each length-prefixed, so that editing, removing,
 * reordering or truncating entries breaks the chain at a place
 * audit_verify can name. The newest entry's seq and hash are also kept as
 * the store setting audit_head, written in the same transaction, so removing
 * entries from the end (truncation) is detected too. Entries are appended inside the caller's store
 * transaction: the entry exists exactly when the change does. With the instance's signing key
 * loaded (audit_signer_load), that head is a signed checkpoint (anchor.c), which partners keep
 * and `audit verify --checkpoint` compares the log with: a cut, wiped or recomputed log no longer
 * matches a checkpoint issued before.
 */
#ifndef LIAISON_AUDIT_H
#define LIAISON_AUDIT_H

#include <pthread.h>

#include "store/store.h"
#include "util/util.h"

/* Appends one entry; detail must be a JSON text (object) without secrets. */
int audit_append(struct store_txn *t, const char *actor, const char *action, const char *detail,
                 struct lia_err *err);

/* Appends made by this process and the time spent in them (for /metrics and benchmarks). */
void audit_stats(unsigned long long *appends, unsigned long long *us);

/* Disclosures: the one record of what left this instance for a partner.
 *
 * Whatever is sent to a partner on any route (a TAXII page, a page made ahead, search
 * results, an RFI view, an intake answer, a watch's event on a stream or a webhook, a push
 * envelope, an export file) is named in a ticket while it is read, and the ticket is
 * committed to the log before anything of it leaves; ticket.c is the only code that writes
 * a disclosure entry. Every entry has one format (disclosure.c):
 *
 *   {"collection": C, "endpoint": E, "count": N,
 *    "keys": base64url(varints of the zigzag deltas between successive store keys),
 *    "digest": hex(BLAKE2b-128 over "id\nmodified\n" of each version, in order),
 *    "partner": the recipient's identity id, ...notes of the route}
 *
 * naming versions by their store keys (date_added: unique, never reused, immutable with the
 * row they key), so that `audit show` names them again and `audit verify` checks them. */

/* The action of a ticket's entries: what the route is, for a reader of the log. */
enum audit_route {
    AUDIT_ROUTE_READ,   /* objects.disclose: answers to a partner's requests, its events */
    AUDIT_ROUTE_PUSH,   /* objects.push: envelopes posted to a peer */
    AUDIT_ROUTE_EXPORT, /* objects.export: a signed bundle file written for a partner */
};

/* What one answer (or envelope, file, event) discloses to one partner: one part per
 * collection and endpoint, each one audit entry. Owns its memory (audit_ticket_release).
 * A ticket is sendable when it names nothing or every part of it is committed. */
struct audit_part;
struct audit_ticket {
    enum audit_route route;
    char *actor;   /* the principal it is disclosed to, as the log names it */
    char *partner; /* the recipient partner's identity id */
    char *notes;   /* ,"key":value members the route adds (audit_ticket_note) */
    struct audit_part *parts;
    size_t n_parts, cap_parts;
    size_t n_committed; /* parts[0..n_committed) are on record */
    size_t count;       /* object versions named */
};

/* An empty ticket for a disclosure on route to actor (a partner's principal), whose partner
 * has identity id partner. Both strings are copied. */
int audit_ticket_init(struct audit_ticket *t, enum audit_route route, const char *actor,
                      const char *partner, struct lia_err *err);
/* Adds "key": value (a string, or a number when value is NULL) to every entry of t. */
int audit_ticket_note(struct audit_ticket *t, const char *key, const char *value, int64_t number,
                      struct lia_err *err);
/* Names rows[0..n) (key, id, modified) of collection, sent through endpoint, in that order. */
int audit_ticket_add(struct audit_ticket *t, const char *collection, const char *endpoint,
                     const struct store_row *rows, size_t n, struct lia_err *err);
/* Names the versions stored under keys[0..n), as the store holds them (their collection, id
 * and modified), sent through endpoint: for a route that knows what it sends by key (a
 * watch's event). LIA_ENOTFOUND when one is no longer stored. */
int audit_ticket_add_keys(struct audit_ticket *t, struct store *s, const char *endpoint,
                          const int64_t *keys, size_t n, struct lia_err *err);
/* True when t names nothing, or every version it names is on record. */
bool audit_ticket_sendable(const struct audit_ticket *t);
/* Bytes t holds (read-ahead counts them against its budget). */
size_t audit_ticket_size(const struct audit_ticket *t);
/* Frees what t holds and leaves it empty (named nothing: sendable). */
void audit_ticket_release(struct audit_ticket *t);

/* Commits disclosure entries, grouping the records of threads that commit at once into one
 * transaction (docs/architecture.md, "Disclosure records"). One per store and process. */
struct audit_pending;
struct audit_recorder {
    struct store *store;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct audit_pending *queue; /* oldest first */
    bool leader;                 /* a thread is committing a group */
};
void audit_recorder_init(struct audit_recorder *r, struct store *s);
void audit_recorder_release(struct audit_recorder *r);
/* Appends an entry for each part of t not yet on record and commits them; then t is
 * sendable. On failure nothing of t may be sent (the parts stay uncommitted). */
int audit_ticket_commit(struct audit_recorder *r, struct audit_ticket *t, struct lia_err *err);
/* Takes back on record what t disclosed and was not sent after all (a page made ahead):
 * an objects.withdraw entry {"reason": reason, "disclosure": <detail>} per committed part. */
int audit_ticket_withdraw(struct audit_recorder *r, struct audit_ticket *t, const char *reason,
                          struct lia_err *err);

/* The recipient of a disclosure or withdrawal entry: its detail's "partner" (an identity
 * id), or for an older push entry its "peer" (*peer set instead); NULL for other entries.
 * Strings in a. */
void audit_entry_recipient(const struct store_audit_entry *e, struct arena *a, const char **partner,
                           const char **peer);

/* The detail of an "object.delete" entry: the versions gone[0..n) of id removed from
 * collection, named by key and version (what audit_removed_load reads back). In a. */
char *audit_delete_detail(struct arena *a, const char *collection, const char *id,
                          const struct store_row *gone, size_t n);

/* The versions deleted on record (from "object.delete" entries), to name keys whose rows are
 * gone: audit_removed_load reads them from the whole log. */
struct audit_removed;
int audit_removed_load(struct store *s, struct audit_removed **out, struct lia_err *err);
void audit_removed_free(struct audit_removed *m);

struct audit_disclosure {
    bool keyed;     /* a disclosure entry naming versions by key (else nothing below is set) */
    bool malformed; /* its keys, count or digest cannot be read */
    size_t n;
    const int64_t *keys;
    const struct store_keyed *versions; /* id NULL where missing */
    size_t deleted;                     /* named from a delete entry */
    size_t missing;                     /* neither stored nor deleted on record */
    bool digest_ok;                     /* the named versions hash to the recorded digest */
};
/* Names the versions of entry e when it is a keyed disclosure (out->keyed). */
int audit_disclosure_resolve(struct store *s, const struct store_audit_entry *e,
                             struct audit_removed *removed, struct arena *a,
                             struct audit_disclosure *out, struct lia_err *err);

/* Signed checkpoints (anchor.c): "liaison-audit-checkpoint/1 <instance> <seq> <hash hex>
 * <time µs> <Ed25519 signature hex over everything before its space>". */
#define AUDIT_CHECKPOINT_FORMAT "liaison-audit-checkpoint/1"
#define AUDIT_CHECKPOINT_MAX 512
/* The HTTP header that carries one between instances, either way. */
#define AUDIT_CHECKPOINT_HEADER "X-Liaison-Audit-Checkpoint"
struct audit_checkpoint {
    char instance[128]; /* the signer's STIX identity id ("-" when it had none) */
    int64_t seq;
    unsigned char hash[32];
    int64_t ts;
    unsigned char sig[64];
    char line[AUDIT_CHECKPOINT_MAX]; /* the checkpoint as text, without newline */
    size_t signed_len;               /* bytes of line the signature covers */
};
/* Reads DIR/signing.key (hex, 64 bytes): the instance's Ed25519 secret key. The caller wipes
 * it with sodium_memzero. */
int audit_key_load(const char *dir, unsigned char sk[64], struct lia_err *err);
/* From now on this process signs every head it appends with sk, as instance (NULL: stops). */
void audit_signer_set(const unsigned char *sk, const char *instance);
/* audit_signer_set with DIR/signing.key and the instance identity of s. */
int audit_signer_load(struct store *s, const char *dir, struct lia_err *err);
/* The head recorded for entry seq: a signed checkpoint, or "seq:hash" without a signer. */
void audit_head_text(int64_t seq, const unsigned char hash[32], int64_t ts,
                     char out[AUDIT_CHECKPOINT_MAX]);
/* Parses one checkpoint line (a trailing newline is allowed); LIA_EINVAL saying why not. */
int audit_checkpoint_parse(const char *text, size_t len, struct audit_checkpoint *cp,
                           struct lia_err *err);
bool audit_checkpoint_signed_by(const struct audit_checkpoint *cp, const unsigned char pk[32]);
/* 64 hex digits into pk; -1 when hex is NULL or not that. */
int audit_key_from_hex(const char *hex, unsigned char pk[32]);
/* The latest signed checkpoint of s (in a); LIA_ENOTFOUND when the head is not signed. */
int audit_checkpoint_current(struct store *s, struct arena *a, char **line, struct lia_err *err);
/* Keeps a checkpoint partner p sent us, once verified against p's registered key
 * (LIA_EFORBIDDEN when it has none or the signature fails; LIA_EINVAL when malformed). */
int audit_witness_keep(struct store *s, const struct store_partner *p, const char *line,
                       struct lia_err *err);

struct audit_report {
    int64_t entries; /* entries checked */
    int64_t bad_seq; /* first entry at fault, 0 when the chain is intact */
    char problem[320];
    char head[96];      /* "seq:hash" of the last entry, to record outside the server */
    bool head_signed;   /* the recorded head is a checkpoint signed by the key given */
    size_t checkpoints; /* checkpoints the log was compared with */
};

/* Walks the whole chain. Returns 0 whether or not it is intact (see report->bad_seq);
 * non-zero only when the log cannot be read. */
int audit_verify(struct store *s, struct audit_report *report, struct lia_err *err);
/* audit_verify, and also: with pk (the instance's public key, read from outside the store),
 * the recorded head must be a checkpoint it signed, and an empty log is a wiped one (init
 * writes the first entry); each of cps[0..n) (signed by pk, checked by the caller) must name
 * an entry that is still in the log with the same hash. */
int audit_verify_anchored(struct store *s, const unsigned char *pk,
                          const struct audit_checkpoint *cps, size_t n, struct audit_report *report,
                          struct lia_err *err);

#endif
