/*
 * The one function that owns a batch of objects from begin to commit (batch_run), and the
 * two ways a batch arrives: a TAXII envelope's text (ingest_body) or items (ingest_items).
 *
 * A batch is stored in chunks of up to CHUNK objects, each the same steps: validate them (or
 * take what the parsing threads found); look up, in one statement, the newest version each
 * of their ids has in the collection (the creator rule and "is it new" need it); apply the
 * rules object by object, in order, remembering what this chunk accepted so far (a second
 * version of the same object in the same chunk sees the first); then store the accepted ones
 * as one batch (PostgreSQL: one statement), and report each object's outcome. An object
 * whose rules read the transaction (a marking-definition, which later objects' handling
 * reads; a registered type, whose rules read other objects) has what is pending stored
 * before it, and a marking-definition is stored on its own at once. So a batch stores what
 * storing its objects one at a time, in that order, would store, in a few statements.
 *
 * Marking-definitions first: objects of the same batch may refer to them. A large envelope
 * text without one (nor an extension-definition) is stored while two threads parse and
 * validate it (stix_stream_*), in the order of its objects; one that holds a definition (or
 * an object that does not parse) takes the whole parse and the two passes (docs/architecture.md,
 * "The path of a POST").
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define CHUNK 256

/* An object of the chunk being stored. */
struct obj {
    json_t *obj;
    const char *text;
    size_t len, index;
    const struct stix_checked *checked;
    struct stix_info info;
    bool valid, put;
    size_t slot;            /* its place among the chunk's puts */
    const struct obj *prev; /* the chunk's object before it with the same id, or NULL */
    struct ingest_result r;
    const char **uses; /* the extension-definitions it uses (def_use rows once stored) */
    size_t n_uses;
};

struct chunk {
    struct obj o[CHUNK];
    size_t n;
    struct store_object so[CHUNK];
    struct store_put res[CHUNK];
    size_t n_put, n_stored; /* puts collected; puts stored so far */
};

static const char *str_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

int ingest_may_write(const struct access_principal *who, const struct store_collection *col,
                     struct lia_err *err)
{
    if (who->read_only || !col->can_write)
        return lia_err_set(err, LIA_EFORBIDDEN, "this token may not write to this collection");
    return 0;
}

