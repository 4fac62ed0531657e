/*
 * Corroboration of an entity (docs/flows.md, issue 19 point 4): GET
 * /liaison/corroboration/{collection}/{id} and `liaison corroboration` answer, for a location,
 * intrusion-set, threat-actor or identity, who else reports it: the objects of the collections
 * the caller may read that carry the same id, refer to it by id (a relationship's end, a
 * report's object_refs, a flow's ends...) or name it (an object of its type whose name or an
 * alias equals its name or one of its aliases after the watch name normalisation, so that an
 * Arabic and an English report meet when one lists the other's name as an alias), grouped by
 * source (the creator, else the partner it came from, else this instance), with each report's
 * grading, our trust in the source, and how many of each source's reports another source
 * reported later.
 *
 * Every object comes from the store's one query with the caller's policy (api_read_rows):
 * the id and text conditions are the store's own filter (refers_to, text_match); names are
 * then compared exactly on the normalised text, so that "Mali" does not meet "Somalia".
 */
#include "api/api_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"
#include "watch/watch.h"

#define MAX_NAMES 64 /* names and aliases of the entity compared */
#define PAGE 500

static const char *const entity_types[] = {"location", "intrusion-set", "threat-actor", "identity",
                                           NULL};

struct names {
    const char *orig[MAX_NAMES];
    const char *norm[MAX_NAMES];
    size_t n;
};

static int add_name(struct names *nm, const char *v, size_t len, struct arena *a)
{
    if (nm->n == MAX_NAMES || len == 0 || len > WATCH_MAX_TEXT)
        return 0;
    char *n = watch_normalize_name(v, len);
    if (!n)
        return LIA_ENOMEM;
    const char *kept = *n ? arena_strndup(a, n, strlen(n)) : NULL;
    free(n);
    if (kept) {
        for (size_t i = 0; i < nm->n; i++)
            if (!strcmp(nm->norm[i], kept))
                return 0;
        nm->orig[nm->n] = arena_strndup(a, v, len);
        nm->norm[nm->n++] = kept;
    }
    return 0;
}

/* The name, then the aliases, of an object. */
static int names_of(json_t *obj, struct names *nm, struct arena *a)
{
    static const char *const lists[] = {"aliases", "x_mitre_aliases", NULL};
    nm->n = 0;
    json_t *v = json_object_get(obj, "name");
    int rc = json_is_string(v) ? add_name(nm, json_string_value(v), json_string_length(v), a) : 0;
    for (const char *const *l = lists; *l && rc == 0; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(obj, *l), i, e) if (json_is_string(e) && rc == 0) rc =
            add_name(nm, json_string_value(e), json_string_length(e), a);
    }
    return rc;
}

struct report {
    const char *id, *type, *modified, *source, *grade, *match, *matched;
    size_t coll; /* index in the collections */
    int64_t added;
    bool later;
};

struct answer {
    struct store *s;
    const struct store_policy *p;
    struct arena *a;
    struct audit_ticket *t;
    const char *id, *type;
    struct names entity;
    struct report *r;
    size_t n, cap, read, max_rows;
    const struct store_partner *partners;
    size_t n_partners;
    const char *self;
};

static const char *grade_of(json_t *obj, struct arena *a)
{
    json_t *g = json_object_get(json_object_get(obj, "extensions"), ACCESS_EXT_GRADING);
    const char *sr = json_string_value(json_object_get(g, "source_reliability"));
    const char *ic = json_string_value(json_object_get(g, "information_credibility"));
    return sr && ic ? arena_printf(a, "%s%s", sr, ic) : NULL;
}

/* The source of a version: its creator, else the partner that sent it, else this instance. */
static const char *source_of(struct answer *s, json_t *obj, int64_t added, struct lia_err *err)
{
    const char *by = json_string_value(json_object_get(obj, "created_by_ref"));
    if (by)
        return arena_strndup(s->a, by, strlen(by));
    int64_t partner = 0;
    if (store_provenance_partner(s->s, added, &partner, err))
        return NULL;
    for (size_t i = 0; partner && i < s->n_partners; i++)
        if (s->partners[i].rid == partner)
            return s->partners[i].identity_id;
    return s->self ? s->self : "";
}

