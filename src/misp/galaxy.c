/*
 * MISP galaxies -> STIX SDOs (docs/misp.md, "Galaxies"), after misp-stix's galaxy mapping:
 * threat-actor -> threat-actor, (mitre-)intrusion-set -> intrusion-set, (mitre-)tool ->
 * tool, malware families (mitre-malware, banker, botnet, stealer, android, rat, ransomware,
 * backdoor, malpedia) -> malware, attack patterns -> attack-pattern, courses of action ->
 * course-of-action, country -> location (needs the cluster's ISO code), sector -> identity
 * (class). A cluster comes from a Galaxy block (with its description and synonyms) or from
 * a bare misp-galaxy:<type>="<value>" tag. Other galaxy types are not mapped; their tags stay
 * in the MISP record of what carried them.
 *
 * A cluster is one object across events: its id derives from the cluster uuid (or, without
 * one, from the galaxy type and value), it has no creator (galaxies are shared knowledge, not
 * the event's author's) and a fixed version (MISP_EPOCH), so the first import that brings
 * it decides its text and markings (those of what carried it). The event's report lists
 * event-level clusters; an attribute's or object's clusters are related to its carrier
 * (indicates, from an indicator; related-to otherwise).
 */
#include "misp/misp_int.h"

#include <string.h>

static const char *stix_type_for(const char *gtype)
{
    static const struct {
        const char *galaxy, *stix;
    } exact[] = {
        {"threat-actor", "threat-actor"},
        {"mitre-intrusion-set", "intrusion-set"},
        {"intrusion-set", "intrusion-set"},
        {"tool", "tool"},
        {"mitre-tool", "tool"},
        {"mitre-malware", "malware"},
        {"malware", "malware"},
        {"banker", "malware"},
        {"botnet", "malware"},
        {"stealer", "malware"},
        {"android", "malware"},
        {"rat", "malware"},
        {"ransomware", "malware"},
        {"backdoor", "malware"},
        {"malpedia", "malware"},
        {"country", "location"},
        {"sector", "identity"},
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(exact[i].galaxy, gtype))
            return exact[i].stix;
    if (strstr(gtype, "attack-pattern"))
        return "attack-pattern";
    if (strstr(gtype, "course-of-action"))
        return "course-of-action";
    return NULL;
}

static bool has_aliases(const char *stype)
{
    return !strcmp(stype, "threat-actor") || !strcmp(stype, "intrusion-set") ||
           !strcmp(stype, "tool") || !strcmp(stype, "malware") || !strcmp(stype, "attack-pattern");
}

/* The ISO 3166-1 alpha-2 code of a country cluster, upper case, or false. */
static bool iso_code(json_t *meta, char out[3])
{
    const char *iso = misp_str(meta, "ISO");
    if (!iso)
        iso = misp_str(meta, "iso");
    if (!iso || strlen(iso) != 2)
        return false;
    for (int i = 0; i < 2; i++) {
        char c = iso[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c < 'A' || c > 'Z')
            return false;
        out[i] = c;
    }
    out[2] = '\0';
    return true;
}