static int refuse(struct ingest_batch *b, struct obj *o, const struct lia_err *why,
                  struct lia_err *err)
{
    o->r.stored = false;
    o->r.message = arena_strndup(b->a, why->msg, strlen(why->msg));
    return o->r.message ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

static int flush(struct ingest_batch *b, struct chunk *c, struct lia_err *err)
{
    size_t from = c->n_stored;
    c->n_stored = c->n_put;
    if (from == c->n_put)
        return 0;
    return store_put_objects(b->t, b->spec->coll, c->so + from, c->n_put - from, c->res + from,
                             err);
}

static bool carried(struct ingest_batch *b, const char *ref)
{
    for (size_t i = 0; i < b->n_carried; i++)
        if (!strcmp(b->carried[i], ref))
            return true;
    if (b->n_carried < sizeof b->carried / sizeof b->carried[0] &&
        strlen(ref) < sizeof b->carried[0])
        memcpy(b->carried[b->n_carried++], ref, strlen(ref) + 1);
    return false;
}

/* One definition an object in the batch names (a marking-definition, or an extension-definition
 * of type), into the batch's collection when it holds none of that id: the text held in
 * another collection, a group of this store's, or one of liaison's own extensions. */
static int carry_one(struct ingest_batch *b, struct chunk *c, const char *ref, const char *type,
                     struct lia_err *err)
{
    struct store_creator held;
    int rc = store_object_creators(b->t, b->spec->coll, &ref, 1, b->a, &held, err);
    if (rc || held.found)
        return rc;
    const char *text = NULL;
    struct lia_err e2;
    lia_err_clear(&e2);
    bool marking = !strcmp(type, "marking-definition");
    rc = store_object_text(b->t, ref, type, b->a, &text, &e2);
    if (rc == LIA_ENOTFOUND && marking) {
        int64_t grp;
        rc = store_group_of_marking(b->t, ref, b->a, &grp, &text, err);
        if (rc || !grp)
            return rc; /* not known here: nothing to carry (the object says so) */
    } else if (rc == LIA_ENOTFOUND) {
        if (!(text = access_extension_definition(ref)))
            return 0; /* someone else's extension, not held here: nothing to carry */
    } else if (rc) {
        return lia_err_set(err, rc, "%s", e2.msg);
    }
    json_t *def = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    struct stix_info info;
    struct store_object so = {.type = marking ? "marking-definition" : "extension-definition"};
    if (!def || stix_validate_object(def, &info, &e2) != 0) {
        json_decref(def);
        return 0; /* held text is valid; a damaged row is not copied further */
    }
    rc = access_object_handling(b->t, def, NULL, 0, b->a, &so, &e2);
    if (rc == 0) {
        so.id = arena_strndup(b->a, info.id, strlen(info.id));
        so.spec_version = "2.1";
        so.created_us = info.created_us;
        so.modified_us = info.modified_us;
        so.modified =
            info.modified ? arena_strndup(b->a, info.modified, strlen(info.modified)) : NULL;
        so.created_by_ref = info.created_by_ref ? arena_strndup(b->a, info.created_by_ref,
                                                                strlen(info.created_by_ref))
                                                : NULL;
        so.json = text;
        so.json_len = strlen(text);
        so.first = true;
    }
    json_decref(def);
    if (rc)
        return lia_err_set(err, rc, "%s", e2.msg);
    int result;
    int64_t added;
    rc = flush(b, c, err); /* the definition comes before the object that names it */
    return rc ? rc : store_put_object(b->t, b->spec->coll, &so, &result, &added, err);
}

/* The marking-definitions an object names travel with it (docs/groups.md): each one its
 * collection does not hold yet is stored there too, limited by its own handling (a REL TO list
 * or a group reads it; no collection default), so that every route that gives a party the
 * object can give it what the object's markings mean, and gives it no one else. */
struct carry_ctx {
    struct ingest_batch *b;
    struct chunk *c;
    struct lia_err *err;
};

/* Extension-definitions are carried by carry_extensions, which also names the uses. */
static int carry_marking(void *ctx, const char *ref, bool marking)
{
    struct carry_ctx *x = ctx;
    return marking && !carried(x->b, ref) ? carry_one(x->b, x->c, ref, "marking-definition", x->err)
                                          : 0;
}

static int carry_definitions(struct ingest_batch *b, struct chunk *c, json_t *obj,
                             struct lia_err *err)
{
    struct carry_ctx x = {.b = b, .c = c, .err = err};
    return b->spec->coll ? access_each_definition(obj, carry_marking, &x) : 0;
}

/* The extension-definitions o uses travel with it the same way, each shown where one of its
 * users is (store_def_use_put, after the chunk is stored). */
static int carry_extensions(struct ingest_batch *b, struct chunk *c, struct obj *o,
                            struct lia_err *err)
{
    json_t *exts = json_object_get(o->obj, "extensions");
    const char *key;
    json_t *v;
    size_t n = json_object_size(exts), k = 0;
    o->uses = NULL;
    o->n_uses = 0;
    if (n == 0)
        return 0;
    const char **uses = arena_alloc(b->a, n * sizeof *uses);
    if (!uses)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    o->uses = uses;
    int rc = 0;
    json_object_foreach(exts, key, v)
    {
        (void)v;
        if (rc || k++ == n || strncmp(key, "extension-definition--", 22) != 0)
            continue;
        uses[o->n_uses++] = key;
        if (b->spec->coll && !carried(b, key))
            rc = carry_one(b, c, key, "extension-definition", err);
    }
    return rc;
}

/* What this chunk accepted before object o with o's id: the newest such version, when it is
 * newer than the one held (ties go to what is held, then to the first). */
static void seen_in_chunk(struct chunk *c, const struct obj *o, struct store_creator *held)
{
    const struct store_object *newest = NULL;
    for (const struct obj *p = o->prev; p; p = p->prev) /* nearest first: >= keeps the first */
        if (p->put && (!newest || c->so[p->slot].modified_us >= newest->modified_us))
            newest = &c->so[p->slot];
    if (newest && (!held->found || newest->modified_us > held->modified_us)) {
        held->found = true;
        held->modified_us = newest->modified_us;
        held->created_by_ref = newest->created_by_ref;
    }
}

struct ref {
    struct obj *o;
};

static int by_id(const void *a, const void *b)
{
    const struct obj *x = ((const struct ref *)a)->o, *y = ((const struct ref *)b)->o;
    int c = strcmp(x->info.id, y->info.id);
    return c ? c : x < y ? -1 : x > y;
}

/* Links each valid object of the chunk to the one before it with the same id. */
static void link_ids(struct chunk *c)
{
    struct ref sorted[CHUNK] = {{0}};
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->o[i].valid)
            sorted[n++].o = &c->o[i];
    qsort(sorted, n, sizeof sorted[0], by_id);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(sorted[i].o->info.id, sorted[i - 1].o->info.id))
            sorted[i].o->prev = sorted[i - 1].o;
}

