/*
 * Tests for src/exchange/signed.c: the signed bundle file format. A file
 * built with a key verifies; any changed byte (header, bundle, signature),
 * truncation anywhere, a missing signature, trailing bytes or a header that
 * names another key is refused with LIA_EFORBIDDEN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"

static const char bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--6f8b4c8e-9c1a-4c8e-9d7a-1b2c3d4e5f60\",\"objects\":[]}";

struct fixture {
    unsigned char pk[32], sk[64];
    struct dbuf file;
};

static int setup(void **state)
{
    static struct fixture f;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(f.pk, f.sk);
    dbuf_init(&f.file, 1 << 20);
    struct exchange_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.sender, sizeof h.sender, "%s", "identity--0f8b4c8e-9c1a-4c8e-9d7a-1b2c3d4e5f60");
    snprintf(h.created, sizeof h.created, "%s", "2024-01-01T00:00:00Z");
    snprintf(h.collection, sizeof h.collection, "%s", "cells");
    snprintf(h.recipient, sizeof h.recipient, "%s",
             "identity--1f8b4c8e-9c1a-4c8e-9d7a-1b2c3d4e5f60");
    struct lia_err err;
    if (exchange_signed_build(f.sk, &h, bundle, strlen(bundle), &f.file, &err) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dbuf_release(&f->file);
    return 0;
}

static int verify(const char *text, size_t len, struct lia_err *err)
{
    struct exchange_header h;
    const char *b;
    size_t bl;
    return exchange_signed_verify(text, len, &h, &b, &bl, err);
}

static void test_good(void **state)
{
    struct fixture *f = *state;
    struct exchange_header h;
    const char *b;
    size_t bl;
    struct lia_err err;
    assert_int_equal(exchange_signed_verify(f->file.ptr, f->file.len, &h, &b, &bl, &err), 0);
    assert_int_equal(bl, strlen(bundle));
    assert_memory_equal(b, bundle, bl);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, f->pk, 32);
    assert_string_equal(h.sender_key, hex);
    assert_string_equal(h.collection, "cells");
    assert_int_equal(h.bytes, (int64_t)strlen(bundle));
}

static void test_every_byte_flipped(void **state)
{
    struct fixture *f = *state;
    char *copy = malloc(f->file.len);
    assert_non_null(copy);
    for (size_t i = 0; i < f->file.len; i++) {
        memcpy(copy, f->file.ptr, f->file.len);
        copy[i] ^= 0x01;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = verify(copy, f->file.len, &err);
        if (rc != LIA_EFORBIDDEN)
            fail_msg("byte %zu changed: rc %d", i, rc);
    }
    free(copy);
}

static void test_truncated(void **state)
{
    struct fixture *f = *state;
    for (size_t n = 0; n < f->file.len; n++) {
        struct lia_err err;
        if (verify(f->file.ptr, n, &err) != LIA_EFORBIDDEN)
            fail_msg("truncated to %zu bytes: accepted", n);
    }
}

static void test_unsigned_and_trailing(void **state)
{
    struct fixture *f = *state;
    const char *sig = strstr(f->file.ptr, "\ned25519 ");
    assert_non_null(sig);
    struct lia_err err;
    size_t unsigned_len = (size_t)(sig - f->file.ptr) + 1;
    assert_int_equal(verify(f->file.ptr, unsigned_len, &err), LIA_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "not signed"));
    struct dbuf more;
    dbuf_init(&more, 1 << 20);
    dbuf_append(&more, f->file.ptr, f->file.len);
    dbuf_puts(&more, "x");
    assert_int_equal(verify(more.ptr, more.len, &err), LIA_EFORBIDDEN);
    dbuf_release(&more);
}

static void test_other_key(void **state)
{
    /* A valid file re-headed with another key (as a forger would) fails the signature. */
    struct fixture *f = *state;
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    char hex1[65], hex2[65];
    sodium_bin2hex(hex1, sizeof hex1, f->pk, 32);
    sodium_bin2hex(hex2, sizeof hex2, pk2, 32);
    char *copy = malloc(f->file.len + 1);
    memcpy(copy, f->file.ptr, f->file.len);
    copy[f->file.len] = '\0';
    char *at = strstr(copy, hex1);
    assert_non_null(at);
    memcpy(at, hex2, 64);
    struct lia_err err;
    assert_int_equal(verify(copy, f->file.len, &err), LIA_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "signature"));
    free(copy);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "\n", "{}\n", "not json\n{}\n",
                                      "{\"format\":\"other/1\"}\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct lia_err err;
        if (verify(bad[i], strlen(bad[i]), &err) != LIA_EFORBIDDEN)
            fail_msg("garbage %zu accepted", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),      cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_truncated), cmocka_unit_test(test_unsigned_and_trailing),
        cmocka_unit_test(test_other_key), cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
