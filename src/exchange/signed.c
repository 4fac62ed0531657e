/*
 * Signed bundle files: the offline exchange between instances that share no
 * network (docs/exchange.md has the format for implementers of other tools).
 *
 *   {"format":"liaison-signed-bundle/1","sender":...,"sender_key":...,
 *    "created":...,"collection":...,"recipient":...,"objects":N,
 *    "bytes":B,"sha256":...}\n
 *   <B bytes: a STIX 2.1 bundle>\n
 *   ed25519 <128 hex digits>\n
 *
 * The Ed25519 signature covers the header line (with its newline) and the
 * bundle, which are contiguous in the file, so one verification over one
 * span settles both; the header also names the bundle's length and SHA-256,
 * which turns truncation or appended bytes into a precise message rather
 * than a bare "bad signature". Verification is all-or-nothing and happens
 * before the importer stores anything. The header's sender_key says which
 * key to verify with; whether that key belongs to a registered partner is
 * the importer's question (an unknown key is refused there).
 */
#include "exchange/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/audit.h"

#define MAX_HEADER 8192
#define SIG_PREFIX "ed25519 "

bool exchange_is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)data, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

int exchange_signed_build(const unsigned char secret_key[64], struct exchange_header *h,
                          const char *bundle, size_t len, struct dbuf *out, struct lia_err *err)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_ed25519_sk_to_pk(pk, secret_key);
    sodium_bin2hex(h->sender_key, sizeof h->sender_key, pk, sizeof pk);
    sha256_hex(bundle, len, h->sha256);
    h->bytes = (int64_t)len;
    int rc = dbuf_puts(out, "{\"format\":\"" EXCHANGE_FORMAT "\",\"sender\":");
    rc = rc ? rc : dbuf_json_string(out, h->sender, strlen(h->sender));
    rc = rc ? rc : dbuf_printf(out, ",\"sender_key\":\"%s\",\"created\":", h->sender_key);
    rc = rc ? rc : dbuf_json_string(out, h->created, strlen(h->created));
    rc = rc ? rc : dbuf_puts(out, ",\"collection\":");
    rc = rc ? rc : dbuf_json_string(out, h->collection, strlen(h->collection));
    rc = rc ? rc : dbuf_puts(out, ",\"recipient\":");
    rc = rc ? rc : dbuf_json_string(out, h->recipient, strlen(h->recipient));
    if (h->checkpoint[0]) {
        rc = rc ? rc : dbuf_puts(out, ",\"checkpoint\":");
        rc = rc ? rc : dbuf_json_string(out, h->checkpoint, strlen(h->checkpoint));
    }
    rc = rc ? rc
            : dbuf_printf(out, ",\"objects\":%lld,\"bytes\":%lld,\"sha256\":\"%s\"",
                          (long long)h->objects, (long long)h->bytes, h->sha256);
    if (rc == 0 && h->rotation) { /* the key rotation notice travels with the file */
        rc = dbuf_puts(out, ",\"rotation\":");
        rc = rc ? rc : dbuf_puts(out, h->rotation);
    }
    rc = rc ? rc : dbuf_puts(out, "}\n");
    rc = rc ? rc : dbuf_append(out, bundle, len);
    unsigned char sig[crypto_sign_BYTES];
    if (rc == 0)
        crypto_sign_detached(sig, NULL, (const unsigned char *)out->ptr, out->len, secret_key);
    char hex[2 * crypto_sign_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
    rc = rc ? rc : dbuf_printf(out, "\n" SIG_PREFIX "%s\n", hex);
    if (rc)
        return lia_err_set(err, rc, "signed bundle larger than %zu bytes", out->max);
    return 0;
}

static int refuse(struct lia_err *err, const char *why)
{
    return lia_err_set(err, LIA_EFORBIDDEN, "refused: %s; nothing imported", why);
}

int exchange_json_str(json_t *root, const char *key, char *dst, size_t size)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_string(v) || json_string_length(v) >= size)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return memchr(dst, '\0', json_string_length(v)) ? -1 : 0;
}

