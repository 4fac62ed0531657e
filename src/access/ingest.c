/*
 * The one write path for objects. Every route that stores an object (TAXII
 * POST, pull from a peer, import of a signed file, RFI commands, intake
 * publish) calls access_ingest_object, so validation, write rules, the
 * liaison type rules, handling and storage cannot differ between them.
 *
 * Exchange writes (ctx->exchange: pull, import) carry objects other parties
 * created, so the created_by_ref rule is the exchange one (docs/exchange.md):
 * the object may name any creator except this instance and this instance's
 * other partners, and may version only objects of that same creator.
 */
#include "access/access.h"

#include <string.h>

#include "stix/stix.h"
#include "text/text.h"

static const char *str_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

#define SEARCH_SOURCE_MAX (64u << 10)

static void add_text(struct dbuf *b, json_t *v)
{
    if (json_is_string(v)) {
        dbuf_append(b, json_string_value(v), json_string_length(v));
        dbuf_puts(b, "\n");
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) add_text(b, e);
    }
}

/* The normalised text search matches (names, aliases, descriptions, request texts), the same
 * normalisation (text/) as intake and watches, so that الاسلامية finds الإسلامية. */
static const char *search_text(json_t *obj, const char *type, struct arena *a)
{
    /* Names and aliases of everything; the text of reports and requests (other descriptions
     * are not searched: every indexed character costs ingest). */
    static const char *const names[] = {"name", "aliases", "x_mitre_aliases", NULL};
    static const char *const texts[] = {"description", "abstract", "content",
                                        "explanation", "subject",  "questions",
                                        "text",        "reason",   NULL};
    static const char *const text_types[] = {"report", "liaison-rfi", "liaison-rfi-response", NULL};
    bool with_text = false;
    for (const char *const *t = text_types; *t && !with_text; t++)
        with_text = !strcmp(*t, type);
    struct dbuf src, out;
    dbuf_init(&src, SEARCH_SOURCE_MAX);
    dbuf_init(&out, 4 * SEARCH_SOURCE_MAX);
    for (const char *const *f = names; *f; f++)
        add_text(&src, json_object_get(obj, *f));
    for (const char *const *f = texts; with_text && *f; f++)
        add_text(&src, json_object_get(obj, *f));
    const char *res = NULL;
    size_t ncp;
    if (src.len && text_normalize(src.ptr, src.len, &out, NULL, NULL, &ncp, NULL) == 0)
        res = arena_strndup(a, out.ptr, out.len);
    dbuf_release(&src);
    dbuf_release(&out);
    return res;
}

static int refuse(struct access_ingest_result *r, struct arena *a, const char *msg)
{
    r->stored = false;
    r->message = arena_strndup(a, msg, strlen(msg));
    return 0;
}

/* The exchange rule for created_by_ref and versions. */
static int check_exchange_write(struct store_txn *t, const struct access_ingest *ctx,
                                const struct stix_info *info, struct lia_err *err)
{
    const char *by = info->created_by_ref;
    if (!strcmp(info->type, "marking-definition") || !by)
        return 0;
    if (ctx->instance_identity && !strcmp(by, ctx->instance_identity)) {
        /* Our own object coming back (a request pulled back from its addressee): the exact
         * version we hold is no news; anything else in our name is refused. */
        if (ctx->store && info->versioned) {
            struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
            struct store_filter f = {.ids = &info->id,
                                     .n_ids = 1,
                                     .version_at = &info->modified_us,
                                     .n_version_at = 1,
                                     .limit = 1};
            struct store_page page;
            struct lia_err e2;
            lia_err_clear(&e2);
            if (store_query_objects(ctx->store, &all, ctx->coll, &f, false, ctx->a, &page, &e2) ==
                    0 &&
                page.n == 1)
                return LIA_ECONFLICT;
        }
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "created_by_ref names this instance; a peer cannot write in its name");
    }
    int64_t rid;
    size_t n = 0;
    int rc = store_partner_rids(t, &by, 1, &rid, &n, err);
    if (rc)
        return rc;
    if (n == 1 && rid != ctx->who->partner)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "created_by_ref names another partner of this instance (%s)", by);
    const char *creator = NULL;
    struct lia_err e2;
    lia_err_clear(&e2);
    rc = store_object_creator(t, ctx->coll, info->id, ctx->a, &creator, &e2);
    if (rc == LIA_ENOTFOUND)
        return 0;
    if (rc)
        return lia_err_set(err, rc, "%s", e2.msg);
    if (!creator || strcmp(creator, by) != 0)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "%s was created by someone else; only its creator may add versions",
                           info->id);
    return 0;
}

