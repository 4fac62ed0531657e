/*
 * Sharing groups (docs/groups.md): the group rows, their members and their rights on
 * collections. What a group means for reads is in the policy predicate (policy.c) and in the
 * collection rights (STORE_RIGHT), both of which read the members at query time.
 */
#include "store/store_int.h"

#define GROUP_SELECT                                                                               \
    "SELECT g.rid, g.marking, g.name, g.description, g.disclose, g.definition, g.created,"         \
    " (SELECT count(*) FROM group_member m WHERE m.grp = g.rid) FROM sharing_group g"

#define G(m, k) FIELD(struct store_group, m, k)
static const struct store_field group_fields[] = {
    G(rid, 'i'),      G(marking, 't'),    G(name, 't'),    G(description, 't'),
    G(disclose, 'b'), G(definition, 't'), G(created, 'i'), G(members, 'i')};

STORE_ROW_FN(group_row, group_fields)

int store_group_add(struct store *s, const struct store_group *g, int64_t *rid, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO sharing_group(marking, name, description, disclose,"
                            " definition, created) VALUES(?, ?, ?, ?, ?, ?) RETURNING rid");
    int rc = store_get(s, &q,
                       SV(sv_text(g->marking), sv_text(g->name), sv_text(g->description),
                          sv_int(g->disclose), sv_text(g->definition), sv_int(lia_now_us())),
                       store_row_int, NULL, rid, "", "add group", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a group named '%s' exists already", g->name);
    return rc;
}

int store_group_get(struct store *s, const char *key, struct arena *a, struct store_group *out,
                    struct lia_err *err)
{
    static struct sq q = SQ(GROUP_SELECT " WHERE g.marking = ?1 OR g.name = ?1");
    return store_get(s, &q, SV(sv_text(key)), group_row, a, out, "no such group", "read group",
                     err);
}

int store_group_list(struct store *s, int64_t member, struct arena *a, struct store_group **out,
                     size_t *n, struct lia_err *err)
{
    static struct sq q = SQ(GROUP_SELECT " WHERE ?1 = 0 OR EXISTS(SELECT 1 FROM group_member m"
                                         " WHERE m.grp = g.rid AND m.partner = ?1) ORDER BY g.rid");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(member)), sizeof **out, group_row, a, &rows, n,
                        "list groups", err);
    *out = rows;
    return rc;
}

int store_group_members(struct store *s, int64_t grp, struct arena *a, int64_t **out, size_t *n,
                        struct lia_err *err)
{
    static struct sq q =
        SQ("SELECT partner FROM group_member WHERE grp = ? ORDER BY added, partner");
    void *rows;
    int rc = store_list(s, &q, SV(sv_int(grp)), sizeof **out, store_row_int, a, &rows, n,
                        "list group members", err);
    *out = rows;
    return rc;
}

int store_group_member_set(struct store *s, int64_t grp, int64_t partner, bool add,
                           struct lia_err *err)
{
    static struct sq ins = SQ("INSERT INTO group_member(grp, partner, added) VALUES(?, ?, ?)"
                              " ON CONFLICT(grp, partner) DO NOTHING");
    static struct sq del = SQ("DELETE FROM group_member WHERE grp = ? AND partner = ?");
    int64_t changed = 0;
    int rc = add ? store_run(s, &ins, SV(sv_int(grp), sv_int(partner), sv_int(lia_now_us())),
                             &changed, "add group member", err)
                 : store_run(s, &del, SV(sv_int(grp), sv_int(partner)), &changed,
                             "remove group member", err);
    if (rc == 0 && !changed)
        return add ? lia_err_set(err, LIA_ECONFLICT, "the partner is a member of the group already")
                   : lia_err_set(err, LIA_ENOTFOUND, "the partner is not a member of the group");
    return rc;
}

int store_group_uses(struct store *s, int64_t grp, int64_t *n, struct lia_err *err)
{
    static struct sq q =
        SQ("SELECT count(*) FROM audience a JOIN object o ON o.date_added = a.obj"
           " WHERE a.kind = 3 AND a.partner = ? AND o.type <> 'marking-definition'");
    _Static_assert(AUDIENCE_GROUP == 3, "the statement names the kind");
    return store_get(s, &q, SV(sv_int(grp)), store_row_int, NULL, n, "", "count group uses", err);
}

