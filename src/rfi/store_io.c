/*
 * Reading and writing RFI objects: every request and response is read
 * through store_query_objects with the caller's policy (the one gate) and
 * written through the one write path (src/ingest/) with an audit entry in the
 * same transaction.
 */
#include "rfi/rfi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
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

struct written {
    struct arena *a;
    bool stored;
    const char *id, *version, *message;
};

static int written(const struct ingest_result *r, void *ctx)
{
    struct written *w = ctx;
    if (!r)
        return 0;
    w->stored = r->stored;
    w->id = arena_strndup(w->a, r->id, strlen(r->id));
    w->version = arena_strndup(w->a, r->version, strlen(r->version));
    w->message = r->message ? arena_strndup(w->a, r->message, strlen(r->message)) : NULL;
    return w->id && w->version ? 0 : LIA_ENOMEM;
}

/* A refused object fails the write; else the audit entry names it. */
static int finish(struct store_txn *t, const struct ingest_tally *n, void *ctx, const char **detail,
                  struct lia_err *err)
{
    (void)t, (void)n;
    struct written *w = ctx;
    if (!w->stored)
        return lia_err_set(err, LIA_EFORBIDDEN, "%s", w->message ? w->message : "refused");
    *detail = arena_printf(w->a, "{\"id\":\"%s\",\"version\":\"%s\"}", w->id, w->version);
    return *detail ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

int rfi_write(struct store *s, const struct access_principal *who, int64_t coll, const char *text,
              const char *action, struct arena *a, struct lia_err *err)
{
    struct stix_limits lim = {.max_depth = 32, .max_string = 1 << 20, .max_objects = 1};
    struct stix_item it = {.text = text, .len = strlen(text)};
    int rc = stix_parse_json(text, it.len, &lim, &it.obj, err);
    if (rc)
        return rc;
    struct written w = {.a = a};
    struct ingest_spec spec = {.store = s,
                               .who = who,
                               .coll = coll,
                               .action = action,
                               .result = written,
                               .finish = finish,
                               .ctx = &w};
    rc = ingest_items(&spec, &it, 1, NULL, err);
    json_decref(it.obj);
    return rc;
}

const char *rfi_response_type(json_t *r)
{
    json_t *v = json_object_get(r, ACCESS_RFI_RESPONSE_TYPE);
    if (!json_is_string(v))
        v = json_object_get(r, ACCESS_RFI_RESPONSE_OLD);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

#define RENAMED_SETTING "rfi_response_type_renamed"

struct renamed {
    int64_t *keys;
    char **texts;
    size_t n, cap;
};

/* The renamed text of each version of page that has "action", into r (in a). */
static int rename_page(const struct store_page *page, struct renamed *r, struct arena *a,
                       struct lia_err *err)
{
    int rc = 0;
    for (size_t k = 0; k < page->n && rc == 0; k++) {
        json_t *o = json_loadb(page->rows[k].json, page->rows[k].json_len, 0, NULL);
        json_t *old = json_object_get(o, ACCESS_RFI_RESPONSE_OLD);
        if (json_is_string(old) && !json_object_get(o, ACCESS_RFI_RESPONSE_TYPE)) {
            json_object_set(o, ACCESS_RFI_RESPONSE_TYPE, old);
            json_object_del(o, ACCESS_RFI_RESPONSE_OLD);
            char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (r->n == r->cap) {
                size_t cap = r->cap ? 2 * r->cap : 64;
                int64_t *keys = arena_alloc(a, cap * sizeof *keys);
                char **texts = arena_alloc(a, cap * sizeof *texts);
                if (keys && texts && r->n) {
                    memcpy(keys, r->keys, r->n * sizeof *keys);
                    memcpy(texts, r->texts, r->n * sizeof *texts);
                }
                r->keys = keys, r->texts = texts, r->cap = cap;
            }
            char *copy = text && r->keys && r->texts ? arena_strndup(a, text, strlen(text)) : NULL;
            free(text);
            if (!copy) {
                rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            } else {
                r->keys[r->n] = page->rows[k].date_added;
                r->texts[r->n++] = copy;
            }
        }
        json_decref(o);
    }
    return rc;
}

int rfi_upgrade_responses(struct store *s, struct lia_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    char *done = NULL;
    if (store_meta_get(s, RENAMED_SETTING, &a, &done, NULL) == 0) {
        arena_release(&a);
        return 0;
    }
    struct store_policy all = {.all = true};
    struct store_collection *cols;
    size_t ncols = 0;
    struct renamed r = {0};
    int rc = store_collection_list(s, &all, &a, &cols, &ncols, err);
    static const char *const types[] = {ACCESS_TYPE_RFI_RESPONSE};
    for (size_t i = 0; i < ncols && rc == 0; i++) { /* read first: a CLI has one connection */
        struct store_filter f = {
            .types = types, .n_types = 1, .version_sel = STORE_VER_ALL, .limit = 500};
        for (bool more = true; more && rc == 0;) {
            struct store_page page;
            rc = store_query_objects(s, &all, cols[i].rid, &f, true, &a, &page, err);
            rc = rc ? rc : rename_page(&page, &r, &a, err);
            more = rc == 0 && page.more && page.n;
            if (more)
                f.after_key = page.rows[page.n - 1].date_added;
        }
    }
    struct store_txn *t = NULL;
    rc = rc ? rc : store_begin(s, &t, err);
    for (size_t i = 0; i < r.n && rc == 0; i++)
        rc = store_object_set_json(t, r.keys[i], r.texts[i], err);
    char detail[200];
    snprintf(detail, sizeof detail,
             "{\"type\":\"" ACCESS_TYPE_RFI_RESPONSE "\",\"from\":\"" ACCESS_RFI_RESPONSE_OLD
             "\",\"to\":\"" ACCESS_RFI_RESPONSE_TYPE "\",\"versions\":%zu}",
             r.n);
    if (rc == 0 && r.n)
        rc = audit_append(t, "upgrade", "objects.rename", detail, err);
    rc = rc ? rc : store_txn_meta_set(t, RENAMED_SETTING, "1", err);
    if (t && rc)
        store_rollback(t);
    else if (t)
        rc = store_commit(t, err);
    arena_release(&a);
    return rc;
}
