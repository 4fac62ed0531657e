/*
 * Handling of one object on write: its TLP rank, the partners a
 * releasability (REL TO) marking limits it to, and the partners named as
 * TLP:RED recipients. These become indexed columns and audience rows, so
 * that reads filter by them in SQL (design.md invariant 1).
 *
 * Several REL TO markings on one object intersect: each one limits. A marking
 * the store does not hold when the object is written is not guessed at: the
 * object is released to no partner (o->unknown_marking names it, so the
 * writer can be told). Group markings (docs/groups.md) are kept as the groups
 * they name; who is in them is read at query time. A group marking of a
 * partner's circle (no group of ours) names group 0, which has no member: the
 * object is kept and released to no one (originator control).
 */
#include "access/access.h"

#include <string.h>

#define MAX_AUDIENCE 256

static int collect_ids(json_t *list, const char **ids, size_t *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    if (!json_is_array(list))
        return list ? LIA_EINVAL : 0;
    json_array_foreach(list, i, v)
    {
        if (!json_is_string(v) || *n == MAX_AUDIENCE)
            return LIA_EINVAL;
        ids[(*n)++] = json_string_value(v);
    }
    return 0;
}

/* Keeps in set only the rids also in other (intersection in place). */
static void intersect(int64_t *set, size_t *n, const int64_t *other, size_t m)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        for (size_t j = 0; j < m; j++)
            if (set[i] == other[j]) {
                set[k++] = set[i];
                break;
            }
    *n = k;
}

/* The audience a REL TO marking-definition m (parsed) names: *found when it is one. */
static int rel_to_of(struct store_txn *t, json_t *m, const char *ref, int64_t *rids, size_t *n,
                     bool *found, struct lia_err *err)
{
    json_t *ext = json_object_get(json_object_get(m, "extensions"), ACCESS_EXT_RELEASABILITY);
    *found = ext != NULL;
    *n = 0;
    if (!ext)
        return 0;
    const char *ids[MAX_AUDIENCE];
    size_t nid;
    if (collect_ids(json_object_get(ext, "rel_to"), ids, &nid))
        return lia_err_set(err, LIA_EINVAL, "marking %s: rel_to must list at most %d identity ids",
                           ref, MAX_AUDIENCE);
    return store_partner_rids(t, ids, nid, rids, n, err);
}

/* The group a group marking-definition (id ref, parsed m) releases to: *is_group when it is
 * one; *grp 0 when this store holds no group for it. */
static int group_of(struct store_txn *t, json_t *m, const char *ref, int64_t *grp, bool *is_group,
                    struct lia_err *err)
{
    *grp = 0;
    *is_group = json_object_get(json_object_get(m, "extensions"), ACCESS_EXT_GROUP) != NULL;
    return *is_group ? store_group_of_marking(t, ref, NULL, grp, NULL, err) : 0;
}

static int releasability(struct store_txn *t, const char *ref, struct arena *a, int64_t *rids,
                         size_t *n, bool *found, int64_t *grp, bool *is_group, struct lia_err *err)
{
    const char *text;
    *is_group = false;
    int rc = store_object_text(t, ref, "marking-definition", a, &text, err);
    if (rc == LIA_ENOTFOUND) {
        /* One of this store's groups, whose definition is not (yet) in any collection. */
        lia_err_clear(err);
        if ((rc = store_group_of_marking(t, ref, NULL, grp, NULL, err)) != 0)
            return rc;
        if (*grp) {
            *is_group = true;
            *found = false;
            return 0;
        }
        /* Unknown handling: release to nobody rather than guess. */
        *found = true;
        *n = 0;
        return LIA_ENOTFOUND;
    }
    if (rc)
        return rc;
    json_t *m = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    rc = rel_to_of(t, m, ref, rids, n, found, err);
    if (rc == 0)
        rc = group_of(t, m, ref, grp, is_group, err);
    json_decref(m);
    return rc;
}

