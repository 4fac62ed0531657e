/*
 * The visibility predicate of a read (design.md invariant 1), compiled for the caller, and
 * the WHERE clause of every object query and delete: one for both backends.
 *
 * The query is assembled from fixed SQL fragments with every value bound as a parameter:
 * nothing a client sends is ever pasted into SQL text. The policy becomes a predicate on the
 * same rows (and on the rows used to decide which version is "last" or "first"), so that an
 * invisible version can neither be returned nor influence what is returned.
 *
 * Unmarked rows (tlp < 0) take the collection's default d; with e the effective TLP and c the
 * clearance, a row is visible when e <= c, when e < RED or the caller is a TLP:RED recipient,
 * and when it carries no REL TO or the caller is in it. Knowing c and d here, each part is
 * written as the plain comparison it amounts to (a partner's walk evaluates it on every index
 * entry it passes, visible or not; and PostgreSQL estimates plain comparisons better):
 *   e <= c:   always, when c is RED; tlp <= c, when d <= c (unmarked rows pass);
 *             tlp BETWEEN 0 AND c, when d > c (unmarked rows fail).
 *   e < RED:  implied by e <= c when c is below RED; else tlp < RED, when d < RED;
 *             tlp BETWEEN 0 AND RED - 1, when d is RED.
 * c and d are written into the text: a handful of statements per collection, each cached.
 * Whether the caller is named in a row's audience is a bit of the row's mask for partners 1
 * to 63 (in the page index: no look-up), an audience row for others.
 *
 * A row released to sharing groups (restricted & RESTRICTED_GROUP, audience rows of kind
 * AUDIENCE_GROUP naming the groups) is visible only to a caller who is, at the time of the
 * query, a member of every one of them (docs/groups.md): membership is read inside the same
 * predicate, never copied into the row, so removing a member takes effect on its next read.
 * Each condition above is an AND: TLP, clearance, REL TO, TLP:RED recipients and groups
 * intersect. An extension-definition row (restricted & RESTRICTED_DERIVED) must also be used
 * (def_use) by an object of its collection that the caller may see: a definition is shown
 * under the marking of the objects that need it (issue 27.4).
 *
 * A version held for four-eyes release (docs/people.md) is excluded here too, for every
 * partner read.
 */
#include "store/store_int.h"

#include <stdio.h>

int64_t store_audience_mask(const int64_t *partners, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (partners[i] >= 1 && partners[i] <= STORE_MASK_MAX_PARTNER)
            m |= (uint64_t)1 << (partners[i] - 1);
    return (int64_t)m;
}

static int audience_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                        const char *o, int kind)
{
    if (p->partner >= 1 && p->partner <= STORE_MASK_MAX_PARTNER) {
        int rc =
            dbuf_printf(q, "(%s.%s & ?) <> 0", o, kind == AUDIENCE_REL ? "rel_mask" : "red_mask");
        return rc ? rc : store_args_add(b, sv_int((int64_t)((uint64_t)1 << (p->partner - 1))));
    }
    int rc = dbuf_printf(q,
                         "EXISTS(SELECT 1 FROM audience a WHERE a.obj = %s.date_added"
                         " AND a.kind = %d AND a.partner = ?)",
                         o, kind);
    return rc ? rc : store_args_add(b, sv_int(p->partner));
}

static int policy_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                      int default_tlp, const char *o, bool nested);

int store_policy_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                     int default_tlp, const char *o)
{
    return policy_sql(q, b, p, default_tlp, o, false);
}

