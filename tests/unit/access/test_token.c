/*
 * Tests for src/access/token.c: tokens authenticate by Bearer and by Basic
 * (any user name), and every kind of bad credential gets the same refusal;
 * only a hash of the secret reaches the store.
 */
#include "../unit_common.h"

#include <sodium.h>

#include "access/access.h"

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (!memcmp(hay + i, needle, m))
            return true;
    return false;
}

static int auth(struct store *s, const char *header, struct access_principal *who)
{
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    int rc = access_authenticate(s, header, NULL, NULL, &a, who, &err);
    if (rc == LIA_EUNAUTH)
        assert_string_equal(err.msg, "missing or invalid credentials");
    bool admin = who->admin;
    arena_release(&a);
    who->admin = admin;
    return rc;
}

static void test_tokens(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    struct lia_err err;
    lia_err_clear(&err);
    char tok[ACCESS_TOKEN_MAX], id[32];
    struct access_token_spec spec = {.admin = true};
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    assert_int_equal(strlen(tok), 16 + 1 + 43); /* 96-bit id, 256-bit secret */
    char header[400];
    struct access_principal who;

    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_int_equal(auth(u.s, header, &who), 0);
    assert_true(who.admin);

    char basic_raw[200], basic_b64[300];
    snprintf(basic_raw, sizeof basic_raw, "anyone:%s", tok);
    sodium_bin2base64(basic_b64, sizeof basic_b64, (const unsigned char *)basic_raw,
                      strlen(basic_raw), sodium_base64_VARIANT_ORIGINAL);
    snprintf(header, sizeof header, "Basic %s", basic_b64);
    assert_int_equal(auth(u.s, header, &who), 0);

    /* Wrong secret (one character), truncated, extended, unknown id, garbage, empty. */
    char bad[ACCESS_TOKEN_MAX];
    memcpy(bad, tok, strlen(tok) + 1);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    const char *bads[] = {bad, "", "x", NULL};
    for (size_t i = 0; bads[i]; i++) {
        snprintf(header, sizeof header, "Bearer %s", bads[i]);
        assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);
    }
    snprintf(header, sizeof header, "Bearer %.*s", (int)strlen(tok) - 1, tok);
    assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);
    snprintf(header, sizeof header, "Bearer %sA", tok);
    assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);
    snprintf(header, sizeof header, "Bearer AAAAAAAAAAAAAAAA%s", tok + 16);
    assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);
    assert_int_equal(auth(u.s, NULL, &who), LIA_EUNAUTH);
    assert_int_equal(auth(u.s, "Digest abc", &who), LIA_EUNAUTH);
    assert_int_equal(auth(u.s, "Basic !!!!", &who), LIA_EUNAUTH);

    /* Revoked, then expired. */
    assert_int_equal(store_token_revoke(u.s, id, &err), 0);
    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);
    spec.expires = lia_now_us() - 1;
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_int_equal(auth(u.s, header, &who), LIA_EUNAUTH);

    /* Only the hash is stored: the secret is nowhere in the database file. */
    spec.expires = 0;
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    store_close(u.s);
    char *db;
    size_t len;
    assert_int_equal(lia_read_file(u.path, 64u << 20, &db, &len, &err), 0);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", u.path);
    char *wdb = NULL;
    size_t wlen = 0;
    lia_read_file(wal, 64u << 20, &wdb, &wlen, &err);
    const char *secret = strchr(tok, '.') + 1;
    assert_false(contains(db, len, secret));
    if (wdb)
        assert_false(contains(wdb, wlen, secret));
    free(db);
    free(wdb);
    struct store_options opt = {.pool_size = 2};
    assert_int_equal(store_open(u.path, &opt, &u.s, &err), 0);
    unit_store_close(&u);
}

static void test_partner_principal(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_partner p = {.identity_id = "identity--0f0e0d0c-0b0a-4908-8706-050403020100",
                              .identity_json = "{}", .name = "US", .clearance = STORE_TLP_AMBER};
    int64_t rid;
    assert_int_equal(store_partner_add(u.s, &p, &rid, &err), 0);
    char tok[ACCESS_TOKEN_MAX], id[32], header[200];
    struct access_token_spec spec = {.partner = rid, .read_only = true};
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    snprintf(header, sizeof header, "Bearer %s", tok);
    struct access_principal who;
    struct arena a;
    arena_init(&a, 0);
    assert_int_equal(access_authenticate(u.s, header, NULL, NULL, &a, &who, &err), 0);
    assert_false(who.admin);
    assert_true(who.read_only);
    assert_false(who.policy.all);
    assert_int_equal(who.policy.partner, rid);
    assert_int_equal(who.policy.clearance, STORE_TLP_AMBER);
    assert_string_equal(who.identity, p.identity_id);
    assert_non_null(strstr(who.actor, "partner:US/"));
    assert_null(strstr(who.actor, strchr(tok, '.') + 1)); /* no secret in the actor */
    /* A disabled partner's tokens stop working. */
    assert_int_equal(store_partner_update(u.s, rid, "disabled", "1", &err), 0);
    assert_int_equal(access_authenticate(u.s, header, NULL, NULL, &a, &who, &err), LIA_EUNAUTH);
    arena_release(&a);
    unit_store_close(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_partner_principal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
