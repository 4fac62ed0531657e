/*
 * Private to src/store/sqlite/: the SQLite backend's own state, shared by its two files.
 */
#ifndef LIAISON_STORE_SQLITE_H
#define LIAISON_STORE_SQLITE_H

#include <sqlite3.h>

#include "store/store_int.h"

/* PRAGMA journal_size_limit of every connection, bytes (docs/architecture.md). */
#define SQLITE_WAL_LIMIT "8388608"

struct sqlite_ckpt;
struct sqlite_store {
    bool create;
    _Atomic uint64_t *gen;              /* the commit generation, in the shared file <path>-gen */
    _Atomic(struct sqlite_ckpt *) ckpt; /* background checkpoints (checkpoint.c) */
};

/* Every connection's WAL hook (checkpoint.c; arg is the store): moves the commit generation
 * unless the commit only appended audit entries (sqlite_commit_quiet), then checkpoints, on
 * the background thread when there is one. */
int sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int frames);
bool sqlite_commit_quiet(void);
void sqlite_gen_bump(struct store *s);
int sqlite_checkpoints(struct store *s, struct lia_err *err);
void sqlite_ckpt_stop(struct store *s);
int sqlite_fail(sqlite3 *db, int rc, struct lia_err *err, const char *what);

#endif
