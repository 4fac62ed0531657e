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
    bool migrate;        /* apply pending schema migrations (liaison migrate); without it a
                            store that needs one is refused, naming the command */
};

/* Opens (or with opt->create, creates) the store at path: a SQLite file ("sqlite:PATH" or a
 * plain path), or a PostgreSQL database ("postgres://..." or "postgresql://...", pg/), whose
 * schema version must be the one this liaison knows unless opt->create or opt->migrate. */
int store_open(const char *path, const struct store_options *opt, struct store **out,
               struct lia_err *err);
void store_close(struct store *s);
/* Reads of object text check one version in n (default STORE_DIGEST_SAMPLE; 0: none) against
 * the digest taken when it was written: a mismatch fails the read with LIA_EIO naming the
 * version and `liaison store check`, so changed bytes are never served silently (issue 16). */
#define STORE_DIGEST_SAMPLE 64
void store_set_digest_sample(struct store *s, unsigned n);
/* Writes a consistent copy of the whole store, as of one moment, into the new (or empty) file
 * path while other connections and processes keep writing (SQLite: VACUUM INTO). PostgreSQL:
 * LIA_EUNSUPPORTED, naming pg_dump (docs/backup.md). */
int store_snapshot(struct store *s, const char *path, struct lia_err *err);
/* The schema version s had when opened (found) and the one this liaison writes (now: every
 * store open returned is at it). */
int store_schema_version(struct store *s, int *found, int *now);
/* Can s serve? 0 when the store answers and its schema is the one this liaison knows;
 * LIA_EBUSY (unreachable: err says why) or LIA_EUNSUPPORTED (another schema version). One
 * small query: /healthz calls it on every probe. */
int store_health(struct store *s, struct lia_err *err);
/* A table of the schema descriptor that no migration makes and the baseline lacks, or a
 * migration out of sequence (its description); NULL when the two agree (test_store checks it,
 * docs/upgrades.md). */
const char *store_schema_unmigrated(void);

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
/* In t: removes collection rid with its grants, the exchanges into or from it and its watch
 * events, when it holds no object version (else LIA_ECONFLICT, *left of them). */
int store_collection_remove(struct store_txn *t, int64_t rid, int64_t *left, struct lia_err *err);
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
    const int64_t *groups; /* sharing groups it is released to (each limits: all must hold);
                              0 stands for a group this store does not know (no member) */
    size_t n_groups;
    bool derived;     /* a definition (extension-definition): visible to a caller only where it may
                         see an object of the same collection that uses it (store_def_use_put) */
    const char *json; /* the exact text */
    size_t json_len;
    const char *unknown_marking; /* set by access/: a marking ref it could not resolve */
    bool unknown_group;          /* unknown_marking is a group marking of another service */
    const char *search_text;     /* normalised names, aliases and text to search, or NULL */
    const char *digest; /* store_digest of json when worked out already (ingest), else NULL */
    bool first;         /* no version of id is in the collection (looked up in this transaction) */
    const struct store_flow *flow;     /* a liaison-flow's rows for the flows query, or NULL */
    const struct store_placed *placed; /* locations this object places (docs/flows.md) */
    size_t n_placed;
};

enum store_put_result { STORE_PUT_NEW = 1, STORE_PUT_EXISTS = 2 };

/* An object version's digest, taken when it is written and checked by store_check: BLAKE2b
 * (128 bits) of its exact text, in lowercase hex (objects.c). */
#define STORE_DIGEST_HEX 33
void store_digest(const char *json, size_t len, char out[STORE_DIGEST_HEX]);

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
    /* The desk's browsing of a large collection (docs/web.md): more conditions of the same
     * query, and an order other than date_added ascending. Zero values change nothing. */
    const int *tlps; /* stored TLP ranks to keep (STORE_TLP_NONE: unmarked) */
    size_t n_tlps;
    const char *created_by;             /* created_by_ref must equal it */
    int64_t modified_from, modified_to; /* inclusive bounds on modified (us); 0 = none */
    int order;                          /* enum store_order; 0 = STORE_ORDER_ADDED */
    bool descending;                    /* newest first */
    int64_t cursor;        /* keyset: only rows after the row stored under this date_added, in the
                              order asked (for STORE_ORDER_ADDED ascending, after_key does the same) */
    const char *refers_to; /* an id the stored text names as a value (a relationship's end, a
                              report's object_refs...): the objects around it. Not indexed: a
                              walk of the collection's rows of the types asked */
};

