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
 * transaction: the entry exists exactly when the change does.
 */
#ifndef LIAISON_AUDIT_H
#define LIAISON_AUDIT_H

#include "store/store.h"
#include "util/util.h"

/* Appends one entry; detail must be a JSON text (object) without secrets. */
int audit_append(struct store_txn *t, const char *actor, const char *action, const char *detail,
                 struct lia_err *err);

/* Appends made by this process and the time spent in them (for /metrics and benchmarks). */
void audit_stats(unsigned long long *appends, unsigned long long *us);

/* Disclosure records (disclosure.c): a page sent to a partner is named by the store keys
 * of its versions and a digest of their ids and versions, not by the pairs themselves.
 * Builds the detail of an "objects.disclose" entry for rows, in the order sent. */
int audit_disclosure_detail(const char *collection, const char *endpoint,
                            const struct store_row *rows, size_t n, struct dbuf *out);

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

struct audit_report {
    int64_t entries; /* entries checked */
    int64_t bad_seq; /* first entry at fault, 0 when the chain is intact */
    char problem[256];
    char head[96]; /* "seq:hash" of the last entry, to record outside the server */
};

/* Walks the whole chain. Returns 0 whether or not it is intact (see report->bad_seq);
 * non-zero only when the log cannot be read. */
int audit_verify(struct store *s, struct audit_report *report, struct lia_err *err);

#endif
