/*
 * Private to src/rfi/: the in-memory set of requests and responses a
 * principal may see, and the write helper.
 */
#ifndef LIAISON_RFI_INT_H
#define LIAISON_RFI_INT_H

#include "rfi/rfi.h"

struct rfi_item {
    json_t *obj; /* owned (json_decref in rfi_set_release) */
    int64_t coll;
    const char *coll_id;
    int64_t date_added;
};

struct rfi_set {
    struct rfi_item *items; /* arena */
    size_t n, cap;
};

/* Reads the latest version of every request and response visible to who. */
/* What response r does (acknowledge, answer, decline): its response_type, or the reserved
 * "action" of a response stored before issue 27 and not yet renamed. */
const char *rfi_response_type(json_t *r);

int rfi_load(struct store *s, const struct access_principal *who, struct arena *a,
             struct rfi_set *requests, struct rfi_set *responses, struct lia_err *err);
void rfi_set_release(struct rfi_set *set);
/* The newest version of object id that policy p may see, in any collection it may read
 * (through the one gate); *json NULL when there is none (write_rules.c). */
int rfi_find_visible(struct store *s, const struct store_policy *p, const char *id, struct arena *a,
                     const char **json, size_t *len, struct lia_err *err);
/* The same, as the version's row (row->json NULL when there is none) and its collection's id:
 * for a view that names what it shows in a disclosure record. */
int rfi_find_visible_row(struct store *s, const struct store_policy *p, const char *id,
                         struct arena *a, struct store_row *row, const char **collection,
                         struct lia_err *err);
/* Stores one object text as who in coll, with an audit entry `action`. A refusal by the rules
 * is LIA_EFORBIDDEN with the reason. */
int rfi_write(struct store *s, const struct access_principal *who, int64_t coll, const char *text,
              const char *action, struct arena *a, struct lia_err *err);

#endif