/* The order of a page: date_added (the default), or modified with date_added breaking ties. */
enum store_order { STORE_ORDER_ADDED = 0, STORE_ORDER_MODIFIED = 1 };

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
 * selects, in date_added order (or f's order). with_json also returns the stored text. */
int store_query_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, bool with_json, struct arena *a,
                        struct store_page *out, struct lia_err *err);
/* How many object versions of collection coll policy p may see and filter f selects (its limit
 * ignored; its cursor counts the rows after it): the same WHERE clause as store_query_objects,
 * so a total never counts what a page would not show. */
int store_count_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, int64_t *total, struct lia_err *err);

/* Whether policy p would be given object o (its handling columns filled by
 * access_object_handling: tlp, rel_to, has_rel, red_to) as the latest version of an object in
 * coll, were it stored now: the gate's own predicate (policy.c) evaluated on that one row of
 * values, for a preview before writing. 1 or 0; LIA_ENOTFOUND when p may not read coll;
 * LIA_EUNSUPPORTED for a partner past STORE_MASK_MAX_PARTNER (whose audience is kept in rows
 * an unstored object does not have). */
int store_gate_preview(struct store *s, const struct store_policy *p, int64_t coll,
                       const struct store_object *o, struct lia_err *err);
/* How many of the versions store_count_objects would count have each value of a column (the
 * most frequent max values, most first): the facets of a search or a listing, through the same
 * WHERE clause. value is the text of the column (a TLP rank in decimal; NULL for an object
 * without a creator). */
enum store_facet_column { STORE_FACET_TYPE = 0, STORE_FACET_TLP = 1, STORE_FACET_CREATOR = 2 };
struct store_facet {
    const char *value;
    int64_t count;
};
int store_facet_objects(struct store *s, const struct store_policy *p, int64_t coll,
                        const struct store_filter *f, int column, size_t max, struct arena *a,
                        struct store_facet **out, size_t *n, struct lia_err *err);
/* The facets of a search in one pass: at most max_rows objects of coll that f selects and p
 * may see (the same gate as a page; on SQLite the newest, on PostgreSQL the first its plan
 * finds), counted by type, TLP rank (as text; NULL: none) and creator. The counts add up to
 * max_rows at most: when they reach it, there may be more. */
struct store_facet_row {
    const char *type, *tlp, *creator;
    int64_t count;
};
int store_facet_sample(struct store *s, const struct store_policy *p, int64_t coll,
                       const struct store_filter *f, size_t max_rows, struct arena *a,
                       struct store_facet_row **out, size_t *n, struct lia_err *err);

/* In t: the names and clearances (in a) of the partners rids[0..n) whose clearance is below
 * tlp, into names and clearances (room for n); *n_below how many. */
int store_partners_below(struct store_txn *t, const int64_t *rids, size_t n, int tlp,
                         struct arena *a, const char **names, int *clearances, size_t *n_below,
                         struct lia_err *err);

/* Replaces the stored text of the version keyed date_added, in t: only for a property renamed
 * by an upgrade (rfi_upgrade_responses), never for content; the caller audits it. */
int store_object_set_json(struct store_txn *t, int64_t date_added, const char *json,
                          struct lia_err *err);

/* The containment index flows and locations are placed with (docs/flows.md), loaded on first
 * use from the gazetteer directory; NULL when it cannot be loaded (logged once). */
struct place_index;
const struct place_index *store_places(void);
/* The flow and place rows of a liaison-flow or a location version (flow_rows.c) into so, as
 * store_put_objects writes them beside it; 0 for any other type. LIA_ENOMEM only. */
