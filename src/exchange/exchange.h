/*
 * exchange: moving intelligence between liaison instances (and any other
 * TAXII 2.1 server). The face of src/exchange/; docs/exchange.md is the
 * user's description.
 *
 *  - pull: a TAXII 2.1 client (libcurl) fetches what a peer added after the
 *    checkpoint (added_after, following next), and stores each page through
 *    the one write path (src/ingest/) as the peer's partner, under the
 *    exchange write rule, with its provenance and the new position in the
 *    same transaction: a crash loses nothing and duplicates nothing.
 *  - push: reads what the peer's partner may receive through the one gate
 *    (store_query_objects with the partner's policy, invariant 1), posts it
 *    in envelopes under the peer's max_content_length and follows each
 *    status to the end.
 *  - signed bundles: a file holding a STIX bundle of what one partner may
 *    receive, signed with this instance's Ed25519 key; import verifies it
 *    against the sending partner's registered key before anything is stored.
 *
 * Errors: LIA_EIO for network faults and answers that are not TAXII 2.1
 * (nothing stored from them), LIA_EFORBIDDEN for files that fail
 * verification, LIA_EBUSY when another run holds the exchange's lock.
 * Secrets (tokens, keys) never appear in messages, logs or output.
 */
#ifndef LIAISON_EXCHANGE_H
#define LIAISON_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "store/store.h"
#include "util/util.h"

/* Progress of a long transfer: redrawn on a terminal, one summary line otherwise. */
struct exchange_progress {
    const char *what; /* "pull", "push", "export", "import" */
    FILE *out;        /* NULL: silent */
    bool tty;
    int64_t start_us, drawn_us;
    uint64_t objects, bytes;
    uint64_t total_objects; /* 0 when unknown (no ETA) */
};
void exchange_progress_init(struct exchange_progress *p, const char *what, FILE *out);
void exchange_progress_add(struct exchange_progress *p, uint64_t objects, uint64_t bytes);
/* Ends the display: on a terminal, clears the live line; then prints one summary line on
 * stdout with extra (may be NULL) appended. The live line goes to out, only on a terminal. */
void exchange_progress_done(struct exchange_progress *p, const char *extra);

/* How a run talks to a peer. */
struct exchange_opts {
    long connect_timeout_s; /* default 10 */
    long timeout_s;         /* whole request; default 120 */
    int retries;            /* further attempts after a 429, 5xx, timeout or network fault */
    long backoff_ms;        /* first wait; doubles up to 30 s; Retry-After wins when given */
    size_t max_response;    /* largest answer body accepted, bytes */
    size_t page;            /* objects per page (pull) or per read of the store (push) */
    const char *lock_dir;   /* directory for the per-exchange lock files (the data dir) */
    struct exchange_progress *progress; /* may be NULL */
    FILE *report;                       /* refused objects, one per line; NULL: logged */
};
void exchange_opts_defaults(struct exchange_opts *o);

struct exchange_result {
    uint64_t received; /* objects the peer sent (pull) or we sent (push) */
    uint64_t stored;   /* new versions stored here (pull) or accepted by the peer (push) */
    uint64_t existed;  /* versions that were already held */
    uint64_t refused;
    uint64_t ours; /* pull: our own objects coming back (created here, or pushed by us) */
    uint64_t bytes;
    uint64_t theirs; /* push: versions the peer's partner created itself, not sent back */
};

/* Pulls what peer's collection remote_coll added since the checkpoint into local collection
 * local. On failure the position stays where the last committed page left it and the
 * checkpoint records the error. */
int exchange_pull(struct store *s, const struct store_peer *peer, const char *remote_coll,
                  const struct store_collection *local, const struct exchange_opts *o,
                  struct exchange_result *res, struct lia_err *err);

/* Sends what peer's partner may receive from local collection local, and has not been
 * sent yet, to the peer's collection remote_coll. */
int exchange_push(struct store *s, const struct store_peer *peer,
                  const struct store_collection *local, const char *remote_coll,
                  const struct exchange_opts *o, struct exchange_result *res, struct lia_err *err);

