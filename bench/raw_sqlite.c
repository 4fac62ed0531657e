/*
 * bench_raw_sqlite: the ingest baseline. Inserts the rows of bench_gen's
 * objects (same seed, same bytes) straight into SQLite with the object table
 * and indexes of src/store/sqlite.c, the same connection pragmas (WAL,
 * synchronous=FULL, cache_size=-8000), the same INSERT statement, prepared
 * once, B rows per transaction, no parsing and no validation. Only the time
 * from BEGIN to COMMIT is counted (object generation is excluded).
 *
 *   bench_raw_sqlite -n N [-b 1000] [-s SEED] --db FILE          fresh database
 *   bench_raw_sqlite -n N [-b 1000] [-s SEED] --into FILE --alias A
 *
 * --into appends to the collection A of an existing liaison store (stopped
 * server): this is how bench/run builds a 1,000,000-object collection quickly.
 * --fast (setup only, never for the baseline) turns synchronous off and
 * enlarges the cache. --bg-checkpoint checkpoints as `liaison serve` does: automatic
 * checkpoints off, a thread on its own connection running PASSIVE checkpoints once the log
 * passes 1,000 pages, the writer itself past 4,000 (src/store/sqlite_checkpoint.c).
 * Prints "rows=N ... seconds=S rows_per_s=R commit_seconds=C cpu_seconds=U" on stdout;
 * cpu_seconds: the CPU time of the inserting thread in the same windows (user and system,
 * CLOCK_THREAD_CPUTIME_ID: what other work on the machine changes least).
 */
#include <getopt.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stixgen.h"

