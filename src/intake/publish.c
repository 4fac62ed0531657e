/*
 * Publishing a reviewed intake draft: the bundle's objects go into a
 * collection through the one write path (access_ingest_object), in one
 * transaction with an audit entry. Entities and relationships have stable
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

#include "audit/audit.h"
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
    const char *self = access_instance_identity(s);
    struct store_txn *t = NULL;
    rc = store_begin(s, &t, err);
    struct access_ingest ctx = {
        .store = s, .who = who, .coll = col.rid, .a = a, .instance_identity = self};
    size_t stored = 0, reused = 0, refused = 0;
    rc = rc ? rc : dbuf_puts(out, "{\"collection\":");
    rc = rc ? rc : dbuf_json_string(out, col.id, strlen(col.id));
    rc = rc ? rc : dbuf_puts(out, ",\"objects\":[");
    bool first = true;
    for (size_t i = 0; i < env.n_items && rc == 0; i++) {
        json_t *o = env.items[i].obj;
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *type = json_string_value(json_object_get(o, "type"));
        if (!id || !type) {
            refused++;
            rc = record(out, first, id ? id : "", "refused", "no id or type");
            first = false;
            continue;
        }
        /* Reused only when the publisher can see it (the store's gate): "reused" must not
         * tell a partner that an object it may not see is held. */
        if (reusable_type(type)) {
            struct store_filter f = {
                .ids = &id, .n_ids = 1, .version_sel = STORE_VER_ALL, .limit = 1};
            struct store_page page;
            struct lia_err e2;
            lia_err_clear(&e2);
            int vrc = store_query_objects(s, &who->policy, col.rid, &f, false, a, &page, &e2);
            if (vrc) {
                rc = lia_err_set(err, vrc, "%s", e2.msg);
                break;
            }
            if (page.n) {
                reused++;
                rc = record(out, first, id, "reused", NULL);
                first = false;
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
        if (!copy) {
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
            break;
        }
        struct access_ingest_result res;
        rc = access_ingest_object(t, &ctx, o, copy, strlen(copy), &res, err);
        if (rc)
            break;
        if (res.stored)
            stored++;
        else
            refused++;
        rc = record(out, first, id, res.stored ? "stored" : "refused", res.message);
        first = false;
    }
    rc = rc ? rc
            : dbuf_printf(out, "],\"stored\":%zu,\"reused\":%zu,\"refused\":%zu}", stored, reused,
                          refused);
    if (rc == 0) {
        char *detail = arena_printf(a,
                                    "{\"collection\":\"%s\",\"stored\":%zu,\"reused\":%zu,"
                                    "\"refused\":%zu}",
                                    col.id, stored, reused, refused);
        rc = detail ? audit_append(t, who->actor, "intake.publish", detail, err)
                    : lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    stix_envelope_release(&env);
    if (rc) {
        if (t)
            store_rollback(t);
        if (rc == LIA_ETOOBIG && !err->code)
            lia_err_set(err, rc, "publish report too large");
        return rc;
    }
    return store_commit(t, err);
}
