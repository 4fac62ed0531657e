/*
 * store: the only interface the rest of liaison has to persistent state.
 * The face of src/store/ (design.md, "Storage").
 *
 * Invariants:
 *  - One gate (design.md invariant 1): every read of objects goes through
 *    store_query_objects, which takes the caller's struct store_policy and
 *    turns it into part of the SQL WHERE clause. Nothing above this layer
 *    filters objects after fetching them, and nothing here returns an object,
 *    an id or a count the policy does not allow.
 *  - Verbatim (invariant 2): an object version is stored as the exact JSON
 *    text it arrived as, beside indexed columns; reads return that text.
 *  - Durable before acknowledged (invariant 3): writes happen inside a
 *    store_txn; nothing is visible or reported as stored before
 *    store_commit returns 0 (SQLite: WAL, synchronous=FULL).
 *  - date_added is the primary key of an object version: microseconds since
 *    the epoch, strictly increasing across the whole store, assigned inside
 *    the write transaction. Pages are ranges on it, never OFFSET.
 *
 * Ownership: strings in result structs live in the arena the caller passed;
 * the store keeps no pointer to caller memory after a call returns.
 * Threads: a struct store may be shared by threads; each call takes a
 * connection from the store's pool. A struct store_txn belongs to one thread.
 */
#ifndef LIAISON_STORE_H
#define LIAISON_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

struct store;
struct store_txn;

struct store_options {
    int pool_size;       /* connections kept open (one per worker thread) */
    int busy_timeout_ms; /* how long a writer waits for the lock */
    bool create;         /* create the store if it does not exist */
    bool migrate;        /* PostgreSQL: apply pending schema migrations (liaison migrate) */
};

/* Opens (or with opt->create, creates) the store at path: a SQLite file ("sqlite:PATH" or a
 * plain path), or a PostgreSQL database ("postgres://..." or "postgresql://...", pg/), whose
 * schema version must be the one this liaison knows unless opt->create or opt->migrate. */
int store_open(const char *path, const struct store_options *opt, struct store **out,
               struct lia_err *err);
void store_close(struct store *s);

/* What store_check found. */
struct store_check_report {
    size_t problems;    /* 0: intact */
    char first[512];    /* the first problem, worded for a person */
    char note[768];     /* what the check could not cover, or "" */
    const char *method; /* what was run */
};
/* Checks the store at location (as store_open takes it) without changing it, and without
 * needing store_open to succeed (check.c): SQLite: not empty, PRAGMA integrity_check (full) or
 * quick_check, the liaison schema present; PostgreSQL: every table read whole (page checksums
 * verified when the cluster has them), amcheck on every index when installed (full). each,
 * unless NULL, gets every problem. Problems go in out; non-zero only when the check could not
 * run at all (no such store, cannot connect). */
int store_check(const char *location, bool full, void (*each)(void *ctx, const char *problem),
                void *ctx, struct store_check_report *out, struct lia_err *err);
/* SQLite: moves WAL checkpoints from the committing request to a background thread (the
 * server calls it after opening; CLI commands keep SQLite's own). PostgreSQL: nothing. */
int store_background_checkpoints(struct store *s, struct lia_err *err);

/* TLP ranks, ordered from least to most restricted. */
enum store_tlp {
    STORE_TLP_CLEAR = 0,
    STORE_TLP_GREEN = 1,
    STORE_TLP_AMBER = 2,
    STORE_TLP_AMBER_STRICT = 3,
    STORE_TLP_RED = 4,
    STORE_TLP_NONE = -1, /* unmarked: the collection's default applies */
};

/* Who is asking, as the store needs to know it to filter. Built by access/. */
struct store_policy {
    bool all;        /* a local admin: every object, every collection */
    int64_t partner; /* partner rowid; 0 for local principals */
    int clearance;   /* highest enum store_tlp the principal may receive */
};

/* Key/value settings kept in the store (instance identity, secrets for tokens). */
int store_meta_get(struct store *s, const char *key, struct arena *a, char **value,
                   struct lia_err *err);