/* A TLP:RED object goes only to the recipients it names, and only to those cleared red: one
 * naming a partner that is not would never reach it, silently. Stored, with the reason in its
 * status entry (docs/markings.md). */
static int warn_uncleared(struct ingest_batch *b, struct obj *o, const struct store_object *so,
                          struct lia_err *err)
{
    const char *names[64];
    int clearances[64];
    size_t n = 0;
    size_t k = so->n_red_to < 64 ? so->n_red_to : 64;
    int rc =
        store_partners_below(b->t, so->red_to, k, STORE_TLP_RED, b->a, names, clearances, &n, err);
    if (rc || n == 0)
        return rc;
    struct dbuf m;
    dbuf_init(&m, 4096);
    rc = dbuf_puts(&m, "stored, but TLP:RED recipient");
    rc = rc ? rc : dbuf_puts(&m, n > 1 ? "s " : " ");
    for (size_t i = 0; i < n && !rc; i++)
        rc = dbuf_printf(&m, "%s%s (clearance %s)", i ? ", " : "", names[i],
                         access_tlp_name(clearances[i]));
    rc = rc ? rc
            : dbuf_printf(&m,
                          " will not receive it: a RED object reaches only partners cleared red "
                          "(liaison partner set %s --clearance red)",
                          names[0]);
    o->r.message = rc || !m.ptr ? NULL : arena_strndup(b->a, m.ptr, m.len);
    dbuf_release(&m);
    return o->r.message ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
}

