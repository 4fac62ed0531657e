/*
 * Signing key rotation (docs/exchange.md, "Key rotation").
 *
 * `liaison key rotate` makes a new Ed25519 key pair and a rotation notice:
 * the statement "sender S replaces key OLD by key NEW, made at C; files
 * signed with OLD stay valid until U", signed by the old key (it authorises
 * the new one) and by the new key (its holder has it). The notice travels
 * in the header of every signed bundle made while the old key is still
 * valid, or as the file DIR/signing.rotation, handed over and accepted with
 * `liaison partner key --notice FILE`.
 *
 * A partner accepts a notice only when its old key is the key registered
 * for that partner here and both signatures verify: the partner's key
 * becomes the new one, and the old one (table partner_key) still verifies
 * the partner's files until U. Everything else is refused and changes
 * nothing.
 */
#include "exchange/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "stix/stix.h"

/* The signed statement: fixed lines, no JSON canonicalisation to agree on. */
static int statement(const struct exchange_rotation *n, struct dbuf *out)
{
    return dbuf_printf(out,
                       EXCHANGE_ROTATION_FORMAT "\nsender=%s\nold_key=%s\nnew_key=%s\ncreated=%s\n"
                                                "old_valid_until=%s\n",
                       n->sender, n->old_key, n->new_key, n->created, n->until);
}

static void sign_hex(const unsigned char sk[64], const struct dbuf *msg, char out[129])
{
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg->ptr, msg->len, sk);
    sodium_bin2hex(out, 129, sig, sizeof sig);
}

static bool verify_hex(const char *sig_hex, const char *key_hex, const struct dbuf *msg)
{
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    size_t got = 0;
    if (strlen(sig_hex) != 128 || strlen(key_hex) != 64)
        return false;
    if (sodium_hex2bin(sig, sizeof sig, sig_hex, 128, NULL, &got, NULL) || got != sizeof sig)
        return false;
    if (sodium_hex2bin(pk, sizeof pk, key_hex, 64, NULL, &got, NULL) || got != sizeof pk)
        return false;
    return crypto_sign_verify_detached(sig, (const unsigned char *)msg->ptr, msg->len, pk) == 0;
}

int exchange_rotation_json(const struct exchange_rotation *n, struct dbuf *out)
{
    int rc = dbuf_puts(out, "{\"format\":\"" EXCHANGE_ROTATION_FORMAT "\",\"sender\":");
    rc = rc ? rc : dbuf_json_string(out, n->sender, strlen(n->sender));
    return rc ? rc
              : dbuf_printf(out,
                            ",\"old_key\":\"%s\",\"new_key\":\"%s\",\"created\":\"%s\","
                            "\"old_valid_until\":\"%s\",\"old_signature\":\"%s\","
                            "\"new_signature\":\"%s\"}",
                            n->old_key, n->new_key, n->created, n->until, n->sig_old, n->sig_new);
}

static int refuse(struct lia_err *err, const char *why)
{
    return lia_err_set(err, LIA_EFORBIDDEN, "key rotation notice refused: %s; nothing changed",
                       why);
}