int store_meta_set(struct store *s, const char *key, const char *value, struct lia_err *err);
/* The same, inside a write transaction. */
int store_txn_meta_set(struct store_txn *t, const char *key, const char *value,
                       struct lia_err *err);

/* Collections. */
struct store_collection {
    int64_t rid;
    const char *id; /* UUID, the TAXII collection id */
    const char *title;
    const char *description; /* may be NULL */
    const char *alias;       /* may be NULL */
    int default_tlp;         /* enum store_tlp applied to unmarked objects */
    bool can_read;           /* for the asking policy */
    bool can_write;
};

int store_collection_add(struct store *s, const char *title, const char *description,
                         const char *alias, int default_tlp, struct arena *a,
                         struct store_collection *out, struct lia_err *err);
/* Lists the collections the policy may read or write, in creation order. */
int store_collection_list(struct store *s, const struct store_policy *p, struct arena *a,
                          struct store_collection **out, size_t *n, struct lia_err *err);
/* Finds one by id or alias; LIA_ENOTFOUND also when the policy has no right to it. */
int store_collection_get(struct store *s, const struct store_policy *p, const char *id_or_alias,
                         struct arena *a, struct store_collection *out, struct lia_err *err);

/* Reading a whole request in one read transaction (one consistent snapshot, one lock
 * round trip): every store call this thread makes until store_read_end uses the same
 * connection. Writes (store_begin) still get a connection of their own. Optional: calls
 * without it work the same, each in its own transaction. */
int store_read_begin(struct store *s, struct lia_err *err);
void store_read_end(struct store *s);

/* The store's commit generation: a number that changes after every commit any liaison
 * process makes to this store (the server, and CLI commands run beside it), read without a
 * transaction; except a commit whose only changes are audit entries and the log's head (a
 * partner's disclosure record), which no answer shows. Read it before a read transaction
 * begins and again after it ends: when both match, what was read is current for as long as
 * the generation stays the same (the response cache, docs/architecture.md). SQLite: a counter
 * in a file beside the database that every process maps; PostgreSQL: every commit sends a
 * NOTIFY that each node's listener counts (pg/listen.c). False when the backend cannot tell
 * (the generation file cannot be mapped; a node's listening session is lost, until it
 * listens again): then nothing may be cached. */
bool store_generation(struct store *s, uint64_t *gen);

/* Writing. */
int store_begin(struct store *s, struct store_txn **t, struct lia_err *err);
/* Whether a write transaction of this process is under way or waiting to begin: a hint for a
 * writer that has work to do before it needs its transaction (it may do it first). */
bool store_writing(struct store *s);
int store_commit(struct store_txn *t, struct lia_err *err); /* frees t, also on failure */
void store_rollback(struct store_txn *t);                   /* frees t */

/* A liaison-flow as the flows query reads it (docs/flows.md): one row per commodity. */
struct store_flow {
    const char *const *what; /* commodities */
    size_t n_what;
    const char *from_ref, *to_ref; /* location ids */
    const char *const *via_refs;
    size_t n_via;
    int64_t first_seen, last_seen; /* us; last_seen is last_seen, else first_seen, else created */
    const char *grade;             /* "B2" from the grading extension, or "" */
};

/* Where a location lies: stored for the collection when the location object is stored
 * (from_object), or, for a location named by the gazetteer id intake gives it, when a flow
 * names it (by its id alone: public). */
struct store_placed {
    const char *loc;           /* the location id */
    const char *place;         /* its gazetteer key */
    const char *country;       /* the country it lies in, or place when it lies in no single one */
    const char *const *within; /* every place it lies within, place itself included */
    size_t n_within;
    bool from_object;
};