/* The objects as sent are the same JSON (the tree may have had created_by_ref added). */
static bool same_text(const struct obj *x, const struct obj *y)
{
    if (x->len == y->len && memcmp(x->text, y->text, x->len) == 0)
        return true;
    json_t *a = json_loadb(x->text, x->len, 0, NULL), *b = json_loadb(y->text, y->len, 0, NULL);
    bool same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* The rules of one object, and its row; refusals are recorded in o->r. Non-zero only when
 * the transaction failed. */
static int accept(struct ingest_batch *b, struct chunk *c, struct obj *o, struct store_creator held,
                  struct lia_err *err)
{
    const struct stix_info *info = &o->info;
    struct lia_err why;
    lia_err_clear(&why);
    /* An object without versions (an SCO) sent twice with one id and different content: the
     * second is not a version of the first and would store nothing; say so. */
    for (const struct obj *p = o->prev; p && !info->versioned; p = p->prev)
        if (p->put && !same_text(p, o)) {
            lia_err_set(&why, LIA_EINVAL,
                        "%s came twice in this envelope with different content; it has no "
                        "versions, so only the first was stored",
                        info->id);
            return refuse(b, o, &why, err);
        }
    const struct ingest_rule *rule = NULL;
    bool marking = !strcmp(info->type, "marking-definition");
    int rc = ingest_rule_for(info->type, &rule, &why);
    if (rc == 0 && (marking || rule))
        rc = flush(b, c, err); /* what is pending may be what its rules read */
    if (rc == 0 && marking)
        rc = ingest_marking_check(b->t, o->obj, info, b->a, &why, err);
    seen_in_chunk(c, o, &held);
    /* A definition of an extension is a shared schema document: a version the collection holds
     * already is that version, whoever sends it again (an intake draft carries liaison's
     * mentions definition; a page carries the definitions its objects use). */
    bool resent = false;
    if (rc == 0 && held.found && held.modified_us == info->modified_us &&
        !strcmp(info->type, "extension-definition") &&
        (rc = store_version_same(b->t, b->spec->coll, info->id, info->modified_us, o->text, o->len,
                                 &resent, err)) != 0)
        return rc;
    if (resent) { /* exactly that text: an edited copy goes on to the creator rule below */
        o->r.stored = true;
        return 0;
    }
    const char *inject = NULL;
    /* liaison's own flow definition objects are the same text everywhere: whoever writes
     * them (a partner whose flows need them) writes no one else's object. */
    bool fixed = rc == 0 && stix_is_flow_definition(o->obj);
    if (rc == 0 && !fixed)
        rc = ingest_creator_rule(b, info, &held, &inject, &why, err);
    else if (fixed && held.found && held.modified_us == info->modified_us)
        rc = LIA_ECONFLICT;
    if (rc == LIA_ECONFLICT) { /* exactly this version is held already: nothing to do */
        o->r.stored = true;
        o->r.message = "already held"; /* a sender counts what is new here by it */
        return 0;
    }
    if (rc == 0 && inject) /* the type rules below read the effective creator */
        json_object_set_new(o->obj, "created_by_ref", json_string(inject));
    if (rc == 0)
        rc = ingest_grading_check(o->obj, &why);
    if (rc == 0 && rule)
        rc = rule->check(b->t, b->spec->store, b->spec->who, b->spec->coll, o->obj, !held.found,
                         b->a, &why);
    const char *parties[2];
    size_t n_parties = 0;
    if (rc == 0 && rule && rule->parties)
        rc = rule->parties(o->obj, parties, &n_parties);
    struct store_object *so = &c->so[c->n_put];
    memset(so, 0, sizeof *so);
    so->type = info->type;
    if (rc == 0)
        rc = access_object_handling(b->t, o->obj, rule && rule->parties ? parties : NULL, n_parties,
                                    b->a, so, &why);
    if (rc == LIA_EFORBIDDEN || rc == LIA_EINVAL)
        return refuse(b, o, why.code ? &why : err, err);
    if (rc)
        return why.code ? lia_err_set(err, rc, "%s", why.msg) : rc;
    if (so->tlp == STORE_TLP_RED && so->n_red_to && (rc = warn_uncleared(b, o, so, err)) != 0)
        return rc;
    so->id = info->id;
    so->spec_version = info->spec_version;
    so->created_us = info->created_us;
    so->modified_us = info->versioned ? info->modified_us : 0;
    so->modified = info->versioned ? info->modified : NULL;
    so->created_by_ref = inject ? inject : info->created_by_ref;
    so->json = o->text;
    so->json_len = o->len;
    so->first = !held.found;
    if (inject) {
        /* Verbatim but for the one property the server adds: the writer's identity. */
        const char *brace = memchr(o->text, '{', o->len);
        size_t head = (size_t)(brace - o->text) + 1;
        char *with = arena_printf(b->a, "{\"created_by_ref\":\"%s\",%.*s", inject,
                                  (int)(o->len - head), brace + 1);
        if (!with)
            return lia_err_set(err, LIA_ENOMEM, "out of memory");
        so->json = with;
        so->json_len = strlen(with);
    }
    /* Worked out by the parsing thread when the object is the one it parsed (prepare.c). */
    const struct ingest_prepared *pre = o->checked && !rule ? o->checked->slot : NULL;
    if (pre && !arena_charge(b->a, pre->bytes)) /* as if made here: request_memory bounds it */
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (pre) {
        so->search_text = pre->search_text;
        so->flow = pre->flow;
        so->placed = pre->placed;
        so->n_placed = pre->n_placed;
        so->digest = so->json == o->text ? pre->digest : NULL;
    } else if (ingest_search_text(o->obj, info->type, b->a, &so->search_text) ||
               store_flow_rows(o->obj, info, b->a, so)) {
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    if ((rc = carry_definitions(b, c, o->obj, err)) != 0 ||
        (rc = carry_extensions(b, c, o, err)) != 0)
        return rc;
    o->put = true;
    o->slot = c->n_put++;
    return marking ? flush(b, c, err) : 0; /* later objects' handling reads it */
}

/* An RFI response from a liaison before issue 27 says what it does in "action", a name
 * STIX 2.1 reserves (3.8), which the validator refuses: it is renamed response_type and
 * validated again, so that older peers' answers still arrive. Nothing else is rewritten.
 * True when o was renamed (o->text is then the renamed object, in b->a). */
static bool rename_legacy_response(struct ingest_batch *b, struct obj *o)
{
    json_t *old = json_object_get(o->obj, ACCESS_RFI_RESPONSE_OLD);
    if (strcmp(str_member(o->obj, "type"), ACCESS_TYPE_RFI_RESPONSE) != 0 || !json_is_string(old) ||
        json_object_get(o->obj, ACCESS_RFI_RESPONSE_TYPE))
        return false;
    json_object_set(o->obj, ACCESS_RFI_RESPONSE_TYPE, old);
    json_object_del(o->obj, ACCESS_RFI_RESPONSE_OLD);
    char *text = json_dumps(o->obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *copy = text ? arena_strndup(b->a, text, strlen(text)) : NULL;
    free(text);
    if (!copy)
        return false;
    o->text = copy;
    o->len = strlen(copy);
    return true;
}

/* Stores the chunk's objects and reports each. */
static int store_chunk(struct ingest_batch *b, struct chunk *c, struct lia_err *err)
{
    const char *ids[CHUNK];
    size_t n_ids = 0;
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        struct obj *o = &c->o[i];
        o->r = (struct ingest_result){.index = o->index, .bytes = o->len};
        struct lia_err why;
        lia_err_clear(&why);
        if (o->checked) /* validated by the thread that parsed it */
            o->valid = o->checked->rc == 0, o->info = o->checked->info;
        else
            o->valid = stix_validate_object(o->obj, &o->info, &why) == 0;
        if (!o->valid && rename_legacy_response(b, o)) {
            lia_err_clear(&why);
            o->checked = NULL;
            o->valid = stix_validate_object(o->obj, &o->info, &why) == 0;
        }
        if (o->valid) {
            ids[n_ids++] = o->r.id = o->info.id;
            o->r.version = o->info.versioned ? o->info.modified : str_member(o->obj, "created");
            continue;
        }
        o->r.id = str_member(o->obj, "id");
        o->r.version = str_member(o->obj, "modified");
        if (!*o->r.version)
            o->r.version = str_member(o->obj, "created");
        rc = refuse(b, o, o->checked ? &o->checked->why : &why, err);
    }
    link_ids(c);
    struct store_creator held[CHUNK];
    rc = rc ? rc : store_object_creators(b->t, b->spec->coll, ids, n_ids, b->a, held, err);
    for (size_t i = 0, k = 0; i < c->n && rc == 0; i++)
        if (c->o[i].valid)
            rc = accept(b, c, &c->o[i], held[k++], err);
    rc = rc ? rc : flush(b, c, err);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const struct obj *o = &c->o[i];
        if (!o->put || c->res[o->slot].result != STORE_PUT_NEW)
            continue;
        if (o->info.revocation_stub) /* what it revokes goes (hold.c) */
            rc = ingest_revocation_prune(b, &o->info, err);
        else
            rc = ingest_hold_for_release(b, o->obj, &c->so[o->slot], c->res[o->slot].date_added,
                                         err);
    }
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        struct obj *o = &c->o[i];
        if (o->put) {
            o->r.stored = true;
            o->r.is_new = c->res[o->slot].result == STORE_PUT_NEW;
            o->r.date_added = c->res[o->slot].date_added;
            if (o->r.is_new && o->n_uses &&
                (rc = store_def_use_put(b->t, o->r.date_added, o->uses, o->n_uses, err)) != 0)
                break;
            if (c->so[o->slot].unknown_group)
                o->r.message = arena_printf(b->a,
                                            "stored, but released to no partner: %s is a sharing "
                                            "group of another service that this instance holds "
                                            "no group for; it is not passed on (originator "
                                            "control, docs/groups.md)",
                                            c->so[o->slot].unknown_marking);
            else if (c->so[o->slot].unknown_marking)
                o->r.message = arena_printf(b->a,
                                            "stored, but released to no partner: %s is not known "
                                            "here (post the marking-definition, then the object "
                                            "again)",
                                            c->so[o->slot].unknown_marking);
            else if (!o->r.is_new)
                o->r.message = "already held";
        }
        b->n.received++;
        b->n.bytes += o->len;
        if (!o->r.stored)
            b->n.refused++;
        else if (o->r.is_new)
            b->n.stored++;
        else
            b->n.existed++;
        if (b->spec->result && b->spec->result(&o->r, b->spec->ctx))
            rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    }
    c->n = c->n_put = c->n_stored = 0;
    if (b->a == &b->own)
        arena_release(b->a);
    return rc;
}