static int add_group(int64_t *groups, size_t *n, int64_t grp)
{
    for (size_t i = 0; i < *n; i++)
        if (groups[i] == grp)
            return 0;
    if (*n == MAX_AUDIENCE)
        return LIA_EINVAL;
    groups[(*n)++] = grp;
    return 0;
}

/* v[0..n) in a (one element at least, so never NULL but when out of memory). */
static const int64_t *keep(struct arena *a, const int64_t *v, size_t n)
{
    int64_t *k = arena_alloc(a, (n ? n : 1) * sizeof *k);
    if (k && n)
        memcpy(k, v, n * sizeof *k);
    return k;
}

int access_object_handling(struct store_txn *t, json_t *obj, const char *const *parties,
                           size_t n_parties, struct arena *a, struct store_object *o,
                           struct lia_err *err)
{
    o->tlp = access_object_tlp(obj);
    o->has_rel = false;
    o->unknown_marking = NULL;
    o->unknown_group = false;
    o->n_rel_to = o->n_red_to = 0;
    /* Worked out here, then kept in a at their size (most objects name no one). */
    int64_t rel[MAX_AUDIENCE], red[MAX_AUDIENCE], groups[MAX_AUDIENCE];
    size_t n_rel = 0, n_groups = 0;
    o->rel_to = o->red_to = o->groups = NULL;
    o->n_groups = 0;
    /* An extension-definition goes with the objects that use it, under their markings (issue
     * 27.4): the store shows it where one of its users in the collection is visible. */
    o->derived = !strcmp(o->type, "extension-definition");
    if (o->derived && o->tlp == STORE_TLP_NONE)
        o->tlp = STORE_TLP_CLEAR;
    /* A marking-definition that limits release is limited by what it says (issue 27.4): its
     * list, or its group, reads it; no collection default. */
    if (!strcmp(o->type, "marking-definition")) {
        const char *id = json_string_value(json_object_get(obj, "id"));
        int64_t grp = 0;
        bool is_group = false, found = false;
        int rc = id ? rel_to_of(t, obj, id, rel, &n_rel, &found, err) : 0;
        if (rc == 0 && id)
            rc = group_of(t, obj, id, &grp, &is_group, err);
        if (rc)
            return rc;
        if (id && (found || is_group) && o->tlp == STORE_TLP_NONE)
            o->tlp = STORE_TLP_CLEAR;
        o->has_rel = found;
        if (id && is_group)
            groups[n_groups++] = grp;
    }
    /* Object-level and granular marking refs alike: a REL TO marking on any part of an
     * object limits the whole object (sharing a part is sharing the object). */
    json_t *refs = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, v)
        json_array_append(refs, v);
    json_array_foreach(json_object_get(obj, "granular_markings"), i, v)
    {
        json_t *ref = json_object_get(v, "marking_ref");
        if (json_is_string(ref))
            json_array_append(refs, ref);
    }
    json_array_foreach(refs, i, v)
    {
        const char *ref = json_string_value(v);
        if (!ref || access_tlp_of_marking(ref) != STORE_TLP_NONE)
            continue;
        int64_t these[MAX_AUDIENCE], grp = 0;
        size_t n = 0;
        bool found = false, is_group = false;
        int rc = releasability(t, ref, a, these, &n, &found, &grp, &is_group, err);
        if (rc == LIA_ENOTFOUND && !o->unknown_marking) {
            o->unknown_marking = arena_strndup(a, ref, strlen(ref));
        } else if (rc && rc != LIA_ENOTFOUND) {
            json_decref(refs);
            return rc;
        }
        if (is_group && add_group(groups, &n_groups, grp)) {
            json_decref(refs);
            return lia_err_set(err, LIA_EINVAL, "an object may name at most %d groups",
                               MAX_AUDIENCE);
        }
        if (is_group && !grp && !o->unknown_marking) { /* a partner's circle: kept, to no one */
            o->unknown_marking = arena_strndup(a, ref, strlen(ref));
            o->unknown_group = true;
        }
        if (!found)
            continue; /* a statement or other marking: no audience limit */
        if (!o->has_rel) {
            memcpy(rel, these, n * sizeof *these);
            n_rel = n;
            o->has_rel = true;
        } else {
            intersect(rel, &n_rel, these, n);
        }
    }
    json_decref(refs);
    /* Requests and responses reach their two parties only, on top of their markings. */
    if (parties) {
        int64_t rids[2];
        size_t n_rids = 0;
        int prc = store_partner_rids(t, parties, n_parties < 2 ? n_parties : 2, rids, &n_rids, err);
        if (prc)
            return prc;
        if (!o->has_rel) {
            memcpy(rel, rids, n_rids * sizeof *rids);
            n_rel = n_rids;
            o->has_rel = true;
        } else {
            intersect(rel, &n_rel, rids, n_rids);
        }
    }
    o->n_rel_to = n_rel;
    o->n_groups = n_groups;

    json_t *ext = json_object_get(json_object_get(obj, "extensions"), ACCESS_EXT_HANDLING);
    if (!ext && parties && o->tlp == STORE_TLP_RED) {
        /* A RED request or response that names no RED recipients (written before issue 27)
         * goes to its two parties, not to nobody. */
        int rc =
            store_partner_rids(t, parties, n_parties < 2 ? n_parties : 2, red, &o->n_red_to, err);
        if (rc)
            return rc;
    }
    if (ext) {
        const char *ids[MAX_AUDIENCE];
        size_t nid;
        if (collect_ids(json_object_get(ext, "red_recipients"), ids, &nid))
            return lia_err_set(err, LIA_EINVAL, "red_recipients must list at most %d identity ids",
                               MAX_AUDIENCE);
        int rc = store_partner_rids(t, ids, nid, red, &o->n_red_to, err);
        if (rc)
            return rc;
    }
    o->rel_to = keep(a, rel, o->n_rel_to);
    o->red_to = keep(a, red, o->n_red_to);
    o->groups = keep(a, groups, o->n_groups);
    if (!o->rel_to || !o->red_to || !o->groups)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    return 0;
}