struct json_t;
struct stix_info;
int store_flow_rows(struct json_t *obj, const struct stix_info *info, struct arena *a,
                    struct store_object *so);

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
/* In the rows of one call, from, to, what, source and grade are interned (lia_intern): equal
 * texts are one pointer. */
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

/* Sharing groups (groups.c, docs/groups.md). A group is released to through its
 * marking-definition (marking: its id, definition: its text). Who is a member, and the group's
 * rights on collections, are read by every query inside the policy predicate, so a change holds
 * from the next read on. */
struct store_group {
    int64_t rid;
    const char *marking; /* "marking-definition--<uuid>": the group's id */
    const char *name;
    const char *description; /* may be NULL */
    bool disclose;           /* members may learn who the other members are */
    const char *definition;  /* the marking-definition's JSON text */
    int64_t created;
    int64_t members; /* store_group_list/get: how many */
};
/* LIA_ECONFLICT when the name (or marking) is taken. */
int store_group_add(struct store *s, const struct store_group *g, int64_t *rid,
                    struct lia_err *err);
/* By marking id or name; LIA_ENOTFOUND when there is none. */
int store_group_get(struct store *s, const char *key, struct arena *a, struct store_group *out,
                    struct lia_err *err);
/* Every group (member 0), or the groups partner member belongs to, oldest first. */
int store_group_list(struct store *s, int64_t member, struct arena *a, struct store_group **out,
                     size_t *n, struct lia_err *err);
/* The partner rowids of grp's members, in the order they were added. */
int store_group_members(struct store *s, int64_t grp, struct arena *a, int64_t **out, size_t *n,
                        struct lia_err *err);
/* add: LIA_ECONFLICT when partner is a member already; remove: LIA_ENOTFOUND when it is not. */
int store_group_member_set(struct store *s, int64_t grp, int64_t partner, bool add,
                           struct lia_err *err);
/* How many stored object versions are released to grp (its marking-definition not counted). */
int store_group_uses(struct store *s, int64_t grp, int64_t *n, struct lia_err *err);
/* How many object versions of coll are released to a group of another service (group 0):
 * kept here, passed on to no one (originator control). */
int store_group_foreign(struct store *s, int64_t coll, int64_t *n, struct lia_err *err);
/* The texts of the group marking-definitions held (ext: the group extension's id) that name no
 * group of this store: partners' circles we received objects for, one per id. */
int store_group_foreign_list(struct store *s, const char *ext, struct arena *a, char ***texts,
                             size_t *n, struct lia_err *err);
/* Removes the group, its members and grants; the objects released to it stay, released to no
 * one (their audience names a group no one is in). */
int store_group_remove(struct store *s, int64_t grp, struct lia_err *err);
/* A group's rights on a collection, as store_grant_set. */
int store_group_grant_set(struct store *s, int64_t coll, int64_t grp, bool read, bool write,
                          struct lia_err *err);
/* Inside a write: the group whose marking-definition id is marking (*rid 0 when none) and,
 * when definition is not NULL, that definition's text (in a). */
int store_group_of_marking(struct store_txn *t, const char *marking, struct arena *a, int64_t *rid,
                           const char **definition, struct lia_err *err);

/* Whether coll holds version modified_us of id with exactly the text json (by its digest:
 * BLAKE2b of the stored text, written with every version). */
int store_version_same(struct store_txn *t, int64_t coll, const char *id, int64_t modified_us,
                       const char *json, size_t len, bool *same, struct lia_err *err);
/* Inside a write: the object version stored under date_added uses the definitions defs[0..n)
 * (extension-definition ids): a derived definition row of its collection is visible to whoever
 * may see one of its users. */
