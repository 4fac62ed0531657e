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

#include "store/store.h"
#include "util/util.h"

/* The liaison extensions (docs/markings.md):
 *  - HANDLING: a property-extension on any object; "red_recipients" lists the identities
 *    (partners) that may receive the object when it is TLP:RED.
 *  - RELEASABILITY: a property-extension on a marking-definition; "rel_to" lists the
 *    identities an object carrying that marking may be released to. */
#define ACCESS_EXT_HANDLING "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
#define ACCESS_EXT_RELEASABILITY "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"

/* Requests for information (docs/rfi.md): two new SDO types, each defined by an
 * extension-definition, and the grading property-extension (Admiralty / Europol 4x4). */
#define ACCESS_TYPE_RFI "liaison-rfi"
#define ACCESS_TYPE_RFI_RESPONSE "liaison-rfi-response"
#define ACCESS_EXT_RFI "extension-definition--8f27c1d4-fbfc-4282-b27c-0bd47ea43619"
#define ACCESS_EXT_RFI_RESPONSE "extension-definition--4de4d126-9d7d-42f3-a891-2d3f78185723"
#define ACCESS_EXT_GRADING "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"

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
};

/* This instance's own STIX identity id (store setting instance_identity), cached. */
const char *access_instance_identity(struct store *s);

/* Authenticates a request: the Authorization header (Bearer, or Basic with the token as the
 * password) or, when there is none, a verified TLS client certificate tied to a partner.
 * LIA_EUNAUTH (with a message safe to show) when credentials are missing, malformed,
 * unknown, revoked, expired, wrong, or belong to a disabled partner. */
int access_authenticate(struct store *s, const char *authorization, const char *cert_fingerprint,
                        const char *cert_subject, struct arena *a, struct access_principal *out,
                        struct lia_err *err);

/* Write rules for one validated object (docs/markings.md): marking-definitions only from
 * admins; a partner's objects carry its identity as created_by_ref (*inject gets the identity
 * to add when absent; a forged one is refused); only the creator (or a local principal, for
 * objects no partner created; or an admin) adds versions. LIA_EFORBIDDEN with the reason.
 * *held (unless NULL) says whether coll holds a version of id already: the caller needs it too,
 * and the look-up is not free. */
int access_check_write(struct store_txn *t, const struct access_principal *who, int64_t coll,
                       const char *id, const char *type, const char *created_by_ref,
                       struct arena *a, const char **inject, bool *held, struct lia_err *err);

/* The same creator rule for deleting object id from coll: an administrator may delete anything
 * (the deletion is on record like every other), a partner only what it created, a local
 * principal what no partner created. 0 also when coll holds no version of id (the caller's
 * delete then finds nothing); LIA_EFORBIDDEN with the reason. Call it only for an object the
 * caller may see: its answer tells who created the object. */
int access_check_delete(struct store_txn *t, const struct access_principal *who, int64_t coll,
                        const char *id, struct arena *a, struct lia_err *err);

/* Rules of the liaison object types (rfi_rules.c): a request names a registered addressee
 * other than its requester, has a due date in the future when new, and refers only to objects
 * both parties may see; a response comes only from the addressee of a
 * request this server holds; grading values fit their scale. LIA_EFORBIDDEN or LIA_EINVAL
 * with the reason. */
int access_check_liaison_types(struct store_txn *t, struct store *s,
                               const struct access_principal *who, int64_t coll, json_t *obj,
                               const char *type, bool is_new, struct arena *a, struct lia_err *err);

/* The newest version of object id that policy p may see, in any collection it may read
 * (through the one gate); *json NULL when there is none. */
int access_find_visible(struct store *s, const struct store_policy *p, const char *id,
                        struct arena *a, const char **json, size_t *len, struct lia_err *err);
/* The same, as the version's row (row->json NULL when there is none) and its collection's id:
 * for a view that names what it shows in a disclosure record. */
int access_find_visible_row(struct store *s, const struct store_policy *p, const char *id,
                            struct arena *a, struct store_row *row, const char **collection,
                            struct lia_err *err);

/* The partners an object of a liaison type is released to, whatever its markings: the two
 * parties of a request or response (*applies false for other types). */
int access_party_audience(struct store_txn *t, json_t *obj, const char *type, int64_t *rids,
                          size_t *n, bool *applies, struct lia_err *err);

/* Fills o->tlp, rel_to and red_to from the object's markings and handling extension. A
 * marking-definition the store does not hold restricts the object to no partner and is named
 * in o->unknown_marking. LIA_EINVAL for a malformed handling extension. */
int access_object_handling(struct store_txn *t, json_t *obj, struct arena *a,
                           struct store_object *o, struct lia_err *err);

/* Ingest of one object version (ingest.c): the one write path every route shares (POST, pull,
 * import, RFI commands, intake publish), so validation, write rules, liaison type rules,
 * handling and storage cannot differ between them. */
struct access_ingest {
    struct store *store;                /* for look-ups outside the transaction (RFI rules) */
    const struct access_principal *who; /* the writer; for exchange: the peer's partner */
    int64_t coll;                       /* collection rowid */
    bool exchange;                 /* pull/import: the exchange write rule (docs/exchange.md) */
    const char *instance_identity; /* this instance's identity; needed when exchange */
    struct arena *a;               /* result strings and scratch */
    const struct stix_checked *checked; /* the object's validation, when already done */
};
struct access_ingest_result {
    bool stored;        /* accepted: new, or a version already held */
    bool is_new;        /* a version this store did not hold */
    int64_t date_added; /* of the stored (or existing) version */
    const char *id;     /* for the status: the object's id and version */
    const char *version;
    const char *message; /* the refusal reason, or a note on a stored object; NULL if none */
};
/* Validates obj (whose exact text is text/len), applies the write rules and handling, and
 * stores it in t. A refused object fills res (stored=false, message = why) and returns 0;
 * non-zero only when the transaction failed (then err says why and t must be rolled back). */
int access_ingest_object(struct store_txn *t, const struct access_ingest *ctx, json_t *obj,
                         const char *text, size_t len, struct access_ingest_result *res,
                         struct lia_err *err);

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

/* Markings (marking.c). Ranks are enum store_tlp; STORE_TLP_NONE when unmarked. */
int access_tlp_of_marking(const char *id);
const char *access_tlp_marking_id(int rank);
/* The most restrictive TLP among an object's object-level and granular markings. */
int access_object_tlp(json_t *obj);
const char *access_tlp_name(int rank);
/* "clear", "green", "amber", "amber+strict", "red" (and "white"); < STORE_TLP_NONE if unknown. */
int access_tlp_parse(const char *name);

#endif