int access_creator_rule(struct store_txn *t, const struct access_principal *who, const char *id,
                        const char *by, const struct store_creator *held, const char *what,
                        struct lia_err *err)
{
    int64_t rid;
    size_t n = 0;
    int rc;
    if (who->via_exchange) {
        if (!by)
            return 0;
        if ((rc = store_partner_rids(t, &by, 1, &rid, &n, err)) != 0)
            return rc;
        if (n && rid != who->partner)
            return lia_err_set(err, LIA_EFORBIDDEN,
                               "created_by_ref names another partner of this instance (%s)", by);
        if (held->found && (!held->created_by_ref || strcmp(held->created_by_ref, by) != 0))
            return lia_err_set(err, LIA_EFORBIDDEN,
                               "%s was created by someone else; only its creator may %s", id, what);
        return 0;
    }
    if (!held->found || who->admin)
        return 0;
    const char *creator = held->created_by_ref;
    if (who->partner) {
        if (!creator || strcmp(creator, who->identity) != 0)
            return lia_err_set(err, LIA_EFORBIDDEN,
                               "%s was created by someone else; only its creator may %s", id, what);
        return 0;
    }
    /* A local principal may change what no partner created. */
    if (creator && (rc = store_partner_rids(t, &creator, 1, &rid, &n, err)) != 0)
        return rc;
    if (n)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "%s was created by partner %s; only it or an administrator may %s", id,
                           creator, what);
    return 0;
}

int access_check_delete(struct store_txn *t, const struct access_principal *who, int64_t coll,
                        const char *id, struct arena *a, struct lia_err *err)
{
    struct store_creator held;
    int rc = store_object_creators(t, coll, &id, 1, a, &held, err);
    return rc ? rc : access_creator_rule(t, who, id, NULL, &held, "delete it", err);
}