int store_def_use_put(struct store_txn *t, int64_t date_added, const char *const *defs, size_t n,
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
 * any collection, or LIA_ENOTFOUND. Indexed for marking-definition, extension-definition and
 * liaison-rfi only. */
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

/* Checkpoints of a partner's audit log it sent us (its witness: docs/security.md), one row per
 * (partner, seq, hash): two of one seq with different hashes are both kept, as evidence. */
struct store_witness {
    int64_t partner;  /* partner rowid */
    int64_t seq;      /* the entry the checkpoint names */
    const char *hash; /* its hash, hex */
    const char *line; /* the signed checkpoint as received */
    int64_t received;
};
/* Keeps w unless the same (partner, seq, hash) is kept already (*added false). */
int store_witness_put(struct store *s, const struct store_witness *w, bool *added,
                      struct lia_err *err);
/* The checkpoints kept from partner, by seq. */
int store_witness_list(struct store *s, int64_t partner, struct arena *a,
                       struct store_witness **out, size_t *n, struct lia_err *err);
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
    /* Table peer_setting: */
    const char *basic_user;    /* HTTP Basic login as this user (token: the password); or NULL */
    int64_t timeout_s;         /* whole request, seconds; 0: the caller's default */
    int64_t connect_timeout_s; /* seconds; 0: the caller's default */
};
/* LIA_ECONFLICT when the name is taken. */
int store_peer_add(struct store *s, const struct store_peer *p, int64_t *rid, struct lia_err *err);
/* By name (key) or, when key is NULL, by rowid. LIA_ENOTFOUND when absent. */
int store_peer_get(struct store *s, int64_t rid, const char *key, struct arena *a,
                   struct store_peer *out, struct lia_err *err);
int store_peer_list(struct store *s, struct arena *a, struct store_peer **out, size_t *n,
                    struct lia_err *err);
/* Removes the peer, its settings and checkpoints (provenance rows stay: they are history). */
int store_peer_remove(struct store *s, int64_t rid, struct lia_err *err);
/* Replaces p->rid's URL, API root, partner and credentials; its checkpoints stay. */
int store_peer_set(struct store *s, const struct store_peer *p, struct lia_err *err);

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
/* A rotation notice accepted, inside t: the partner's key becomes new_key when it is old_key
 * (LIA_ECONFLICT otherwise: another change came first), and old_key is kept in partner_key,
 * still verifying the partner's files until `until` (microseconds). */
int store_partner_key_rotate(struct store_txn *t, int64_t partner, const char *old_key,
                             const char *new_key, int64_t until, struct lia_err *err);
/* The partner whose retired key is pubkey and still valid at now (0: at any time; *until
 * tells when it ends); LIA_ENOTFOUND when none. */
int store_partner_key_old(struct store *s, const char *pubkey, int64_t now, int64_t *partner,
                          int64_t *until, struct lia_err *err);
/* Removes peer's exchanges of direction ("pull"/"push") with remote_coll, or (remote_coll NULL)
 * with local_coll; *removed how many. */
int store_checkpoint_remove(struct store *s, int64_t peer, const char *direction,
                            const char *remote_coll, int64_t local_coll, int64_t *removed,
                            struct lia_err *err);
/* One provenance row per stored version (date_added): who sent it, when, the trust this side
 * gives that partner, and how ("pull" or "import"). peer 0 for imports. */
int store_provenance_put(struct store_txn *t, const int64_t *date_added, size_t n, int64_t peer,
                         int64_t partner, int64_t received, const char *trust, const char *via,
                         struct lia_err *err);
/* The partner that sent the version stored at date_added (pull, push, import); 0 when it was
 * written here. */
