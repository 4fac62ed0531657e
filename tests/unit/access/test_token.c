/*
 * Tests for src/access/token.c: tokens authenticate by Bearer and by Basic
 * (any user name), and every kind of bad credential gets the same refusal;
 * only a hash of the secret reaches the store (the SQLite file, or with
 * LIAISON_STORE=pg any column of any table of the PostgreSQL database).
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

/* No row of any table of u's PostgreSQL database holds secret, as text or as the bytes it
 * encodes (bytea columns read as hex). */
static void assert_no_secret_in_pg(struct unit_store *u, const char *secret)
{
    unsigned char raw[64];
    size_t raw_len = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, secret, strlen(secret), NULL, &raw_len,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    char hex[2 * sizeof raw + 1];
    sodium_bin2hex(hex, sizeof hex, raw, raw_len);
    PGconn *db = unit_pg_connect(u->path);
    PGresult *tables = PQexec(db, "SELECT quote_ident(table_name) FROM information_schema.tables"
                                  " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    assert_int_equal(PQresultStatus(tables), PGRES_TUPLES_OK);
    assert_true(PQntuples(tables) >= 10);
    int64_t token_rows = 0;
    for (int i = 0; i < PQntuples(tables); i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*), count(*) FILTER (WHERE strpos(t::text, $1) > 0"
                 " OR strpos(t::text, $2) > 0) FROM %s t",
                 PQgetvalue(tables, i, 0));
        const char *params[2] = {secret, hex};
        PGresult *r = PQexecParams(db, sql, 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(db));
        if (!strcmp(PQgetvalue(tables, i, 0), "token"))
            token_rows = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        if (strcmp(PQgetvalue(r, 0, 1), "0") != 0)
            fail_msg("table %s holds the token's secret", PQgetvalue(tables, i, 0));
        PQclear(r);
    }
    assert_int_equal(token_rows, 3); /* the check did look where the tokens are */
    PQclear(tables);
    PQfinish(db);
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

    /* Only the hash is stored: the secret is nowhere in the database. */
    spec.expires = 0;
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    if (u.pg) {
        assert_no_secret_in_pg(&u, strchr(tok, '.') + 1);
        unit_store_close(&u);
        return;
    }
    store_close(u.s);
    char *db;
    size_t len;
    assert_int_equal(lia_read_file(u.path, 64u << 20, &db, &len, &err), 0);
    char wal[1100];
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

/* Token ids never start with '-', which a command line reads as an option (`liaison token
 * revoke --data D -abc...` failed for 1 id in 64). 400 ids: without the rule all would avoid
 * it with probability (63/64)^400 = 0.2%. */
static void test_ids_never_look_like_options(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    struct lia_err err;
    lia_err_clear(&err);
    struct access_token_spec spec = {.admin = true, .label = "ids"};
    char tok[ACCESS_TOKEN_MAX], id[32];
    for (int i = 0; i < 400; i++) {
        assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
        assert_int_not_equal(id[0], '-');
        assert_int_equal(strlen(id), 16);
    }
    unit_store_close(&u);
}

/* The stored hash is compared whole: a hash differing from the real one only in its 9th byte,
 * or only in its last, refuses the real secret (comparing the first 8 of 32 bytes passed every
 * other test). The stored copies are made through the store, beside an exact copy that must
 * authenticate, so the refusals are the comparison's doing. */
static void test_hash_compared_whole(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    struct lia_err err;
    lia_err_clear(&err);
    char tok[ACCESS_TOKEN_MAX], id[32], header[200];
    struct access_token_spec spec = {.admin = true};
    assert_int_equal(access_token_issue(u.s, &spec, tok, id, &err), 0);
    const char *secret = strchr(tok, '.') + 1;
    struct arena a;
    arena_init(&a, 0);
    struct store_token real;
    assert_int_equal(store_token_get(u.s, id, &a, &real, &err), 0);
    static const struct {
        const char *id;
        int byte; /* flipped; -1: none */
        int want;
    } cases[] = {{"exactcopyAAAAAAA", -1, 0},
                 {"ninthbyteAAAAAAA", 8, LIA_EUNAUTH},
                 {"lastbyteAAAAAAAA", 31, LIA_EUNAUTH}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct store_token forged = real;
        forged.id = cases[i].id;
        forged.label = "forged";
        if (cases[i].byte >= 0)
            forged.hash[cases[i].byte] ^= 0x01;
        assert_int_equal(store_token_put(u.s, &forged, &err), 0);
        snprintf(header, sizeof header, "Bearer %s.%s", cases[i].id, secret);
        struct access_principal who;
        assert_int_equal(auth(u.s, header, &who), cases[i].want);
    }
    arena_release(&a);
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
                              .identity_json = "{}",
                              .name = "US",
                              .clearance = STORE_TLP_AMBER};
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
    unit_store_backend("unit_access_test_token");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_partner_principal),
        cmocka_unit_test(test_ids_never_look_like_options),
        cmocka_unit_test(test_hash_compared_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