int store_group_foreign(struct store *s, int64_t coll, int64_t *n, struct lia_err *err)
{
    static struct sq q = SQ("SELECT count(*) FROM object o WHERE o.coll = ? AND (o.restricted & 2)"
                            " <> 0 AND o.type <> 'marking-definition' AND EXISTS(SELECT 1 FROM"
                            " audience a WHERE a.obj = o.date_added AND a.kind = 3"
                            " AND a.partner = 0)");
    _Static_assert(RESTRICTED_GROUP == 2 && AUDIENCE_GROUP == 3, "the statement names them");
    return store_get(s, &q, SV(sv_int(coll)), store_row_int, NULL, n, "", "count withheld", err);
}

int store_group_foreign_list(struct store *s, const char *ext, struct arena *a, char ***texts,
                             size_t *n, struct lia_err *err)
{
    /* The newest text of each group marking-definition held that is no group of ours. */
    static struct sq q = SQ("SELECT o.json FROM object o WHERE o.type = 'marking-definition'"
                            " AND o.json LIKE ? AND NOT EXISTS(SELECT 1 FROM sharing_group g"
                            " WHERE g.marking = o.id) AND NOT EXISTS(SELECT 1 FROM object o2"
                            " WHERE o2.id = o.id AND o2.type = o.type AND (o2.modified > o.modified"
                            " OR (o2.modified = o.modified AND o2.date_added < o.date_added)))"
                            " ORDER BY o.date_added");
    void *rows;
    char *like = arena_printf(a, "%%%s%%", ext); /* an extension id holds no % or _ */
    if (!like)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    int rc = store_list(s, &q, SV(sv_text(like)), sizeof **texts, store_row_str, a, &rows, n,
                        "list incoming group markings", err);
    *texts = rows;
    return rc;
}

int store_group_remove(struct store *s, int64_t grp, struct lia_err *err)
{
    static struct sq del[] = {SQ("DELETE FROM group_grant WHERE grp = ?"),
                              SQ("DELETE FROM group_member WHERE grp = ?"),
                              SQ("DELETE FROM sharing_group WHERE rid = ?")};
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc)
        return rc;
    int64_t changed = 0;
    for (size_t i = 0; i < 3 && rc == 0; i++)
        rc = store_do(t->conn, &del[i], SV(sv_int(grp)), &changed, "remove group", err);
    if (rc == 0 && !changed)
        rc = lia_err_set(err, LIA_ENOTFOUND, "no such group");
    if (rc) {
        store_rollback(t);
        return rc;
    }
    return store_commit(t, err);
}

int store_group_grant_set(struct store *s, int64_t coll, int64_t grp, bool read, bool write,
                          struct lia_err *err)
{
    static struct sq set = SQ("INSERT INTO group_grant(coll, grp, can_read, can_write)"
                              " VALUES(?, ?, ?, ?) ON CONFLICT(coll, grp) DO UPDATE SET"
                              " can_read = excluded.can_read, can_write = excluded.can_write");
    static struct sq drop = SQ("DELETE FROM group_grant WHERE coll = ? AND grp = ?");
    return read || write
               ? store_run(s, &set, SV(sv_int(coll), sv_int(grp), sv_int(read), sv_int(write)),
                           NULL, "set group grant", err)
               : store_run(s, &drop, SV(sv_int(coll), sv_int(grp)), NULL, "set group grant", err);
}

struct group_ref {
    int64_t rid;
    const char *definition;
};

static int group_ref_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct group_ref *r = dst;
    r->rid = store_col_int(cur, 0);
    r->definition = a ? store_col_dup(cur, 1, a) : NULL;
    return a && !r->definition ? LIA_ENOMEM : 0;
}

int store_group_of_marking(struct store_txn *t, const char *marking, struct arena *a, int64_t *rid,
                           const char **definition, struct lia_err *err)
{
    static struct sq q = SQ("SELECT rid, definition FROM sharing_group WHERE marking = ?");
    struct group_ref r = {0, NULL};
    int rc = store_one(t->conn, &q, SV(sv_text(marking)), group_ref_row, definition ? a : NULL, &r,
                       "", "read group", err);
    if (rc == LIA_ENOTFOUND) {
        lia_err_clear(err);
        rc = 0;
    }
    *rid = r.rid;
    if (definition)
        *definition = r.definition;
    return rc;
}
