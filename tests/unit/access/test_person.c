/*
 * Tests for src/access/person.c and release.c (docs/people.md): a person's first sign-in with
 * the one-time code, passwords kept only as argon2id hashes, failures counted and a lock-out
 * that holds against the right password, TOTP codes never accepted twice, a session acting as
 * its person; and four-eyes release: a version a person wrote at AMBER+STRICT does not exist
 * for a partner (the store's gate) until a releaser other than its author approves it.
 */
#include "../unit_common.h"

#include <liboath/oath.h>
#include <time.h>

#include "access/access.h"
#include "ingest/ingest.h"

#define PW "correct horse battery staple"

static struct access_signin signin_of(const char *name, const char *pw, const char *totp)
{
    return (struct access_signin){.name = name,
                                  .password = pw,
                                  .totp = totp,
                                  .session_us = 3600000000,
                                  .max_failures = 3,
                                  .lockout_us = 3600000000};
}

/* Adds name with role and signs in the first time; returns its session token in tok. */
static int64_t person(struct store *s, const char *name, int role, char tok[ACCESS_TOKEN_MAX])
{
    char code[ACCESS_CODE_MAX];
    int64_t rid = 0;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(access_person_add(s, name, role, "test", code, &rid, &err), 0);
    struct access_signin in = signin_of(name, NULL, NULL);
    in.code = code;
    in.new_password = PW;
    struct arena a;
    arena_init(&a, 0);
    struct store_person who;
    assert_int_equal(access_signin(s, &in, &a, tok, &who, &err), 0);
    assert_int_equal(who.rid, rid);
    arena_release(&a);
    return rid;
}

static void test_signin(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    char tok[ACCESS_TOKEN_MAX];
    person(u.s, "alice", STORE_ROLE_ANALYST, tok);
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_person p;
    assert_int_equal(store_person_get(u.s, 0, "alice", &a, &p, &err), 0);
    assert_non_null(p.password);
    assert_int_equal(strncmp(p.password, "$argon2id$", 10), 0);
    assert_null(strstr(p.password, PW));
    /* The session acts as the person. */
    char header[160];
    snprintf(header, sizeof header, "Bearer %s", tok);
    struct access_principal who;
    assert_int_equal(access_authenticate(u.s, header, NULL, NULL, &a, &who, &err), 0);
    assert_int_equal(who.person, p.rid);
    assert_int_equal(who.role, STORE_ROLE_ANALYST);
    assert_false(who.admin);
    assert_int_equal(strncmp(who.actor, "person:alice/", 13), 0);
    /* Unknown name and wrong password: one answer. */
    struct store_person out;
    char t2[ACCESS_TOKEN_MAX];
    struct access_signin in = signin_of("nobody", PW, NULL);
    assert_int_equal(access_signin(u.s, &in, &a, t2, &out, &err), LIA_EUNAUTH);
    char unknown[sizeof err.msg];
    snprintf(unknown, sizeof unknown, "%s", err.msg);
    in = signin_of("alice", "wrong wrong wrong", NULL);
    assert_int_equal(access_signin(u.s, &in, &a, t2, &out, &err), LIA_EUNAUTH);
    assert_string_equal(err.msg, unknown);
    /* Locked after 3 failures in a row, then refused even with the password. */
    assert_int_equal(access_signin(u.s, &in, &a, t2, &out, &err), LIA_EUNAUTH);
    assert_int_equal(access_signin(u.s, &in, &a, t2, &out, &err), LIA_EBUSY);
    in = signin_of("alice", PW, NULL);
    assert_int_equal(access_signin(u.s, &in, &a, t2, &out, &err), LIA_EBUSY);
    /* Disabled: the session stops working. */
    assert_int_equal(store_person_get(u.s, 0, "alice", &a, &p, &err), 0);
    p.disabled = true;
    assert_int_equal(access_person_change(u.s, &p, "test", "person.disable", NULL, true, &err), 0);
    assert_int_equal(access_authenticate(u.s, header, NULL, NULL, &a, &who, &err), LIA_EUNAUTH);
    arena_release(&a);
    unit_store_close(&u);
}

static void test_totp_once(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    char tok[ACCESS_TOKEN_MAX], secret[ACCESS_TOTP_TEXT];
    person(u.s, "bob", STORE_ROLE_RELEASER, tok);
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_person p, out;
    assert_int_equal(store_person_get(u.s, 0, "bob", &a, &p, &err), 0);
    assert_int_equal(access_person_totp_enroll(u.s, &p, "test", secret, &err), 0);
    char *key = NULL;
    size_t klen = 0;
    assert_int_equal(oath_base32_decode(secret, strlen(secret), &key, &klen), OATH_OK);
    char code[10];
    assert_int_equal(oath_totp_generate(key, klen, time(NULL), 30, 0, 6, code), OATH_OK);
    free(key);
    struct access_signin in = signin_of("bob", PW, NULL);
    assert_int_equal(access_signin(u.s, &in, &a, tok, &out, &err), LIA_EUNAUTH); /* no code */
    in.totp = code;
    assert_int_equal(access_signin(u.s, &in, &a, tok, &out, &err), 0);
    assert_int_equal(access_signin(u.s, &in, &a, tok, &out, &err), LIA_EUNAUTH); /* replayed */
    arena_release(&a);
    unit_store_close(&u);
}