static int policy_sql(struct dbuf *q, struct store_args *b, const struct store_policy *p,
                      int default_tlp, const char *o, bool nested)
{
    if (p->all)
        return 0;
    int c = p->clearance, d = default_tlp, rc = 0;
    if (c < STORE_TLP_RED) {
        rc = dbuf_printf(q, d <= c ? " AND %s.tlp <= %d" : " AND %s.tlp BETWEEN 0 AND %d", o, c);
    } else {
        if (d < STORE_TLP_RED)
            rc = dbuf_printf(q, " AND (%s.tlp < %d OR ", o, STORE_TLP_RED);
        else
            rc = dbuf_printf(q, " AND (%s.tlp BETWEEN 0 AND %d OR ", o, STORE_TLP_RED - 1);
        rc = rc ? rc : audience_sql(q, b, p, o, AUDIENCE_RED);
        rc = rc ? rc : dbuf_puts(q, ")");
    }
    rc = rc ? rc : dbuf_printf(q, " AND ((%s.restricted & %d) = 0 OR ", o, RESTRICTED_REL);
    rc = rc ? rc : audience_sql(q, b, p, o, AUDIENCE_REL);
    rc = rc ? rc : dbuf_puts(q, ")");
    /* Released to groups: the caller is a member of every one, now (no row is kept of who
     * was a member when the object was written; group 0, unknown here, has no member). */
    rc = rc ? rc
            : dbuf_printf(q,
                          " AND ((%s.restricted & %d) = 0 OR NOT EXISTS(SELECT 1 FROM audience ga"
                          " WHERE ga.obj = %s.date_added AND ga.kind = %d AND NOT EXISTS("
                          "SELECT 1 FROM group_member gm WHERE gm.grp = ga.partner"
                          " AND gm.partner = ?)))",
                          o, RESTRICTED_GROUP, o, AUDIENCE_GROUP);
    rc = rc ? rc : store_args_add(b, sv_int(p->partner));
    /* Four-eyes release (people.c): a version waiting for (or refused) a second person's
     * approval does not exist for a partner; for a four-eyes partner, no version does until
     * approved (each has a release row once such a partner exists). */
    rc = rc ? rc
            : dbuf_printf(q,
                          " AND NOT EXISTS(SELECT 1 FROM release r WHERE r.obj = %s.date_added"
                          " AND r.state <> %d AND (r.scope = %d OR EXISTS(SELECT 1 FROM"
                          " partner_four_eyes f WHERE f.partner = ?)))",
                          o, STORE_RELEASE_APPROVED, STORE_RELEASE_ALL);
    rc = rc ? rc : store_args_add(b, sv_int(p->partner));
    if (rc || nested)
        return rc;
    /* A definition (extension-definition) goes with the objects that use it: visible where
     * one of its users in the same collection is. (Users are not definitions: one level.) */
    rc = dbuf_printf(q,
                     " AND ((%s.restricted & %d) = 0 OR EXISTS(SELECT 1 FROM def_use du JOIN"
                     " object ou ON ou.date_added = du.obj WHERE du.def = %s.id"
                     " AND ou.coll = %s.coll",
                     o, RESTRICTED_DERIVED, o, o);
    rc = rc ? rc : policy_sql(q, b, p, default_tlp, "ou", true);
    return rc ? rc : dbuf_puts(q, "))");
}

static int in_list_text(struct dbuf *q, struct store_args *b, const char *col,
                        const char *const *vals, size_t n)
{
    if (n == 0)
        return 0;
    int rc = dbuf_printf(q, " AND %s IN (", col);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = dbuf_puts(q, i ? ",?" : "?");
        rc = rc ? rc : store_args_add(b, sv_text(vals[i]));
    }
    return rc ? rc : dbuf_puts(q, ")");
}

/* The LIKE pattern that finds text anywhere, with no ESCAPE clause: %text% with each %, _ and \
 * of the text standing as _ (any one character). SQLite's trigram index serves a LIKE only
 * without ESCAPE (FTS5 is offered two-argument LIKE alone); the pattern finds a superset, and
 * search_match's second test, the text itself as a substring, keeps the match literal. */
static char *like_pattern(const char *text, struct arena *a)
{
    size_t n = strlen(text), k = 0;
    char *p = a ? arena_alloc(a, n + 3) : NULL;
    if (!p)
        return NULL;
    p[k++] = '%';
    for (size_t i = 0; i < n; i++)
        p[k++] = text[i] == '%' || text[i] == '\\' ? '_' : text[i];
    p[k++] = '%';
    p[k] = '\0';
    return p;
}

/* The desk's conditions (store.h, struct store_filter): TLP ranks, creator, a modified range
 * and a keyset cursor in the page's order. */
static int browse_sql(struct dbuf *q, struct store_args *b, struct store *s,
                      const struct store_filter *f)
{
    int rc = 0;
    if (f->n_tlps) {
        rc = dbuf_puts(q, " AND o.tlp IN (");
        for (size_t i = 0; i < f->n_tlps && rc == 0; i++) {
            rc = dbuf_puts(q, i ? ",?" : "?");
            rc = rc ? rc : store_args_add(b, sv_int(f->tlps[i]));
        }
        rc = rc ? rc : dbuf_puts(q, ")");
    }
    if (rc == 0 && f->created_by) {
        rc = dbuf_puts(q, " AND o.created_by_ref = ?");
        rc = rc ? rc : store_args_add(b, sv_text(f->created_by));
    }
    if (rc == 0 && f->modified_from) {
        rc = dbuf_puts(q, " AND o.modified >= ?");
        rc = rc ? rc : store_args_add(b, sv_int(f->modified_from));
    }
    if (rc == 0 && f->modified_to) {
        rc = dbuf_puts(q, " AND o.modified <= ?");
        rc = rc ? rc : store_args_add(b, sv_int(f->modified_to));
    }
    if (rc == 0 && f->refers_to) {
        /* The id as a JSON string value: quoted, so that no longer id or text holds it. */
        char *quoted = b->a ? arena_printf(b->a, "\"%s\"", f->refers_to) : NULL;
        rc = quoted ? dbuf_puts(q, s->be->text_contains) : LIA_ENOMEM;
        rc = rc ? rc : store_args_add(b, sv_text(quoted));
        rc = rc ? rc : dbuf_puts(q, " AND o.id <> ?"); /* its own text names it too */
        rc = rc ? rc : store_args_add(b, sv_text(f->refers_to));
    }
    if (rc == 0 && f->cursor) {
        char cmp = f->descending ? '<' : '>';
        if (f->order == STORE_ORDER_MODIFIED)
            rc = dbuf_printf(q,
                             " AND (o.modified, o.date_added) %c (SELECT k.modified, k.date_added"
                             " FROM object k WHERE k.date_added = ?)",
                             cmp);
        else
            rc = dbuf_printf(q, " AND o.date_added %c ?", cmp);
        rc = rc ? rc : store_args_add(b, sv_int(f->cursor));
    }
    return rc;
}

