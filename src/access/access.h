/*
 * access: who is asking, and what they may see and write. The face of
 * src/access/.
 *
 * A request's credentials (a bearer token, HTTP Basic with the token as the
 * password, later a client certificate) become a struct access_principal,
 * which carries the struct store_policy the store uses as part of every
 * query (design.md invariant 1). Tokens are "<id>.<secret>": the id finds the
 * row, and only a BLAKE2b hash of the 256-bit secret is stored and compared in
 * constant time. No function here logs or returns a secret except
 * access_token_issue, once, to its caller.
 */
#ifndef LIAISON_ACCESS_H
#define LIAISON_ACCESS_H

#include <jansson.h>

#include "stix/stix.h"
#include "store/store.h"
#include "util/util.h"

/* The liaison extensions (docs/markings.md):
 *  - HANDLING: a property-extension on any object; "red_recipients" lists the identities
 *    (partners) that may receive the object when it is TLP:RED.
 *  - RELEASABILITY: a property-extension on a marking-definition; "rel_to" lists the
 *    identities an object carrying that marking may be released to. */
#define ACCESS_EXT_HANDLING "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
#define ACCESS_EXT_RELEASABILITY "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
/* GROUP: a property-extension on a marking-definition naming a sharing group ("name",
 * "description"; docs/groups.md, docs/schemas/liaison-group-marking.json). An object carrying
 * it is released to the group's current members only. The definition names no member. */
#define ACCESS_EXT_GROUP "extension-definition--0a6bd4a4-5c2b-4f4e-9f0e-6c1d6a3b7e21"

/* Requests for information (docs/rfi.md): two new SDO types, each defined by an
 * extension-definition, and the grading property-extension (Admiralty / Europol 4x4). */
#define ACCESS_TYPE_RFI "liaison-rfi"
#define ACCESS_TYPE_RFI_RESPONSE "liaison-rfi-response"
#define ACCESS_EXT_RFI "extension-definition--8f27c1d4-fbfc-4282-b27c-0bd47ea43619"
/* The property of a response that says what it does: acknowledge, answer or decline. It was
 * "action" before issue 27: STIX 2.1 reserves that name (3.8). */
#define ACCESS_RFI_RESPONSE_TYPE "response_type"
#define ACCESS_RFI_RESPONSE_OLD "action"
#define ACCESS_EXT_RFI_RESPONSE "extension-definition--4de4d126-9d7d-42f3-a891-2d3f78185723"
#define ACCESS_EXT_GRADING STIX_EXT_GRADING

struct access_principal {
    const char *actor; /* for the audit log and logs: "local/<token>", "partner:<name>/<token>" */
    const char *token_id; /* NULL when authenticated by client certificate */
    int64_t expires;      /* when the token expires (microseconds since 1970), 0: never */
    const char *name;     /* partner name, NULL for local principals */
    const char *identity; /* the STIX identity it acts as: the partner's, or this instance's */
    bool admin;
    bool read_only;
    int64_t partner;   /* 0 for local principals */
    bool via_exchange; /* writing what a peer sent (pull, import): see docs/exchange.md */
    struct store_policy policy;
    int64_t person;          /* the person acting (docs/people.md); 0: automation or partner */
    const char *person_name; /* NULL when person is 0 */
    int role;                /* enum store_role of person, 0 when none */
};

/* Whether who (as access_authenticate made it) still holds what it held: LIA_EUNAUTH when its
 * token is revoked, expired or gone, or its partner disabled; else out gets a digest of its
 * rights (clearance, collection rights, sharing groups), which changes when any of them does.
 * A stream compares it with the digest it opened with (issue 27.1). */
int access_principal_digest(struct store *s, const struct access_principal *who,
                            unsigned char out[32], struct lia_err *err);

/* This instance's own STIX identity id (store setting instance_identity), cached. */
const char *access_instance_identity(struct store *s);

/* Authenticates a request: the Authorization header (Bearer, or Basic with the token as the
 * password) or, when there is none, a verified TLS client certificate tied to a partner.
 * LIA_EUNAUTH (with a message safe to show) when credentials are missing, malformed,
 * unknown, revoked, expired, wrong, or belong to a disabled partner. */
int access_authenticate(struct store *s, const char *authorization, const char *cert_fingerprint,
                        const char *cert_subject, struct arena *a, struct access_principal *out,
                        struct lia_err *err);

