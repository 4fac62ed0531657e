/*
 * The visibility predicate of a read (design.md invariant 1), compiled for the caller: one
 * for both backends, which differ only in how they ask whether the caller is named in a
 * row's audience (store_audience_fn).
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
 */
#include "store/sqlite_int.h"

int store_policy_sql(struct dbuf *q, const struct store_policy *p, int default_tlp, const char *o,
                     store_audience_fn audience, void *ctx)
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
        rc = rc ? rc : audience(q, ctx, p, o, AUDIENCE_RED);
        rc = rc ? rc : dbuf_puts(q, ")");
    }
    rc = rc ? rc : dbuf_printf(q, " AND ((%s.restricted & %d) = 0 OR ", o, RESTRICTED_REL);
    rc = rc ? rc : audience(q, ctx, p, o, AUDIENCE_REL);
    return rc ? rc : dbuf_puts(q, ")");
}
