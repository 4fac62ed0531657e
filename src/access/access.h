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

struct access_principal {
    const char *actor;    /* for the audit log and logs: "local:<token id>" */
    const char *token_id;
    bool admin;
    bool read_only;
    int64_t partner; /* 0 for local principals */
    struct store_policy policy;
};

/* Authenticates an Authorization header value. LIA_EUNAUTH (with a message safe to show)
 * when it is missing, malformed, unknown, revoked, expired or wrong. */
int access_authenticate(struct store *s, const char *authorization, struct arena *a,
                        struct access_principal *out, struct lia_err *err);

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
