/*
 * `liaison migrate` and `liaison store copy`: the two commands that act on a
 * store as a whole (docs/scale-out.md).
 *
 * migrate applies pending schema migrations to a store, SQLite or PostgreSQL
 * (every other command, serve included, refuses a store that needs one). store copy moves an
 * instance between SQLite and PostgreSQL, either way: it refuses a target that holds anything,
 * copies every table with its keys in one transaction, then reads both stores again and compares,
 * per table, the row count and a BLAKE2b hash of every value (object texts and the audit chain
 * included), and verifies the target's audit chain. Nothing is reported as copied unless all of
 * that agrees.
 */
#include "cli/cli_int.h"
#include "audit/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static void migrate_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison migrate (--store URL | --data DIR)\n\n"
            "Applies pending schema migrations to the store, then prints its version.\n"
            "A store written by an older liaison must be migrated before a newer one\n"
            "uses it: `liaison serve` and every other command refuse it until then.\n"
            "All pending migrations run in one transaction under a lock: a failure\n"
            "changes nothing, and running it on two nodes at once is safe. Back the\n"
            "store up first (liaison backup; docs/upgrades.md).\n\n"
            "  --store URL   postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=...]\n"
            "  --data DIR    the store of DIR (its liaison.conf `store`, or DIR/liaison.db)\n");
}

int cli_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, NULL, 's'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *location = NULL, *dir = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            location = optarg;
            if (cli_refuse_password("migrate", location))
                return CLI_USAGE;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            migrate_usage(stdout);
            return CLI_OK;
        default:
            migrate_usage(stderr);
            return CLI_USAGE;
        }
    }
    if ((!location && !dir) || optind != argc) {
        migrate_usage(stderr);
        return CLI_USAGE;
    }
    char path[4096];
    if (location)
        snprintf(path, sizeof path, "%s", location);
    else if (store_location_for_dir(dir, path, sizeof path))
        return cli_error(CLI_USAGE, "migrate", "data directory path too long");
    struct store_options opt = {.pool_size = 1, .busy_timeout_ms = 60000, .migrate = true};
    struct lia_err err;
    lia_err_clear(&err);
    struct store *s = NULL;
    int rc = store_open(path, &opt, &s, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), "migrate", "%s", err.msg);
    int found = 0, now = 0;
    store_schema_version(s, &found, &now);
    char shown[4096];
    store_location_redact(path, shown, sizeof shown);
    if (found == now)
        printf("%s: schema version %d, the latest; nothing to do\n", shown, now);
    else if (found == 0)
        printf("%s: new store created at schema version %d\n", shown, now);
    else
        printf("%s: migrated from schema version %d to %d\n", shown, found, now);
    /* On record, signed with DIR's key when there is one: a store written before audit heads
     * were signed gets its first signed checkpoint here (docs/security.md, "The audit record"). */
    if (found && found != now) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"from\":%d,\"to\":%d}", found, now);
        rc = dir ? audit_signer_load(s, dir, &err) : 0;
        rc = rc ? rc : cli_audit(s, "store.migrate", detail, &err);
        if (rc) {
            store_close(s);
            return cli_error(cli_exit_for(rc), "migrate", "migrated, but not put on record: %s",
                             err.msg);
        }
    }
    store_close(s);
    return CLI_OK;
}

static void store_usage(FILE *out)
{
    fprintf(out, "usage: liaison store copy --from LOCATION --to LOCATION\n"
                 "       liaison store check --data DIR [--store URL] [--quick]\n\n"
                 "`liaison store check --help` describes the check.\n\n"
                 "Copies a whole store: every table, keys kept, in one transaction. A location\n"
                 "is postgres://... (PostgreSQL), or sqlite:PATH or a plain PATH (SQLite).\n"
                 "The target must be empty (a new SQLite file, or a PostgreSQL database with\n"
                 "no liaison data); the source should not be served while it is copied.\n"
                 "Afterwards both stores are read again: per table, row counts and a hash of\n"
                 "every value must agree, and the target's audit chain must verify.\n\n"
                 "  --from LOCATION   the store to copy\n"
                 "  --to LOCATION     the empty store to fill\n");
}

struct table_sum {
    int64_t rows;
    crypto_generichash_state h;
};

static void sum_row(struct table_sum *t, const struct store_copy_value *row, size_t n)
{
    t->rows++;
    for (size_t i = 0; i < n; i++) {
        unsigned char head[9] = {row[i].ptr ? 1 : 0};
        uint64_t len = row[i].ptr ? row[i].len : 0;
        for (int k = 0; k < 8; k++)
            head[1 + k] = (unsigned char)(len >> (56 - 8 * k));
        crypto_generichash_update(&t->h, head, sizeof head);
        if (row[i].ptr)
            crypto_generichash_update(&t->h, (const unsigned char *)row[i].ptr, row[i].len);
    }
}

struct copy_ctx {
    struct store_txn *t;
    const char *table;
    struct table_sum sum;
    struct lia_err *err;
};

static int copy_row(const struct store_copy_value *row, size_t n, void *arg)
{
    struct copy_ctx *c = arg;
    sum_row(&c->sum, row, n);
    return store_copy_write(c->t, c->table, row, n, c->err);
}