/* The creator rule (docs/markings.md, docs/exchange.md), for adding a version of object id to
 * coll and for deleting it (what: "add versions", "delete it"); held is coll's newest version
 * of id (store_object_creators), by the creator the new version names. An administrator may
 * change anything; a partner only what it created; a local principal what no partner created.
 * Exchange writes (who->via_exchange: pull, import) carry what others created: by may not be
 * another of this instance's partners, and only a version by the same creator follows one.
 * 0 when coll holds no version of id; LIA_EFORBIDDEN with the reason. */
int access_creator_rule(struct store_txn *t, const struct access_principal *who, const char *id,
                        const char *by, const struct store_creator *held, const char *what,
                        struct lia_err *err);

/* The creator rule for deleting object id from coll. Call it only for an object the caller may
 * see: its answer tells who created the object. */
int access_check_delete(struct store_txn *t, const struct access_principal *who, int64_t coll,
                        const char *id, struct arena *a, struct lia_err *err);

/* Fills o->tlp, rel_to, red_to and groups from the object's markings and handling extension
 * (o->type set). A marking-definition that limits release (REL TO, group) is itself limited
 * the same way: it reaches the parties it lists, or the group's members, and never takes a
 * collection's default TLP (it is CLEAR unless it carries a TLP marking). A group marking this
 * store holds no group for (a partner's circle) releases to no one here (group 0). parties, when
 * not NULL, are the identities the object is released to whatever its markings (a request's two
 * parties: rfi/), n_parties of them, intersected with any REL TO. A marking-definition the store
 * does not hold restricts the object to no partner and is named in o->unknown_marking. LIA_EINVAL
 * for a malformed handling extension. */
int access_object_handling(struct store_txn *t, json_t *obj, const char *const *parties,
                           size_t n_parties, struct arena *a, struct store_object *o,
                           struct lia_err *err);

/* Sharing groups (sharing.c, docs/groups.md): each change is followed by its audit entry under
 * actor. The caller checks that an administrator asks. */
#define ACCESS_GROUP_NAME_MAX 100
#define ACCESS_GROUP_DESCRIPTION_MAX 1000
/* LIA_EINVAL with the reason when name or description (may be NULL) are not acceptable. */
int access_group_check(const char *name, const char *description, struct lia_err *err);
/* Makes the group and its marking-definition; *id (in a) is the definition's id, the group's
 * id. LIA_ECONFLICT when the name is taken. */
int access_group_add(struct store *s, const char *actor, const char *name, const char *description,
                     bool disclose, struct arena *a, const char **id, struct lia_err *err);
/* LIA_ECONFLICT (add: a member already), LIA_ENOTFOUND (remove: not a member). */
int access_group_member(struct store *s, const char *actor, const struct store_group *g,
                        const struct store_partner *p, bool add, struct lia_err *err);
/* LIA_ECONFLICT while *uses object versions are released to it, unless force. */
int access_group_remove(struct store *s, const char *actor, const struct store_group *g, bool force,
                        int64_t *uses, struct lia_err *err);

struct access_token_spec {
    int64_t partner; /* 0: local */
    bool admin;
    bool read_only;
    int64_t expires; /* absolute, microseconds; 0 = never */
    const char *label;
};

#define ACCESS_TOKEN_MAX 80

/* Creates a token and stores its hash. token gets the secret text (shown once), id its id. */
int access_token_issue(struct store *s, const struct access_token_spec *spec,
                       char token[ACCESS_TOKEN_MAX], char id[32], struct lia_err *err);

/* The extension-definition text of one of liaison's own extensions (extdefs.c), or NULL. The
 * intake mentions definition is not here: intake publishes its own. */
const char *access_extension_definition(const char *id);

/* Markings (marking.c). Ranks are enum store_tlp; STORE_TLP_NONE when unmarked. */
int access_tlp_of_marking(const char *id);
const char *access_tlp_marking_id(int rank);
/* The most restrictive TLP among an object's object-level and granular markings. */
int access_object_tlp(json_t *obj);
/* The definitions that travel with obj (docs/groups.md, docs/exchange.md): each marking ref
 * that is not TLP's (object_marking_refs, then granular_markings), then each
 * extension-definition obj's extensions name. fn is called with each (marking: which kind)
 * until it answers non-zero, which is returned. */
