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

/* The rule (docs/flows.md): a report on the entity is corroborated later when another source
 * has a report on the same entity stored after it. */
static void mark_later(struct answer *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < s->n && !s->r[i].later; k++)
            s->r[i].later = strcmp(s->r[k].source, s->r[i].source) && s->r[k].added > s->r[i].added;
}

static int write_answer(struct answer *s, const struct store_collection *cols, size_t n_cols,
                        const char *coll_id, struct dbuf *out)
{
    bool names = s->p->partner == 0;
    mark_later(s);
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

/* The entity of st: its type and names, from its stored version; LIA_EINVAL when it is not
 * of an entity type. */
static int entity_of(struct answer *st, const struct store_row *row, struct lia_err *err)
{
    json_t *obj = json_loadb(row->json, row->json_len, 0, NULL);
    const char *type = json_string_value(json_object_get(obj, "type"));
    const char *const *et = entity_types;
    while (type && *et && strcmp(*et, type))
        et++;
    if (!type || !*et) {
        json_decref(obj);
        return lia_err_set(err, LIA_EINVAL,
                           "%.60s: corroboration is for a location, intrusion-set, threat-actor"
                           " or identity",
                           st->id);
    }
    st->type = *et;
    int rc = names_of(obj, &st->entity, st->a);
    json_decref(obj);
    return rc ? lia_err_set(err, rc, "out of memory") : 0;
}

/* Every report on st's entity in the collections the caller may read (st->r). */
static int gather(struct answer *st, const struct store_collection *cols, size_t n_cols,
                  struct lia_err *err)
{
    const char *ids[1] = {st->id};
    const char *types[1] = {st->type};
    int rc = 0;
    for (size_t i = 0; i < n_cols && rc == 0; i++) {
        if (!cols[i].can_read)
            continue;
        struct store_filter same = {.ids = ids, .n_ids = 1};
        struct store_filter refs = {.refers_to = st->id};
        rc = walk(st, &cols[i], i, &same, "id", err);
        rc = rc ? rc : walk(st, &cols[i], i, &refs, "ref", err);
        /* The store's text condition (the search text, normalised the same way but keeping
         * punctuation) narrows to objects holding the name's longest word; the names are then
         * compared whole. It needs three bytes: shorter names meet by id only. */
        for (size_t k = 0; k < st->entity.n && rc == 0; k++) {
            const char *w = longest_word(st->entity.norm[k], st->a);
            if (!w || strlen(w) < 3)
                continue;
            struct store_filter named = {.types = types, .n_types = 1, .text_match = w};
            rc = walk(st, &cols[i], i, &named, NULL, err);
        }
    }
    return rc;
}

/* The partners (and this instance's identity) the answers name, into st. */
static int who_is_who(struct answer *st, struct lia_err *err)
{
    struct store_partner *partners = NULL;
    int rc = store_partner_list(st->s, st->a, &partners, &st->n_partners, err);
    st->partners = partners;
    char *self = NULL;
    struct lia_err ignored;
    lia_err_clear(&ignored);
    if (rc == 0 && store_meta_get(st->s, "instance_identity", st->a, &self, &ignored) == 0)
        st->self = self;
    return rc;
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
    rc = who_is_who(&st, err);
    /* The entity: the last version of id the caller may see in the collection. */
    const char *ids[1] = {id};
    struct store_filter f = {.ids = ids, .n_ids = 1, .limit = 1, .version_sel = STORE_VER_LAST};
    struct store_page page;
    rc = rc ? rc : api_read_rows(s, p, &cols[at], "corroboration", &f, a, t, &page, err);
    if (rc)
        return rc;
    if (page.n == 0)
        return lia_err_set(err, LIA_ENOTFOUND, "no such object");
    rc = entity_of(&st, &page.rows[0], err);
    rc = rc ? rc : gather(&st, cols, n_cols, err);
    rc = rc ? rc : write_answer(&st, cols, n_cols, cols[at].id, out);
    if (rc && !err->code)
        rc = lia_err_set(err, LIA_ETOOBIG, "the answer does not fit the response limit");
    return rc;
}

/* Per partner, across every entity (issue 19 point 4: "how often its reports were later
 * corroborated by others"): its objects that report on an entity (as the per-entity answer
 * finds them), and of those, the ones corroborated later on at least one of the entities they
 * report on (the per-entity rule, mark_later). An object counts once however many entities it
 * is about. */
struct tally {
    const struct store_partner *partner;
    struct lia_interner seen; /* "id version" of each object counted */
    bool *later;              /* by the number seen gives it */
    size_t cap_later;
    size_t entities; /* entities it reports on */
};

static int tally_add(struct tally *y, const struct report *r, struct arena *a)
{
    char *key = arena_printf(a, "%s %s", r->id, r->modified);
    uint32_t num;
    if (!key || !lia_intern(&y->seen, key, strlen(key), false, &num))
        return LIA_ENOMEM;
    if (num >= y->cap_later) {
        size_t cap = y->cap_later ? 2 * y->cap_later : 64;
        bool *grown = arena_alloc(a, cap * sizeof *grown); /* zeroed */
        if (!grown)
            return LIA_ENOMEM;
        if (y->cap_later)
            memcpy(grown, y->later, y->cap_later * sizeof *grown);
        y->later = grown, y->cap_later = cap;
    }
    y->later[num] = y->later[num] || r->later;
    return 0;
}

/* One entity (row of collection col) folded into the tallies: its reports gathered and
 * marked in a scratch arena, each partner's kept in a. */
static int tally_entity(struct answer *base, const struct store_row *row,
                        const struct store_collection *cols, size_t n_cols, struct tally *y,
                        size_t n_y, struct lia_err *err)
{
    struct arena scratch;
    arena_init(&scratch, 0);
    struct answer st = *base;
    st.a = &scratch;
    st.id = row->id;
    st.r = NULL, st.n = st.cap = 0;
    int rc = entity_of(&st, row, err);
    rc = rc ? rc : gather(&st, cols, n_cols, err);
    if (rc == 0)
        mark_later(&st);
    for (size_t k = 0; k < n_y && rc == 0; k++) {
        bool any = false;
        for (size_t i = 0; i < st.n && rc == 0; i++)
            if (!strcmp(st.r[i].source, y[k].partner->identity_id)) {
                any = true;
                if (tally_add(&y[k], &st.r[i], base->a))
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            }
        y[k].entities += any;
    }
    base->read = st.read;
    arena_release(&scratch);
    return rc;
}

int api_corroboration_partners(struct store *s, const struct store_policy *p, const char *partner,
                               size_t max_rows, struct arena *a, struct audit_ticket *t,
                               struct dbuf *out, struct lia_err *err)
{
    struct answer st = {.s = s, .p = p, .a = a, .t = t, .max_rows = max_rows};
    int rc = who_is_who(&st, err);
    if (rc)
        return rc;
    struct tally *y = arena_alloc(a, (st.n_partners + 1) * sizeof *y);
    size_t n_y = 0;
    for (size_t i = 0; y && i < st.n_partners; i++)
        if (!partner || !strcmp(partner, st.partners[i].name)) {
            y[n_y] = (struct tally){.partner = &st.partners[i]};
            if (lia_intern_init(&y[n_y++].seen, 64, a))
                y = NULL;
        }
    if (!y)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (partner && n_y == 0)
        return lia_err_set(err, LIA_ENOTFOUND, "no such partner '%.60s' (liaison partner list)",
                           partner);
    struct store_collection *cols = NULL;
    size_t n_cols = 0, n_entities = 0;
    rc = store_collection_list(s, p, a, &cols, &n_cols, err);
    /* Every entity once (the same id in two collections: the first), identities left out:
     * every object its creator made names an identity (created_by_ref), which would make each
     * later object of another source "corroborate" all of a partner's earlier ones. */
    static const char *const types[] = {"location", "intrusion-set", "threat-actor"};
    struct lia_interner done;
    if (rc == 0 && lia_intern_init(&done, 64, a))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t c = 0; c < n_cols && rc == 0; c++) {
        if (!cols[c].can_read)
            continue;
        struct store_filter f = {
            .types = types, .n_types = 3, .limit = PAGE, .version_sel = STORE_VER_LAST};
        for (bool more = true; more && rc == 0;) {
            struct arena pa;
            arena_init(&pa, 0);
            struct store_page page;
            rc = api_read_rows(s, p, &cols[c], "corroboration", &f, &pa, t, &page, err);
            st.read += rc ? 0 : page.n;
            if (rc == 0 && st.read > max_rows)
                rc = lia_err_set(err, LIA_ETOOBIG,
                                 "more than %zu objects to compare (flows_max_rows)", max_rows);
            for (size_t i = 0; i < page.n && rc == 0; i++) {
                size_t before = done.n;
                const char *id = page.rows[i].id;
                if (!lia_intern(&done, id, strlen(id), true, NULL))
                    rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
                else if (done.n > before) {
                    n_entities++;
                    rc = tally_entity(&st, &page.rows[i], cols, n_cols, y, n_y, err);
                }
            }
            more = rc == 0 && page.more && page.n;
            if (more)
                f.after_key = page.rows[page.n - 1].date_added;
            arena_release(&pa);
        }
    }
    rc = rc ? rc : dbuf_puts(out, "{\"partners\":[");
    for (size_t k = 0; k < n_y && rc == 0; k++) {
        size_t later = 0, reports = y[k].seen.n;
        for (size_t i = 0; i < reports; i++)
            later += y[k].later[i];
        rc = dbuf_puts(out, k ? ",{\"partner\":" : "{\"partner\":");
        rc = rc ? rc : dbuf_json_string(out, y[k].partner->name, strlen(y[k].partner->name));
        rc = rc ? rc : put_str(out, "identity", y[k].partner->identity_id);
        rc = rc ? rc : put_str(out, "trust", y[k].partner->trust);
        rc = rc ? rc
                : dbuf_printf(out, ",\"entities\":%zu,\"reports\":%zu,\"corroborated_later\":%zu",
                              y[k].entities, reports, later);
        rc = rc        ? rc
             : reports ? dbuf_printf(out, ",\"rate\":%.3f}", (double)later / (double)reports)
                       : dbuf_puts(out, ",\"rate\":null}");
    }
    rc = rc ? rc : dbuf_printf(out, "],\"n_entities\":%zu}", n_entities);
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
    static const char *const per_partner[] = {"partner", NULL};
    if (nseg != 4 && nseg != 2)
        return (void)api_fail(c, 404, "Not found",
                              "use GET /liaison/corroboration/{collection}/{id} or "
                              "GET /liaison/corroboration?partner=NAME");
    if (c->who->partner)
        return (void)api_fail(c, 403, "Forbidden",
                              "who else reports an entity is for this instance's analysts");
    if (api_check_params(c, nseg == 2 ? per_partner : no_params))
        return;
    struct audit_ticket *t;
    if (api_ticket(c, &t) != 0)
        return;
    struct lia_err err;
    lia_err_clear(&err);
    if (nseg == 2 ? api_corroboration_partners(c->api->store, &c->who->policy,
                                               api_param(c, "partner"), c->api->cfg.flows_max_rows,
                                               c->req->arena, t, &c->resp->body, &err)
                  : api_corroboration_answer(c->api->store, &c->who->policy, seg[2], seg[3],
                                             c->api->cfg.flows_max_rows, c->req->arena, t,
                                             &c->resp->body, &err))
        return (void)api_fail_err(c, &err);
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}