static int sum_only(const struct store_copy_value *row, size_t n, void *arg)
{
    sum_row(arg, row, n);
    return 0;
}

static int stop_at_first(const struct store_copy_value *row, size_t n, void *arg)
{
    (void)row;
    (void)n;
    *(bool *)arg = true;
    return 1;
}

static int open_at(const char *location, bool create, struct store **s, struct lia_err *err)
{
    struct store_options opt = {.pool_size = 2, .busy_timeout_ms = 60000, .create = create};
    return store_open(location, &opt, s, err);
}

static int store_copy(const char *from, const char *to)
{
    char from_shown[4096], to_shown[4096];
    store_location_redact(from, from_shown, sizeof from_shown);
    store_location_redact(to, to_shown, sizeof to_shown);
    struct lia_err err;
    lia_err_clear(&err);
    struct store *src = NULL, *dst = NULL;
    int rc = open_at(from, false, &src, &err);
    if (rc == 0)
        rc = open_at(to, true, &dst, &err);
    const char *const *tables = store_copy_tables();
    if (rc == 0 && !tables)
        rc = lia_err_set(&err, LIA_EINTERNAL, "the schema has more tables than copy can hold");
    for (size_t i = 0; tables && tables[i] && rc == 0; i++) {
        bool any = false;
        if (!strcmp(tables[i], "meta"))
            continue; /* a fresh store has settings of its own; the copy replaces them */
        rc = store_copy_read(dst, tables[i], stop_at_first, &any, &err);
        if (rc == 1)
            rc = 0;
        if (rc == 0 && any)
            rc = lia_err_set(&err, LIA_ECONFLICT,
                             "%s is not empty (table %s has rows); nothing copied", to_shown,
                             tables[i]);
    }
    size_t n_tables = 0;
    while (tables && tables[n_tables])
        n_tables++;
    struct table_sum sums[128];
    if (rc == 0 && n_tables > sizeof sums / sizeof sums[0])
        rc = lia_err_set(&err, LIA_EINTERNAL, "the schema has more tables than copy can sum");
    struct store_txn *t = NULL;
    if (rc == 0)
        rc = store_begin(dst, &t, &err);
    for (size_t i = 0; i < n_tables && rc == 0; i++) {
        struct copy_ctx c = {.t = t, .table = tables[i], .err = &err};
        crypto_generichash_init(&c.sum.h, NULL, 0, 32);
        c.sum.rows = 0;
        if (!strcmp(tables[i], "meta"))
            rc = store_copy_write(t, tables[i], NULL, 0, &err);
        if (rc == 0)
            rc = store_copy_read(src, tables[i], copy_row, &c, &err);
        sums[i] = c.sum;
    }
    if (rc == 0)
        rc = store_copy_finish(t, &err);
    if (t) {
        if (rc == 0)
            rc = store_commit(t, &err);
        else
            store_rollback(t);
    }
    /* Verify: both stores read again, table by table. */
    bool same = true;
    for (size_t i = 0; i < n_tables && rc == 0; i++) {
        struct table_sum again[2];
        unsigned char h[2][32];
        for (int k = 0; k < 2 && rc == 0; k++) {
            again[k].rows = 0;
            crypto_generichash_init(&again[k].h, NULL, 0, 32);
            rc = store_copy_read(k ? dst : src, tables[i], sum_only, &again[k], &err);
            crypto_generichash_final(&again[k].h, h[k], 32);
        }
        unsigned char first[32];
        crypto_generichash_final(&sums[i].h, first, 32);
        if (rc)
            break;
        bool ok = again[0].rows == again[1].rows && again[0].rows == sums[i].rows &&
                  !memcmp(h[0], h[1], 32) && !memcmp(h[0], first, 32);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, h[1], 32);
        printf("%-12s %10lld rows  %.16s  %s\n", tables[i], (long long)again[1].rows, hex,
               ok ? "same" : "DIFFERENT");
        same = same && ok;
    }
    struct audit_report report;
    if (rc == 0)
        rc = audit_verify(dst, &report, &err);
    if (rc == 0 && report.problem[0])
        rc = lia_err_set(&err, LIA_EIO, "the copied audit chain does not verify: %s",
                         report.problem);
    if (rc == 0 && !same)
        rc = lia_err_set(&err, LIA_EIO, "the copy differs from %s (see above)", from_shown);
    store_close(src);
    store_close(dst);
    if (rc)
        return cli_error(cli_exit_for(rc), "store copy", "%s", err.msg);
    printf("Copied %s to %s: counts and hashes agree; audit chain verified (%lld entries).\n",
           from_shown, to_shown, (long long)report.entries);
    return CLI_OK;
}

int cli_store(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        store_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "check"))
        return cli_store_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "copy") != 0) {
        store_usage(stderr);
        return CLI_USAGE;
    }
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *from = NULL, *to = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            from = optarg;
            if (cli_refuse_password("store copy", from))
                return CLI_USAGE;
            break;
        case 't':
            to = optarg;
            if (cli_refuse_password("store copy", to))
                return CLI_USAGE;
            break;
        case 'h':
            store_usage(stdout);
            return CLI_OK;
        default:
            store_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!from || !to || optind != argc - 1) {
        store_usage(stderr);
        return CLI_USAGE;
    }
    return store_copy(from, to);
}