int exchange_rotation_parse(json_t *o, struct exchange_rotation *n, struct lia_err *err)
{
    memset(n, 0, sizeof *n);
    json_t *fmt = json_object_get(o, "format");
    if (!json_is_object(o) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), EXCHANGE_ROTATION_FORMAT) != 0)
        return refuse(err, "not a " EXCHANGE_ROTATION_FORMAT " notice");
    if (exchange_json_str(o, "sender", n->sender, sizeof n->sender) ||
        exchange_json_str(o, "old_key", n->old_key, sizeof n->old_key) ||
        exchange_json_str(o, "new_key", n->new_key, sizeof n->new_key) ||
        exchange_json_str(o, "created", n->created, sizeof n->created) ||
        exchange_json_str(o, "old_valid_until", n->until, sizeof n->until) ||
        exchange_json_str(o, "old_signature", n->sig_old, sizeof n->sig_old) ||
        exchange_json_str(o, "new_signature", n->sig_new, sizeof n->sig_new) ||
        !exchange_is_hex(n->old_key, 64) || !exchange_is_hex(n->new_key, 64) ||
        !strcmp(n->old_key, n->new_key))
        return refuse(err, "the notice is malformed");
    int digits;
    struct lia_err why;
    int64_t created;
    if (stix_parse_timestamp(n->until, strlen(n->until), &n->until_us, &digits, &why) ||
        stix_parse_timestamp(n->created, strlen(n->created), &created, &digits, &why))
        return refuse(err, "the notice's dates are malformed");
    struct dbuf msg;
    dbuf_init(&msg, 4096);
    int rc = statement(n, &msg);
    if (rc == 0 && !verify_hex(n->sig_old, n->old_key, &msg))
        rc = refuse(err, "it is not signed by the old key it names");
    else if (rc == 0 && !verify_hex(n->sig_new, n->new_key, &msg))
        rc = refuse(err, "it is not signed by the new key it names");
    else if (rc)
        rc = refuse(err, "the notice is too large");
    dbuf_release(&msg);
    return rc;
}

int exchange_rotation_read(const char *path, struct exchange_rotation *n, struct lia_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(path, 8192, &text, &len, err);
    if (rc)
        return rc;
    json_error_t je;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    rc = o ? exchange_rotation_parse(o, n, err) : refuse(err, "the file is not JSON");
    json_decref(o);
    return rc;
}

int exchange_rotation_accept(struct store *s, const struct exchange_rotation *n, int64_t partner,
                             const char *actor, struct arena *a, struct store_partner *out,
                             struct lia_err *err)
{
    struct store_partner *ps;
    size_t count;
    int rc = store_partner_list(s, a, &ps, &count, err);
    if (rc)
        return rc;
    const struct store_partner *p = NULL;
    for (size_t i = 0; i < count; i++) {
        bool has_old = ps[i].pubkey && !strcasecmp(ps[i].pubkey, n->old_key);
        if ((partner && ps[i].rid == partner) || (!partner && has_old)) {
            p = &ps[i];
            break;
        }
    }
    if (!p && partner)
        return lia_err_set(err, LIA_ENOTFOUND, "no such partner");
    if (!p)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "key rotation notice refused: it is signed by key %.16s..., which "
                           "belongs to no partner here; nothing changed",
                           n->old_key);
    *out = *p;
    if (p->pubkey && !strcasecmp(p->pubkey, n->new_key))
        return 0; /* accepted before */
    if (!p->pubkey || strcasecmp(p->pubkey, n->old_key))
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "key rotation notice refused: it is signed by key %.16s..., not by "
                           "partner %s's key %.16s...; nothing changed",
                           n->old_key, p->name, p->pubkey ? p->pubkey : "(none registered)");
    struct store_txn *t;
    rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_partner_key_rotate(t, p->rid, n->old_key, n->new_key, n->until_us, err);
    struct dbuf d;
    dbuf_init(&d, 4096);
    if (rc == 0) {
        int w = dbuf_printf(&d,
                            "{\"partner\":\"%s\",\"old_key\":\"%s\",\"new_key\":\"%s\","
                            "\"old_valid_until\":\"%s\"}",
                            p->identity_id, n->old_key, n->new_key, n->until);
        rc = w ? lia_err_set(err, w, "audit record too large")
               : audit_append(t, actor, "partner.key.rotate", d.ptr, err);
    }
    dbuf_release(&d);
    if (rc) {
        store_rollback(t);
        return rc;
    }
    rc = store_commit(t, err);
    if (rc == 0)
        out->pubkey = arena_strndup(a, n->new_key, 64);
    return rc;
}