struct store_object {
    const char *id;
    const char *type;
    const char *spec_version;
    int64_t created_us;
    int64_t modified_us;  /* 0 for unversioned objects (SCOs) */
    const char *modified; /* text of the version timestamp, NULL for SCOs */
    const char *created_by_ref;
    int tlp;               /* enum store_tlp from the object's markings */
    const int64_t *rel_to; /* partners named by a releasability marking */
    size_t n_rel_to;
    bool has_rel;          /* a releasability marking is present (even naming none here) */
    const int64_t *red_to; /* partners named as TLP:RED recipients */
    size_t n_red_to;
    const char *json; /* the exact text */
    size_t json_len;
    const char *unknown_marking; /* set by access/: a marking ref it could not resolve */
    const char *search_text;     /* normalised names, aliases and text to search, or NULL */
    bool first; /* no version of id is in the collection (looked up in this transaction) */
    const struct store_flow *flow;     /* a liaison-flow's rows for the flows query, or NULL */
    const struct store_placed *placed; /* locations this object places (docs/flows.md) */
    size_t n_placed;
};

enum store_put_result { STORE_PUT_NEW = 1, STORE_PUT_EXISTS = 2 };

/* Stores one object version in collection coll. A version that is already there (same id and
 * modified) is left alone and reported as STORE_PUT_EXISTS. *date_added gets the version's
 * date_added (new or existing). */
int store_put_object(struct store_txn *t, int64_t coll, const struct store_object *o, int *result,
                     int64_t *date_added, struct lia_err *err);
/* The same for o[0..n), in order, as one batch (PostgreSQL: one statement). */
struct store_put {
    int result; /* enum store_put_result */
    int64_t date_added;
};
int store_put_objects(struct store_txn *t, int64_t coll, const struct store_object *o, size_t n,
                      struct store_put *out, struct lia_err *err);

/* Reading: the one gate. */
enum store_version_sel {
    STORE_VER_LAST = 1,
    STORE_VER_FIRST = 2,
    STORE_VER_ALL = 4,
};

struct store_filter {
    int64_t added_after; /* exclusive lower bound on date_added; 0 = none */
    int64_t after_key;   /* from a next token: exclusive lower bound on date_added */
    const char *const *ids;
    size_t n_ids;
    const char *const *types;
    size_t n_types;
    const char *const *spec_versions; /* none = every version (TAXII: latest spec only) */
    size_t n_spec_versions;
    int version_sel;           /* bit set of enum store_version_sel; 0 = LAST */
    const int64_t *version_at; /* explicit modified timestamps, OR-ed with the sel */
    size_t n_version_at;
    size_t limit;           /* rows to return; the store looks one further to set `more` */
    const char *text_match; /* normalised text (>= 3 characters) the search text must contain */
};

struct store_row {
    int64_t date_added;
    const char *id;
    const char *modified; /* NULL for SCOs */
    const char *spec_version;
    const char *json; /* NULL unless with_json */
    size_t json_len;
};

struct store_page {
    struct store_row *rows;
    size_t n;
    bool more;
};

/* Returns a page of object versions of collection coll that policy p may see and filter f
 * selects, in date_added order. with_json also returns the stored text. */
int store_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, bool with_json, struct arena *a,
                        struct store_page *out, struct lia_err *err);

/* The flows query (docs/flows.md): every row of the last versions of the flows of coll the
 * policy may see and q selects, one per commodity. A location is placed for the caller only
 * when it was placed by its gazetteer id or the caller may see the location version that
 * placed it; otherwise from/to hold the location id and *_placed is false. */
struct store_flow_query {
    const char *into, *out_of, *through; /* gazetteer keys, or NULL */
    const char *const *what;
    size_t n_what;
    int64_t since;         /* us: rows whose last_seen is at or after it; 0: all */
    bool by_place;         /* edges between the places themselves, not their countries */
    const char *source;    /* only flows created by this identity, or NULL */
    const char *min_grade; /* only flows graded at least this well ("B2": A-B and 1-2), or NULL */
    size_t max_rows;       /* LIA_ETOOBIG past it */
    int64_t only;          /* only the flow version stored at this date_added (watches), or 0 */
};
struct store_flow_row {
    int64_t date_added;
    const char *id, *modified, *what;
    const char *from, *to; /* gazetteer keys, or location ids when not placed */
    bool from_placed, to_placed;
    const char *source; /* created_by_ref, "" when none */
    const char *grade;  /* "" when none */
    int64_t first_seen, last_seen;
    int64_t coll; /* the collection's rowid */
};
int store_query_flows(struct store *s, const struct store_policy *p, int64_t coll,
                      const struct store_flow_query *q, struct arena *a,
                      struct store_flow_row **out, size_t *n, struct lia_err *err);

