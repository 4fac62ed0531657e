/*
 * Reading and writing RFI objects: every request and response is read
 * through store_query_objects with the caller's policy (the one gate) and
 * written through access_ingest_object with an audit entry in the same
 * transaction (the one write path).
 */
#include "rfi/rfi_int.h"

#include <string.h>

#include "audit/audit.h"
#include "stix/stix.h"

#define MAX_RFI_OBJECTS 20000

static int add_item(struct rfi_set *set, struct arena *a, const struct store_collection *col,
                    const struct store_row *row)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct rfi_item *bigger = arena_alloc(a, cap * sizeof *bigger);
        if (!bigger)
            return LIA_ENOMEM;
        if (set->n)
            memcpy(bigger, set->items, set->n * sizeof *bigger);
        set->items = bigger;
        set->cap = cap;
    }
    json_t *obj = json_loadb(row->json, row->json_len, 0, NULL);
    if (!obj)
        return LIA_EINTERNAL;
    struct rfi_item *it = &set->items[set->n++];
    it->obj = obj;
    it->coll = col->rid;
    it->coll_id = col->id;
    it->date_added = row->date_added;
    return 0;
}

int rfi_load(struct store *s, const struct access_principal *who, struct arena *a,
             struct rfi_set *requests, struct rfi_set *responses, struct lia_err *err)
{
    memset(requests, 0, sizeof *requests);
    memset(responses, 0, sizeof *responses);
    struct store_collection *cols;
    size_t ncols;
    int rc = store_collection_list(s, &who->policy, a, &cols, &ncols, err);
    static const char *const types[] = {ACCESS_TYPE_RFI, ACCESS_TYPE_RFI_RESPONSE};
    for (size_t i = 0; i < ncols && rc == 0; i++) {
        if (!cols[i].can_read)
            continue;
        struct store_filter f = {
            .types = types, .n_types = 2, .version_sel = STORE_VER_LAST, .limit = 500};
        for (;;) {
            struct store_page page;
            rc = store_query_objects(s, &who->policy, cols[i].rid, &f, true, a, &page, err);
            for (size_t k = 0; k < page.n && rc == 0; k++) {
                bool is_req =
                    !strncmp(page.rows[k].id, ACCESS_TYPE_RFI "--", strlen(ACCESS_TYPE_RFI) + 2);
                struct rfi_set *set = is_req ? requests : responses;
                if (requests->n + responses->n >= MAX_RFI_OBJECTS)
                    rc = lia_err_set(err, LIA_ETOOBIG, "more than %d requests and responses",
                                     MAX_RFI_OBJECTS);
                else if (add_item(set, a, &cols[i], &page.rows[k]))
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory reading requests");
            }
            if (rc || !page.more)
                break;
            f.after_key = page.rows[page.n - 1].date_added;
        }
    }
    return rc;
}

void rfi_set_release(struct rfi_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        json_decref(set->items[i].obj);
    set->n = 0;
}

int rfi_write(struct store *s, const struct access_principal *who, int64_t coll, const char *text,
              const char *action, struct arena *a, struct lia_err *err)
{
    struct stix_limits lim = {.max_depth = 32, .max_string = 1 << 20, .max_objects = 1};
    json_t *obj = NULL;
    int rc = stix_parse_json(text, strlen(text), &lim, &obj, err);
    if (rc)
        return rc;
    struct store_txn *t = NULL;
    rc = store_begin(s, &t, err);
    struct access_ingest ctx = {.store = s,
                                .who = who,
                                .coll = coll,
                                .a = a,
                                .instance_identity = access_instance_identity(s)};
    struct access_ingest_result res;
    if (rc == 0)
        rc = access_ingest_object(t, &ctx, obj, text, strlen(text), &res, err);
    if (rc == 0 && !res.stored)
        rc = lia_err_set(err, LIA_EFORBIDDEN, "%s", res.message ? res.message : "refused");
    if (rc == 0) {
        char *detail = arena_printf(a, "{\"id\":\"%s\",\"version\":\"%s\"}", res.id, res.version);
        rc = detail ? audit_append(t, who->actor, action, detail, err)
                    : lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    json_decref(obj);
    if (rc) {
        if (t)
            store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}