int store_provenance_partner(struct store *s, int64_t date_added, int64_t *partner,
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

/* The token a watch was made with over the API (watch: its id): a webhook is delivered only
 * while that token is valid (issue 27.1). LIA_ENOTFOUND when none was recorded. */
int store_watch_token_set(struct store *s, const char *watch, const char *token,
                          struct lia_err *err);
int store_watch_token_get(struct store *s, const char *watch, struct arena *a, char **token,
                          struct lia_err *err);

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
/* Events of owner's watch watch_id, newest first: seq < before (0: from the newest), at most
 * limit. */
int store_watch_fired(struct store *s, int64_t owner, const char *watch_id, int64_t before,
                      size_t limit, struct arena *a, struct store_watch_event **out, size_t *n,
                      struct lia_err *err);
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
/* location (a PostgreSQL URL) carries a password (user:password@, or password=): it would
 * show in the process list or a configuration file; .pgpass, PGPASSFILE, a service file or
 * PGPASSWORD keep it out of both (docs/scale-out.md). */
bool store_location_has_password(const char *location);
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
/* How many tables the schema descriptor has (store_copy_tables lists every one). */
size_t store_table_count(void);
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

/* People (people.c, docs/people.md): named officers with a role. The password is a
 * crypto_pwhash_str text (argon2id) made by access/; setup the BLAKE2b-256 hash of the
 * one-time sign-in code (all zero once used); totp_key the hex TOTP secret or NULL. */
enum store_role { STORE_ROLE_ANALYST = 1, STORE_ROLE_RELEASER = 2, STORE_ROLE_ADMIN = 3 };
struct store_person {
    int64_t rid;
    const char *name;
    int role; /* enum store_role */
    bool disabled;
    const char *password; /* NULL until set */
    unsigned char setup[32];
    const char *totp_key;
    int64_t totp_last; /* the last TOTP time step accepted (no step is accepted twice) */
    int failures;      /* failed sign-ins in a row */
    int64_t locked_until;
    int64_t created;
};
/* Adds a person (LIA_ECONFLICT when the name is taken); *rid gets its row id. */
int store_person_add(struct store_txn *t, const struct store_person *p, int64_t *rid,
                     struct lia_err *err);
/* By rid, or (rid 0) by name. LIA_ENOTFOUND when there is none. */
int store_person_get(struct store *s, int64_t rid, const char *name, struct arena *a,
                     struct store_person *out, struct lia_err *err);
int store_person_list(struct store *s, struct arena *a, struct store_person **out, size_t *n,
                      struct lia_err *err);
/* Writes every mutable field of p (role, disabled, password, setup, TOTP, failures, lock). */
int store_person_update(struct store_txn *t, const struct store_person *p, struct lia_err *err);
/* The same as store_token_put, inside t, and tied to person (session: a sign-in's token). */
int store_person_token_put(struct store_txn *t, const struct store_token *tok, int64_t person,
                           bool session, struct lia_err *err);
/* The person a token acts for; LIA_ENOTFOUND for a token of no person. */
int store_person_of_token(struct store *s, const char *token_id, int64_t *person,
                          struct lia_err *err);
/* Revokes every token of person (sessions_only: its sign-in sessions). */
int store_person_revoke_tokens(struct store_txn *t, int64_t person, bool sessions_only,
                               struct lia_err *err);

/* Four-eyes release (people.c, docs/people.md). A version needing a second person's approval
 * has a release row; the policy predicate of every partner read (policy.c) hides it while the
 * row is not approved: from every partner (scope 1), or from four-eyes partners (scope 2; once
 * one exists, every version has a row). Approval gives the version a new date_added, so that
 * partners reading "added after" their last page find it. */
enum { STORE_RELEASE_ALL = 1, STORE_RELEASE_FOUR_EYES = 2 };
enum { STORE_RELEASE_PENDING = 0, STORE_RELEASE_APPROVED = 1, STORE_RELEASE_REJECTED = 2 };
#define STORE_RELEASE_NEVER 5 /* min_tlp: no TLP needs approval */
struct store_release_rules {
    bool explicit_policy;  /* a rule for coll, or for every collection, was set */
    int min_tlp;           /* versions at this TLP or above need approval */
    const char **markings; /* and versions carrying any of these marking-definitions */
    size_t n_markings;
    int default_tlp;        /* the collection's, for unmarked versions */
    bool four_eyes_partner; /* some partner is flagged four-eyes */
};
int store_release_rules(struct store_txn *t, int64_t coll, struct arena *a,
                        struct store_release_rules *out, struct lia_err *err);
/* Sets the policy of coll (0: every collection without its own): what "tlp" with min_tlp, or
 * a marking-definition id (min_tlp ignored); remove deletes the rule. */
int store_release_rule_set(struct store_txn *t, int64_t coll, const char *what, int min_tlp,
                           bool remove, struct lia_err *err);
struct store_release_rule {
    int64_t coll;
    const char *what;
    int min_tlp;
};
int store_release_rule_list(struct store *s, struct arena *a, struct store_release_rule **out,
                            size_t *n, struct lia_err *err);
int store_release_hold(struct store_txn *t, int64_t obj, int64_t coll, int scope,
                       const char *author, int64_t author_person, struct lia_err *err);
struct store_release {
    int64_t obj, coll, first_key, author_person, decided;
    int scope, state;
    const char *author, *decided_by, *reason;
    const char *id, *modified, *type, *coll_id; /* the version's */
    int tlp;
};
/* Rows in state (-1: every state), oldest first, at most limit. */
int store_release_list(struct store *s, int state, size_t limit, struct arena *a,
                       struct store_release **out, size_t *n, struct lia_err *err);
/* One row by its current key (obj) or, when not found, by the key it was held under. */
int store_release_get(struct store_txn *t, int64_t key, struct arena *a, struct store_release *out,
                      struct lia_err *err);
/* Records the decision on a pending row; an approval moves the version to a new date_added
 * (*new_key). LIA_ECONFLICT when the row is decided already. */
int store_release_decide(struct store_txn *t, int64_t obj, bool approve, const char *by,
                         const char *reason, int64_t *new_key, struct lia_err *err);
/* Flags (or unflags) a partner four-eyes; flagging gives every version without a release row
 * a pending one of scope 2 (*held: how many). */
int store_partner_four_eyes_set(struct store_txn *t, int64_t partner, bool on, int64_t *held,
                                struct lia_err *err);
bool store_partner_four_eyes(struct store *s, int64_t partner);

/* Review and retention (retention.c, docs/people.md). Per collection: every review_every
 * microseconds after its newest version an object is due for review (0: never), and
 * retain_for after its first it reaches the retention limit (0: none). A person's extension
 * moves an object's review date (never past the limit). */
struct store_retention {
    int64_t coll;
    int64_t review_every, retain_for;
    const char *handling_code, *legal_basis; /* may be NULL */
    const char *coll_id, *coll_title;        /* read only */
};
int store_retention_set(struct store_txn *t, const struct store_retention *r, struct lia_err *err);
int store_retention_list(struct store *s, struct arena *a, struct store_retention **out, size_t *n,
                         struct lia_err *err);
struct store_review_item {
    int64_t coll;
    const char *coll_id, *id, *type;
    int64_t first, last;              /* date_added of its first and newest versions */
    int64_t due;                      /* review date (extension included); 0: no review interval */
    int64_t limit;                    /* retention limit; 0: none */
    const char *extended_by, *reason; /* the last extension, or NULL */
};
/* Objects of coll (0: every collection) due for review or at their retention limit at now
 * (every object of coll with a policy, when all), oldest due first, at most limit. */
int store_review_queue(struct store *s, int64_t coll, int64_t now, bool all, size_t limit,
                       struct arena *a, struct store_review_item **out, size_t *n,
                       struct lia_err *err);
/* The same for one object, in t; LIA_ENOTFOUND when coll holds no version of id or has no
 * policy. */
int store_review_item(struct store_txn *t, int64_t coll, const char *id, struct arena *a,
                      struct store_review_item *out, struct lia_err *err);
int store_review_extend(struct store_txn *t, int64_t coll, const char *id, int64_t due,
                        const char *by, const char *reason, struct lia_err *err);
int store_review_forget(struct store_txn *t, int64_t coll, const char *id, struct lia_err *err);
/* After deleting content: on SQLite, merges the search index (so that no deleted text stays
 * in its segments) and checkpoints the log into the database file, truncating it (deleted
 * pages are zeroed: secure_delete); PostgreSQL: nothing (docs/people.md: VACUUM). */
int store_scrub(struct store *s, struct lia_err *err);
/* Deletes every version of id in coll older than modified_us (a revocation's: the content it
 * revokes); *gone (in a) gets their keys and versions, *digests the BLAKE2b-256 of each one's
 * text in hex (the same order), *n how many. */
int store_prune_versions(struct store_txn *t, int64_t coll, const char *id, int64_t modified_us,
                         struct arena *a, struct store_row **gone, char (**digests)[65], size_t *n,
                         struct lia_err *err);

#endif