/* Deletes the versions of object id in coll that f selects (ids/types ignored), after the
 * same policy gate as reads; *deleted gets the count (0 means "not found" to the caller) and
 * *gone (in a) each removed version's date_added and modified text, for the audit record. */
int store_delete_object(struct store_txn *t, const struct store_policy *p, int64_t coll,
                        const char *id, const struct store_filter *f, struct arena *a,
                        struct store_row **gone, size_t *deleted, struct lia_err *err);

/* An object version named by its date_added key, as disclosure records name them. */
struct store_keyed {
    const char *id;         /* NULL when no version is stored under the key (deleted) */
    const char *modified;   /* modified text; "" for objects without versions */
    const char *collection; /* the collection's id */
};
/* Looks up the versions stored under keys[0..n): out[i] answers keys[i]. No policy: for
 * the audit commands only. */
int store_versions_by_key(struct store *s, const int64_t *keys, size_t n, struct arena *a,
                          struct store_keyed *out, struct lia_err *err);

/* Status resources (TAXII 2.1 section 4.3): JSON text kept as built by the API layer. */
int store_status_put(struct store_txn *t, const char *id, const char *owner, const char *json,
                     struct lia_err *err);
/* LIA_ENOTFOUND when absent or when owner does not match (NULL owner: admin, any). */
int store_status_get(struct store *s, const char *id, const char *owner, struct arena *a,
                     char **json, struct lia_err *err);

/* Partners: the other services this instance shares with. */
struct store_partner {
    int64_t rid;
    const char *identity_id; /* their STIX identity */
    const char *identity_json;
    const char *name;
    const char *country; /* ISO 3166-1 alpha-2, or NULL */
    int clearance;       /* enum store_tlp */
    const char *trust;   /* Admiralty source reliability A-F, or NULL */
    bool disabled;
    const char *pubkey; /* hex Ed25519 public key, or NULL */
    const char *cert_fingerprint;
    const char *cert_subject;
    int64_t created;
};
int store_partner_add(struct store *s, const struct store_partner *p, int64_t *rid,
                      struct lia_err *err);
/* Finds a partner by rowid (key NULL), or by identity id, name, cert fingerprint or subject
 * (field names "identity", "name", "fingerprint", "subject"). */
int store_partner_get(struct store *s, int64_t rid, const char *field, const char *key,
                      struct arena *a, struct store_partner *out, struct lia_err *err);
int store_partner_list(struct store *s, struct arena *a, struct store_partner **out, size_t *n,
                       struct lia_err *err);
/* Sets one of "disabled", "pubkey", "cert_fingerprint", "cert_subject", "clearance", "trust". */
int store_partner_update(struct store *s, int64_t rid, const char *field, const char *value,
                         struct lia_err *err);
/* Maps identity ids to partner rowids inside a transaction; unknown ids are skipped. */
int store_partner_rids(struct store_txn *t, const char *const *identities, size_t n, int64_t *rids,
                       size_t *n_rids, struct lia_err *err);

/* Collection rights of a partner. read=false and write=false removes the grant. */
int store_grant_set(struct store *s, int64_t coll, int64_t partner, bool read, bool write,
                    struct lia_err *err);

/* Inside a write: whether coll holds a version of each of ids[0..n) (out[i].found), and the
 * newest one's created_by_ref (NULL when it names none) and modified time. */
