/*
 * People (docs/people.md): named officers with a role, who sign in with a name and a password
 * (libsodium's crypto_pwhash_str, argon2id) and, when enrolled, a TOTP code (liboath, RFC
 * 6238). A sign-in gives a session: a token of the person that expires. Every sign-in, failed
 * or not, is on record in the audit log, in the transaction that counts it; after
 * max_failures failures in a row the person is locked for lockout_us, whatever is typed.
 * Secrets (passwords, codes, TOTP keys, tokens) never reach a log or an audit entry.
 *
 * A person is added with a one-time sign-in code (shown once, only its hash stored): the
 * first sign-in names the code and a new password.
 */
#include "access/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "audit/audit.h"

#define CODE_BYTES 15 /* 120 bits: 20 base64url characters */
#define TOTP_STEP 30

static const char *bad_signin = "wrong name, password or code";

int access_role_parse(const char *s)
{
    static const char *const names[] = {"analyst", "releaser", "admin"};
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, names[i]))
            return i + 1;
    return 0;
}

const char *access_role_name(int role)
{
    static const char *const names[] = {"?", "analyst", "releaser", "admin"};
    return role >= 1 && role <= 3 ? names[role] : names[0];
}

bool access_person_name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)n[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '/')
            return false;
    }
    return true;
}

int access_password_check(const char *pw, struct lia_err *err)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < ACCESS_PASSWORD_MIN)
        return lia_err_set(err, LIA_EINVAL, "a password has at least %d characters",
                           ACCESS_PASSWORD_MIN);
    if (n > ACCESS_PASSWORD_MAX)
        return lia_err_set(err, LIA_EINVAL, "a password has at most %d characters",
                           ACCESS_PASSWORD_MAX);
    return 0;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES], struct lia_err *err)
{
    int rc = access_password_check(pw, err);
    if (rc)
        return rc;
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return lia_err_set(err, LIA_ENOMEM, "out of memory hashing a password");
    return 0;
}

static void hash_code(const char *code, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)code, strlen(code), NULL, 0);
}

static bool zero32(const unsigned char h[32])
{
    static const unsigned char z[32];
    return sodium_memcmp(h, z, 32) == 0;
}

/* The audit entry of a change to person p by actor, in t. */
static int record(struct store_txn *t, const char *actor, const char *action,
                  const struct store_person *p, const char *extra, struct lia_err *err)
{
    char detail[512];
    snprintf(detail, sizeof detail, "{\"person\":\"%s\",\"role\":\"%s\"%s%s}", p->name,
             access_role_name(p->role), extra && *extra ? "," : "", extra ? extra : "");
    return audit_append(t, actor, action, detail, err);
}

int access_person_add(struct store *s, const char *name, int role, const char *actor,
                      char code[ACCESS_CODE_MAX], int64_t *rid, struct lia_err *err)
{
    if (!access_person_name_ok(name))
        return lia_err_set(err, LIA_EINVAL,
                           "a name has 1-64 bytes, without control characters, '/', '\"' or '\\'");
    if (role < STORE_ROLE_ANALYST || role > STORE_ROLE_ADMIN)
        return lia_err_set(err, LIA_EINVAL, "the role is analyst, releaser or admin");
    unsigned char raw[CODE_BYTES];
    randombytes_buf(raw, sizeof raw);
    lia_b64url_encode(raw, sizeof raw, code);
    sodium_memzero(raw, sizeof raw);
    struct store_person p = {.name = name, .role = role};
    hash_code(code, p.setup);
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_person_add(t, &p, rid, err);
    rc = rc ? rc : record(t, actor, "person.add", &p, NULL, err);
    if (rc == 0)
        return store_commit(t, err);
    store_rollback(t);
    sodium_memzero(code, ACCESS_CODE_MAX);
    return rc;
}

int access_person_change(struct store *s, struct store_person *p, const char *actor,
                         const char *action, const char *new_password, bool end_sessions,
                         struct lia_err *err)
{
    char hashed[crypto_pwhash_STRBYTES];
    if (new_password) {
        int rc = hash_password(new_password, hashed, err);
        if (rc)
            return rc;
        p->password = hashed;
        memset(p->setup, 0, sizeof p->setup);
        p->failures = 0;
        p->locked_until = 0;
    }
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_person_update(t, p, err);
    if (rc == 0 && end_sessions)
        rc = store_person_revoke_tokens(t, p->rid, !p->disabled, err);
    rc = rc ? rc : record(t, actor, action, p, NULL, err);
    sodium_memzero(hashed, sizeof hashed);
    p->password = NULL;
    if (rc == 0)
        return store_commit(t, err);
    store_rollback(t);
    return rc;
}

int access_person_totp_enroll(struct store *s, struct store_person *p, const char *actor,
                              char secret32[ACCESS_TOTP_TEXT], struct lia_err *err)
{
    unsigned char key[20];
    randombytes_buf(key, sizeof key);
    char hex[41];
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    char *b32 = NULL;
    size_t b32len = 0;
    oath_init();
    int orc = oath_base32_encode((const char *)key, sizeof key, &b32, &b32len);
    sodium_memzero(key, sizeof key);
    if (orc != OATH_OK || !b32 || b32len >= ACCESS_TOTP_TEXT) {
        free(b32);
        return lia_err_set(err, LIA_EINTERNAL, "cannot encode a TOTP key");
    }
    memcpy(secret32, b32, b32len + 1);
    sodium_memzero(b32, b32len);
    free(b32);
    p->totp_key = hex;
    p->totp_last = 0;
    int rc = access_person_change(s, p, actor, "person.totp", NULL, false, err);
    sodium_memzero(hex, sizeof hex);
    p->totp_key = NULL;
    return rc;
}

