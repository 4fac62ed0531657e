/*
 * Review and retention decisions (docs/people.md): a person extends an object's review date
 * (with a reason, never past the collection's retention limit) or a releaser or admin deletes
 * it. A deletion removes every version's content, keeps on record (the "object.delete" entry,
 * in the format audit/ reads back) each version's key, version and BLAKE2b-256 digest of its
 * text, with the reason and the person; the caller then scrubs the store file (store_scrub).
 */
#include "access/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/audit.h"

int access_decider_check(const struct access_decider *who, bool releaser, const char *what,
                         struct lia_err *err)
{
    if (!who->person)
        return lia_err_set(err, LIA_EFORBIDDEN, "%s is done by a named person", what);
    if (releaser && who->role != STORE_ROLE_RELEASER && who->role != STORE_ROLE_ADMIN)
        return lia_err_set(err, LIA_EFORBIDDEN, "%s is an %s: only a releaser or an admin may %s",
                           who->name, access_role_name(who->role), what);
    return 0;
}

static int check_reason(const char *reason, struct lia_err *err)
{
    if (!reason || !*reason)
        return lia_err_set(err, LIA_EINVAL, "give a reason (it goes on record)");
    if (strlen(reason) > 1000)
        return lia_err_set(err, LIA_EINVAL, "a reason has at most 1000 bytes");
    return 0;
}

static int append_json(struct store_txn *t, const char *actor, const char *action, json_t *d,
                       struct lia_err *err)
{
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    int rc = text ? audit_append(t, actor, action, text, err)
                  : lia_err_set(err, LIA_ENOMEM, "out of memory");
    free(text);
    json_decref(d);
    return rc;
}

int access_review_extend(struct store *s, const struct access_decider *who,
                         const struct store_collection *col, const char *id, int64_t until,
                         const char *reason, struct lia_err *err)
{
    int rc = access_decider_check(who, false, "extending a review", err);
    rc = rc ? rc : check_reason(reason, err);
    if (rc == 0 && until <= lia_now_us())
        rc = lia_err_set(err, LIA_EINVAL, "the new review date must be in the future");
    struct store_txn *t = NULL;
    rc = rc ? rc : store_begin(s, &t, err);
    struct arena a;
    arena_init(&a, 0);
    struct store_review_item it;
    rc = rc ? rc : store_review_item(t, col->rid, id, &a, &it, err);
    if (rc == 0 && it.limit && until > it.limit) {
        char lim[40];
        lia_format_ts(it.limit, 0, lim);
        rc = lia_err_set(err, LIA_ECONFLICT,
                         "the collection's retention limit for this object is %s: a review "
                         "cannot be moved past it (delete the object, or change the limit)",
                         lim);
    }
    if (rc == 0)
        rc = store_review_extend(t, col->rid, id, until, who->name, reason, err);
    if (rc == 0) {
        char due[40], was[40] = "";
        lia_format_ts(until, 0, due);
        if (it.due)
            lia_format_ts(it.due, 0, was);
        rc = append_json(t, who->actor, "review.extend",
                         json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "collection", col->id,
                                   "id", id, "due", due, "was", was, "reason", reason, "person",
                                   who->name, "via", who->via),
                         err);
    }
    rc = rc ? rc : store_commit(t, err);
    if (rc && t)
        store_rollback(t);
    arena_release(&a);
    return rc;
}

int access_review_delete(struct store *s, const struct access_decider *who,
                         const struct store_collection *col, const char *id, const char *reason,
                         size_t *deleted, struct lia_err *err)
{
    *deleted = 0;
    int rc = access_decider_check(who, true, "deleting an object", err);
    rc = rc ? rc : check_reason(reason, err);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    /* Every version's text, for its digest on record (read before the write: one connection
     * may be all the store has). */
    struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
    const char *ids[1] = {id};
    struct store_filter f = {.ids = ids, .n_ids = 1, .version_sel = STORE_VER_ALL, .limit = 100000};
    struct store_page page;
    rc = store_query_objects(s, &all, col->rid, &f, true, &a, &page, err);
    if (rc == 0 && page.n == 0)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such object in this collection");
    struct store_txn *t = NULL;
    rc = rc ? rc : store_begin(s, &t, err);
    struct store_row *gone = NULL;
    struct store_filter g = {.version_sel = STORE_VER_ALL, .limit = 100000};
    rc = rc ? rc : store_delete_object(t, &all, col->rid, id, &g, &a, &gone, deleted, err);
    rc = rc ? rc : store_review_forget(t, col->rid, id, err);
    if (rc == 0) {
        json_t *removed = json_array(), *digests = json_array();
        for (size_t i = 0; i < *deleted; i++) {
            char hex[65] = "";
            for (size_t k = 0; k < page.n; k++) {
                if (page.rows[k].date_added != gone[i].date_added || !page.rows[k].json)
                    continue;
                unsigned char h[32];
                crypto_generichash(h, sizeof h, (const unsigned char *)page.rows[k].json,
                                   page.rows[k].json_len, NULL, 0);
                sodium_bin2hex(hex, sizeof hex, h, sizeof h);
            }
            json_array_append_new(
                removed, json_pack("[I, s]", (json_int_t)gone[i].date_added, gone[i].modified));
            json_array_append_new(digests, json_string(hex));
        }
        rc = append_json(t, who->actor, "object.delete",
                         json_pack("{s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:s, s:s}", "collection",
                                   col->id, "id", id, "versions", (json_int_t)*deleted, "removed",
                                   removed, "digests", digests, "reason", reason, "person",
                                   who->name, "via", who->via, "why", "review"),
                         err);
    }
    rc = rc ? rc : store_commit(t, err);
    if (rc && t)
        store_rollback(t);
    arena_release(&a);
    return rc ? rc : store_scrub(s, err);
}
