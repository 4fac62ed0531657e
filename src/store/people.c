/*
 * People, four-eyes release and the release policy: the rows (docs/people.md). What a row
 * means is decided above (access/ checks passwords and roles, ingest/ decides which versions
 * are held); the one place that hides a held version from partners is the policy predicate
 * (policy.c), so no route can forget it.
 *
 * Approving a held version gives it a new date_added (the next key, under the write lock) in
 * every table that names versions by key: a partner that read "added after" a point beyond
 * the version's first key would otherwise never be sent it. The row keeps the first key.
 */
#include "store/store_int.h"

#include <stdio.h>

#define P(m, k) FIELD(struct store_person, m, k)
static const struct store_field person_fields[] = {
    P(rid, 'i'),      P(name, 't'),         P(role, 'n'),     P(disabled, 'b'),
    P(password, 't'), P(setup, 'h'),        P(totp_key, 't'), P(totp_last, 'i'),
    P(failures, 'n'), P(locked_until, 'i'), P(created, 'i')};
STORE_ROW_FN(person_row, person_fields)
#define PERSON_SELECT                                                                              \
    "SELECT rid, name, role, disabled, password, setup, totp_key, totp_last, failures,"            \
    " locked_until, created FROM person"

int store_person_add(struct store_txn *t, const struct store_person *p, int64_t *rid,
                     struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO person(name, role, disabled, password, setup, totp_key,"
                            " totp_last, failures, locked_until, created)"
                            " VALUES(?, ?, 0, ?, ?, NULL, 0, 0, 0, ?) RETURNING rid");
    int rc = store_one(t->conn, &q,
                       SV(sv_text(p->name), sv_int(p->role), sv_text(p->password),
                          sv_blob(p->setup, sizeof p->setup), sv_int(lia_now_us())),
                       store_row_int, NULL, rid, "", "add person", err);
    if (rc == LIA_ECONFLICT)
        return lia_err_set(err, LIA_ECONFLICT, "a person named '%s' exists already", p->name);
    return rc;
}

int store_person_get(struct store *s, int64_t rid, const char *name, struct arena *a,
                     struct store_person *out, struct lia_err *err)
{
    static struct sq q =
        SQ(PERSON_SELECT " WHERE (?1 <> 0 AND rid = ?1) OR (?1 = 0 AND name = ?2)");
    memset(out, 0, sizeof *out);
    return store_get(s, &q, SV(sv_int(rid), sv_text(name)), person_row, a, out, "no such person",
                     "read person", err);
}

int store_person_list(struct store *s, struct arena *a, struct store_person **out, size_t *n,
                      struct lia_err *err)
{
    static struct sq q = SQ(PERSON_SELECT " ORDER BY name");
    void *rows = NULL;
    int rc = store_list(s, &q, SV_NONE, sizeof **out, person_row, a, &rows, n, "list people", err);
    *out = rows;
    return rc;
}

int store_person_update(struct store_txn *t, const struct store_person *p, struct lia_err *err)
{
    static struct sq q =
        SQ("UPDATE person SET role = ?, disabled = ?, password = ?, setup = ?, totp_key = ?,"
           " totp_last = ?, failures = ?, locked_until = ? WHERE rid = ?");
    int64_t changed = 0;
    int rc =
        store_do(t->conn, &q,
                 SV(sv_int(p->role), sv_int(p->disabled), sv_text(p->password),
                    sv_blob(p->setup, sizeof p->setup), sv_text(p->totp_key), sv_int(p->totp_last),
                    sv_int(p->failures), sv_int(p->locked_until), sv_int(p->rid)),
                 &changed, "update person", err);
    return rc ? rc : changed ? 0 : lia_err_set(err, LIA_ENOTFOUND, "no such person");
}

