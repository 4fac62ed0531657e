/*
 * Four-eyes release: who may decide (docs/people.md). A held version is approved or rejected
 * by a person with the releaser or admin role, who is not the person who wrote it; the
 * decision and its reason are on record in the transaction that makes it. Until approved the
 * version does not exist for the partners it is held from (store/policy.c).
 */
#include "access/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"

int access_release_decide(struct store *s, const struct access_decider *who, int64_t key,
                          bool approve, const char *reason, struct arena *a,
                          struct store_release *out, struct lia_err *err)
{
    if (!who->person)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "a release is decided by a named person (a releaser), not by a token "
                           "of no person");
    if (who->role != STORE_ROLE_RELEASER && who->role != STORE_ROLE_ADMIN)
        return lia_err_set(err, LIA_EFORBIDDEN, "%s is an %s: only a releaser or an admin may %s",
                           who->name, access_role_name(who->role),
                           approve ? "approve a release" : "reject a release");
    if (reason && strlen(reason) > 1000)
        return lia_err_set(err, LIA_EINVAL, "a reason has at most 1000 bytes");
    if (!approve && (!reason || !*reason))
        return lia_err_set(err, LIA_EINVAL, "a rejection needs a reason");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_release_get(t, key, a, out, err);
    if (rc == 0 && out->state != STORE_RELEASE_PENDING)
        rc = lia_err_set(err, LIA_ECONFLICT, "this release was %s already by %s",
                         out->state == STORE_RELEASE_APPROVED ? "approved" : "rejected",
                         out->decided_by ? out->decided_by : "?");
    if (rc == 0 && out->author_person && out->author_person == who->person)
        rc = lia_err_set(err, LIA_EFORBIDDEN,
                         "%s wrote this version: a second person must %s it (four eyes)", who->name,
                         approve ? "approve" : "reject");
    int64_t new_key = out->obj;
    if (rc == 0)
        rc = store_release_decide(t, out->obj, approve, who->name, reason, &new_key, err);
    if (rc == 0) {
        /* The key it leaves, as audit/ reads keys removed: disclosures made before (to
         * partners it was not held from) name it. */
        json_t *moved = json_array();
        if (new_key != out->obj)
            json_array_append_new(moved, json_pack("[I, s]", (json_int_t)out->obj,
                                                   out->modified ? out->modified : ""));
        json_t *d = json_pack("{s:I, s:I, s:s, s:s?, s:s, s:s, s:s?, s:s, s:o}", "key",
                              (json_int_t)out->obj, "new_key", (json_int_t)new_key, "id", out->id,
                              "version", out->modified, "author", out->author, "person", who->name,
                              "reason", reason, "via", who->via, "moved", moved);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        rc = text ? audit_append(t, who->actor, approve ? "release.approve" : "release.reject",
                                 text, err)
                  : lia_err_set(err, LIA_ENOMEM, "out of memory");
        free(text);
        json_decref(d);
    }
    if (rc == 0)
        rc = store_commit(t, err);
    else
        store_rollback(t);
    if (rc == 0) {
        out->obj = new_key;
        out->state = approve ? STORE_RELEASE_APPROVED : STORE_RELEASE_REJECTED;
        out->decided_by = who->name;
    }
    return rc;
}