/* Where a batch's objects come from: items at hand (marking-definitions taken first), or a
 * stream being parsed (which has none). */
struct source {
    size_t n;
    bool two_passes;
    /* Item i; false when the batch must start over another way (a stream's object that
     * does not parse, or is a marking-definition). */
    bool (*get)(struct source *src, size_t i, struct stix_item *it,
                const struct stix_checked **checked);
    /* After the last item, before the commit; false: start over. */
    bool (*done)(struct source *src);
    const struct stix_item *items;
    struct stix_stream *stream;
    struct stix_envelope env; /* the stream's tree, once done */
};

/* The one function that owns a batch from begin to commit: the write right, the one write
 * transaction, the objects chunk by chunk (definitions first), the caller's rows,
 * the audit entry and the commit. *again: it rolled back for the caller to start over. */
static int batch_run(const struct ingest_spec *spec, struct source *src, struct ingest_tally *out,
                     bool *again, struct lia_err *err)
{
    struct ingest_batch b = {.spec = spec};
    arena_init(&b.own, 0);
    arena_init(&b.rules_a, 0);
    b.a = spec->a ? spec->a : &b.own;
    *again = false;
    struct chunk *c = calloc(1, sizeof *c);
    int rc = c ? 0 : lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0 && spec->col)
        rc = ingest_may_write(spec->who, spec->col, err);
    if (rc == 0 && spec->who->via_exchange)
        b.self = access_instance_identity(spec->store);
    if (rc == 0)
        rc = store_begin(spec->store, &b.t, err);
    for (int pass = src->two_passes ? 0 : 1; pass < 2 && rc == 0 && !*again; pass++) {
        for (size_t i = 0; i < src->n && rc == 0 && !*again; i++) {
            const struct stix_checked *checked = NULL;
            struct stix_item it;
            *again = !src->get(src, i, &it, &checked);
            const char *type = *again ? "" : str_member(it.obj, "type");
            bool definition =
                !strcmp(type, "marking-definition") || !strcmp(type, "extension-definition");
            if (*again || definition != (pass == 0 && src->two_passes))
                continue;
            c->o[c->n++] = (struct obj){
                .obj = it.obj, .text = it.text, .len = it.len, .index = i, .checked = checked};
            rc = c->n == CHUNK ? store_chunk(&b, c, err) : 0;
        }
        rc = rc || *again || !c->n ? rc : store_chunk(&b, c, err);
    }
    if (rc == 0 && !*again && src->done)
        *again = !src->done(src);
    const char *detail = "{}";
    if (rc == 0 && !*again && spec->finish)
        rc = spec->finish(b.t, &b.n, spec->ctx, &detail, err);
    if (rc == 0 && !*again)
        rc = audit_append(b.t, spec->who->actor, spec->action, detail, err);
    if (rc == 0 && !*again)
        rc = store_commit(b.t, err);
    else if (b.t)
        store_rollback(b.t);
    if (rc == 0 && !*again && b.pruned) { /* the revoked text out of the file, too */
        struct lia_err scrub;
        lia_err_clear(&scrub);
        if (store_scrub(spec->store, &scrub))
            lia_log(LIA_LOG_WARN, "scrub_failed", "\"error\":\"%s\"", "store_scrub");
    }
    if (rc || *again)
        memset(&b.n, 0, sizeof b.n);
    if (out)
        *out = b.n;
    arena_release(&b.own);
    arena_release(&b.rules_a);
    free(c);
    return rc;
}