/* Copied from src/store/sqlite.c (schema_sql): the object table and its indexes. */
static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS object("
    "  date_added INTEGER PRIMARY KEY, coll INTEGER NOT NULL, id TEXT NOT NULL,"
    "  type TEXT NOT NULL, spec_version TEXT NOT NULL, created INTEGER NOT NULL,"
    "  modified INTEGER NOT NULL, modified_text TEXT, created_by_ref TEXT,"
    "  tlp INTEGER NOT NULL DEFAULT -1, restricted INTEGER NOT NULL DEFAULT 0,"
    "  json TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0,"
    "  preceded INTEGER NOT NULL DEFAULT 0, rel_mask INTEGER NOT NULL DEFAULT 0,"
    "  red_mask INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX IF NOT EXISTS object_version ON object(coll, id, modified);"
    "CREATE INDEX IF NOT EXISTS object_page ON object(coll, date_added, tlp, restricted,"
    "  superseded, preceded, rel_mask, red_mask, type, modified, created_by_ref);";

/* Copied from src/store/sqlite.c (conn_open). */
static const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                             "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                             "PRAGMA temp_store=MEMORY;";

/* Copied from src/store/sqlite_objects.c (store_put_object). */
static const char *insert_sql =
    "INSERT INTO object(date_added, coll, id, type, spec_version, created,"
    " modified, modified_text, created_by_ref, tlp, restricted, json,"
    " rel_mask, red_mask, superseded, preceded)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
    " EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3"
    "   AND n.modified > ?7),"
    " EXISTS(SELECT 1 FROM object n WHERE n.coll = ?2 AND n.id = ?3"
    "   AND n.modified < ?7))"
    " ON CONFLICT(coll, id, modified) DO NOTHING";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wanted, stop;
    sqlite3 *db;
} ck = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL};

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)arg;
    if (frames >= 1000) {
        pthread_mutex_lock(&ck.lock);
        ck.wanted = 1;
        pthread_cond_signal(&ck.cond);
        pthread_mutex_unlock(&ck.lock);
    }
    if (frames >= 4000)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ck.lock);
    while (!ck.stop) {
        if (!ck.wanted) {
            pthread_cond_wait(&ck.cond, &ck.lock);
            continue;
        }
        ck.wanted = 0;
        pthread_mutex_unlock(&ck.lock);
        sqlite3_wal_checkpoint_v2(ck.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&ck.lock);
    }
    pthread_mutex_unlock(&ck.lock);
    return NULL;
}

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_raw_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},      {"into", required_argument, NULL, 'i'},
        {"alias", required_argument, NULL, 'a'},   {"fast", no_argument, NULL, 'f'},
        {"bg-checkpoint", no_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    unsigned long long n = 0, per = 1000, seed = 1;
    const char *path = NULL, *alias = NULL;
    int into = 0, fast = 0, bg = 0, ch;
    while ((ch = getopt_long(argc, argv, "n:b:s:", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            n = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            per = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            path = optarg;
            into = 0;
            break;
        case 'i':
            path = optarg;
            into = 1;
            break;
        case 'a':
            alias = optarg;
            break;
        case 'f':
            fast = 1;
            break;
        case 'c':
            bg = 1;
            break;
        default:
            fprintf(stderr, "usage: bench_raw_sqlite -n N [-b B] [-s SEED] (--db FILE | --into "
                            "FILE --alias A) [--fast] [--bg-checkpoint]\n");
            return 2;
        }
    }
    if (!n || !per || !path || (into && !alias))
        return fprintf(stderr, "bench_raw_sqlite: -n and --db or --into/--alias are needed\n"), 2;

    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (into ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
        die(db, "open");
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        die(db, "pragmas");
    if (fast && sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;", NULL, NULL,
                             NULL) != SQLITE_OK)
        die(db, "pragmas");
    int64_t coll = 1;
    int64_t last = 0;
    sqlite3_stmt *st;
    if (into) {
        if (sqlite3_prepare_v2(db, "SELECT rid FROM collection WHERE alias=?", -1, &st, NULL))
            die(db, "prepare");
        sqlite3_bind_text(st, 1, alias, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            return fprintf(stderr, "bench_raw_sqlite: no collection with alias %s\n", alias), 1;
        coll = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(db, "SELECT max(date_added) FROM object", -1, &st, NULL))
            die(db, "prepare");
        if (sqlite3_step(st) == SQLITE_ROW)
            last = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    } else if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        die(db, "schema");
    }
    if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die(db, "prepare insert");
    pthread_t ckth;
    if (bg) {
        if (sqlite3_open_v2(path, &ck.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK)
            die(ck.db, "open checkpoint connection");
        /* One read first, or the connection does not know the log and checkpoints nothing
         * (as src/store/sqlite/checkpoint.c). */
        if (sqlite3_exec(ck.db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK)
            die(ck.db, "read through the checkpoint connection");
        sqlite3_wal_autocheckpoint(db, 0);
        sqlite3_wal_hook(db, wal_hook, NULL);
        if (pthread_create(&ckth, NULL, ckpt_main, NULL) != 0)
            return fprintf(stderr, "bench_raw_sqlite: cannot start the checkpoint thread\n"), 1;
    }

    struct gen_obj *batch = calloc(per, sizeof *batch);
    if (!batch)
        return 1;
    double spent = 0, in_commit = 0, cpu = 0;
    unsigned long long bytes = 0, stored = 0;
    for (unsigned long long i = 0; i < n; i += per) {
        unsigned long long m = n - i < per ? n - i : per;
        for (unsigned long long k = 0; k < m; k++) {
            gen_object(seed, i + k, &batch[k]);
            bytes += batch[k].len;
        }
        double t0 = now_s(), c0 = thread_cpu_s();
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            die(db, "begin");
        for (unsigned long long k = 0; k < m; k++) {
            const struct gen_obj *o = &batch[k];
            /* date_added as liaison assigns it: near now, strictly increasing. */
            int64_t t = now_us();
            last = t > last ? t : last + 1;
            sqlite3_bind_int64(st, 1, last);
            sqlite3_bind_int64(st, 2, coll);
            sqlite3_bind_text(st, 3, o->id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, o->type, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, "2.1", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, o->created_us);
            sqlite3_bind_int64(st, 7, o->modified_us);
            sqlite3_bind_text(st, 8, o->modified, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 9, o->created_by_ref, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 10, o->tlp);
            sqlite3_bind_int(st, 11, 0);
            sqlite3_bind_text(st, 12, o->json, (int)o->len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 13, 0); /* no audience in these rows */
            sqlite3_bind_int64(st, 14, 0);
            if (sqlite3_step(st) != SQLITE_DONE)
                die(db, "insert");
            stored += (unsigned long long)sqlite3_changes(db);
            sqlite3_reset(st);
        }
        double t1 = now_s();
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die(db, "commit");
        double t2 = now_s();
        cpu += thread_cpu_s() - c0;
        spent += t2 - t0;
        in_commit += t2 - t1;
    }
    sqlite3_finalize(st);
    if (bg) {
        pthread_mutex_lock(&ck.lock);
        ck.stop = 1;
        pthread_cond_signal(&ck.cond);
        pthread_mutex_unlock(&ck.lock);
        pthread_join(ckth, NULL);
        sqlite3_close(ck.db);
    }
    if (sqlite3_close(db) != SQLITE_OK)
        die(db, "close");
    for (unsigned long long k = 0; k < per; k++)
        free(batch[k].json);
    free(batch);
    printf("rows=%llu stored=%llu bytes=%llu seconds=%.3f rows_per_s=%.0f commit_seconds=%.3f"
           " cpu_seconds=%.3f\n",
           n, stored, bytes, spent, (double)n / spent, in_commit, cpu);
    return stored == n ? 0 : 1;
}
