/*
 * Tests for src/audit/chain.c and anchor.c: an intact chain verifies; an edited,
 * removed, reordered or truncated entry is found and named, on SQLite and
 * (LIAISON_STORE=pg) on PostgreSQL, tampered with straight through sqlite3 or libpq.
 * With the instance's key, every tampering of issue 27.2 (newest rows deleted and written
 * anew, the head rewritten, a middle entry removed and the chain computed again with or
 * without the key, everything deleted) is found against a checkpoint signed before it.
 */
#include "../unit_common.h"

#include <sodium.h>
#include <sqlite3.h>

#include "audit/audit.h"

static void append(struct store *s, int n)
{
    for (int i = 0; i < n; i++) {
        struct lia_err err;
        lia_err_clear(&err);
        struct store_txn *t;
        assert_int_equal(store_begin(s, &t, &err), 0);
        char detail[64];
        snprintf(detail, sizeof detail, "{\"n\":%d}", i);
        assert_int_equal(audit_append(t, "test", "unit.append", detail, &err), 0);
        assert_int_equal(store_commit(t, &err), 0);
    }
}

static int64_t tamper_and_verify(const char *sql)
{
    struct unit_store u;
    unit_store_open(&u);
    append(u.s, 6);
    struct audit_report r;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(audit_verify(u.s, &r, &err), 0);
    assert_int_equal(r.bad_seq, 0);
    assert_int_equal(r.entries, 6);
    assert_non_null(strstr(r.head, "6:"));
    if (sql && u.pg) {
        unit_pg_run(u.path, sql);
    } else if (sql) {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(u.path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    assert_int_equal(audit_verify(u.s, &r, &err), 0);
    unit_store_close(&u);
    return r.bad_seq;
}

static void test_intact(void **state)
{
    (void)state;
    assert_int_equal(tamper_and_verify(NULL), 0);
}

static void test_edit(void **state)
{
    (void)state;
    assert_int_equal(tamper_and_verify("UPDATE audit SET detail='{}' WHERE seq=3"), 3);
    assert_int_equal(tamper_and_verify("UPDATE audit SET actor='someone' WHERE seq=2"), 2);
}

static void test_remove_reorder_truncate(void **state)
{
    (void)state;
    assert_int_equal(tamper_and_verify("DELETE FROM audit WHERE seq=4"), 5);
    assert_int_equal(tamper_and_verify("UPDATE audit SET seq=100 WHERE seq=2;"
                                       "UPDATE audit SET seq=2 WHERE seq=3;"
                                       "UPDATE audit SET seq=3 WHERE seq=100"),
                     2);
    assert_int_equal(tamper_and_verify("DELETE FROM audit WHERE seq>=5"), 5);
}

static void raw_sql(struct unit_store *u, const char *sql)
{
    if (u->pg) {
        unit_pg_run(u->path, sql);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(u->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

struct anchored {
    struct unit_store u;
    unsigned char pk[32];
    struct audit_checkpoint cp; /* signed after the first six entries */
};

/* Six signed entries and the checkpoint of the sixth. */
static void anchored_open(struct anchored *x)
{
    unsigned char sk[64];
    crypto_sign_keypair(x->pk, sk);
    audit_signer_set(sk, "identity--00000000-0000-4000-8000-000000000001");
    unit_store_open(&x->u);
    append(x->u.s, 6);
    struct arena a;
    arena_init(&a, 0);
    char *line;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(audit_checkpoint_current(x->u.s, &a, &line, &err), 0);
    assert_int_equal(audit_checkpoint_parse(line, strlen(line), &x->cp, &err), 0);
    assert_true(audit_checkpoint_signed_by(&x->cp, x->pk));
    assert_int_equal(x->cp.seq, 6);
    arena_release(&a);
    struct audit_report r;
    assert_int_equal(audit_verify_anchored(x->u.s, x->pk, &x->cp, 1, &r, &err), 0);
    assert_int_equal(r.bad_seq, 0);
    assert_true(r.head_signed);
}

/* bad_seq of verify with the key alone, and with the checkpoint. */
static void anchored_verify(struct anchored *x, int64_t *alone, int64_t *with_cp)
{
    struct audit_report r;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(audit_verify_anchored(x->u.s, x->pk, NULL, 0, &r, &err), 0);
    *alone = r.bad_seq;
    assert_int_equal(audit_verify_anchored(x->u.s, x->pk, &x->cp, 1, &r, &err), 0);
    *with_cp = r.bad_seq;
    if (r.bad_seq)
        assert_true(r.problem[0]);
}

static void anchored_close(struct anchored *x)
{
    unit_store_close(&x->u);
    audit_signer_set(NULL, NULL);
}

static void test_checkpoint_text(void **state)
{
    (void)state;
    struct anchored x;
    anchored_open(&x);
    struct audit_checkpoint cp;
    struct lia_err err;
    lia_err_clear(&err);
    char line[AUDIT_CHECKPOINT_MAX];
    memcpy(line, x.cp.line, sizeof line);
    assert_int_equal(audit_checkpoint_parse(line, strlen(line), &cp, &err), 0);
    line[strlen(line) - 1] = line[strlen(line) - 1] == '0' ? '1' : '0'; /* the signature */
    assert_int_equal(audit_checkpoint_parse(line, strlen(line), &cp, &err), 0);
    assert_false(audit_checkpoint_signed_by(&cp, x.pk));
    memcpy(line, x.cp.line, sizeof line);
    char *seq = strstr(line, " 6 ");
    assert_non_null(seq);
    seq[1] = '7'; /* another entry number under the same signature */
    assert_int_equal(audit_checkpoint_parse(line, strlen(line), &cp, &err), 0);
    assert_false(audit_checkpoint_signed_by(&cp, x.pk));
    assert_int_equal(audit_checkpoint_parse("6:abcd", 6, &cp, &err), LIA_EINVAL);
    assert_int_equal(audit_checkpoint_parse(AUDIT_CHECKPOINT_FORMAT " a 1 2",
                                            strlen(AUDIT_CHECKPOINT_FORMAT " a 1 2"), &cp, &err),
                     LIA_EINVAL);
    anchored_close(&x);
}

/* Newest rows deleted, then the server writes on: the numbers are reused and the new head is
 * signed with the real key, so only an earlier checkpoint can tell. */
static void test_truncated_and_written_on(void **state)
{
    (void)state;
    struct anchored x;
    anchored_open(&x);
    raw_sql(&x.u, "DELETE FROM audit WHERE seq >= 5");
    int64_t alone, with_cp;
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 5); /* the head names entry 6 still */
    assert_int_equal(with_cp, 5);
    append(x.u.s, 3);
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 0);
    assert_int_equal(with_cp, 6); /* entry 6 is not the one the checkpoint signed */
    anchored_close(&x);
}

static void test_truncated_no_write(void **state)
{
    (void)state;
    struct anchored x;
    anchored_open(&x);
    /* cut, and the head put back to name the new end, unsigned: the key is not the editor's */
    raw_sql(&x.u, x.u.pg ? "DELETE FROM audit WHERE seq >= 5; UPDATE meta SET value = '4:' ||"
                           " (SELECT encode(hash, 'hex') FROM audit WHERE seq = 4)"
                           " WHERE key = 'audit_head'"
                         : "DELETE FROM audit WHERE seq >= 5; UPDATE meta SET value = '4:' ||"
                           " (SELECT lower(hex(hash)) FROM audit WHERE seq = 4)"
                           " WHERE key = 'audit_head'");
    int64_t alone, with_cp;
    anchored_verify(&x, &alone, &with_cp);
    assert_int_not_equal(alone, 0); /* not signed */
    assert_int_equal(with_cp, 5);   /* the checkpoint names entry 6, past the end */
    anchored_close(&x);
}

static void test_head_rewritten(void **state)
{
    (void)state;
    struct anchored x;
    anchored_open(&x);
    struct arena a;
    arena_init(&a, 0);
    char *line;
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(audit_checkpoint_current(x.u.s, &a, &line, &err), 0);
    /* the same entry and hash, another time: a head the key never signed */
    char forged[AUDIT_CHECKPOINT_MAX], sql[1200];
    memcpy(forged, line, strlen(line) + 1);
    char *ts = strrchr(forged, ' ') - 1;
    *ts = *ts == '1' ? '2' : '1';
    snprintf(sql, sizeof sql, "UPDATE meta SET value = '%s' WHERE key = 'audit_head'", forged);
    raw_sql(&x.u, sql);
    arena_release(&a);
    int64_t alone, with_cp;
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 7);
    assert_int_equal(with_cp, 7);
    anchored_close(&x);
}

/* Entry 3 removed and entries 3.. written again, chained and numbered as if nothing happened. */
static void recompute_without_third(struct anchored *x, bool with_key)
{
    struct lia_err err;
    lia_err_clear(&err);
    raw_sql(&x->u, "DELETE FROM audit WHERE seq >= 3");
    if (!with_key)
        audit_signer_set(NULL, NULL);
    for (int i = 3; i < 6; i++) { /* the old details 3, 4, 5 (entry n had {"n":n-1}) */
        struct store_txn *t;
        assert_int_equal(store_begin(x->u.s, &t, &err), 0);
        char detail[64];
        snprintf(detail, sizeof detail, "{\"n\":%d}", i);
        assert_int_equal(audit_append(t, "test", "unit.append", detail, &err), 0);
        assert_int_equal(store_commit(t, &err), 0);
    }
}

static void test_middle_removed_recomputed(void **state)
{
    (void)state;
    int64_t alone, with_cp;
    struct anchored x;
    anchored_open(&x);
    recompute_without_third(&x, false);
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 6); /* a whole chain, but its head is not signed */
    assert_int_not_equal(with_cp, 0);
    anchored_close(&x);
    anchored_open(&x);
    recompute_without_third(&x, true); /* even with the key: the checkpoint was signed before */
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 0);
    assert_int_equal(with_cp, 6); /* one entry short of the checkpoint's */
    append(x.u.s, 1);             /* and one more written: 6 exists, with another hash */
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 0);
    assert_int_equal(with_cp, 6);
    anchored_close(&x);
}

static void test_wiped(void **state)
{
    (void)state;
    int64_t alone, with_cp;
    struct anchored x;
    anchored_open(&x);
    raw_sql(&x.u, "DELETE FROM audit; DELETE FROM meta WHERE key = 'audit_head'");
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 1); /* empty, though the instance has a key */
    assert_int_equal(with_cp, 1);
    append(x.u.s, 2); /* wiped, then written on */
    anchored_verify(&x, &alone, &with_cp);
    assert_int_equal(alone, 0);
    assert_int_equal(with_cp, 3); /* the log ends at 2; the checkpoint names 6 */
    anchored_close(&x);
}

int main(void)
{
    unit_store_backend("unit_audit_test_chain");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_edit),
        cmocka_unit_test(test_remove_reorder_truncate),
        cmocka_unit_test(test_checkpoint_text),
        cmocka_unit_test(test_truncated_and_written_on),
        cmocka_unit_test(test_truncated_no_write),
        cmocka_unit_test(test_head_rewritten),
        cmocka_unit_test(test_middle_removed_recomputed),
        cmocka_unit_test(test_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
