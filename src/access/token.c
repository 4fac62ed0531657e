/*
 * Tokens: issue and check. A token is "<id>.<secret>", id 16 and secret 43
 * base64url characters (96 and 256 random bits from libsodium). The store
 * keeps BLAKE2b-256(secret) under the id; a request's secret is hashed and
 * compared with sodium_memcmp, so the time taken does not depend on how much
 * of a guessed secret is right. Every failure gives the same message, so a
 * caller cannot tell an unknown id from a wrong secret.
 */
#include "access/access.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#define ID_BYTES 12
#define SECRET_BYTES 32

static const char *bad_credentials = "missing or invalid credentials";

static void hash_secret(const char *secret, size_t len, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, len, NULL, 0);
}

const char *access_instance_identity(struct store *s)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char cached[128];
    pthread_mutex_lock(&lock);
    if (!cached[0]) {
        struct arena a;
        arena_init(&a, 0);
        char *v = NULL;
        if (store_meta_get(s, "instance_identity", &a, &v, NULL) == 0 && strlen(v) < sizeof cached)
            memcpy(cached, v, strlen(v) + 1);
        arena_release(&a);
    }
    pthread_mutex_unlock(&lock);
    return cached[0] ? cached : NULL;
}

/* A new token's id and secret, and the row to store (its hash). */
static void make_token(const struct access_token_spec *spec, struct store_token *tok,
                       char token[ACCESS_TOKEN_MAX], char id[32])
{
    unsigned char raw_id[ID_BYTES], raw_secret[SECRET_BYTES];
    do { /* an id that starts with '-' reads as an option on a command line: 1 in 64 did */
        randombytes_buf(raw_id, sizeof raw_id);
        lia_b64url_encode(raw_id, sizeof raw_id, id);
    } while (id[0] == '-');
    randombytes_buf(raw_secret, sizeof raw_secret);
    char secret[64];
    lia_b64url_encode(raw_secret, sizeof raw_secret, secret);
    sodium_memzero(raw_secret, sizeof raw_secret);
    memset(tok, 0, sizeof *tok);
    tok->id = id;
    hash_secret(secret, strlen(secret), tok->hash);
    tok->partner = spec->partner;
    tok->admin = spec->admin;
    tok->read_only = spec->read_only;
    tok->created = lia_now_us();
    tok->expires = spec->expires;
    tok->label = spec->label;
    size_t idlen = strlen(id), slen = strlen(secret);
    memcpy(token, id, idlen);
    token[idlen] = '.';
    memcpy(token + idlen + 1, secret, slen + 1);
    sodium_memzero(secret, sizeof secret);
}

int access_token_issue(struct store *s, const struct access_token_spec *spec,
                       char token[ACCESS_TOKEN_MAX], char id[32], struct lia_err *err)
{
    struct store_token tok;
    make_token(spec, &tok, token, id);
    int rc = store_token_put(s, &tok, err);
    if (rc)
        sodium_memzero(token, ACCESS_TOKEN_MAX);
    return rc;
}

int access_token_issue_for(struct store_txn *t, const struct access_token_spec *spec,
                           int64_t person, bool session, char token[ACCESS_TOKEN_MAX], char id[32],
                           struct lia_err *err)
{
    struct store_token tok;
    make_token(spec, &tok, token, id);
    int rc = store_person_token_put(t, &tok, person, session, err);
    if (rc)
        sodium_memzero(token, ACCESS_TOKEN_MAX);
    return rc;
}