int store_person_token_put(struct store_txn *t, const struct store_token *tok, int64_t person,
                           bool session, struct lia_err *err)
{
    static struct sq put = SQ("INSERT INTO token(id, hash, partner, admin, read_only, created,"
                              " expires, revoked, label) VALUES(?, ?, 0, 0, ?, ?, ?, 0, ?)");
    static struct sq tie = SQ("INSERT INTO person_token(token, person, session) VALUES(?, ?, ?)");
    int rc =
        store_do(t->conn, &put,
                 SV(sv_text(tok->id), sv_blob(tok->hash, sizeof tok->hash), sv_int(tok->read_only),
                    sv_int(tok->created), sv_int(tok->expires), sv_text(tok->label)),
                 NULL, "store token", err);
    return rc ? rc
              : store_do(t->conn, &tie, SV(sv_text(tok->id), sv_int(person), sv_int(session)), NULL,
                         "store token", err);
}

int store_person_of_token(struct store *s, const char *token_id, int64_t *person,
                          struct lia_err *err)
{
    static struct sq q = SQ("SELECT person FROM person_token WHERE token = ?");
    *person = 0;
    return store_get(s, &q, SV(sv_text(token_id)), store_row_int, NULL, person, "no person",
                     "read token's person", err);
}

int store_person_revoke_tokens(struct store_txn *t, int64_t person, bool sessions_only,
                               struct lia_err *err)
{
    static struct sq q = SQ("UPDATE token SET revoked = 1 WHERE revoked = 0 AND id IN"
                            " (SELECT token FROM person_token WHERE person = ?1"
                            " AND (?2 = 0 OR session = 1))");
    return store_do(t->conn, &q, SV(sv_int(person), sv_int(sessions_only)), NULL, "revoke tokens",
                    err);
}

/* The release policy. */

static int rule_row(struct store_cur *cur, struct arena *a, void *dst)
{
    struct store_release_rule *r = dst;
    r->coll = store_col_int(cur, 0);
    r->what = store_col_dup(cur, 1, a);
    r->min_tlp = (int)store_col_int(cur, 2);
    return r->what ? 0 : -1;
}

int store_release_rules(struct store_txn *t, int64_t coll, struct arena *a,
                        struct store_release_rules *out, struct lia_err *err)
{
    static struct sq rules = SQ("SELECT coll, what, min_tlp FROM release_rule"
                                " WHERE coll = ?1 OR coll = 0 ORDER BY coll DESC");
    static struct sq dflt = SQ("SELECT default_tlp FROM collection WHERE rid = ?");
    static struct sq fe = SQ("SELECT count(*) FROM partner_four_eyes");
    memset(out, 0, sizeof *out);
    out->min_tlp = STORE_TLP_AMBER_STRICT;
    out->default_tlp = STORE_TLP_AMBER;
    size_t n = 0;
    int64_t v = 0;
    int rc = store_one(t->conn, &dflt, SV(sv_int(coll)), store_row_int, NULL, &v,
                       "no such collection", "read collection", err);
    out->default_tlp = (int)v;
    if (rc == 0)
        rc = store_one(t->conn, &fe, SV_NONE, store_row_int, NULL, &v, "", "read partners", err);
    out->four_eyes_partner = v > 0;
    struct store_cur cur = {0};
    if (rc == 0)
        rc = store_exec(t->conn, &rules, SV(sv_int(coll)), &cur, "read release policy", err);
    /* The collection's own rules when it has any, else those of every collection. */
    int64_t from = -1;
    const char **marks = NULL;
    while (rc == 0 && (rc = store_step(&cur, err)) == 1) {
        rc = 0;
        struct store_release_rule r;
        if (rule_row(&cur, a, &r)) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            break;
        }
        if (from >= 0 && r.coll != from)
            break;
        from = r.coll;
        out->explicit_policy = true;
        if (!strcmp(r.what, "tlp")) {
            out->min_tlp = r.min_tlp;
            continue;
        }
        const char **grown = arena_alloc(a, sizeof *grown * (n + 1));
        if (!grown) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            break;
        }
        if (n)
            memcpy(grown, marks, sizeof *grown * n);
        grown[n++] = r.what;
        marks = grown;
    }
    store_end(&cur);
    out->markings = marks;
    out->n_markings = n;
    return rc;
}