/* The TOTP time step code matches (window: one step either side), or -1. */
static int64_t totp_step(const char *key_hex, const char *code, time_t now)
{
    unsigned char key[64];
    size_t klen = 0;
    if (sodium_hex2bin(key, sizeof key, key_hex, strlen(key_hex), NULL, &klen, NULL) != 0)
        return -1;
    size_t n = strlen(code);
    if (n != 6 || strspn(code, "0123456789") != 6)
        return -1;
    int pos = 0;
    oath_init();
    int rc = oath_totp_validate2((const char *)key, klen, now, TOTP_STEP, 0, 1, &pos, code);
    sodium_memzero(key, sizeof key);
    return rc >= 0 ? (int64_t)(now / TOTP_STEP) + pos : -1;
}

int access_signin(struct store *s, const struct access_signin *in, struct arena *a,
                  char token[ACCESS_TOKEN_MAX], struct store_person *who, struct lia_err *err)
{
    memset(who, 0, sizeof *who);
    if (!access_person_name_ok(in->name))
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_signin);
    struct lia_err lookup;
    lia_err_clear(&lookup);
    int rc = store_person_get(s, 0, in->name, a, who, &lookup);
    if (rc == LIA_ENOTFOUND) {
        /* The same work and answer as a known name with a wrong password. */
        char dummy[crypto_pwhash_STRBYTES];
        hash_password("not-a-real-password", dummy, NULL);
        return lia_err_set(err, LIA_EUNAUTH, "%s", bad_signin);
    }
    if (rc)
        return lia_err_set(err, rc, "%s", lookup.msg);
    int64_t now = lia_now_us();
    bool locked = who->locked_until > now;
    const char *why = NULL;
    int64_t step = -1;
    if (who->disabled)
        why = "disabled";
    else if (locked)
        why = "locked";
    else if (in->code) { /* first sign-in: the one-time code and a new password */
        unsigned char h[32];
        hash_code(in->code, h);
        if (zero32(who->setup) || sodium_memcmp(h, who->setup, 32) != 0)
            why = "wrong code";
        else if (access_password_check(in->new_password, err))
            return err->code; /* nothing counted: the code was right */
    } else if (!who->password ||
               crypto_pwhash_str_verify(who->password, in->password ? in->password : "",
                                        in->password ? strlen(in->password) : 0) != 0)
        why = "wrong password";
    if (!why && who->totp_key) {
        step = in->totp ? totp_step(who->totp_key, in->totp, (time_t)(now / 1000000)) : -1;
        if (step < 0)
            why = "wrong TOTP code";
        else if (step <= who->totp_last)
            why = "TOTP code used already";
    }
    struct store_txn *t;
    rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    char extra[160];
    if (why) {
        if (!locked && !who->disabled && ++who->failures >= in->max_failures) {
            who->locked_until = now + in->lockout_us;
            who->failures = 0;
        }
        snprintf(extra, sizeof extra, "\"reason\":\"%s\",\"failures\":%d,\"locked\":%s", why,
                 who->failures, who->locked_until > now ? "true" : "false");
        rc = store_person_update(t, who, err);
        rc = rc ? rc : record(t, "signin", "person.signin_failed", who, extra, err);
        rc = rc ? rc : store_commit(t, err);
        if (rc)
            return rc;
        return lia_err_set(err, locked || who->locked_until > now ? LIA_EBUSY : LIA_EUNAUTH, "%s",
                           locked || who->locked_until > now
                               ? "too many failed sign-ins: try again later"
                               : bad_signin);
    }
    char hashed[crypto_pwhash_STRBYTES];
    if (in->code) {
        rc = hash_password(in->new_password, hashed, err);
        who->password = hashed;
        memset(who->setup, 0, sizeof who->setup);
    }
    who->failures = 0;
    if (step >= 0)
        who->totp_last = step;
    rc = rc ? rc : store_person_update(t, who, err);
    char id[32];
    struct access_token_spec spec = {.expires = now + in->session_us, .label = "session"};
    rc = rc ? rc : access_token_issue_for(t, &spec, who->rid, true, token, id, err);
    snprintf(extra, sizeof extra, "\"token\":\"%s\",\"expires\":%lld", rc ? "" : id,
             (long long)spec.expires);
    rc = rc ? rc
            : record(t, "signin", in->code ? "person.signin_first" : "person.signin", who, extra,
                     err);
    if (rc == 0)
        rc = store_commit(t, err);
    else
        store_rollback(t);
    sodium_memzero(hashed, sizeof hashed);
    who->password = NULL;
    who->totp_key = NULL;
    if (rc)
        sodium_memzero(token, ACCESS_TOKEN_MAX);
    return rc;
}