/* Extracts the token text from "Bearer T" or "Basic base64(user:T)" into buf. */
static int token_from_header(const char *h, char *buf, size_t buflen)
{
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        size_t n = strlen(h);
        while (n && h[n - 1] == ' ')
            n--;
        if (n == 0 || n >= buflen)
            return -1;
        memcpy(buf, h, n);
        buf[n] = '\0';
        return 0;
    }
    if (strncasecmp(h, "Basic ", 6) == 0) {
        h += 6;
        while (*h == ' ')
            h++;
        unsigned char dec[256];
        size_t declen = 0;
        if (sodium_base642bin(dec, sizeof dec - 1, h, strlen(h), " ", &declen, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
            return -1;
        dec[declen] = '\0';
        const char *colon = memchr(dec, ':', declen);
        if (!colon)
            return -1;
        size_t n = declen - (size_t)(colon + 1 - (const char *)dec);
        if (n == 0 || n >= buflen)
            return -1;
        memcpy(buf, colon + 1, n);
        buf[n] = '\0';
        sodium_memzero(dec, sizeof dec);
        return 0;
    }
    return -1;
}

static int principal_of_partner(struct store *s, const struct store_partner *p, struct arena *a,
                                struct access_principal *out, struct lia_err *err)
{
    if (p->disabled)
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_credentials);
    out->partner = p->rid;
    out->name = p->name;
    out->identity = p->identity_id;
    out->policy.all = false;
    out->policy.partner = p->rid;
    out->policy.clearance = p->clearance;
    out->actor = arena_printf(a, "partner:%s/%s", p->name, out->token_id ? out->token_id : "cert");
    (void)s;
    return out->actor ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

/* Says in the server log why credentials were refused (the client is told only that they
 * were), with the token id when it has the shape of one: never the secret. */
static int refused(struct lia_err *err, const char *why, const char *token_id)
{
    bool id_ok = token_id && strlen(token_id) == 16;
    for (size_t i = 0; id_ok && i < 16; i++) {
        char c = token_id[i];
        id_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
    }
    lia_log(LIA_LOG_INFO, "auth_refused", "\"why\":\"%s\",\"token\":\"%s\"", why,
            id_ok ? token_id : "-");
    return lia_err_set(err, LIA_EUNAUTH, "%s", bad_credentials);
}

static int authenticate_cert(struct store *s, const char *fingerprint, const char *subject,
                             struct arena *a, struct access_principal *out, struct lia_err *err)
{
    struct store_partner p;
    struct lia_err lookup;
    lia_err_clear(&lookup);
    int rc = store_partner_get(s, 0, "fingerprint", fingerprint, a, &p, &lookup);
    if (rc == LIA_ENOTFOUND && subject)
        rc = store_partner_get(s, 0, "subject", subject, a, &p, &lookup);
    if (rc == LIA_ENOTFOUND)
        return refused(err, "unknown client certificate", NULL);
    if (rc)
        return lia_err_set(err, rc, "%s", lookup.msg);
    if (p.disabled)
        return refused(err, "the certificate's partner is disabled", NULL);
    return principal_of_partner(s, &p, a, out, err);
}

int access_authenticate(struct store *s, const char *authorization, const char *cert_fingerprint,
                        const char *cert_subject, struct arena *a, struct access_principal *out,
                        struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    if ((!authorization || !*authorization) && cert_fingerprint)
        return authenticate_cert(s, cert_fingerprint, cert_subject, a, out, err);
    char text[ACCESS_TOKEN_MAX + 8];
    if (!authorization || !*authorization)
        return refused(err, "no credentials", NULL);
    if (token_from_header(authorization, text, sizeof text) != 0)
        return refused(err, "malformed Authorization header", NULL);
    char *dot = strchr(text, '.');
    struct store_token tok;
    int rc = LIA_EUNAUTH;
    const char *why = "not a liaison token (id.secret)";
    struct lia_err lookup;
    lia_err_clear(&lookup);
    char id[17] = "";
    if (dot && dot - text == 16 && strlen(dot + 1) == 43) {
        *dot = '\0';
        memcpy(id, text, sizeof id);
        rc = store_token_get(s, text, a, &tok, &lookup);
        if (rc == 0) {
            unsigned char h[32];
            hash_secret(dot + 1, strlen(dot + 1), h);
            bool ok = sodium_memcmp(h, tok.hash, sizeof h) == 0;
            why = !ok                                            ? "wrong secret"
                  : tok.revoked                                  ? "revoked"
                  : (tok.expires && tok.expires <= lia_now_us()) ? "expired"
                                                                 : NULL;
            if (why)
                rc = LIA_EUNAUTH;
        } else if (rc == LIA_ENOTFOUND) {
            why = "unknown token";
            rc = LIA_EUNAUTH;
        }
    }
    sodium_memzero(text, sizeof text);
    if (rc == LIA_EUNAUTH)
        return refused(err, why, id);
    if (rc)
        return lia_err_set(err, rc, "%s", lookup.msg);
    out->token_id = tok.id;
    out->expires = tok.expires;
    out->admin = tok.admin && tok.partner == 0;
    out->read_only = tok.read_only;
    if (tok.partner) {
        struct store_partner p;
        rc = store_partner_get(s, tok.partner, NULL, NULL, a, &p, &lookup);
        if (rc == LIA_ENOTFOUND)
            return refused(err, "its partner was removed", id);
        if (rc == 0 && p.disabled)
            return refused(err, "its partner is disabled", id);
        if (rc)
            return lia_err_set(err, rc, "%s", lookup.msg);
        return principal_of_partner(s, &p, a, out, err);
    }
    out->policy.all = true;
    out->policy.clearance = STORE_TLP_RED;
    out->identity = access_instance_identity(s);
    /* A person's token (docs/people.md): it acts as that person, with that person's role,
     * while the person is enabled. Any other local token is automation. */
    int64_t person = 0;
    rc = store_person_of_token(s, tok.id, &person, &lookup);
    if (rc == LIA_ENOTFOUND) {
        out->actor = arena_printf(a, "local/%s", tok.id);
        return out->actor ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    struct store_person who;
    rc = rc ? rc : store_person_get(s, person, NULL, a, &who, &lookup);
    if (rc == LIA_ENOTFOUND || (rc == 0 && who.disabled))
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_credentials);
    if (rc)
        return lia_err_set(err, rc, "%s", lookup.msg);
    out->person = who.rid;
    out->person_name = who.name;
    out->role = who.role;
    out->admin = who.role == STORE_ROLE_ADMIN;
    out->actor = arena_printf(a, "person:%s/%s", who.name, tok.id);
    return out->actor ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

int access_principal_digest(struct store *s, const struct access_principal *who,
                            unsigned char out[32], struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    int rc = 0;
    if (who->token_id) {
        struct store_token tok;
        rc = store_token_get(s, who->token_id, &a, &tok, err);
        if (rc == LIA_ENOTFOUND ||
            (rc == 0 && (tok.revoked || (tok.expires && tok.expires <= lia_now_us()))))
            rc = lia_err_set(err, LIA_EUNAUTH, "the token is revoked, expired or gone");
    }
    if (rc == 0 && who->partner) {
        struct store_partner p = {0};
        rc = store_partner_get(s, who->partner, NULL, NULL, &a, &p, err);
        if (rc == LIA_ENOTFOUND || (rc == 0 && p.disabled))
            rc = lia_err_set(err, LIA_EUNAUTH, "the partner is disabled or gone");
        struct store_policy pol = {.partner = p.rid, .clearance = p.clearance};
        struct store_collection *cs = NULL;
        struct store_group *gs = NULL;
        size_t nc = 0, ng = 0;
        if (rc == 0)
            rc = store_collection_list(s, &pol, &a, &cs, &nc, err);
        if (rc == 0)
            rc = store_group_list(s, p.rid, &a, &gs, &ng, err);
        char line[160];
        snprintf(line, sizeof line, "clearance %d\n", p.clearance);
        crypto_generichash_update(&h, (const unsigned char *)line, strlen(line));
        for (size_t i = 0; i < nc && rc == 0; i++) {
            snprintf(line, sizeof line, "collection %lld %d %d\n", (long long)cs[i].rid,
                     cs[i].can_read, cs[i].can_write);
            crypto_generichash_update(&h, (const unsigned char *)line, strlen(line));
        }
        for (size_t i = 0; i < ng && rc == 0; i++) {
            snprintf(line, sizeof line, "group %lld\n", (long long)gs[i].rid);
            crypto_generichash_update(&h, (const unsigned char *)line, strlen(line));
        }
    }
    crypto_generichash_final(&h, out, 32);
    arena_release(&a);
    return rc;
}