struct store_creator {
    bool found;
    const char *created_by_ref;
    int64_t modified_us;
};
int store_object_creators(struct store_txn *t, int64_t coll, const char *const *ids, size_t n,
                          struct arena *a, struct store_creator *out, struct lia_err *err);
/* Inside a write: the stored text of the newest version of object id of the given type from
 * any collection, or LIA_ENOTFOUND. Indexed for marking-definition and liaison-rfi only. */
int store_object_text(struct store_txn *t, const char *id, const char *type, struct arena *a,
                      const char **json, struct lia_err *err);

/* Credentials. A token is "<id>.<secret>"; only a hash of the secret is stored. */
struct store_token {
    const char *id;
    unsigned char hash[32];
    int64_t partner; /* 0: a local principal */
    bool admin;
    bool read_only;
    int64_t created;
    int64_t expires; /* 0: never */
    bool revoked;
    const char *label;
};
int store_token_put(struct store *s, const struct store_token *tok, struct lia_err *err);
int store_token_get(struct store *s, const char *id, struct arena *a, struct store_token *out,
                    struct lia_err *err);
int store_token_list(struct store *s, struct arena *a, struct store_token **out, size_t *n,
                     struct lia_err *err);
int store_token_revoke(struct store *s, const char *id, struct lia_err *err);

/* Audit: appended in the caller's transaction, chained by hash (audit/). */
struct store_audit_entry {
    int64_t seq;
    int64_t ts;
    const char *actor;
    const char *action;
    const char *detail; /* JSON text */
    unsigned char prev[32];
    unsigned char hash[32];
};
/* Reads the last entry's seq and hash (seq 0 and zero hash when the log is empty). */
int store_audit_last(struct store_txn *t, int64_t *seq, unsigned char hash[32],
                     struct lia_err *err);
/* Appends e and, in the same transaction, records head ("seq:hash", the setting
 * STORE_AUDIT_HEAD) as the log's head, which `audit verify` compares with the last entry. */
#define STORE_AUDIT_HEAD "audit_head"
int store_audit_insert(struct store_txn *t, const struct store_audit_entry *e, const char *head,
                       struct lia_err *err);
/* Calls fn for each entry from seq > after, in order, until fn returns non-zero. */
int store_audit_scan(struct store *s, int64_t after,
                     int (*fn)(const struct store_audit_entry *e, void *ctx), void *ctx,
                     struct lia_err *err);

/* Exchange with other instances (src/exchange/, partner.c; docs/exchange.md).
 * A peer is a remote TAXII 2.1 server and the local partner it stands for. Its credentials
 * (token; paths of a client certificate and key) are kept here because pulls must present
 * them; nothing prints or logs them. A checkpoint is one configured exchange of a peer:
 * direction "pull" (remote collection -> local collection) or "push" (local -> remote), with
 * how far it got (position), when it last succeeded and its last error. */
struct store_peer {
    int64_t rid;
    const char *name;
    const char *url;      /* discovery URL, or the API root URL when api_root is NULL */
    const char *api_root; /* NULL: found by discovery; else a name or URL under url */
    int64_t partner;      /* the local partner the peer acts for */
    const char *token;    /* secret; NULL when a client certificate is used */
    const char *client_cert, *client_key, *ca; /* file paths, or NULL */
    int64_t created;
};
/* LIA_ECONFLICT when the name is taken. */
int store_peer_add(struct store *s, const struct store_peer *p, int64_t *rid, struct lia_err *err);
/* By name (key) or, when key is NULL, by rowid. LIA_ENOTFOUND when absent. */
int store_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                   struct store_peer *out, struct lia_err *err);
int store_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                    struct lia_err *err);
/* Removes the peer and its checkpoints (provenance rows stay: they are history). */
int store_peer_remove(struct store *s, int64_t rid, struct lia_err *err);

