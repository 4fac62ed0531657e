/*
 * Who may receive what MISP sent: tlp:* tags and the distribution levels, as liaison
 * markings (docs/misp.md, "Handling").
 *
 * TLP: the most restrictive tlp:* tag of the event and of the item (object, attribute)
 * applies, as the TLP 2.0 marking-definition; tags are matched in any case, tlp:white is
 * CLEAR. No tlp:* tag: no TLP marking, so the collection's default TLP applies.
 *
 * Distribution never widens: every level that restricts (event, object, attribute) adds a
 * releasability (REL TO) marking, and liaison intersects REL TO markings.
 *  - 0 "your organisation only": REL TO no one (stays on this instance).
 *  - 1 "this community only", 2 "connected communities" (which MISP turns into 1 on the
 *    receiving instance): REL TO the sending partner only (--from), else no one.
 *  - 4 a sharing group: until sharing groups map to liaison groups (issue 18), the most
 *    restrictive that holds: REL TO the sending partner only, else no one. The marking
 *    keeps the group's uuid and name in its MISP record, for that mapping.
 *  - 3 "all communities", 5 "inherit", absent: no restriction of its own.
 *  - anything else: read as 0.
 * TLP:RED goes only to named recipients in liaison: the sending partner is named (liaison
 * handling extension), so it may receive its own RED data back; nobody else is.
 */
#include "misp/misp_int.h"

#include <ctype.h>
#include <string.h>

void misp_scope_init(struct misp_scope *s)
{
    s->tlp = STORE_TLP_NONE;
    s->org_only = s->community = false;
    s->groups = json_array();
}

void misp_scope_copy(struct misp_scope *dst, const struct misp_scope *src)
{
    *dst = *src;
    dst->groups = json_deep_copy(src->groups);
}

void misp_scope_release(struct misp_scope *s)
{
    json_decref(s->groups);
    s->groups = NULL;
}

int misp_tag_tlp(const char *tag)
{
    char low[32];
    size_t n = strlen(tag);
    if (n < 5 || n >= sizeof low)
        return STORE_TLP_NONE;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)tag[i]);
    if (strncmp(low, "tlp:", 4) != 0)
        return STORE_TLP_NONE;
    int r = access_tlp_parse(low + 4);
    return r >= STORE_TLP_CLEAR ? r : STORE_TLP_NONE;
}

static void add_group(struct misp_scope *s, json_t *item)
{
    json_t *sg = json_object_get(item, "SharingGroup");
    char uuid[37] = "";
    misp_uuid_norm(json_object_get(sg, "uuid"), uuid);
    const char *name = misp_str(sg, "name");
    int64_t id = misp_int(item, "sharing_group_id", 0);
    size_t i;
    json_t *g;
    json_array_foreach(s->groups, i, g)
    {
        if (uuid[0] ? !strcmp(uuid, misp_str(g, "uuid") ? misp_str(g, "uuid") : "")
                    : json_integer_value(json_object_get(g, "id")) == id)
            return;
    }
    json_t *rec = json_pack("{s:I}", "id", (json_int_t)id);
    if (uuid[0])
        json_object_set_new(rec, "uuid", json_string(uuid));
    if (name && *name)
        json_object_set_new(rec, "name", json_string(name));
    json_array_append_new(s->groups, rec);
}

void misp_scope_narrow(struct misp_scope *s, json_t *item)
{
    json_t *tags = misp_tag_names(item);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        int r = misp_tag_tlp(json_string_value(t));
        if (r > s->tlp)
            s->tlp = r;
    }
    json_decref(tags);
    int64_t d = misp_int(item, "distribution", 5);
    if (d == 1 || d == 2)
        s->community = true;
    else if (d == 4)
        add_group(s, item);
    else if (d != 3 && d != 5)
        s->org_only = true;
}

/* The releasability marking-definition named by key, added to ev->markings once. */
static const char *rel_marking(struct misp_ev *ev, const char *key, const char *name, json_t *rec)
{
    const char *sender = ev->o->sender_identity;
    char idkey[400], id[96];
    snprintf(idkey, sizeof idkey, "marking:%s:%s", key,
             sender && strcmp(key, "org") != 0 ? sender : "");
    misp_stix_id("marking-definition", idkey, id);
    json_t *held = json_object_get(ev->markings, id);
    if (held) {
        json_decref(rec);
        return misp_str(held, "id");
    }
    json_t *m = misp_sdo(NULL, "marking-definition", id, 0, 0);
    json_object_set_new(m, "created", json_string(MISP_EPOCH));
    json_object_set_new(m, "name", json_string(name));
    json_t *rel = json_array();
    if (sender && strcmp(key, "org") != 0)
        json_array_append_new(rel, json_string(sender));
    json_object_set_new(m, "extensions",
                        json_pack("{s:{s:s,s:o}}", ACCESS_EXT_RELEASABILITY, "extension_type",
                                  "property-extension", "rel_to", rel));
    misp_set_record(m, "distribution", rec);
    json_object_set_new(ev->markings, id, m);
    return misp_str(m, "id");
}

void misp_scope_apply(struct misp_ev *ev, const struct misp_scope *s, json_t *obj)
{
    json_t *refs = json_array();
    if (s->tlp != STORE_TLP_NONE)
        json_array_append_new(refs, json_string(access_tlp_marking_id(s->tlp)));
    if (s->org_only)
        json_array_append_new(
            refs, json_string(rel_marking(ev, "org", "MISP distribution: your organisation only",
                                          json_pack("{s:i}", "level", 0))));
    if (s->community)
        json_array_append_new(
            refs, json_string(rel_marking(ev, "community", "MISP distribution: this community only",
                                          json_pack("{s:i}", "level", 1))));
    size_t i;
    json_t *g;
    json_array_foreach(s->groups, i, g)
    {
        const char *uuid = misp_str(g, "uuid"), *gname = misp_str(g, "name");
        char key[200], name[300];
        if (uuid)
            snprintf(key, sizeof key, "sharing-group:%s:%.100s", uuid, gname ? gname : "");
        else
            snprintf(key, sizeof key, "sharing-group-id:%lld",
                     (long long)json_integer_value(json_object_get(g, "id")));
        snprintf(name, sizeof name, "MISP sharing group: %.200s",
                 gname  ? gname
                 : uuid ? uuid
                        : "(unnamed)");
        json_t *rec = json_pack("{s:i,s:O}", "level", 4, "sharing_group", g);
        json_array_append_new(refs, json_string(rel_marking(ev, key, name, rec)));
    }
    if (json_array_size(refs))
        json_object_set_new(obj, "object_marking_refs", refs);
    else
        json_decref(refs);
    const char *sender = ev->o->sender_identity;
    if (s->tlp == STORE_TLP_RED && sender) {
        json_t *exts = json_object_get(obj, "extensions");
        if (!exts)
            json_object_set_new(obj, "extensions", exts = json_object());
        json_object_set_new(exts, ACCESS_EXT_HANDLING,
                            json_pack("{s:s,s:[s]}", "extension_type", "property-extension",
                                      "red_recipients", sender));
    }
}