int store_release_rule_set(struct store_txn *t, int64_t coll, const char *what, int min_tlp,
                           bool remove, struct lia_err *err)
{
    static struct sq set = SQ("INSERT INTO release_rule(coll, what, min_tlp) VALUES(?, ?, ?)"
                              " ON CONFLICT(coll, what) DO UPDATE SET min_tlp = excluded.min_tlp");
    static struct sq del = SQ("DELETE FROM release_rule WHERE coll = ? AND what = ?");
    int64_t changed = 0;
    int rc = remove ? store_do(t->conn, &del, SV(sv_int(coll), sv_text(what)), &changed,
                               "release policy", err)
                    : store_do(t->conn, &set, SV(sv_int(coll), sv_text(what), sv_int(min_tlp)),
                               &changed, "release policy", err);
    return rc || changed ? rc : lia_err_set(err, LIA_ENOTFOUND, "no such rule");
}

int store_release_rule_list(struct store *s, struct arena *a, struct store_release_rule **out,
                            size_t *n, struct lia_err *err)
{
    static struct sq q = SQ("SELECT coll, what, min_tlp FROM release_rule ORDER BY coll, what");
    void *rows = NULL;
    int rc = store_list(s, &q, SV_NONE, sizeof **out, rule_row, a, &rows, n, "release policy", err);
    *out = rows;
    return rc;
}

int store_release_hold(struct store_txn *t, int64_t obj, int64_t coll, int scope,
                       const char *author, int64_t author_person, struct lia_err *err)
{
    static struct sq q = SQ("INSERT INTO release(obj, coll, scope, state, author, author_person,"
                            " first_key) VALUES(?1, ?2, ?3, 0, ?4, ?5, ?1)"
                            " ON CONFLICT(obj) DO NOTHING");
    return store_do(
        t->conn, &q,
        SV(sv_int(obj), sv_int(coll), sv_int(scope), sv_text(author), sv_int(author_person)), NULL,
        "hold for release", err);
}

#define R(m, k) FIELD(struct store_release, m, k)
static const struct store_field release_fields[] = {
    R(obj, 'i'),   R(coll, 'i'),     R(first_key, 'i'), R(author_person, 'i'), R(decided, 'i'),
    R(scope, 'n'), R(state, 'n'),    R(author, 't'),    R(decided_by, 't'),    R(reason, 't'),
    R(id, 't'),    R(modified, 't'), R(type, 't'),      R(coll_id, 't'),       R(tlp, 'n')};
STORE_ROW_FN(release_row, release_fields)
#define RELEASE_SELECT                                                                             \
    "SELECT r.obj, r.coll, r.first_key, r.author_person, coalesce(r.decided, 0), r.scope,"         \
    " r.state, r.author, r.decided_by, r.reason, o.id, o.modified_text, o.type, c.id,"             \
    " CASE WHEN o.tlp < 0 THEN c.default_tlp ELSE o.tlp END"                                       \
    " FROM release r JOIN object o ON o.date_added = r.obj JOIN collection c ON c.rid = r.coll"

int store_release_list(struct store *s, int state, size_t limit, struct arena *a,
                       struct store_release **out, size_t *n, struct lia_err *err)
{
    static struct sq q =
        SQ(RELEASE_SELECT " WHERE ?1 < 0 OR r.state = ?1 ORDER BY r.first_key LIMIT ?2");
    void *rows = NULL;
    int rc = store_list(s, &q, SV(sv_int(state), sv_int((int64_t)limit)), sizeof **out, release_row,
                        a, &rows, n, "list releases", err);
    *out = rows;
    return rc;
}

