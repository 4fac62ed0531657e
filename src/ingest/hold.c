/*
 * Four-eyes release on the write path (docs/people.md): which new versions wait for a second
 * person. The policy of the collection (or of every collection) says from which TLP, and for
 * which marking-definitions, a version needs approval; without a policy set, the built-in
 * one (AMBER+STRICT and above) holds what people write, and automation (the local admin
 * token, pulls and imports) is held only where a policy was set. Once a partner is flagged
 * four-eyes, every version is held for such partners. The hold itself is a store row; the
 * policy predicate of every partner read hides held versions (store/policy.c).
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

static bool carries_marking(json_t *obj, const char *marking)
{
    json_t *refs = json_object_get(obj, "object_marking_refs"), *v;
    size_t i;
    json_array_foreach(refs, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), marking))
            return true;
    }
    return false;
}

int ingest_hold_for_release(struct ingest_batch *b, json_t *obj, const struct store_object *o,
                            int64_t key, struct lia_err *err)
{
    if (!strcmp(o->type, "marking-definition")) /* definitions, not intelligence */
        return 0;
    if (!b->rules_read) {
        int rc = store_release_rules(b->t, b->spec->coll, &b->rules_a, &b->rules, err);
        if (rc)
            return rc;
        b->rules_read = true;
    }
    const struct access_principal *who = b->spec->who;
    const struct store_release_rules *r = &b->rules;
    int scope = 0;
    if (who->person || r->explicit_policy) {
        int tlp = o->tlp >= 0 ? o->tlp : r->default_tlp;
        if (tlp >= r->min_tlp)
            scope = STORE_RELEASE_ALL;
        for (size_t i = 0; i < r->n_markings && !scope; i++)
            if (carries_marking(obj, r->markings[i]))
                scope = STORE_RELEASE_ALL;
    }
    if (!scope && r->four_eyes_partner)
        scope = STORE_RELEASE_FOUR_EYES;
    if (!scope)
        return 0;
    return store_release_hold(b->t, key, b->spec->coll, scope,
                              who->person_name ? who->person_name : who->actor, who->person, err);
}

int ingest_revocation_prune(struct ingest_batch *b, const struct stix_info *info,
                            struct lia_err *err)
{
    struct store_row *gone;
    char(*digests)[65];
    size_t n = 0;
    int rc = store_prune_versions(b->t, b->spec->coll, info->id, info->modified_us, b->a, &gone,
                                  &digests, &n, err);
    if (rc || n == 0)
        return rc;
    b->pruned += n;
    json_t *removed = json_array(), *sums = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(
            removed, json_pack("[I, s]", (json_int_t)gone[i].date_added, gone[i].modified));
        json_array_append_new(sums, json_string(digests[i]));
    }
    json_t *d = json_pack("{s:s?, s:I, s:s, s:I, s:o, s:o, s:s, s:s}", "collection",
                          b->spec->col ? b->spec->col->id : NULL, "coll", (json_int_t)b->spec->coll,
                          "id", info->id, "versions", (json_int_t)n, "removed", removed, "digests",
                          sums, "revoked_by", info->modified, "why", "revoked");
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    rc = text ? audit_append(b->t, b->spec->who->actor, "object.delete", text, err)
              : lia_err_set(err, LIA_ENOMEM, "out of memory");
    free(text);
    json_decref(d);
    return rc;
}