struct store_checkpoint {
    int64_t peer;
    const char *direction;   /* "pull" or "push" */
    const char *remote_coll; /* the remote collection id */
    int64_t local_coll;      /* local collection rowid */
    const char *position;    /* pull: the remote date_added to continue after; push: the local
                                date_added (decimal microseconds); NULL = from the start */
    int64_t last_ok;         /* microseconds; 0 = never */
    const char *last_error;  /* NULL after a success */
    int64_t updated;
    int64_t objects; /* object versions moved by this exchange, all runs */
};
/* Creates or replaces the row (key: peer, direction, remote_coll, local_coll) inside t, so
 * that a position moves in the transaction of the objects it covers. */
int store_checkpoint_put(struct store_txn *t, const struct store_checkpoint *c,
                         struct lia_err *err);
/* LIA_ENOTFOUND when there is no such row. */
int store_checkpoint_get(struct store *s, int64_t peer, const char *direction,
                         const char *remote_coll, int64_t local_coll, struct arena *a,
                         struct store_checkpoint *out, struct lia_err *err);
/* Every checkpoint of peer (0: of every peer), by peer, direction and collection. */
int store_checkpoint_list(struct store *s, int64_t peer, struct arena *a,
                          struct store_checkpoint **out, size_t *n, struct lia_err *err);
/* One provenance row per stored version (date_added): who sent it, when, the trust this side
 * gives that partner, and how ("pull" or "import"). peer 0 for imports. */
int store_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                         int64_t partner, int64_t received, const char *trust, const char *via,
                         struct lia_err *err);

/* Watches (src/watch/, watches.c; docs/watches.md): standing queries of a principal
 * (owner: a partner rowid, 0 for this instance's local principals) and the events they fired.
 * An event is unique per (watch, object version): recording one twice stores nothing, so a
 * watch fires once per version, across restarts and across nodes sharing a store. A webhook's
 * secret is kept because deliveries are signed with it; nothing lists, prints or logs it. */
struct store_watch {
    int64_t rid;
    const char *id; /* "watch--<uuid>" */
    int64_t owner;
    const char *name;
    const char *query;   /* JSON text of the filters, as watch/ wrote it */
    const char *webhook; /* URL, or NULL */
    const char *secret;  /* webhook signing key, or NULL */
    int64_t created;
    int64_t events; /* store_watch_list only: events fired */
    int64_t failed; /* store_watch_list only: webhook deliveries given up */
};
/* LIA_ECONFLICT when the owner has a watch of that name, LIA_ETOOBIG when it has max already. */
int store_watch_add(struct store *s, const struct store_watch *w, size_t max, int64_t *rid,
                    struct lia_err *err);
/* The watches of owner (owner < 0: of every owner), oldest first. */
int store_watch_list(struct store *s, int64_t owner, struct arena *a, struct store_watch **out,
                     size_t *n, struct lia_err *err);
/* By id; LIA_ENOTFOUND when absent or another owner's (owner < 0: any owner's). */
int store_watch_get(struct store *s, int64_t owner, const char *id, struct arena *a,
                    struct store_watch *out, struct lia_err *err);
/* Removes the watch and its events; LIA_ENOTFOUND as store_watch_get. */
int store_watch_remove(struct store *s, int64_t owner, const char *id, struct lia_err *err);

/* An object version as the watch engine reads it: every version added after a cursor, in any
 * collection, in date_added order. Not a disclosure: the engine shows nothing of a version to
 * an owner before store_query_objects with that owner's policy has returned it. */
struct store_watch_version {
    int64_t date_added;
    int64_t coll;
    const char *coll_id;
    const char *id;
    const char *type;
    int64_t modified_us;
    const char *modified; /* NULL for SCOs */
    int tlp;              /* effective: the collection's default when unmarked */
    const char *json;
    size_t json_len;
};
int store_watch_versions(struct store *s, int64_t after, size_t limit, struct arena *a,
                         struct store_watch_version **out, size_t *n, struct lia_err *err);