static void map_cluster(struct misp_ev *ev, const char *gtype, const char *gname, json_t *cluster,
                        const char *value, const char *tag, const char *carrier,
                        const struct misp_scope *scope)
{
    const char *stype = stix_type_for(gtype);
    if (!stype) {
        misp_count(ev->sum, "galaxies", gtype, "skipped: no STIX form (tag kept in the record)");
        return;
    }
    json_t *meta = json_object_get(cluster, "meta");
    char iso[3];
    if (!strcmp(stype, "location") && !iso_code(meta, iso)) {
        misp_count(ev->sum, "galaxies", gtype,
                   "skipped: country cluster without an ISO code (tag kept in the record)");
        return;
    }
    char cuuid[37], key[400], id[96];
    bool have_uuid = misp_uuid_norm(json_object_get(cluster, "uuid"), cuuid);
    if (have_uuid)
        snprintf(key, sizeof key, "%s:%s", stype, cuuid);
    else
        snprintf(key, sizeof key, "%s:galaxy:%.100s=%.250s", stype, gtype, value);
    misp_stix_id(stype, key, id);
    if (!json_object_get(ev->seen, id)) {
        json_t *o = misp_sdo(NULL, stype, id, 0, 0);
        json_object_set_new(o, "created", json_string(MISP_EPOCH));
        json_object_set_new(o, "modified", json_string(MISP_EPOCH));
        json_object_set_new(o, "name", json_string(value));
        const char *desc = misp_str(cluster, "description");
        if (desc && *desc)
            json_object_set_new(o, "description", json_string(desc));
        json_t *syn = json_object_get(meta, "synonyms");
        if (has_aliases(stype) && json_is_array(syn) && json_array_size(syn)) {
            json_t *aliases = json_array();
            size_t i;
            json_t *s;
            json_array_foreach(syn, i, s) if (json_is_string(s) && json_string_length(s))
                json_array_append(aliases, s);
            if (json_array_size(aliases))
                json_object_set(o, "aliases", aliases);
            json_decref(aliases);
        }
        if (!strcmp(stype, "malware"))
            json_object_set_new(o, "is_family", json_true());
        if (!strcmp(stype, "location"))
            json_object_set_new(o, "country", json_string(iso));
        if (!strcmp(stype, "identity"))
            json_object_set_new(o, "identity_class", json_string("class"));
        json_t *rec = json_pack("{s:s,s:s}", "galaxy_type", gtype, "value", value);
        if (gname)
            json_object_set_new(rec, "galaxy_name", json_string(gname));
        if (have_uuid)
            json_object_set_new(rec, "uuid", json_string(cuuid));
        if (tag)
            json_object_set_new(rec, "tag_name", json_string(tag));
        misp_set_record(o, "galaxy_cluster", rec);
        misp_scope_apply(ev, scope, o);
        struct lia_err why;
        if (!misp_valid(o, &why)) {
            misp_count(ev->sum, "galaxies", gtype, "skipped: refused by the validator");
            misp_problem(ev->sum, ev->o->report, ev->uuid, "galaxy %s \"%s\" skipped: %s", gtype,
                         value, why.msg);
            json_decref(o);
            return;
        }
        misp_emit(ev, o);
    }
    misp_count(ev->sum, "galaxies", gtype, stype);
    if (!carrier)
        return;
    char rid[96], rkey[300];
    snprintf(rkey, sizeof rkey, "relationship:galaxy:%s:%s", carrier, id);
    misp_stix_id("relationship", rkey, rid);
    bool from_indicator = !strncmp(carrier, "indicator--", 11);
    bool indicates =
        from_indicator &&
        (!strcmp(stype, "attack-pattern") || !strcmp(stype, "intrusion-set") ||
         !strcmp(stype, "malware") || !strcmp(stype, "threat-actor") || !strcmp(stype, "tool"));
    json_t *rel = misp_sdo(ev, "relationship", rid, ev->ts_us, ev->ts_us);
    json_object_set_new(rel, "relationship_type",
                        json_string(indicates ? "indicates" : "related-to"));
    json_object_set_new(rel, "source_ref", json_string(carrier));
    json_object_set_new(rel, "target_ref", json_string(id));
    misp_scope_apply(ev, scope, rel);
    misp_emit(ev, rel);
}

/* Parses misp-galaxy:<type>="<value>" into type and value (in buf). */
static bool galaxy_tag(const char *tag, char *buf, size_t size, const char **gtype,
                       const char **value)
{
    if (strncmp(tag, "misp-galaxy:", 12) != 0)
        return false;
    snprintf(buf, size, "%s", tag + 12);
    char *eq = strchr(buf, '=');
    size_t n = strlen(buf);
    if (!eq || eq[1] != '"' || n < 3 || buf[n - 1] != '"' || eq + 2 > buf + n - 1)
        return false;
    *eq = '\0';
    buf[n - 1] = '\0';
    *gtype = buf;
    *value = eq + 2;
    return **gtype && **value;
}

void misp_map_galaxies(struct misp_ev *ev, json_t *item, const char *carrier,
                       const struct misp_scope *s)
{
    json_t *done = json_object();
    size_t i, k;
    json_t *g, *c;
    json_array_foreach(json_object_get(item, "Galaxy"), i, g)
    {
        const char *gtype = misp_str(g, "type"), *gname = misp_str(g, "name");
        json_array_foreach(json_object_get(g, "GalaxyCluster"), k, c)
        {
            const char *value = misp_str(c, "value");
            const char *tag = misp_str(c, "tag_name");
            const char *ctype = misp_str(c, "type") ? misp_str(c, "type") : gtype;
            if (!ctype || !value || !*value)
                continue;
            if (tag)
                json_object_set_new(done, tag, json_true());
            map_cluster(ev, ctype, gname, c, value, tag, carrier, s);
        }
    }
    json_t *tags = misp_tag_names(item);
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        char buf[600];
        const char *gtype, *value, *name = json_string_value(t);
        if (json_object_get(done, name) || !galaxy_tag(name, buf, sizeof buf, &gtype, &value))
            continue;
        map_cluster(ev, gtype, NULL, NULL, value, name, carrier, s);
    }
    json_decref(tags);
    json_decref(done);
}