typedef int (*access_definition_fn)(void *ctx, const char *id, bool marking);
int access_each_definition(json_t *obj, access_definition_fn fn, void *ctx);
const char *access_tlp_name(int rank);
/* "clear", "green", "amber", "amber+strict", "red" (and "white"); < STORE_TLP_NONE if unknown. */
int access_tlp_parse(const char *name);

/* A token of a person (session: a sign-in's), stored in t. */
int access_token_issue_for(struct store_txn *t, const struct access_token_spec *spec,
                           int64_t person, bool session, char token[ACCESS_TOKEN_MAX], char id[32],
                           struct lia_err *err);

/* People (person.c, docs/people.md). */
#define ACCESS_CODE_MAX 32  /* a one-time sign-in code's text */
#define ACCESS_TOTP_TEXT 64 /* a TOTP key in base32 */
#define ACCESS_PASSWORD_MIN 12
#define ACCESS_PASSWORD_MAX 1024
/* "analyst", "releaser", "admin" -> enum store_role; 0 for anything else. */
int access_role_parse(const char *s);
const char *access_role_name(int role);
/* 1-64 bytes, without control characters, '/', '"' or '\\'. */
bool access_person_name_ok(const char *name);
/* LIA_EINVAL unless pw has ACCESS_PASSWORD_MIN to _MAX characters. */
int access_password_check(const char *pw, struct lia_err *err);
/* Adds a person with a one-time sign-in code (code, shown once; only its hash is kept); on
 * record as person.add by actor. */
int access_person_add(struct store *s, const char *name, int role, const char *actor,
                      char code[ACCESS_CODE_MAX], int64_t *rid, struct lia_err *err);
/* Writes p's role, disabled flag and (new_password, when not NULL: hashed here) password, on
 * record as action by actor; end_sessions revokes the person's sessions (every token when p
 * is disabled). */
int access_person_change(struct store *s, struct store_person *p, const char *actor,
                         const char *action, const char *new_password, bool end_sessions,
                         struct lia_err *err);
/* Gives p a new TOTP key; secret32 gets it in base32 (for an authenticator app), once. */
int access_person_totp_enroll(struct store *s, struct store_person *p, const char *actor,
                              char secret32[ACCESS_TOTP_TEXT], struct lia_err *err);
struct access_signin {
    const char *name, *password, *totp;
    const char *code, *new_password; /* a first sign-in: the one-time code, the new password */
    int64_t session_us;              /* how long the session lasts */
    int max_failures;                /* failures in a row before a lock */
    int64_t lockout_us;              /* how long a lock lasts */
};
/* Signs a person in: a session token in token (shown once). Failures are counted and on
 * record; LIA_EUNAUTH (one message for every wrong input), LIA_EBUSY while locked. */
int access_signin(struct store *s, const struct access_signin *in, struct arena *a,
                  char token[ACCESS_TOKEN_MAX], struct store_person *who, struct lia_err *err);

/* Four-eyes release (release.c). The person deciding. */
struct access_decider {
    int64_t person; /* 0: no person (refused) */
    const char *name;
    int role;
    const char *actor; /* for the audit entry */
    const char *via;   /* "api" or "cli" */
};
/* Approves or rejects the held version under key (its current or first key): only a releaser
 * or admin, never the person who wrote it; a rejection needs a reason. On record as
 * release.approve or release.reject. out gets the row (obj: the version's key after it). */
int access_release_decide(struct store *s, const struct access_decider *who, int64_t key,
                          bool approve, const char *reason, struct arena *a,
                          struct store_release *out, struct lia_err *err);

/* LIA_EFORBIDDEN (saying why, for what) unless who is a person, and (releaser) a releaser or
 * an admin. */
int access_decider_check(const struct access_decider *who, bool releaser, const char *what,
                         struct lia_err *err);
/* Review and retention (review.c). A person (any role) extends an object's review date to
 * until, with a reason, never past the retention limit (LIA_ECONFLICT); on record as
 * review.extend. */
int access_review_extend(struct store *s, const struct access_decider *who,
                         const struct store_collection *col, const char *id, int64_t until,
                         const char *reason, struct lia_err *err);
/* A releaser or admin deletes every version of id from col, with a reason: the content is
 * removed and scrubbed from the store file, the keys, versions and digests are on record
 * ("object.delete"). *deleted: how many versions. */
int access_review_delete(struct store *s, const struct access_decider *who,
                         const struct store_collection *col, const char *id, const char *reason,
                         size_t *deleted, struct lia_err *err);

#endif