/* Whether partner policy p sees id in coll. */
static bool sees(struct store *s, const struct store_policy *p, int64_t coll, const char *id)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_filter f = {.ids = &id, .n_ids = 1, .limit = 10};
    struct store_page page;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(store_query_objects(s, p, coll, &f, false, &a, &page, &err), 0);
    bool yes = page.n > 0;
    arena_release(&a);
    return yes;
}

static void test_four_eyes_gate(void **state)
{
    (void)state;
    struct unit_store u;
    unit_store_open(&u);
    struct lia_err err;
    lia_err_clear(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_collection col;
    assert_int_equal(store_collection_add(u.s, "c", NULL, "c", STORE_TLP_AMBER, &a, &col, &err), 0);
    struct store_partner pp = {.identity_id = "identity--0f0e0d0c-0b0a-4908-8706-050403020100",
                               .identity_json = "{}",
                               .name = "P",
                               .clearance = STORE_TLP_RED};
    int64_t prid;
    assert_int_equal(store_partner_add(u.s, &pp, &prid, &err), 0);
    assert_int_equal(store_grant_set(u.s, col.rid, prid, true, false, &err), 0);
    char ta[ACCESS_TOKEN_MAX], tb[ACCESS_TOKEN_MAX], tc[ACCESS_TOKEN_MAX];
    int64_t alice = person(u.s, "alice", STORE_ROLE_RELEASER, ta);
    int64_t bob = person(u.s, "bob", STORE_ROLE_RELEASER, tb);
    int64_t carol = person(u.s, "carol", STORE_ROLE_ANALYST, tc);
    char header[160];
    snprintf(header, sizeof header, "Bearer %s", ta);
    struct access_principal who;
    assert_int_equal(access_authenticate(u.s, header, NULL, NULL, &a, &who, &err), 0);
    const char *id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    char text[1024];
    snprintf(text, sizeof text,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
             "\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2024-01-01T00:00:00Z\",\"object_marking_refs\":"
             "[\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\"]}",
             id);
    json_t *obj = json_loads(text, 0, NULL);
    struct stix_item item = {obj, text, strlen(text)};
    struct ingest_spec spec = {
        .store = u.s, .who = &who, .coll = col.rid, .col = &col, .action = "objects.add"};
    struct ingest_tally n;
    assert_int_equal(ingest_items(&spec, &item, 1, &n, &err), 0);
    assert_int_equal(n.stored, 1);
    struct store_policy partner = {.partner = prid, .clearance = STORE_TLP_RED};
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    assert_false(sees(u.s, &partner, col.rid, id));
    assert_true(sees(u.s, &admin, col.rid, id));
    struct store_release *r;
    size_t k = 0;
    assert_int_equal(store_release_list(u.s, STORE_RELEASE_PENDING, 10, &a, &r, &k, &err), 0);
    assert_int_equal(k, 1);
    assert_string_equal(r[0].author, "alice");
    int64_t key = r[0].obj;
    struct store_release out;
    struct access_decider as_alice = {alice, "alice", STORE_ROLE_RELEASER, "person:alice/t", "t"};
    struct access_decider as_carol = {carol, "carol", STORE_ROLE_ANALYST, "person:carol/t", "t"};
    struct access_decider as_bob = {bob, "bob", STORE_ROLE_RELEASER, "person:bob/t", "t"};
    struct access_decider nobody = {0, NULL, 0, "local/x", "t"};
    assert_int_equal(access_release_decide(u.s, &as_alice, key, true, NULL, &a, &out, &err),
                     LIA_EFORBIDDEN);
    assert_int_equal(access_release_decide(u.s, &as_carol, key, true, NULL, &a, &out, &err),
                     LIA_EFORBIDDEN);
    assert_int_equal(access_release_decide(u.s, &nobody, key, true, NULL, &a, &out, &err),
                     LIA_EFORBIDDEN);
    assert_false(sees(u.s, &partner, col.rid, id));
    assert_int_equal(access_release_decide(u.s, &as_bob, key, true, "ok", &a, &out, &err), 0);
    assert_true(out.obj > key); /* a new key: partners reading "added after" find it */
    assert_true(sees(u.s, &partner, col.rid, id));
    assert_int_equal(access_release_decide(u.s, &as_bob, key, true, "ok", &a, &out, &err),
                     LIA_ECONFLICT);
    json_decref(obj);
    arena_release(&a);
    unit_store_close(&u);
}

int main(void)
{
    unit_store_backend("test_person");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signin),
        cmocka_unit_test(test_totp_once),
        cmocka_unit_test(test_four_eyes_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
