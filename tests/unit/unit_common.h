/*
 * Helpers shared by the unit tests: a store in a fresh temporary directory, removed at the
 * end of the test.
 */
#ifndef LIAISON_UNIT_COMMON_H
#define LIAISON_UNIT_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct unit_store {
    char dir[256];
    char path[300];
    struct store *s;
};

static inline void unit_store_open(struct unit_store *u)
{
    snprintf(u->dir, sizeof u->dir, "/tmp/liaison-unit-XXXXXX");
    assert_non_null(mkdtemp(u->dir));
    snprintf(u->path, sizeof u->path, "%s/liaison.db", u->dir);
    struct store_options opt = {.pool_size = 4, .busy_timeout_ms = 5000, .create = true};
    struct lia_err err;
    lia_err_clear(&err);
    if (store_open(u->path, &opt, &u->s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
}

static inline void unit_store_close(struct unit_store *u)
{
    store_close(u->s);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[320];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", u->path, suffix[i]);
        unlink(p);
    }
    rmdir(u->dir);
}

#endif