enum store_hook_state {
    STORE_HOOK_NONE = 0,      /* the watch has no webhook */
    STORE_HOOK_PENDING = 1,   /* to deliver at next_attempt */
    STORE_HOOK_DELIVERED = 2, /* the receiver answered 2xx */
    STORE_HOOK_FAILED = 3,    /* given up after the last attempt */
};
struct store_watch_event {
    int64_t seq; /* increasing across the store: the server-sent event id */
    int64_t watch;
    const char *watch_id;
    int64_t owner;
    int64_t obj_date_added;
    int64_t coll;
    const char *obj_id;
    int64_t obj_modified; /* modified_us of the version */
    const char *summary;  /* JSON text sent to the owner */
    int64_t created;
    int hook_state; /* enum store_hook_state */
    int attempts;
    int64_t next_attempt;
    const char *last_error;
    const char *webhook; /* of the watch: store_watch_events_due only */
    const char *secret;
};
/* Records e (watch, obj_date_added, coll, obj_id, obj_modified, summary, hook_state) in t;
 * *inserted is false when that watch already fired for that version. */
int store_watch_event_put(struct store_txn *t, const struct store_watch_event *e, bool *inserted,
                          struct lia_err *err);
/* Events of owner's watches with seq > after, oldest first, at most limit. */
int store_watch_events(struct store *s, int64_t owner, int64_t after, size_t limit, struct arena *a,
                       struct store_watch_event **out, size_t *n, struct lia_err *err);
/* The newest event seq of owner's watches, 0 when none. */
int store_watch_event_last(struct store *s, int64_t owner, int64_t *seq, struct lia_err *err);
/* Pending webhook deliveries with next_attempt <= now, oldest first, with the watch's
 * webhook and secret. */
int store_watch_events_due(struct store *s, int64_t now, size_t limit, struct arena *a,
                           struct store_watch_event **out, size_t *n, struct lia_err *err);
/* Records the outcome of a delivery attempt. */
int store_watch_event_update(struct store *s, int64_t seq, int hook_state, int attempts,
                             int64_t next_attempt, const char *last_error, struct lia_err *err);

/* The data directory: DIR/liaison.db plus files beside it. */
int store_path_for_dir(const char *dir, char *out, size_t outlen);
/* Where DIR's store is: the `store = ...` line of DIR/liaison.conf when there is one (a
 * PostgreSQL URL, or sqlite:PATH), else DIR/liaison.db (location.c). */
int store_location_for_dir(const char *dir, char *out, size_t outlen);
/* A store location fit for messages and logs: a URL's password replaced by ***. */
void store_location_redact(const char *location, char *out, size_t outlen);

/* A lock shared by every process on the same store (every node on one PostgreSQL database),
 * for work one node at a time must do: scheduled pulls and pushes, watch deliveries (lock.c).
 * LIA_EBUSY when another holder has it. */
struct store_lock;
int store_lock_try(struct store *s, const char *name, struct store_lock **out, struct lia_err *err);
void store_lock_release(struct store_lock *l);

/* Copying a whole store into another, empty one (`liaison store copy`, copy.c): every table,
 * row by row, keys kept. A value is text (integers in decimal) or, in hash and blob columns,
 * bytes; ptr NULL is SQL NULL. */
struct store_copy_value {
    const char *ptr;
    size_t len;
};
/* The tables in copy order, NULL-terminated. */
const char *const *store_copy_tables(void);
/* Calls fn with each row of table in key order, until fn returns non-zero (returned). */
int store_copy_read(struct store *s, const char *table,
                    int (*fn)(const struct store_copy_value *row, size_t n, void *ctx), void *ctx,
                    struct lia_err *err);
/* Inserts one row as store_copy_read gave it; meta rows replace the target's. n == 0 (row
 * NULL) empties the table first (meta: all but the schema version). */
int store_copy_write(struct store_txn *t, const char *table, const struct store_copy_value *row,
                     size_t n, struct lia_err *err);
/* After the last row: moves the target's row-id sequences past the copied keys. */
int store_copy_finish(struct store_txn *t, struct lia_err *err);

#endif
