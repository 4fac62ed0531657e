/*
 * Helpers shared by the unit tests: a store in a fresh temporary directory, removed at the
 * end of the test.
 *
 * With LIAISON_STORE=pg (the ctest copies labelled pg) the store is a fresh PostgreSQL
 * database instead, liaison_unit_<random>, created on the cluster at LIAISON_TEST_PG (a
 * postgres:// URL; .ci/run starts one) and dropped at the end of the test. A test that runs
 * on both backends calls unit_store_backend() first in main: without LIAISON_TEST_PG it says
 * why and exits 77, which ctest reports as skipped.
 */
#ifndef LIAISON_UNIT_COMMON_H
#define LIAISON_UNIT_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define UNIT_SKIP_EXIT 77 /* ctest SKIP_RETURN_CODE */

struct unit_store {
    bool pg;
    char dir[256];     /* SQLite: the temporary directory */
    char path[1024];   /* SQLite: the file; PostgreSQL: the URL of the test's database */
    char database[64]; /* PostgreSQL: liaison_unit_<random> */
    struct store *s;
};

static inline bool unit_store_wants_pg(void)
{
    const char *v = getenv("LIAISON_STORE");
    return v && !strcmp(v, "pg");
}

/* Prints which backend the test runs on; exits 77 (skipped) when it should run on
 * PostgreSQL and LIAISON_TEST_PG is not set. */
static inline void unit_store_backend(const char *test)
{
    if (!unit_store_wants_pg()) {
        printf("%s: SQLite store\n", test);
        return;
    }
    const char *url = getenv("LIAISON_TEST_PG");
    if (!url || !*url) {
        printf("SKIPPED %s on PostgreSQL: LIAISON_TEST_PG is not set (.ci/run sets it)\n", test);
        exit(UNIT_SKIP_EXIT);
    }
    printf("%s: PostgreSQL store (a database per test on LIAISON_TEST_PG)\n", test);
}

/* LIAISON_TEST_PG with its database replaced by database (query parameters kept). */
static inline void unit_pg_url(const char *database, char *out, size_t len)
{
    const char *base = getenv("LIAISON_TEST_PG");
    assert_non_null(base);
    const char *host = strstr(base, "://");
    assert_non_null(host);
    host += 3;
    size_t host_end = strcspn(host, "/?");
    const char *query = strchr(host, '?');
    int n = snprintf(out, len, "%.*s/%s%s", (int)(host - base + (ptrdiff_t)host_end), base,
                     database, query ? query : "");
    assert_true(n > 0 && (size_t)n < len);
}

/* A connection to url; fails the test if there is none. PQfinish it. */
static inline PGconn *unit_pg_connect(const char *url)
{
    PGconn *db = PQconnectdb(url);
    if (PQstatus(db) != CONNECTION_OK)
        fail_msg("PostgreSQL: %s", PQerrorMessage(db));
    return db;
}

/* Runs sql (no result rows wanted) on url; fails the test on an error. */
static inline void unit_pg_run(const char *url, const char *sql)
{
    PGconn *db = unit_pg_connect(url);
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("PostgreSQL: %s: %s", sql, PQerrorMessage(db));
    PQclear(r);
    PQfinish(db);
}

static inline void unit_store_open(struct unit_store *u)
{
    memset(u, 0, sizeof *u);
    u->pg = unit_store_wants_pg();
    if (u->pg) {
        unsigned char rnd[6];
        assert_true(sodium_init() >= 0);
        randombytes_buf(rnd, sizeof rnd);
        char hex[2 * sizeof rnd + 1];
        sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
        snprintf(u->database, sizeof u->database, "liaison_unit_%s", hex);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", u->database);
        unit_pg_run(getenv("LIAISON_TEST_PG"), sql);
        unit_pg_url(u->database, u->path, sizeof u->path);
    } else {
        snprintf(u->dir, sizeof u->dir, "/tmp/liaison-unit-XXXXXX");
        assert_non_null(mkdtemp(u->dir));
        snprintf(u->path, sizeof u->path, "%s/liaison.db", u->dir);
    }
    struct store_options opt = {.pool_size = 4, .busy_timeout_ms = 5000, .create = true};
    struct lia_err err;
    lia_err_clear(&err);
    if (store_open(u->path, &opt, &u->s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
}

static inline void unit_store_close(struct unit_store *u)
{
    store_close(u->s);
    u->s = NULL;
    if (u->pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", u->database);
        unit_pg_run(getenv("LIAISON_TEST_PG"), sql);
        return;
    }
    static const char *const suffix[] = {"", "-wal", "-shm", "-gen"};
    char p[1100];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", u->path, suffix[i]);
        unlink(p);
    }
    rmdir(u->dir);
}

#endif