static int keep(struct answer *s, size_t coll, const struct store_row *row, json_t *obj,
                const char *match, const char *matched, struct lia_err *err)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    for (size_t i = 0; i < s->n; i++) /* the same version held in two collections: once */
        if (!strcmp(s->r[i].id, row->id) &&
            !strcmp(s->r[i].modified, row->modified ? row->modified : ""))
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct report *grown = arena_alloc(s->a, cap * sizeof *grown);
        if (!grown)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        if (s->n)
            memcpy(grown, s->r, s->n * sizeof *grown);
        s->r = grown, s->cap = cap;
    }
    const char *source = source_of(s, obj, row->date_added, err);
    if (!source)
        return err->code ? err->code : lia_err_set(err, LIA_ENOMEM, "out of memory");
    s->r[s->n++] = (struct report){
        .id = row->id,
        .type = type ? arena_strndup(s->a, type, strlen(type)) : "",
        .modified = row->modified ? row->modified : "",
        .source = source,
        .grade = grade_of(obj, s->a),
        .match = match,
        .matched = matched,
        .coll = coll,
        .added = row->date_added,
    };
    return 0;
}

/* Reads every page of f in col; keeps each row whose match (NULL: compare names) holds. */
static int walk(struct answer *s, const struct store_collection *col, size_t coll,
                struct store_filter *f, const char *match, struct lia_err *err)
{
    f->limit = PAGE;
    f->version_sel = STORE_VER_LAST;
    for (bool more = true; more;) {
        struct store_page page;
        int rc = api_read_rows(s->s, s->p, col, "corroboration", f, s->a, s->t, &page, err);
        if (rc)
            return rc;
        s->read += page.n;
        if (s->read > s->max_rows)
            return lia_err_set(err, LIA_ETOOBIG,
                               "more than %zu objects to compare (flows_max_rows)", s->max_rows);
        for (size_t i = 0; i < page.n && rc == 0; i++) {
            json_t *obj = json_loadb(page.rows[i].json, page.rows[i].json_len, 0, NULL);
            if (!obj)
                return lia_err_set(err, LIA_ENOMEM, "cannot read a stored object");
            const char *kind = match, *matched = NULL;
            if (!kind && strcmp(page.rows[i].id, s->id)) {
                struct names theirs;
                rc = names_of(obj, &theirs, s->a);
                for (size_t k = 0; k < s->entity.n && !kind && rc == 0; k++)
                    for (size_t m = 0; m < theirs.n && !kind; m++)
                        if (!strcmp(s->entity.norm[k], theirs.norm[m]))
                            kind = k == 0 ? "name" : "alias", matched = s->entity.orig[k];
            }
            if (kind && rc == 0)
                rc = keep(s, coll, &page.rows[i], obj, kind, matched, err);
            json_decref(obj);
            if (rc)
                return err->code ? rc : lia_err_set(err, rc, "out of memory");
        }
        more = page.more && page.n;
        if (more)
            f->after_key = page.rows[page.n - 1].date_added;
    }
    return 0;
}

/* The longest space-separated word of a normalised name. */
static const char *longest_word(const char *norm, struct arena *a)
{
    size_t best = 0, len = 0;
    for (size_t i = 0, n; norm[i]; i += n + (norm[i + n] != 0)) {
        n = strcspn(norm + i, " ");
        if (n > len)
            best = i, len = n;
    }
    return arena_strndup(a, norm + best, len);
}

static int put_str(struct dbuf *b, const char *key, const char *v)
{
    int rc = dbuf_printf(b, ",\"%s\":", key);
    return rc ? rc : v ? dbuf_json_string(b, v, strlen(v)) : dbuf_puts(b, "null");
}

