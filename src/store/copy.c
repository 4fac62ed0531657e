/*
 * Whole-store copy, for `liaison store copy` (moving an instance between SQLite and
 * PostgreSQL, either way). Every table of the schema's descriptor (schema.c) is read in key
 * order and written row by row with its keys, so date_added values, row ids and the audit
 * chain arrive unchanged; the CLI then reads both stores again and compares counts and hashes
 * (cli/cmd_storecopy.c). Computed columns (the version flags and audience masks) are not
 * copied but computed again from the rows at the end.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_COLS 16

/* Room for every table of the schema descriptor; store_copy_tables answers NULL (and copy
 * refuses) if the descriptor ever outgrows it, rather than leaving tables out. */
#define COPY_MAX_TABLES 96
static struct {
    pthread_once_t once;
    bool too_many;
    struct sq insert[COPY_MAX_TABLES];
    char text[COPY_MAX_TABLES][600], select[COPY_MAX_TABLES][600],
        kinds[COPY_MAX_TABLES][MAX_COLS + 1];
    const char *names[COPY_MAX_TABLES + 1];
} copy = {.once = PTHREAD_ONCE_INIT};

static void copy_setup(void)
{
    size_t n;
    const struct store_table *t = store_tables(&n);
    copy.too_many = n > COPY_MAX_TABLES;
    for (size_t i = 0; i < n && i < COPY_MAX_TABLES; i++) {
        char cols[512];
        copy.names[i] = t[i].name;
        store_table_columns(&t[i], cols, sizeof cols, copy.kinds[i], sizeof copy.kinds[i]);
        bool meta = !strcmp(t[i].name, "meta");
        snprintf(copy.select[i], sizeof copy.select[i], "SELECT %s FROM %s%s ORDER BY %s", cols,
                 t[i].name, meta ? " WHERE key <> 'schema_version'" : "", t[i].key);
        int k = snprintf(copy.text[i], sizeof copy.text[i], "INSERT INTO %s(%s) VALUES(", t[i].name,
                         cols);
        for (size_t c = 0; copy.kinds[i][c] && k > 0 && (size_t)k < sizeof copy.text[i]; c++)
            k += snprintf(copy.text[i] + k, sizeof copy.text[i] - (size_t)k, "%s?", c ? "," : "");
        if (k > 0 && (size_t)k < sizeof copy.text[i])
            snprintf(copy.text[i] + k, sizeof copy.text[i] - (size_t)k, ")%s",
                     meta ? " ON CONFLICT(key) DO UPDATE SET value = excluded.value" : "");
        copy.insert[i].sql = copy.text[i];
    }
}

size_t store_table_count(void)
{
    size_t n = 0;
    store_tables(&n);
    return n;
}

const char *const *store_copy_tables(void)
{
    pthread_once(&copy.once, copy_setup);
    return copy.too_many ? NULL : copy.names;
}

static int find_table(const char *name, size_t *index, struct lia_err *err)
{
    if (!store_copy_tables())
        return lia_err_set(err, LIA_EINTERNAL, "copy: more tables than COPY_MAX_TABLES (copy.c)");
    for (size_t i = 0; copy.names[i]; i++)
        if (!strcmp(copy.names[i], name)) {
            *index = i;
            return 0;
        }
    return lia_err_set(err, LIA_EINTERNAL, "copy: unknown table %s", name);
}

int store_copy_read(struct store *s, const char *table,
                    int (*fn)(const struct store_copy_value *row, size_t n, void *ctx), void *ctx,
                    struct lia_err *err)
{
    size_t t = 0;
    int rc = find_table(table, &t, err);
    struct store_conn *c = NULL;
    rc = rc ? rc : store_acquire(s, &c, err);
    if (rc)
        return rc;
    const char *kinds = copy.kinds[t];
    size_t n = strlen(kinds);
    struct store_cur cur = {0};
    rc = store_exec_text(c, copy.select[t], strlen(copy.select[t]), NULL, true, &cur, "copy: read",
                         err);
    struct arena a;
    arena_init(&a, 0);
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        struct store_copy_value row[MAX_COLS];
        for (size_t i = 0; i < n; i++)
            row[i].ptr = kinds[i] == 'b' ? s->be->col_blob(&cur, (int)i, &row[i].len, &a)
                                         : s->be->col_text(&cur, (int)i, &row[i].len);
        rc = fn(row, n, ctx);
        arena_release(&a);
    }
    store_end(&cur);
    arena_release(&a);
    store_release(s, c);
    return rc;
}

int store_copy_write(struct store_txn *t, const char *table, const struct store_copy_value *row,
                     size_t n, struct lia_err *err)
{
    size_t i = 0;
    int rc = find_table(table, &i, err);
    const char *kinds = copy.kinds[i];
    if (rc || (n != strlen(kinds) && n != 0))
        return rc ? rc : lia_err_set(err, LIA_EINTERNAL, "copy: bad row for %s", table);
    if (n == 0) {
        /* Empties the table (a fresh store's own settings), schema_version excepted. */
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM %s%s", table,
                 strcmp(table, "meta") ? "" : " WHERE key <> 'schema_version'");
        struct store_cur cur;
        rc = store_exec_text(t->conn, sql, strlen(sql), NULL, false, &cur, "copy", err);
        while (rc == 0 && (rc = store_step(&cur, err)) == 1)
            rc = 0;
        store_end(&cur);
        return rc;
    }
    struct store_val v[MAX_COLS];
    for (size_t k = 0; k < n; k++) {
        if (kinds[k] == 'i')
            v[k] = row[k].ptr ? sv_int(strtoll(row[k].ptr, NULL, 10)) : sv_null_int();
        else if (kinds[k] == 'b')
            v[k] = sv_blob(row[k].ptr, row[k].len), v[k].null = !row[k].ptr;
        else
            v[k] = sv_textn(row[k].ptr, row[k].len);
    }
    return store_do(t->conn, &copy.insert[i], v, (int)n, NULL, "copy", err);
}

int store_copy_finish(struct store_txn *t, struct lia_err *err)
{
    int rc = store_do(t->conn, &store_reflag_sql, SV_NONE, NULL, "copy: version flags", err);
    rc = rc ? rc : store_do(t->conn, &store_remask_sql, SV_NONE, NULL, "copy: masks", err);
    return rc || !t->store->be->after_copy ? rc : t->store->be->after_copy(t, err);
}
