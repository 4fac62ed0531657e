/*
 * Publishing a reviewed intake draft: the bundle's objects go into a
 * collection through the one write path (src/ingest/), in one transaction
 * with an audit entry. Entities and relationships have stable
 * ids (one per gazetteer entry), so an object already in the collection is
 * reused, not versioned again: intake of many articles links them instead of
 * multiplying entities. Each new object gets the chosen TLP marking (unless
 * it carries markings already) and the publisher as created_by_ref (in place
 * of the "liaison intake" system identity the draft names, except on the
 * mentions extension-definition, which that system defines).
 */
#include "intake/intake.h"

#include "access/access.h"

#include <string.h>

#include "ingest/ingest.h"
#include "stix/stix.h"

static bool reusable_type(const char *type)
{
    static const char *const types[] = {
        "location", "identity", "threat-actor", "relationship", "extension-definition", NULL};
    for (const char *const *t = types; *t; t++)
        if (!strcmp(*t, type))
            return true;
    return false;
}

static int record(struct dbuf *b, bool first, const char *id, const char *what, const char *why)
{
    int rc = dbuf_puts(b, first ? "{\"id\":" : ",{\"id\":");
    rc = rc ? rc : dbuf_json_string(b, id, strlen(id));
    rc = rc ? rc : dbuf_printf(b, ",\"result\":\"%s\"", what);
    if (!rc && why) {
        rc = dbuf_puts(b, ",\"message\":");
        rc = rc ? rc : dbuf_json_string(b, why, strlen(why));
    }
    return rc ? rc : dbuf_puts(b, "}");
}

/* What became of each object of the bundle, in its order. */
struct outcome {
    const char *id, *what, *why;
};

struct publish {
    struct outcome *out;
    const size_t *index; /* the bundle's place of each object handed to ingest */
    struct arena *a;
    const char *coll_id;
    size_t stored, reused, refused;
};

static int published(const struct ingest_result *r, void *ctx)
{
    struct publish *p = ctx;
    if (!r)
        return 0;
    struct outcome *o = &p->out[p->index[r->index]];
    o->what = r->stored ? "stored" : "refused";
    o->why = r->message ? arena_strndup(p->a, r->message, strlen(r->message)) : NULL;
    r->stored ? p->stored++ : p->refused++;
    return 0;
}

static int finish(struct store_txn *t, const struct ingest_tally *n, void *ctx, const char **detail,
                  struct lia_err *err)
{
    (void)t, (void)n;
    struct publish *p = ctx;
    *detail = arena_printf(p->a,
                           "{\"collection\":\"%s\",\"stored\":%zu,\"reused\":%zu,"
                           "\"refused\":%zu}",
                           p->coll_id, p->stored, p->reused, p->refused);
    return *detail ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

int intake_publish(struct store *s, const struct access_principal *who, const char *collection,
                   int tlp, const char *bundle, size_t len, struct arena *a, struct dbuf *out,
                   struct lia_err *err)
{
    if (who->read_only)
        return lia_err_set(err, LIA_EFORBIDDEN, "this token is read-only");
    struct store_collection col;
    int rc = store_collection_get(s, &who->policy, collection, a, &col, err);
    if (rc)
        return rc;
    if (!col.can_write)
        return lia_err_set(err, LIA_EFORBIDDEN, "this principal may not write to collection %s",
                           collection);
    struct stix_limits lim = {.max_depth = 64, .max_string = 16u << 20, .max_objects = 10000};
    struct stix_envelope env;
    rc = stix_parse_envelope(bundle, len, &lim, &env, err);
    if (rc)
        return rc;
    const char *marking = access_tlp_marking_id(tlp >= 0 ? tlp : STORE_TLP_AMBER);
    /* What the draft says "liaison intake" made, the publisher now vouches for. */
    char tool[80];
    intake_entity_stix_id("identity", INTAKE_IDENTITY_KEY, tool);
    struct publish p = {.a = a, .coll_id = col.id};
    p.out = arena_alloc(a, (env.n_items + 1) * sizeof *p.out);
    size_t *index = arena_alloc(a, (env.n_items + 1) * sizeof *index);
    struct stix_item *items = arena_alloc(a, (env.n_items + 1) * sizeof *items);
    size_t n = 0;
    if (!p.out || !index || !items)
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < env.n_items && rc == 0; i++) {
        json_t *o = env.items[i].obj;
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *type = json_string_value(json_object_get(o, "type"));
        p.out[i].id = id ? id : "";
        if (!id || !type) {
            p.refused++;
            p.out[i] = (struct outcome){id ? id : "", "refused", "no id or type"};
            continue;
        }
        /* Reused only when the publisher can see it (the store's gate): "reused" must not
         * tell a partner that an object it may not see is held. */
        if (reusable_type(type)) {
            struct store_filter f = {
                .ids = &id, .n_ids = 1, .version_sel = STORE_VER_ALL, .limit = 1};
            struct store_page page;
            rc = store_query_objects(s, &who->policy, col.rid, &f, false, a, &page, err);
            if (rc == 0 && page.n) {
                p.reused++;
                p.out[i].what = "reused";
                continue;
            }
        }
        if (!json_object_get(o, "object_marking_refs") && strcmp(type, "extension-definition"))
            json_object_set_new(o, "object_marking_refs", json_pack("[s]", marking));
        const char *by = json_string_value(json_object_get(o, "created_by_ref"));
        bool tool_made = by && !strcmp(by, tool) && strcmp(type, "extension-definition") != 0;
        if ((!by || tool_made) && who->identity)
            json_object_set_new(o, "created_by_ref", json_string(who->identity));
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *copy = text ? arena_strndup(a, text, strlen(text)) : NULL;
        free(text);
        if (!copy && rc == 0)
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
        index[n] = i;
        items[n++] = (struct stix_item){.obj = o, .text = copy, .len = copy ? strlen(copy) : 0};
    }
    p.index = index;
    struct ingest_spec spec = {.store = s,
                               .who = who,
                               .coll = col.rid,
                               .action = "intake.publish",
                               .result = published,
                               .finish = finish,
                               .ctx = &p};
    if (rc == 0)
        rc = ingest_items(&spec, items, n, NULL, err);
    rc = rc ? rc : dbuf_puts(out, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(out, col.id, strlen(col.id));
    rc = rc ? rc : dbuf_puts(out, ",\"objects\":[");
    for (size_t i = 0; i < env.n_items && rc == 0; i++)
        rc = record(out, i == 0, p.out[i].id, p.out[i].what, p.out[i].why);
    rc = rc ? rc
            : dbuf_printf(out, "],\"stored\":%zu,\"reused\":%zu,\"refused\":%zu}", p.stored,
                          p.reused, p.refused);
    stix_envelope_release(&env);
    if (rc == LIA_ETOOBIG && !err->code)
        lia_err_set(err, rc, "publish report too large");
    return rc;
}