static int write_answer(struct answer *s, const struct store_collection *cols, size_t n_cols,
                        const char *coll_id, struct dbuf *out)
{
    bool names = s->p->partner == 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < s->n && !s->r[i].later; k++)
            s->r[i].later = strcmp(s->r[k].source, s->r[i].source) && s->r[k].added > s->r[i].added;
    int rc = dbuf_puts(out, "{\"entity\":{\"id\":");
    rc = rc ? rc : dbuf_json_string(out, s->id, strlen(s->id));
    rc = rc ? rc : put_str(out, "type", s->type);
    rc = rc ? rc : put_str(out, "collection", coll_id);
    rc = rc ? rc : dbuf_puts(out, ",\"names\":[");
    for (size_t i = 0; i < s->entity.n && rc == 0; i++) {
        rc = dbuf_puts(out, i ? "," : "");
        rc = rc ? rc : dbuf_json_string(out, s->entity.orig[i], strlen(s->entity.orig[i]));
    }
    rc = rc ? rc : dbuf_printf(out, "]},\"n_reports\":%zu,\"sources\":[", s->n);
    size_t n_src = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(s->r[k].source, s->r[i].source);
        if (seen)
            continue;
        size_t reports = 0, later = 0;
        for (size_t k = i; k < s->n; k++)
            if (!strcmp(s->r[k].source, s->r[i].source))
                reports++, later += s->r[k].later;
        const char *name = NULL, *trust = NULL;
        for (size_t k = 0; names && k < s->n_partners; k++)
            if (!strcmp(s->partners[k].identity_id, s->r[i].source))
                name = s->partners[k].name, trust = s->partners[k].trust;
        if (names && s->self && !strcmp(s->self, s->r[i].source))
            name = "us";
        rc = dbuf_puts(out, n_src++ ? ",{\"source\":" : "{\"source\":");
        rc = rc ? rc : dbuf_json_string(out, s->r[i].source, strlen(s->r[i].source));
        if (rc == 0 && names) {
            rc = put_str(out, "name", name);
            rc = rc ? rc : put_str(out, "trust", trust);
        }
        rc = rc ? rc
                : dbuf_printf(out, ",\"reports\":%zu,\"corroborated_later\":%zu,\"rate\":%.3f",
                              reports, later, (double)later / (double)reports);
        rc = rc ? rc : dbuf_puts(out, ",\"objects\":[");
        for (size_t k = i, w = 0; k < s->n && rc == 0; k++) {
            const struct report *r = &s->r[k];
            if (strcmp(r->source, s->r[i].source))
                continue;
            char ts[32];
            lia_format_ts(r->added, 3, ts);
            rc = dbuf_puts(out, w++ ? ",{\"id\":" : "{\"id\":");
            rc = rc ? rc : dbuf_json_string(out, r->id, strlen(r->id));
            rc = rc ? rc : put_str(out, "type", r->type);
            rc = rc ? rc : put_str(out, "version", *r->modified ? r->modified : NULL);
            rc = rc ? rc : put_str(out, "collection", cols[r->coll].id);
            rc = rc ? rc : put_str(out, "match", r->match);
            rc = rc ? rc : put_str(out, "matched", r->matched);
            rc = rc ? rc : put_str(out, "grade", r->grade);
            rc = rc ? rc : dbuf_printf(out, ",\"added\":\"%s\"", ts);
            rc = rc ? rc
                    : dbuf_printf(out, ",\"corroborated_later\":%s}", r->later ? "true" : "false");
        }
        rc = rc ? rc : dbuf_puts(out, "]}");
    }
    (void)n_cols;
    return rc ? rc : dbuf_puts(out, "]}");
}