static int write_key_files(const char *dir, const unsigned char sk[64], const unsigned char pk[32],
                           struct lia_err *err)
{
    char path[4200];
    char hex[2 * 64 + 2];
    sodium_bin2hex(hex, sizeof hex - 1, sk, 64);
    hex[128] = '\n';
    hex[129] = '\0';
    snprintf(path, sizeof path, "%s/signing.key", dir);
    int rc = lia_write_file(path, hex, 129, 0600, err);
    sodium_memzero(hex, sizeof hex);
    if (rc)
        return rc;
    sodium_bin2hex(hex, sizeof hex - 1, pk, 32);
    hex[64] = '\n';
    hex[65] = '\0';
    snprintf(path, sizeof path, "%s/signing.pub", dir);
    return lia_write_file(path, hex, 65, 0644, err);
}

int exchange_key_rotate(struct store *s, const char *dir, int64_t until_us,
                        struct exchange_rotation *n, struct lia_err *err)
{
    memset(n, 0, sizeof *n);
    if (strlen(dir) > 4000)
        return lia_err_set(err, LIA_EINVAL, "data directory path too long");
    unsigned char old_sk[64], new_sk[64], old_pk[32], new_pk[32];
    int rc = exchange_load_secret_key(dir, old_sk, err);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    char *instance = NULL;
    rc = store_meta_get(s, "instance_identity", &a, &instance, err);
    crypto_sign_ed25519_sk_to_pk(old_pk, old_sk);
    crypto_sign_keypair(new_pk, new_sk);
    struct dbuf msg, json;
    dbuf_init(&msg, 4096);
    dbuf_init(&json, 8192);
    if (rc == 0) {
        snprintf(n->sender, sizeof n->sender, "%s", instance ? instance : "");
        sodium_bin2hex(n->old_key, sizeof n->old_key, old_pk, sizeof old_pk);
        sodium_bin2hex(n->new_key, sizeof n->new_key, new_pk, sizeof new_pk);
        lia_format_ts(lia_now_us(), 6, n->created);
        lia_format_ts(until_us, 6, n->until);
        n->until_us = until_us;
        if (statement(n, &msg))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        sign_hex(old_sk, &msg, n->sig_old);
        sign_hex(new_sk, &msg, n->sig_new);
        if (exchange_rotation_json(n, &json) || dbuf_puts(&json, "\n"))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    /* The notice first: a crash before the new key is written leaves a notice that names a
     * key nobody holds, which exports ignore (it is not theirs). Then the key, then the audit
     * entry. */
    char path[4200];
    snprintf(path, sizeof path, "%s/signing.rotation", dir);
    if (rc == 0)
        rc = lia_write_file(path, json.ptr, json.len, 0644, err);
    if (rc == 0)
        rc = write_key_files(dir, new_sk, new_pk, err);
    if (rc == 0) {
        dbuf_reset(&msg);
        int w =
            dbuf_printf(&msg, "{\"old_key\":\"%s\",\"new_key\":\"%s\",\"old_valid_until\":\"%s\"}",
                        n->old_key, n->new_key, n->until);
        struct store_txn *t;
        rc = w ? lia_err_set(err, w, "out of memory") : store_begin(s, &t, err);
        if (rc == 0) {
            rc = audit_append(t, "cli", "key.rotate", msg.ptr, err);
            if (rc)
                store_rollback(t);
            else
                rc = store_commit(t, err);
        }
    }
    sodium_memzero(old_sk, sizeof old_sk);
    sodium_memzero(new_sk, sizeof new_sk);
    dbuf_release(&msg);
    dbuf_release(&json);
    arena_release(&a);
    return rc;
}

int exchange_rotation_current(const char *dir, const unsigned char sk[64], struct dbuf *json,
                              struct lia_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/signing.rotation", dir);
    if (access(path, F_OK) != 0)
        return 0;
    struct exchange_rotation n;
    int rc = exchange_rotation_read(path, &n, err);
    if (rc)
        return rc;
    unsigned char pk[32];
    char hex[65];
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    if (strcmp(hex, n.new_key) || n.until_us <= lia_now_us())
        return 0; /* not our key's notice, or the old key is no longer valid anyway */
    return exchange_rotation_json(&n, json) ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
}
