/*
 * store_check: is a store intact? (`liaison store check`, and serve before it opens a SQLite
 * store.) It never writes and never needs store_open to succeed first: a damaged store is
 * exactly the one store_open may refuse. What each backend can check is its own
 * (sqlite/sqlite.c, pg/pg.c: the `check` of its interface).
 */
#include "store/store_int.h"

#include <stdio.h>

void store_check_problem(struct store_checker *k, const char *what)
{
    if (!k->out->problems)
        snprintf(k->out->first, sizeof k->out->first, "%.*s", (int)sizeof k->out->first - 1,
                 what); /* the first problem, cut to the report's room */
    k->out->problems++;
    if (k->each)
        k->each(k->ctx, what);
}

int store_check(const char *location, bool full, void (*each)(void *ctx, const char *problem),
                void *ctx, struct store_check_report *out, struct lia_err *err)
{
    memset(out, 0, sizeof *out);
    struct store_checker k = {each, ctx, out};
    if (!store_is_pg(location))
        return store_sqlite.check(strncmp(location, "sqlite:", 7) ? location : location + 7, full,
                                  &k, err);
    return store_pg.check(location, full, &k, err);
}
