/*
 * The write rules of one object, in the order the batch applies them (ingest.c): a
 * releasability marking's meaning cannot change; the creator rule, in its local and its
 * exchange form; the grading extension; and the rules of registered types.
 *
 * Before the creator rule itself (access_creator_rule, which deletes share): local writes take
 * marking-definitions only from administrators, and a partner's objects carry its identity as
 * created_by_ref (added when absent, a forged one refused); exchange writes (pull, import) may
 * not write in this instance's name, except our own object coming back (a request pulled back
 * from its addressee), which is no news when we hold exactly that version.
 */
#include "ingest/ingest_int.h"

#include <string.h>

int ingest_marking_check(struct store_txn *t, json_t *obj, const struct stix_info *info,
                         struct arena *a, struct lia_err *why, struct lia_err *err)
{
    /* Once a REL TO marking-definition is held, its id cannot come back (by any collection or
     * path) with other content, nor can another marking take over an id whose text limits
     * release. Other markings (statements, copyright) may be restated. */
    const char *held = NULL;
    struct lia_err e2;
    lia_err_clear(&e2);
    /* One of this store's groups: only its own definition may come under its id. */
    int64_t grp = 0;
    int rc = store_group_of_marking(t, info->id, a, &grp, &held, err);
    if (rc)
        return rc;
    if (grp) {
        json_t *ours = json_loads(held, 0, NULL);
        bool same = ours && json_equal(ours, obj);
        json_decref(ours);
        return same ? 0
                    : lia_err_set(why, LIA_EFORBIDDEN,
                                  "this id is a sharing group's marking-definition; only the "
                                  "group's own definition may be stored under it");
    }
    rc = store_object_text(t, info->id, "marking-definition", a, &held, &e2);
    if (rc == LIA_ENOTFOUND)
        return 0;
    if (rc)
        return lia_err_set(err, rc, "%s", e2.msg);
    json_t *old = json_loads(held, 0, NULL);
    bool same = old && json_equal(old, obj);
    json_t *ext = json_object_get(obj, "extensions"),
           *held_ext = json_object_get(old, "extensions");
    bool releasability = json_object_get(ext, ACCESS_EXT_RELEASABILITY) ||
                         json_object_get(held_ext, ACCESS_EXT_RELEASABILITY) ||
                         json_object_get(ext, ACCESS_EXT_GROUP) ||
                         json_object_get(held_ext, ACCESS_EXT_GROUP);
    json_decref(old);
    if (!same && releasability)
        return lia_err_set(why, LIA_EFORBIDDEN,
                           "a different marking-definition with this id is held already; a "
                           "releasability marking cannot be redefined");
    return 0;
}

int ingest_creator_rule(struct ingest_batch *b, const struct stix_info *info,
                        const struct store_creator *held, const char **inject, struct lia_err *why,
                        struct lia_err *err)
{
    const struct access_principal *who = b->spec->who;
    const char *by = info->created_by_ref;
    bool marking = !strcmp(info->type, "marking-definition");
    *inject = NULL;
    if (who->via_exchange && (marking || !by))
        return 0;
    if (who->via_exchange && b->self && !strcmp(by, b->self)) {
        struct store_policy all = {.all = true, .clearance = STORE_TLP_RED};
        struct store_filter f = {.ids = &info->id,
                                 .n_ids = 1,
                                 .version_at = &info->modified_us,
                                 .n_version_at = 1,
                                 .limit = 1};
        struct store_page page;
        struct lia_err e2;
        lia_err_clear(&e2);
        if (info->versioned &&
            store_query_objects(b->spec->store, &all, b->spec->coll, &f, false, b->a, &page, &e2) ==
                0 &&
            page.n == 1)
            return LIA_ECONFLICT;
        return lia_err_set(why, LIA_EFORBIDDEN,
                           "created_by_ref names this instance; a peer cannot write in its name");
    }
    if (!who->via_exchange && marking && !who->admin)
        return lia_err_set(why, LIA_EFORBIDDEN,
                           "only an administrator may create marking definitions");
    if (!who->via_exchange && who->partner && !by)
        *inject = by = who->identity;
    else if (!who->via_exchange && who->partner && strcmp(by, who->identity) != 0)
        return lia_err_set(why, LIA_EFORBIDDEN, "created_by_ref must be this partner's identity %s",
                           who->identity);
    struct lia_err e;
    lia_err_clear(&e);
    int rc = access_creator_rule(b->t, who, info->id, by, held, "add versions", &e);
    if (rc == LIA_EFORBIDDEN)
        return lia_err_set(why, rc, "%s", e.msg);
    return rc ? lia_err_set(err, rc, "%s", e.msg) : 0;
}

static bool one_of(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (!strcmp(v, *set))
            return true;
    return false;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The grading extension: Admiralty (A-F, 1-6) or Europol 4x4 (A, B, C, X and 1-4). */
int ingest_grading_check(json_t *obj, struct lia_err *why)
{
    json_t *g = json_object_get(json_object_get(obj, "extensions"), ACCESS_EXT_GRADING);
    if (!g)
        return 0;
    static const char *const scales[] = {"admiralty", "europol", NULL};
    static const char *const adm_src[] = {"A", "B", "C", "D", "E", "F", NULL};
    static const char *const adm_info[] = {"1", "2", "3", "4", "5", "6", NULL};
    static const char *const eu_src[] = {"A", "B", "C", "X", NULL};
    static const char *const eu_info[] = {"1", "2", "3", "4", NULL};
    const char *scale = str(g, "scale");
    if (!one_of(str(g, "extension_type"), (const char *const[]){"property-extension", NULL}))
        return lia_err_set(why, LIA_EINVAL, "grading: extension_type must be property-extension");
    if (!one_of(scale, scales))
        return lia_err_set(why, LIA_EINVAL, "grading: scale must be admiralty or europol");
    bool adm = !strcmp(scale, "admiralty");
    if (!one_of(str(g, "source_reliability"), adm ? adm_src : eu_src))
        return lia_err_set(why, LIA_EINVAL,
                           "grading: source_reliability must be %s on the %s scale",
                           adm ? "A-F" : "A, B, C or X", scale);
    if (!one_of(str(g, "information_credibility"), adm ? adm_info : eu_info))
        return lia_err_set(why, LIA_EINVAL,
                           "grading: information_credibility must be %s on the %s scale",
                           adm ? "1-6" : "1-4", scale);
    return 0;
}

#define MAX_RULES 16
static const struct ingest_rule *rules[MAX_RULES];
static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;

int ingest_register(const struct ingest_rule *r)
{
    pthread_mutex_lock(&rules_lock);
    int rc = LIA_ETOOBIG;
    for (size_t i = 0; i < MAX_RULES && rc; i++)
        if (!rules[i] || rules[i] == r)
            rules[i] = r, rc = 0;
    pthread_mutex_unlock(&rules_lock);
    return rc;
}

/* Types that must not be stored without their rules. */
static const char *const ruled_types[] = {ACCESS_TYPE_RFI, ACCESS_TYPE_RFI_RESPONSE, NULL};

int ingest_rule_for(const char *type, const struct ingest_rule **out, struct lia_err *why)
{
    *out = NULL;
    pthread_mutex_lock(&rules_lock);
    for (size_t i = 0; i < MAX_RULES && rules[i] && !*out; i++)
        if (!strcmp(rules[i]->type, type))
            *out = rules[i];
    pthread_mutex_unlock(&rules_lock);
    if (!*out && one_of(type, ruled_types))
        return lia_err_set(why, LIA_EFORBIDDEN, "objects of type %s are not accepted here", type);
    return 0;
}