bool store_search_joined(const struct store *s, const struct store_filter *f)
{
    return s->be->search_from && f->text_match && !f->n_ids;
}

const char *store_from_sql(const struct store *s, const struct store_filter *f)
{
    return store_search_joined(s, f) ? s->be->search_from : " FROM object o";
}

int store_where_sql(struct dbuf *q, struct store_args *b, struct store *s,
                    const struct store_policy *p, int default_tlp, int64_t coll,
                    const struct store_filter *f, const char *id)
{
    int64_t after = f->added_after > f->after_key ? f->added_after : f->after_key;
    int rc = dbuf_puts(q, " WHERE o.coll = ? AND o.date_added > ?");
    rc = rc ? rc : store_args_add(b, sv_int(coll));
    rc = rc ? rc : store_args_add(b, sv_int(after));
    if (rc == 0 && id) {
        rc = dbuf_puts(q, " AND o.id = ?");
        rc = rc ? rc : store_args_add(b, sv_text(id));
    }
    if (rc == 0 && !id)
        rc = in_list_text(q, b, "o.id", f->ids, f->n_ids);
    if (rc == 0)
        rc = in_list_text(q, b, "o.type", f->types, f->n_types);
    if (rc == 0)
        rc = in_list_text(q, b, "o.spec_version", f->spec_versions, f->n_spec_versions);
    if (rc == 0 && f->text_match) {
        char *pattern = like_pattern(f->text_match, b->a);
        bool joined = !id && store_search_joined(s, f);
        rc = pattern ? dbuf_puts(q, joined ? s->be->search_joined : s->be->search_match)
                     : LIA_ENOMEM;
        if (rc == 0 && joined)
            rc = store_args_add(b, sv_int(after));
        rc = rc ? rc : store_args_add(b, sv_text(pattern));
        rc = rc ? rc : store_args_add(b, sv_text(f->text_match));
    }
    if (rc == 0)
        rc = browse_sql(q, b, s, f);
    if (rc == 0)
        rc = store_policy_sql(q, b, p, default_tlp, "o");

    int sel = f->version_sel ? f->version_sel : (f->n_version_at ? 0 : STORE_VER_LAST);
    if (rc || (sel & STORE_VER_ALL))
        return rc;
    rc = dbuf_puts(q, " AND (0 = 1");
    for (int k = 0; k < 2 && rc == 0; k++) {
        int bit = k == 0 ? STORE_VER_LAST : STORE_VER_FIRST;
        if (!(sel & bit))
            continue;
        /* superseded / preceded say, kept at write time, whether any later / earlier
         * version exists at all. Without one the row is the last / first for everyone; with
         * one, it still is for a caller who may see none of those versions. */
        rc = dbuf_printf(q, " OR o.%s = 0", bit == STORE_VER_LAST ? "superseded" : "preceded");
        if (rc || p->all)
            continue;
        rc = dbuf_printf(q,
                         " OR NOT EXISTS(SELECT 1 FROM object o2 WHERE o2.coll = o.coll"
                         " AND o2.id = o.id AND o2.modified %c o.modified",
                         bit == STORE_VER_LAST ? '>' : '<');
        rc = rc ? rc : store_policy_sql(q, b, p, default_tlp, "o2");
        rc = rc ? rc : dbuf_puts(q, ")");
    }
    for (size_t i = 0; i < f->n_version_at && rc == 0; i++) {
        rc = dbuf_puts(q, " OR o.modified = ?");
        rc = rc ? rc : store_args_add(b, sv_int(f->version_at[i]));
    }
    return rc ? rc : dbuf_puts(q, ")");
}
