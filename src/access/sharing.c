/*
 * Sharing groups as the command line and the JSON API change them (docs/groups.md): one
 * function per change, each followed by its audit entry, so that both routes make the same
 * group, definition and record. Who may make them is the caller's business (administrators:
 * the CLI's data directory, or an admin token).
 */
#include "access/access.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "stix/stix.h"

static int record(struct store *s, const char *actor, const char *action, json_t *detail,
                  struct lia_err *err)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(detail);
    if (!text)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    struct store_txn *t;
    int rc = store_begin(s, &t, err);
    if (rc == 0 && (rc = audit_append(t, actor, action, text, err)) != 0)
        store_rollback(t);
    else if (rc == 0)
        rc = store_commit(t, err);
    free(text);
    return rc;
}

/* The group's marking-definition: it names the group, never a member. */
static char *definition(struct store *s, const char *id, const char *name, const char *description,
                        struct arena *a)
{
    char ts[32];
    lia_format_ts(lia_now_us(), 3, ts);
    json_t *ext = json_pack("{s:s, s:s}", "extension_type", "property-extension", "name", name);
    if (ext && description)
        json_object_set_new(ext, "description", json_string(description));
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:o}}", "type", "marking-definition",
                          "spec_version", "2.1", "id", id, "created", ts, "name", name,
                          "extensions", ACCESS_EXT_GROUP, ext);
    const char *self = access_instance_identity(s);
    if (m && self)
        json_object_set_new(m, "created_by_ref", json_string(self));
    char *text = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    struct stix_info info;
    struct lia_err err;
    char *out = text && stix_validate_object(m, &info, &err) == 0
                    ? arena_strndup(a, text, strlen(text))
                    : NULL;
    free(text);
    json_decref(m);
    return out;
}

int access_group_check(const char *name, const char *description, struct lia_err *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= ACCESS_GROUP_NAME_MAX;
    for (size_t i = 0; i < n && ok; i++)
        ok = (unsigned char)name[i] >= 0x20 && name[i] != 0x7f && name[i] != '"' &&
             name[i] != '\\' && name[i] != '/';
    json_t *probe = ok ? json_string(name) : NULL; /* NULL: not UTF-8 */
    ok = ok && probe;
    json_decref(probe);
    if (!ok)
        return lia_err_set(err, LIA_EINVAL,
                           "the name must be 1-%d bytes of UTF-8 without control characters, "
                           "'/', '\"' or '\\'",
                           ACCESS_GROUP_NAME_MAX);
    probe = description ? json_string(description) : NULL;
    ok = !description || (probe && strlen(description) <= ACCESS_GROUP_DESCRIPTION_MAX);
    json_decref(probe);
    if (!ok)
        return lia_err_set(err, LIA_EINVAL, "the description must be UTF-8 of at most %d bytes",
                           ACCESS_GROUP_DESCRIPTION_MAX);
    return 0;
}

int access_group_add(struct store *s, const char *actor, const char *name, const char *description,
                     bool disclose, struct arena *a, const char **id, struct lia_err *err)
{
    int rc = access_group_check(name, description, err);
    if (rc)
        return rc;
    char uuid[37];
    lia_uuid4(uuid);
    char *marking = arena_printf(a, "marking-definition--%s", uuid);
    struct store_group g = {.marking = marking,
                            .name = name,
                            .description = description,
                            .disclose = disclose,
                            .definition =
                                marking ? definition(s, marking, name, description, a) : NULL};
    int64_t rid = 0;
    rc = g.definition ? store_group_add(s, &g, &rid, err)
                      : lia_err_set(err, LIA_ENOMEM, "could not build the group's definition");
    if (rc == 0)
        rc = record(s, actor, "group.add",
                    json_pack("{s:s, s:s, s:b}", "group", marking, "name", name, "disclose_members",
                              disclose),
                    err);
    *id = marking;
    return rc;
}

int access_group_member(struct store *s, const char *actor, const struct store_group *g,
                        const struct store_partner *p, bool add, struct lia_err *err)
{
    int rc = store_group_member_set(s, g->rid, p->rid, add, err);
    if (rc == LIA_ECONFLICT || rc == LIA_ENOTFOUND)
        return lia_err_set(err, rc, "%s is %s a member of %s", p->name,
                           rc == LIA_ECONFLICT ? "already" : "not", g->name);
    return rc ? rc
              : record(s, actor, add ? "group.member.add" : "group.member.remove",
                       json_pack("{s:s, s:s}", "group", g->marking, "partner", p->identity_id),
                       err);
}

int access_group_remove(struct store *s, const char *actor, const struct store_group *g, bool force,
                        int64_t *uses, struct lia_err *err)
{
    int rc = store_group_uses(s, g->rid, uses, err);
    if (rc == 0 && *uses && !force)
        return lia_err_set(err, LIA_ECONFLICT,
                           "%lld stored object version(s) are released to %s; remove is refused "
                           "(force removes it anyway: those objects are then released to no "
                           "one, on record)",
                           (long long)*uses, g->name);
    if (rc == 0)
        rc = store_group_remove(s, g->rid, err);
    return rc ? rc
              : record(s, actor, "group.remove",
                       json_pack("{s:s, s:b, s:I}", "group", g->marking, "forced", force, "objects",
                                 (json_int_t)*uses),
                       err);
}
