/*
 * Deleting an object this instance created, at review (docs/people.md): one batch of the one
 * write path that stores a revocation stub (the object's id, a new version, revoked: true,
 * its markings and creator, no content). Storing the stub removes every older version's
 * content (hold.c, on record with digests), and partners that may read the object receive
 * the stub through every route (pull served, push, export), each disclosure on record as
 * usual: their instances remove their copies in turn.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include "access/access.h"

struct revoke_ctx {
    int64_t coll;
    const char *id, *reason, *person, *via;
    struct arena *a;
};

static int revoke_finish(struct store_txn *t, const struct ingest_tally *n, void *ctx,
                         const char **detail, struct lia_err *err)
{
    struct revoke_ctx *r = ctx;
    int rc = store_review_forget(t, r->coll, r->id, err);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", r->id, "reason", r->reason, "person",
                          r->person, "via", r->via, "stored", (json_int_t)n->stored);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    *detail = text ? arena_strndup(r->a, text, strlen(text)) : NULL;
    free(text);
    json_decref(d);
    return rc ? rc : *detail ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

int ingest_revoke(struct store *s, const struct access_principal *who,
                  const struct store_collection *col, const char *id, const char *reason,
                  size_t *removed, struct lia_err *err)
{
    *removed = 0;
    struct arena a;
    arena_init(&a, 0);
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    const char *ids[1] = {id};
    struct store_filter f = {.ids = ids, .n_ids = 1, .limit = 1};
    struct store_page page;
    int rc = store_query_objects(s, &all, col->rid, &f, true, &a, &page, err);
    if (rc == 0 && page.n == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such object in this collection");
    json_t *last = rc ? NULL : json_loadb(page.rows[0].json, page.rows[0].json_len, 0, NULL);
    struct stix_info info;
    struct lia_err why;
    if (rc == 0 && (!last || stix_validate_object(last, &info, &why) || !info.versioned))
        rc =
            lia_err_set(err, LIA_EUNSUPPORTED,
                        "%s has no versions to revoke (a cyber-observable): delete it instead", id);
    const char *self = access_instance_identity(s);
    if (rc == 0 && info.created_by_ref && self && strcmp(info.created_by_ref, self) != 0)
        rc = lia_err_set(err, LIA_EUNSUPPORTED,
                         "%s was created by %s: only its creator revokes it (delete our copy)", id,
                         info.created_by_ref);
    json_t *stub = NULL;
    if (rc == 0) {
        int64_t now = lia_now_us(),
                mod = info.modified_us + 1000 > now ? info.modified_us + 1000 : now;
        char modified[32];
        lia_format_ts(mod, 3, modified);
        stub = json_pack("{s:s, s:s, s:s, s:O, s:s, s:b}", "type", info.type, "spec_version", "2.1",
                         "id", id, "created", json_object_get(last, "created"), "modified",
                         modified, "revoked", 1);
        const char *keep[] = {"created_by_ref", "object_marking_refs"};
        for (size_t i = 0; stub && i < 2; i++)
            if (json_object_get(last, keep[i]))
                json_object_set(stub, keep[i], json_object_get(last, keep[i]));
        json_t *handling =
            json_object_get(json_object_get(last, "extensions"), ACCESS_EXT_HANDLING);
        if (stub && handling) /* TLP:RED recipients: the stub goes exactly where it went */
            json_object_set_new(stub, "extensions",
                                json_pack("{s:O}", ACCESS_EXT_HANDLING, handling));
        if (!stub)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    char *text = stub ? json_dumps(stub, JSON_COMPACT) : NULL;
    if (rc == 0 && !text)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct revoke_ctx ctx = {col->rid, id, reason, who->person_name ? who->person_name : "",
                             "review", &a};
    struct ingest_spec spec = {.store = s,
                               .who = who,
                               .coll = col->rid,
                               .col = col,
                               .action = "object.revoke",
                               .finish = revoke_finish,
                               .ctx = &ctx};
    struct ingest_tally tally = {0};
    if (rc == 0) {
        struct stix_item item = {stub, text, strlen(text)};
        rc = ingest_items(&spec, &item, 1, &tally, err);
        if (rc == 0 && tally.stored != 1)
            rc = lia_err_set(err, LIA_ECONFLICT, "the revocation of %s was not stored", id);
    }
    *removed = tally.stored;
    free(text);
    json_decref(stub);
    json_decref(last);
    arena_release(&a);
    return rc;
}

int ingest_review_remove(struct store *s, const struct access_principal *as,
                         const struct access_decider *who, const struct store_collection *col,
                         const char *id, const char *reason, size_t *n, bool *revoked,
                         struct lia_err *err)
{
    *n = 0;
    *revoked = false;
    if (!reason || !*reason || strlen(reason) > 1000)
        return lia_err_set(err, LIA_EINVAL,
                           "give a reason of at most 1000 bytes (it goes on record)");
    int rc = ingest_revoke(s, as, col, id, reason, n, err);
    *revoked = rc == 0;
    if (rc == LIA_EUNSUPPORTED) {
        lia_err_clear(err);
        rc = access_review_delete(s, who, col, id, reason, n, err);
    }
    return rc;
}