int api_corroboration_answer(struct store *s, const struct store_policy *p, const char *collection,
                             const char *id, size_t max_rows, struct arena *a,
                             struct audit_ticket *t, struct dbuf *out, struct lia_err *err)
{
    if (!stix_is_valid_id(id, strlen(id)))
        return lia_err_set(err, LIA_EINVAL, "'%.100s' is not a STIX id", id);
    struct store_collection *cols = NULL;
    size_t n_cols = 0, at = 0;
    int rc = store_collection_list(s, p, a, &cols, &n_cols, err);
    if (rc)
        return rc;
    while (at < n_cols &&
           (!cols[at].can_read || (strcmp(collection, cols[at].id) &&
                                   (!cols[at].alias || strcmp(collection, cols[at].alias)))))
        at++;
    if (at == n_cols)
        return lia_err_set(err, LIA_ENOTFOUND, "no such collection");
    struct answer st = {.s = s, .p = p, .a = a, .t = t, .id = id, .max_rows = max_rows};
    struct store_partner *partners = NULL;
    rc = store_partner_list(s, a, &partners, &st.n_partners, err);
    st.partners = partners;
    char *self = NULL;
    struct lia_err ignored;
    lia_err_clear(&ignored);
    if (rc == 0 && store_meta_get(s, "instance_identity", a, &self, &ignored) == 0)
        st.self = self;
    /* The entity: the last version of id the caller may see in the collection. */
    const char *ids[1] = {id};
    struct store_filter f = {.ids = ids, .n_ids = 1, .limit = 1, .version_sel = STORE_VER_LAST};
    struct store_page page;
    rc = rc ? rc : api_read_rows(s, p, &cols[at], "corroboration", &f, a, t, &page, err);
    if (rc)
        return rc;
    if (page.n == 0)
        return lia_err_set(err, LIA_ENOTFOUND, "no such object");
    json_t *obj = json_loadb(page.rows[0].json, page.rows[0].json_len, 0, NULL);
    const char *type = json_string_value(json_object_get(obj, "type"));
    const char *const *et = entity_types;
    while (type && *et && strcmp(*et, type))
        et++;
    if (!type || !*et) {
        json_decref(obj);
        return lia_err_set(err, LIA_EINVAL,
                           "%.60s: corroboration is for a location, intrusion-set, threat-actor"
                           " or identity",
                           id);
    }
    st.type = *et;
    rc = names_of(obj, &st.entity, a);
    json_decref(obj);
    if (rc)
        return lia_err_set(err, rc, "out of memory");
    const char *types[1] = {st.type};
    for (size_t i = 0; i < n_cols && rc == 0; i++) {
        if (!cols[i].can_read)
            continue;
        struct store_filter same = {.ids = ids, .n_ids = 1};
        struct store_filter refs = {.refers_to = id};
        rc = walk(&st, &cols[i], i, &same, "id", err);
        rc = rc ? rc : walk(&st, &cols[i], i, &refs, "ref", err);
        /* The store's text condition (the search text, normalised the same way but keeping
         * punctuation) narrows to objects holding the name's longest word; the names are then
         * compared whole. It needs three bytes: shorter names meet by id only. */
        for (size_t k = 0; k < st.entity.n && rc == 0; k++) {
            const char *w = longest_word(st.entity.norm[k], a);
            if (!w || strlen(w) < 3)
                continue;
            struct store_filter named = {.types = types, .n_types = 1, .text_match = w};
            rc = walk(&st, &cols[i], i, &named, NULL, err);
        }
    }
    rc = rc ? rc : write_answer(&st, cols, n_cols, cols[at].id, out);
    if (rc && !err->code)
        rc = lia_err_set(err, LIA_ETOOBIG, "the answer does not fit the response limit");
    return rc;
}

void api_liaison_corroboration(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL};
    if (strcmp(c->req->method, "GET") != 0) {
        http_add_header(c->resp, "Allow", "GET");
        return (void)api_fail(c, 405, "Method not allowed", "use GET");
    }
    if (nseg != 4)
        return (void)api_fail(c, 404, "Not found",
                              "use GET /liaison/corroboration/{collection}/{id}");
    if (c->who->partner)
        return (void)api_fail(c, 403, "Forbidden",
                              "who else reports an entity is for this instance's analysts");
    if (api_check_params(c, no_params))
        return;
    struct audit_ticket *t;
    if (api_ticket(c, &t) != 0)
        return;
    struct lia_err err;
    lia_err_clear(&err);
    if (api_corroboration_answer(c->api->store, &c->who->policy, seg[2], seg[3],
                                 c->api->cfg.flows_max_rows, c->req->arena, t, &c->resp->body,
                                 &err))
        return (void)api_fail_err(c, &err);
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