/* The remote collections a peer lets us read (id and title), for `pull` without
 * --collection. */
struct exchange_remote_collection {
    const char *id;
    const char *title;
    bool can_read, can_write;
};
/* Whether peer lets us read its collection remote (an id, or an alias liaison peers accept). */
int exchange_remote_readable(const struct store_peer *peer, const struct exchange_opts *o,
                             const char *remote, bool *readable, struct lia_err *err);
int exchange_remote_collections(const struct store_peer *peer, const struct exchange_opts *o,
                                struct arena *a, struct exchange_remote_collection **out, size_t *n,
                                struct lia_err *err);

/* Runs every configured checkpoint (pull and push) once, recording results; for the sync
 * thread of `liaison serve`. Returns the number of exchanges that failed. */
int exchange_sync_all(struct store *s, const struct exchange_opts *o);

/* Signed bundle files (signed.c). Format, exactly (docs/exchange.md):
 *   line 1   header: one JSON object, then "\n"
 *   bytes    the bundle: exactly header.bytes bytes, SHA-256 = header.sha256
 *   "\n"
 *   line 3   "ed25519 " + 128 hex digits of the signature + "\n", then end of file
 * The Ed25519 signature is over the header line (with its "\n") followed by the bundle. */
#define EXCHANGE_FORMAT "liaison-signed-bundle/1"
#define EXCHANGE_MAX_FILE ((size_t)2 << 30)

struct exchange_header {
    char sender[128];    /* the sending instance's STIX identity */
    char sender_key[65]; /* hex Ed25519 public key */
    char created[40];    /* RFC 3339 */
    char collection[64]; /* the sender's collection id */
    char recipient[128]; /* the partner it was exported for (sender's name for it) */
    int64_t objects;
    int64_t bytes;
    char sha256[65];
    const char *rotation; /* build: a key rotation notice (JSON object) to carry, or NULL */
    char checkpoint[512]; /* the sender's latest signed audit checkpoint, "" for none (older
                             senders): its recipient keeps it (audit/anchor.c) */
};

/* Builds a signed file in out from a header (sender, created, collection, recipient, objects
 * filled by the caller; sender_key, bytes and sha256 computed here) and the bundle text. */
int exchange_signed_build(const unsigned char secret_key[64], struct exchange_header *h,
                          const char *bundle, size_t len, struct dbuf *out, struct lia_err *err);
/* Parses and verifies text as a signed file against the key its header names: the caller must
 * then check that this key belongs to a registered partner. On success *bundle points into
 * text. LIA_EFORBIDDEN with the reason for any malformed, truncated, extended, altered or
 * unsigned file. */
int exchange_signed_verify(const char *text, size_t len, struct exchange_header *h,
                           const char **bundle, size_t *bundle_len, struct lia_err *err);

/* The checkpoints of our audit log that peer keeps (GET /liaison/audit/witness on it, as the
 * partner it knows us as), each line in a. */
int exchange_fetch_witness(const struct store_peer *peer, const struct exchange_opts *o,
                           struct arena *a, char ***lines, size_t *n, struct lia_err *err);

/* Reads DIR/signing.key (hex, 64 bytes). The caller wipes it with sodium_memzero. */
int exchange_load_secret_key(const char *dir, unsigned char sk[64], struct lia_err *err);

/* One version an export is asked for by name (the desk's bulk selection): id and modified as
 * the object carries it (RFC 3339); modified NULL for an object without versions (an SCO). */
struct exchange_pick {
    const char *id;
    const char *modified;
};

