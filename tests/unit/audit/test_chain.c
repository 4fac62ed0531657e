/*
 * Tests for src/audit/chain.c: an intact chain verifies; an edited,
 * removed, reordered or truncated entry is found and named, on SQLite and
 * (LIAISON_STORE=pg) on PostgreSQL, tampered with straight through sqlite3 or libpq.
 */
#include "../unit_common.h"

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

int main(void)
{
    unit_store_backend("unit_audit_test_chain");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_edit),
        cmocka_unit_test(test_remove_reorder_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