static bool item_at(struct source *src, size_t i, struct stix_item *it,
                    const struct stix_checked **checked)
{
    (void)checked;
    *it = src->items[i];
    return true;
}

int ingest_items(const struct ingest_spec *spec, const struct stix_item *items, size_t n,
                 struct ingest_tally *out, struct lia_err *err)
{
    struct source src = {.n = n, .two_passes = true, .get = item_at, .items = items};
    bool again;
    return batch_run(spec, &src, out, &again, err);
}

static bool stream_item(struct source *src, size_t i, struct stix_item *it,
                        const struct stix_checked **checked)
{
    it->obj = stix_stream_item(src->stream, i, &it->text, &it->len, checked);
    /* An object that does not parse, or a definition (spelled with escapes, so the scan for
     * its type missed it): the whole parse and the two passes decide; a stream has one pass,
     * which takes no definition. */
    const char *type = it->obj ? str_member(it->obj, "type") : "";
    return it->obj && strcmp(type, "marking-definition") != 0 &&
           strcmp(type, "extension-definition") != 0;
}

static bool stream_done(struct source *src)
{
    struct lia_err e;
    lia_err_clear(&e);
    struct stix_stream *st = src->stream;
    src->stream = NULL;
    return stix_stream_finish(st, &src->env, &e) == 0;
}