struct exchange_export {
    const char *collection; /* id or alias */
    int64_t partner;        /* the recipient */
    int64_t since;          /* only versions added after this (microseconds); 0 = all */
    /* The versions asked for by name (deduplicated here): each goes in the file only as the
     * recipient's gate releases it; none: every version of the collection added after since. */
    const struct exchange_pick *picks;
    size_t n_picks;
    bool preview;         /* count only: nothing on record, no file */
    const char *out_path; /* where the file is written; NULL: into out */
    struct dbuf *out;
    const char *data_dir;            /* where signing.key is */
    const char *actor;               /* who exports, on record; NULL: "cli" */
    struct audit_recorder *recorder; /* commits the disclosure; NULL: one of its own */
    struct exchange_progress *progress;
};
/* What an export gave: versions in the file, and of the picks those withheld, by the gate's
 * reason (asked of the gate itself, as the desk's audience is): above the recipient's
 * clearance; its markings (REL TO, TLP:RED recipients, a sharing group) do not name the
 * recipient; not in the collection at all. */
struct exchange_export_counts {
    uint64_t objects; /* versions in the file (with picks: of those named) */
    uint64_t picks;   /* distinct versions asked for by name */
    uint64_t carried; /* with picks: marking-definitions they name, added (REL TO, groups) */
    uint64_t withheld_clearance, withheld_marking, withheld_unknown;
};
/* Writes the signed file of what the partner may receive (through the one gate) to out_path
 * or out, and audits the disclosure before the file exists; with preview, only counts. The
 * secret key is read from data_dir and wiped before returning. LIA_ENOTFOUND when the partner
 * has no read right on the collection (or either does not exist), LIA_EINVAL for a malformed
 * pick, LIA_ECONFLICT when picks were named and none may go to the partner, LIA_EUNSUPPORTED when
 * data_dir holds no signing key, LIA_ETOOBIG past the file's or out's limit. */
int exchange_export_file(struct store *s, const struct exchange_export *e,
                         struct exchange_export_counts *n, struct lia_err *err);

/* Key rotation (rotation.c; docs/exchange.md "Key rotation"). A notice says that sender
 * replaces old_key by new_key and that files signed with old_key stay valid until `until`;
 * it is signed by both keys over a fixed statement. */
#define EXCHANGE_ROTATION_FORMAT "liaison-key-rotation/1"
struct exchange_rotation {
    char sender[128];
    char old_key[65], new_key[65];
    char created[40], until[40];
    int64_t until_us;
    char sig_old[129], sig_new[129];
};
/* Makes a new key pair in dir (signing.key, signing.pub) and the notice signed by the old and
 * the new key (dir/signing.rotation), and audits key.rotate. */
int exchange_key_rotate(struct store *s, const char *dir, int64_t until_us,
                        struct exchange_rotation *n, struct lia_err *err);
/* Parses and verifies a notice (both signatures); LIA_EFORBIDDEN with the reason. */
int exchange_rotation_parse(json_t *o, struct exchange_rotation *n, struct lia_err *err);
int exchange_rotation_read(const char *path, struct exchange_rotation *n, struct lia_err *err);
int exchange_rotation_json(const struct exchange_rotation *n, struct dbuf *out);
/* Accepts a verified notice for partner (0: the partner whose key is the notice's old key):
 * only when the partner's registered key is the old key (LIA_EFORBIDDEN otherwise; 0 when
 * the new key is registered already). Audited as actor (partner.key.rotate). */
int exchange_rotation_accept(struct store *s, const struct exchange_rotation *n, int64_t partner,
                             const char *actor, struct arena *a, struct store_partner *out,
                             struct lia_err *err);
/* The notice to carry in files signed with sk: dir/signing.rotation when it names sk's public
 * key and the old key is still valid; json stays empty otherwise. */
int exchange_rotation_current(const char *dir, const unsigned char sk[64], struct dbuf *json,
                              struct lia_err *err);

struct exchange_import {
    const char *path;
    const char *into; /* local collection id or alias; NULL: the one used before for this
                         sender's collection, else a new one */
    struct exchange_progress *progress;
    FILE *report;
};
/* Verifies the file completely, then stores its objects as written by the sending partner
 * (exchange write rule), with provenance, in one transaction. */
int exchange_import_file(struct store *s, const struct exchange_import *im,
                         struct exchange_result *res, struct lia_err *err);

#endif