int store_release_get(struct store_txn *t, int64_t key, struct arena *a, struct store_release *out,
                      struct lia_err *err)
{
    static struct sq q =
        SQ(RELEASE_SELECT " WHERE r.obj = ?1 OR r.first_key = ?1 ORDER BY r.obj = ?1 DESC LIMIT 1");
    memset(out, 0, sizeof *out);
    return store_one(t->conn, &q, SV(sv_int(key)), release_row, a, out,
                     "no release waiting under that key (see `liaison release list`)",
                     "read release", err);
}

int store_release_decide(struct store_txn *t, int64_t obj, bool approve, const char *by,
                         const char *reason, int64_t *new_key, struct lia_err *err)
{
    static struct sq decide =
        SQ("UPDATE release SET state = ?, decided_by = ?, decided = ?, reason = ?"
           " WHERE obj = ? AND state = 0");
    /* Every table that names a version by its key. */
    static struct sq move[] = {
        SQ("UPDATE object SET date_added = ?1 WHERE date_added = ?2"),
        SQ("UPDATE audience SET obj = ?1 WHERE obj = ?2"),
        SQ("UPDATE search SET rowid = ?1 WHERE rowid = ?2"),
        SQ("UPDATE provenance SET obj = ?1 WHERE obj = ?2"),
        SQ("UPDATE watch_event SET obj_date_added = ?1 WHERE obj_date_added = ?2"),
        SQ("UPDATE release SET obj = ?1 WHERE obj = ?2"),
    };
    int64_t changed = 0;
    *new_key = obj;
    int rc = store_do(t->conn, &decide,
                      SV(sv_int(approve ? STORE_RELEASE_APPROVED : STORE_RELEASE_REJECTED),
                         sv_text(by), sv_int(lia_now_us()), sv_text(reason), sv_int(obj)),
                      &changed, "decide release", err);
    if (rc == 0 && !changed)
        return lia_err_set(err, LIA_ECONFLICT, "this release was decided already");
    if (rc || !approve)
        return rc;
    int64_t key = store_next_added(t);
    for (size_t i = 0; i < sizeof move / sizeof move[0] && rc == 0; i++)
        rc = store_do(t->conn, &move[i], SV(sv_int(key), sv_int(obj)), NULL, "release object", err);
    *new_key = key;
    return rc;
}

int store_partner_four_eyes_set(struct store_txn *t, int64_t partner, bool on, int64_t *held,
                                struct lia_err *err)
{
    static struct sq set = SQ("INSERT INTO partner_four_eyes(partner, since) VALUES(?, ?)"
                              " ON CONFLICT(partner) DO NOTHING");
    static struct sq unset = SQ("DELETE FROM partner_four_eyes WHERE partner = ?");
    static struct sq backfill =
        SQ("INSERT INTO release(obj, coll, scope, state, author, author_person, first_key)"
           " SELECT o.date_added, o.coll, 2, 0, 'before four-eyes', 0, o.date_added FROM object o"
           " WHERE o.type <> 'marking-definition'"
           " AND NOT EXISTS(SELECT 1 FROM release r WHERE r.obj = o.date_added)");
    *held = 0;
    if (!on)
        return store_do(t->conn, &unset, SV(sv_int(partner)), NULL, "four-eyes", err);
    int rc =
        store_do(t->conn, &set, SV(sv_int(partner), sv_int(lia_now_us())), NULL, "four-eyes", err);
    rc = rc ? rc : store_do(t->conn, &backfill, SV_NONE, held, "four-eyes", err);
    return rc;
}

bool store_partner_four_eyes(struct store *s, int64_t partner)
{
    static struct sq q = SQ("SELECT count(*) FROM partner_four_eyes WHERE partner = ?");
    int64_t n = 0;
    return store_get(s, &q, SV(sv_int(partner)), store_row_int, NULL, &n, "", "four-eyes", NULL) ==
               0 &&
           n > 0;
}
