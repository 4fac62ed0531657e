/*
 * Tokens: issue and check. A token is "<id>.<secret>", id 16 and secret 43
 * base64url characters (96 and 256 random bits from libsodium). The store
 * keeps BLAKE2b-256(secret) under the id; a request's secret is hashed and
 * compared with sodium_memcmp, so the time taken does not depend on how much
 * of a guessed secret is right. Every failure gives the same message, so a
 * caller cannot tell an unknown id from a wrong secret.
 */
#include "access/access.h"

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

int access_token_issue(struct store *s, const struct access_token_spec *spec,
                       char token[ACCESS_TOKEN_MAX], char id[32], struct lia_err *err)
{
    unsigned char raw_id[ID_BYTES], raw_secret[SECRET_BYTES];
    randombytes_buf(raw_id, sizeof raw_id);
    randombytes_buf(raw_secret, sizeof raw_secret);
    char secret[64];
    lia_b64url_encode(raw_id, sizeof raw_id, id);
    lia_b64url_encode(raw_secret, sizeof raw_secret, secret);
    sodium_memzero(raw_secret, sizeof raw_secret);

    struct store_token tok = {0};
    tok.id = id;
    hash_secret(secret, strlen(secret), tok.hash);
    tok.partner = spec->partner;
    tok.admin = spec->admin;
    tok.read_only = spec->read_only;
    tok.created = lia_now_us();
    tok.expires = spec->expires;
    tok.label = spec->label;
    int rc = store_token_put(s, &tok, err);
    if (rc == 0) {
        size_t idlen = strlen(id), slen = strlen(secret);
        memcpy(token, id, idlen);
        token[idlen] = '.';
        memcpy(token + idlen + 1, secret, slen + 1);
    }
    sodium_memzero(secret, sizeof secret);
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

int access_authenticate(struct store *s, const char *authorization, struct arena *a,
                        struct access_principal *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    char text[ACCESS_TOKEN_MAX + 8];
    if (!authorization || token_from_header(authorization, text, sizeof text) != 0)
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_credentials);
    char *dot = strchr(text, '.');
    int rc = LIA_EUNAUTH;
    if (dot && dot - text == 16 && strlen(dot + 1) == 43) {
        *dot = '\0';
        struct store_token tok;
        struct lia_err lookup;
        lia_err_clear(&lookup);
        rc = store_token_get(s, text, a, &tok, &lookup);
        if (rc == 0) {
            unsigned char h[32];
            hash_secret(dot + 1, strlen(dot + 1), h);
            bool ok = sodium_memcmp(h, tok.hash, sizeof h) == 0;
            if (!ok || tok.revoked || (tok.expires && tok.expires <= lia_now_us())) {
                rc = LIA_EUNAUTH;
            } else {
                out->token_id = tok.id;
                out->admin = tok.admin;
                out->read_only = tok.read_only;
                out->partner = tok.partner;
                out->actor = arena_printf(a, "local:%s", tok.id);
                out->policy.all = tok.partner == 0;
                out->policy.partner = tok.partner;
                out->policy.clearance = tok.partner == 0 ? STORE_TLP_RED : STORE_TLP_CLEAR;
                if (!out->actor)
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            }
        } else if (rc != LIA_ENOTFOUND) {
            lia_err_set(err, rc, "%s", lookup.msg);
            sodium_memzero(text, sizeof text);
            return rc;
        } else {
            rc = LIA_EUNAUTH;
        }
    }
    sodium_memzero(text, sizeof text);
    if (rc == LIA_EUNAUTH)
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_credentials);
    return rc;
}
