/*
 * `liaison store check`: is the store intact? (store.h, store_check: SQLite's
 * PRAGMA integrity_check, or what PostgreSQL allows a client to check.) It
 * reads and never writes, so it runs beside a serving server.
 *
 * serve runs the same check (quick by default, configuration key
 * store_check) on a SQLite store before opening it, and refuses to start on
 * a damaged one, naming this command: a damaged store must not be served or
 * written into.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: liaison store check --data DIR [--store URL] [--quick]\n\n"
                 "Checks that the store is intact, without changing it (it may run while the\n"
                 "store is served). SQLite: the file is not empty, PRAGMA integrity_check finds\n"
                 "nothing, and the liaison schema is there. PostgreSQL: every table reads whole\n"
                 "(page checksums are verified when the cluster has data_checksums on) and, when\n"
                 "the amcheck extension is installed, every index passes bt_index_check.\n"
                 "Then every object version's text is checked against the digest taken when it\n"
                 "was written (--quick: the newest thousand), so that changed bytes are found.\n"
                 "Prints every problem found. Exit 0: intact; 4: damaged; 3: no store there.\n\n"
                 "  --data DIR    the store of DIR (its liaison.conf `store`, or DIR/liaison.db)\n"
                 "  --store URL   another store location (postgres://..., sqlite:PATH)\n"
                 "  --quick       SQLite: PRAGMA quick_check (no index cross-checks, faster)\n");
}

static void print_problem(void *ctx, const char *problem)
{
    size_t *n = ctx;
    if (++*n <= 100)
        printf("problem: %s\n", problem);
}

/* The store's location: location, or DIR's. */
static int resolve(const char *cmd, const char *dir, const char *location, char *path, size_t n)
{
    if (location && *location) {
        if (strlen(location) >= n)
            return cli_error(CLI_USAGE, cmd, "store location too long");
        memcpy(path, location, strlen(location) + 1);
    } else if (store_location_for_dir(dir, path, n)) {
        return cli_error(CLI_USAGE, cmd, "data directory path or its store location too long");
    }
    return CLI_OK;
}

/* Runs the check; prints the problems when print. */
static int run_check(const char *cmd, const char *path, bool full, bool print,
                     struct store_check_report *r)
{
    struct lia_err err;
    lia_err_clear(&err);
    size_t printed = 0;
    int rc = store_check(path, full, print ? print_problem : NULL, &printed, r, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    return CLI_OK;
}

int cli_store_check_before_serve(const char *dir, const char *location, bool full)
{
    char path[4096];
    int rc = resolve("serve", dir, location, path, sizeof path);
    if (rc)
        return rc;
    if (!strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13))
        return CLI_OK; /* PostgreSQL: a whole read of every table is not a start-up step */
    struct store_check_report r;
    rc = run_check("serve", path, full, false, &r);
    if (rc)
        return rc;
    if (!r.problems)
        return CLI_OK;
    return cli_error(CLI_REFUSED, "serve",
                     "refusing to serve a damaged store (%zu problem%s; %s: %s). Nothing was "
                     "changed. Run `liaison store check --data %s` for the details, and restore "
                     "the store from a backup",
                     r.problems, r.problems == 1 ? "" : "s", r.method, r.first, dir);
}

int cli_store_check(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"store", required_argument, NULL, 's'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *location = NULL;
    bool quick = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 's':
            location = optarg;
            if (cli_refuse_password("store check", location))
                return CLI_USAGE;
            break;
        case 'q':
            quick = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if ((!dir && !location) || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    char path[4096];
    int rc = resolve("store check", dir, location, path, sizeof path);
    if (rc)
        return rc;
    struct store_check_report r;
    rc = run_check("store check", path, !quick, true, &r);
    if (rc)
        return rc;
    if (r.note[0])
        printf("note: %s\n", r.note);
    if (r.problems) {
        if (r.problems > 100)
            printf("... and %zu more\n", r.problems - 100);
        printf("damaged: %zu problem%s found (%s)\n", r.problems, r.problems == 1 ? "" : "s",
               r.method);
        return CLI_REFUSED;
    }
    printf("intact (%s)\n", r.method);
    return CLI_OK;
}
