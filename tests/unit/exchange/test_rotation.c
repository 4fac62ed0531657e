/*
 * Tests for src/exchange/rotation.c: a key rotation notice verifies only when
 * both the old and the new key signed its statement, as docs/exchange.md
 * spells it; a changed field, a signature by another key, equal keys or a
 * malformed notice are refused with LIA_EFORBIDDEN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "exchange/exchange.h"

struct keys {
    unsigned char old_pk[32], old_sk[64], new_pk[32], new_sk[64], other_pk[32], other_sk[64];
};

/* A notice as docs/exchange.md describes it, signed by the given secret keys. */
static json_t *notice(const struct keys *k, const unsigned char *sign_old,
                      const unsigned char *sign_new, const char *until)
{
    char old_hex[65], new_hex[65];
    sodium_bin2hex(old_hex, sizeof old_hex, k->old_pk, 32);
    sodium_bin2hex(new_hex, sizeof new_hex, k->new_pk, 32);
    const char *sender = "identity--0f8b4c8e-9c1a-4c8e-9d7a-1b2c3d4e5f60";
    const char *created = "2026-01-01T00:00:00.000000Z";
    char stmt[1024];
    snprintf(stmt, sizeof stmt,
             "liaison-key-rotation/1\nsender=%s\nold_key=%s\nnew_key=%s\ncreated=%s\n"
             "old_valid_until=%s\n",
             sender, old_hex, new_hex, created, until);
    unsigned char sig[64];
    char sig_old[129], sig_new[129];
    crypto_sign_detached(sig, NULL, (const unsigned char *)stmt, strlen(stmt), sign_old);
    sodium_bin2hex(sig_old, sizeof sig_old, sig, 64);
    crypto_sign_detached(sig, NULL, (const unsigned char *)stmt, strlen(stmt), sign_new);
    sodium_bin2hex(sig_new, sizeof sig_new, sig, 64);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "format", "liaison-key-rotation/1",
                     "sender", sender, "old_key", old_hex, "new_key", new_hex, "created", created,
                     "old_valid_until", until, "old_signature", sig_old, "new_signature", sig_new);
}

static int parse(json_t *o)
{
    struct exchange_rotation n;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = exchange_rotation_parse(o, &n, &err);
    json_decref(o);
    return rc;
}

static void test_rotation_notice(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    struct keys k;
    crypto_sign_keypair(k.old_pk, k.old_sk);
    crypto_sign_keypair(k.new_pk, k.new_sk);
    crypto_sign_keypair(k.other_pk, k.other_sk);
    const char *until = "2026-02-01T00:00:00.000000Z";

    json_t *good = notice(&k, k.old_sk, k.new_sk, until);
    struct exchange_rotation n;
    struct lia_err err;
    assert_int_equal(exchange_rotation_parse(good, &n, &err), 0);
    assert_string_equal(n.until, until);
    assert_true(n.until_us > 0);
    /* What exchange_rotation_json writes parses back to the same notice. */
    struct dbuf d;
    dbuf_init(&d, 8192);
    assert_int_equal(exchange_rotation_json(&n, &d), 0);
    json_t *again = json_loadb(d.ptr, d.len, 0, NULL);
    assert_non_null(again);
    assert_int_equal(parse(again), 0);
    dbuf_release(&d);

    /* Signed by another key instead of the old one, or of the new one. */
    assert_int_equal(parse(notice(&k, k.other_sk, k.new_sk, until)), LIA_EFORBIDDEN);
    assert_int_equal(parse(notice(&k, k.old_sk, k.other_sk, until)), LIA_EFORBIDDEN);
    /* Any field changed after signing. */
    static const char *const fields[] = {"sender", "old_key", "new_key", "created",
                                         "old_valid_until"};
    for (size_t i = 0; i < 5; i++) {
        json_t *o = json_deep_copy(good);
        char v[200];
        snprintf(v, sizeof v, "%s", json_string_value(json_object_get(o, fields[i])));
        v[strlen(v) - 2] = v[strlen(v) - 2] == '1' ? '2' : '1';
        json_object_set_new(o, fields[i], json_string(v));
        assert_int_equal(parse(o), LIA_EFORBIDDEN);
    }
    /* Malformed: missing member, wrong format, bad hex, a date that is not one. */
    json_t *o = json_deep_copy(good);
    json_object_del(o, "new_signature");
    assert_int_equal(parse(o), LIA_EFORBIDDEN);
    o = json_deep_copy(good);
    json_object_set_new(o, "format", json_string("liaison-key-rotation/2"));
    assert_int_equal(parse(o), LIA_EFORBIDDEN);
    o = json_deep_copy(good);
    json_object_set_new(o, "old_key", json_string("XYZ"));
    assert_int_equal(parse(o), LIA_EFORBIDDEN);
    assert_int_equal(parse(notice(&k, k.old_sk, k.new_sk, "next week")), LIA_EFORBIDDEN);
    assert_int_equal(parse(json_string("not an object")), LIA_EFORBIDDEN);
    /* The same key twice is no rotation. */
    memcpy(k.new_pk, k.old_pk, 32);
    assert_int_equal(parse(notice(&k, k.old_sk, k.old_sk, until)), LIA_EFORBIDDEN);
    json_decref(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rotation_notice)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