int access_ingest_object(struct store_txn *t, const struct access_ingest *ctx, json_t *obj,
                         const char *text, size_t len, struct access_ingest_result *r,
                         struct lia_err *err)
{
    struct arena *a = ctx->a;
    memset(r, 0, sizeof *r);
    r->id = str_member(obj, "id");
    r->version = str_member(obj, "modified");
    if (!*r->version)
        r->version = str_member(obj, "created");
    struct stix_info info;
    struct lia_err why;
    lia_err_clear(&why);
    if (ctx->checked) { /* validated by the thread that parsed it (api/post.c) */
        if (ctx->checked->rc != 0)
            return refuse(r, a, ctx->checked->why.msg);
        info = ctx->checked->info;
    } else if (stix_validate_object(obj, &info, &why) != 0) {
        return refuse(r, a, why.msg);
    }

    /* A releasability marking's meaning must not change under our feet: once a REL TO
     * marking-definition is held, its id cannot come back (by any collection or path: POST,
     * pull, import) with other content, nor can another marking take over an id whose text
     * limits release. Other markings (statements, copyright) may be restated. */
    if (!strcmp(info.type, "marking-definition")) {
        const char *held = NULL;
        struct lia_err e2;
        lia_err_clear(&e2);
        int mrc = store_object_text(t, info.id, "marking-definition", a, &held, &e2);
        if (mrc && mrc != LIA_ENOTFOUND)
            return lia_err_set(err, mrc, "%s", e2.msg);
        if (mrc == 0) {
            json_t *old = json_loads(held, 0, NULL);
            bool same = old && json_equal(old, obj);
            bool releasability =
                json_object_get(json_object_get(obj, "extensions"), ACCESS_EXT_RELEASABILITY) ||
                json_object_get(json_object_get(old, "extensions"), ACCESS_EXT_RELEASABILITY);
            json_decref(old);
            if (!same && releasability)
                return refuse(r, a,
                              "a different marking-definition with this id is held already; a "
                              "releasability marking cannot be redefined");
        }
    }
    const char *inject = NULL;
    bool held = false;
    int rc = ctx->exchange ? check_exchange_write(t, ctx, &info, &why)
                           : access_check_write(t, ctx->who, ctx->coll, info.id, info.type,
                                                info.created_by_ref, a, &inject, &held, &why);
    if (rc == LIA_ECONFLICT) { /* exactly this version is held already: nothing to do */
        r->stored = true;
        r->id = info.id;
        return 0;
    }
    if (rc == LIA_EFORBIDDEN)
        return refuse(r, a, why.msg);
    if (rc)
        return lia_err_set(err, rc, "%s", why.msg);
    if (inject) /* the type rules below read the effective creator */
        json_object_set_new(obj, "created_by_ref", json_string(inject));

    /* Whether this collection holds the object already: access_check_write looked it up. */
    int ex = held ? 0 : LIA_ENOTFOUND;
    if (ctx->exchange) {
        const char *existing = NULL;
        struct lia_err e2;
        lia_err_clear(&e2);
        ex = store_object_creator(t, ctx->coll, info.id, a, &existing, &e2);
        if (ex && ex != LIA_ENOTFOUND)
            return lia_err_set(err, ex, "%s", e2.msg);
    }
    struct access_principal who = *ctx->who;
    who.via_exchange = ctx->exchange;
    rc = access_check_liaison_types(t, ctx->store, &who, ctx->coll, obj, info.type,
                                    ex == LIA_ENOTFOUND, a, &why);
    if (rc == LIA_EFORBIDDEN || rc == LIA_EINVAL)
        return refuse(r, a, why.msg);
    if (rc)
        return lia_err_set(err, rc, "%s", why.msg);

    struct store_object o = {0};
    o.id = info.id;
    o.type = info.type;
    o.spec_version = info.spec_version;
    o.created_us = info.created_us;
    o.modified_us = info.versioned ? info.modified_us : 0;
    o.modified = info.versioned ? info.modified : NULL;
    o.created_by_ref = inject ? inject : info.created_by_ref;
    o.json = text;
    o.json_len = len;
    if (inject) {
        /* Verbatim but for the one property the server adds: the writer's identity. */
        const char *brace = memchr(text, '{', len);
        size_t head = (size_t)(brace - text) + 1;
        char *with = arena_printf(a, "{\"created_by_ref\":\"%s\",%.*s", inject, (int)(len - head),
                                  brace + 1);
        if (!with)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        o.json = with;
        o.json_len = strlen(with);
    }
    o.search_text = search_text(obj, info.type, a);
    rc = access_object_handling(t, obj, a, &o, &why);
    if (rc == LIA_EINVAL)
        return refuse(r, a, why.msg);
    if (rc)
        return lia_err_set(err, rc, "%s", why.msg);
    int result;
    rc = store_put_object(t, ctx->coll, &o, &result, &r->date_added, err);
    if (rc)
        return rc;
    r->stored = true;
    r->is_new = result == STORE_PUT_NEW;
    r->id = info.id;
    if (info.versioned)
        r->version = info.modified;
    if (o.unknown_marking)
        r->message = arena_printf(a,
                                  "stored, but released to no partner: %s is not known here "
                                  "(post the marking-definition, then the object again)",
                                  o.unknown_marking);
    return 0;
}