static int parse_header(const char *line, size_t n, struct exchange_header *h)
{
    json_error_t je;
    json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
    int rc = json_is_object(root) ? 0 : -1;
    json_t *fmt = json_object_get(root, "format");
    if (!rc && !(json_is_string(fmt) && !strcmp(json_string_value(fmt), EXCHANGE_FORMAT)))
        rc = -2;
    if (!rc && (exchange_json_str(root, "sender", h->sender, sizeof h->sender) ||
                exchange_json_str(root, "sender_key", h->sender_key, sizeof h->sender_key) ||
                exchange_json_str(root, "created", h->created, sizeof h->created) ||
                exchange_json_str(root, "collection", h->collection, sizeof h->collection) ||
                exchange_json_str(root, "recipient", h->recipient, sizeof h->recipient) ||
                exchange_json_str(root, "sha256", h->sha256, sizeof h->sha256)))
        rc = -1;
    if (!rc && json_object_get(root, "checkpoint") &&
        exchange_json_str(root, "checkpoint", h->checkpoint, sizeof h->checkpoint))
        rc = -1;
    json_t *obj = json_object_get(root, "objects"), *bytes = json_object_get(root, "bytes");
    if (!rc && (!json_is_integer(obj) || !json_is_integer(bytes) || json_integer_value(obj) < 0 ||
                json_integer_value(bytes) < 0 ||
                json_integer_value(bytes) > (json_int_t)EXCHANGE_MAX_FILE))
        rc = -1;
    if (!rc) {
        h->objects = json_integer_value(obj);
        h->bytes = json_integer_value(bytes);
        if (!exchange_is_hex(h->sender_key, 64) || !exchange_is_hex(h->sha256, 64))
            rc = -1;
    }
    json_decref(root);
    return rc;
}

int exchange_signed_verify(const char *text, size_t len, struct exchange_header *h,
                           const char **bundle, size_t *bundle_len, struct lia_err *err)
{
    memset(h, 0, sizeof *h);
    *bundle = NULL;
    *bundle_len = 0;
    const char *nl = memchr(text, '\n', len < MAX_HEADER ? len : MAX_HEADER);
    if (!nl)
        return refuse(err, "not a liaison signed bundle (no header line)");
    size_t head = (size_t)(nl - text);
    int prc = parse_header(text, head, h);
    if (prc == -2)
        return refuse(err, "not a liaison signed bundle (unknown format)");
    if (prc)
        return refuse(err, "the header is malformed");
    size_t body = head + 1;
    size_t sig_line = strlen(SIG_PREFIX) + 2 * crypto_sign_BYTES + 1;
    size_t b = (size_t)h->bytes;
    if (len < body + b + 1)
        return refuse(err, "the file is truncated (the bundle is shorter than its header says)");
    if (text[body + b] != '\n')
        return refuse(err, "the bundle is not the length its header says");
    const char *sig = text + body + b + 1;
    size_t rest = len - (body + b + 1);
    if (rest == 0)
        return refuse(err, "the file is not signed");
    if (rest < sig_line)
        return refuse(err, "the file is truncated (incomplete signature)");
    if (rest > sig_line)
        return refuse(err, "bytes follow the signature");
    if (memcmp(sig, SIG_PREFIX, strlen(SIG_PREFIX)) != 0 || sig[sig_line - 1] != '\n')
        return refuse(err, "the signature line is malformed");
    unsigned char sigbin[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    size_t got = 0;
    const char *hex = sig + strlen(SIG_PREFIX);
    for (size_t i = 0; i < 2 * crypto_sign_BYTES; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return refuse(err, "the signature line is malformed");
    if (sodium_hex2bin(sigbin, sizeof sigbin, hex, 2 * crypto_sign_BYTES, NULL, &got, NULL) ||
        got != sizeof sigbin)
        return refuse(err, "the signature line is malformed");
    if (sodium_hex2bin(pk, sizeof pk, h->sender_key, 64, NULL, &got, NULL) || got != sizeof pk)
        return refuse(err, "the header's sender_key is malformed");
    if (crypto_sign_verify_detached(sigbin, (const unsigned char *)text, body + b, pk) != 0)
        return refuse(err, "the signature does not match (the file was altered, or not signed "
                           "by the key it names)");
    char digest[65];
    sha256_hex(text + body, b, digest);
    if (strcmp(digest, h->sha256) != 0)
        return refuse(err, "the bundle's SHA-256 differs from its header");
    *bundle = text + body;
    *bundle_len = b;
    return 0;
}

int exchange_load_secret_key(const char *dir, unsigned char sk[64], struct lia_err *err)
{
    return audit_key_load(dir, sk, err);
}
