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
/* The property of a response that says what it does: acknowledge, answer or decline. It was
 * "action" before issue 27: STIX 2.1 reserves that name (3.8). */
#define ACCESS_RFI_RESPONSE_TYPE "response_type"
#define ACCESS_RFI_RESPONSE_OLD "action"
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

/* Fills o->tlp, rel_to and red_to from the object's markings and handling extension (o->type
 * set). parties, when not NULL, are the identities the object is released to whatever its
 * markings (a request's two parties: rfi/), n_parties of them, intersected with any REL TO.
 * A marking-definition the store does not hold restricts the object to no partner and is
 * named in o->unknown_marking. LIA_EINVAL for a malformed handling extension. */
int access_object_handling(struct store_txn *t, json_t *obj, const char *const *parties,
                           size_t n_parties, struct arena *a, struct store_object *o,
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