/* Whether needle (starting with '"') occurs in the n bytes at hay. */
static bool has_bytes(const char *hay, size_t n, const char *needle, size_t k)
{
    for (const char *p = hay; (size_t)(p - hay) + k <= n;) {
        const char *q = memchr(p, needle[0], n - (size_t)(p - hay) - k + 1);
        if (!q)
            return false;
        if (memcmp(q, needle, k) == 0)
            return true;
        p = q + 1;
    }
    return false;
}

int ingest_body(const struct ingest_spec *spec, const char *body, size_t len,
                const struct stix_limits *limits, struct ingest_tally *out, struct lia_err *err)
{
    int rc = 0;
    if (spec->col && (rc = ingest_may_write(spec->who, spec->col, err)) != 0)
        return rc;
    /* A large envelope without definitions (marking or extension) is stored while it is parsed;
     * when other writes are under way it is parsed (and validated, and prepared) first, and holds
     * the write lock only to store (parsing under the lock would make the others wait for it). */
    static const char marking[] = "\"marking-definition\"";
    static const char extension[] = "\"extension-definition\"";
    struct source src = {.get = stream_item, .done = stream_done};
    bool again = true, busy = store_writing(spec->store);
    if (body && !has_bytes(body, len, marking, sizeof marking - 1) &&
        !has_bytes(body, len, extension, sizeof extension - 1) &&
        stix_stream_start(body, len, limits, true, &ingest_prepare_work, &src.stream, &src.n) ==
            0) {
        for (size_t i = 0; busy && i < src.n; i++) {
            const char *text;
            size_t n;
            stix_stream_item(src.stream, i, &text, &n, NULL); /* waits for item i */
        }
        rc = batch_run(spec, &src, out, &again, err);
        if (src.stream)
            stix_stream_abort(src.stream);
        stix_envelope_release_later(&src.env); /* the tree is large: freed on the side */
        if (!again)
            return rc;
        if (spec->result)
            spec->result(NULL, spec->ctx); /* forget what was reported: it starts over */
        lia_err_clear(err);
    }
    /* Not such an envelope after all: parsed whole, which also gives any error its wording. */
    struct stix_envelope env = {0};
    rc = stix_parse_envelope(body, len, limits, &env, err);
    if (rc == 0)
        rc = ingest_items(spec, env.items, env.n_items, out, err);
    stix_envelope_release_later(&env);
    return rc;
}
