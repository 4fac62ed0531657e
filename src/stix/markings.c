/*
 * Markings (STIX 2.1 section 7.2), which liaison enforces, so they get the closest look.
 *
 *  - Granular markings: each has non-empty selectors and exactly one of marking_ref and
 *    lang; lang is an RFC 5646 tag; every selector (components separated by '.', each a
 *    property name, dictionary key or "[n]" list index) must select content that is
 *    present on the object (7.2.3); a marking definition cannot mark itself.
 *  - Marking definitions: definition_type and definition go together, or an extension
 *    carries the definition; a statement has a string statement.
 *  - TLP: the nine predefined TLP marking definitions (TLP 1.0 white, green, amber, red of
 *    section 7.2.1.4; TLP 2.0 clear, green, amber, amber+strict, red of the OASIS TLP 2.0
 *    extension) are the only ones allowed, and an object carrying one of their ids must be
 *    that definition exactly (same members, same values; created compared as an instant).
 *    So a producer can neither mint a look-alike TLP marking under another id nor serve the
 *    real id with other content (a granular marking that points at itself, say).
 */
#include "stix/stix_internal.h"

#include <stdlib.h>
#include <string.h>

#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* Walks one selector over obj; 0 when it selects something, else refuses. */
static int check_selector(json_t *obj, const char *sel, const char *path, struct lia_err *err)
{
    json_t *at = obj;
    const char *p = sel;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char comp[256];
        if (n == 0 || n >= sizeof comp)
            return stix_refuse(err, STIX_RULE_SELECTOR, path,
                               "\"%.80s\" has an empty or overlong component", sel);
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (comp[0] == '[') {
            char *end;
            unsigned long idx = strtoul(comp + 1, &end, 10);
            if (comp[1] < '0' || comp[1] > '9' || end[0] != ']' || end[1] != '\0')
                return stix_refuse(err, STIX_RULE_SELECTOR, path,
                                   "\"%.80s\": \"%s\" is not a list index like [0]", sel, comp);
            if (!json_is_array(at))
                return stix_refuse(err, STIX_RULE_SELECTOR, path,
                                   "\"%.80s\" selects nothing: %s is applied to something that "
                                   "is not a list",
                                   sel, comp);
            if (idx >= json_array_size(at))
                return stix_refuse(err, STIX_RULE_SELECTOR, path,
                                   "\"%.80s\" selects nothing: the list has %zu items", sel,
                                   json_array_size(at));
            at = json_array_get(at, idx);
        } else {
            if (!json_is_object(at))
                return stix_refuse(err, STIX_RULE_SELECTOR, path,
                                   "\"%.80s\" selects nothing: \"%s\" is looked up in something "
                                   "that is not an object",
                                   sel, comp);
            json_t *next = json_object_get(at, comp);
            if (!next)
                return stix_refuse(err, STIX_RULE_SELECTOR, path,
                                   "\"%.80s\" selects nothing: there is no \"%s\"", sel, comp);
            at = next;
        }
        if (!dot)
            return LIA_OK;
        p = dot + 1;
    }
}

int stix_check_granular_markings(json_t *obj, json_t *v, bool is_marking, struct lia_err *err)
{
    size_t i, j;
    json_t *gm, *sel;
    char path[STIX_PATH_MAX], sub[STIX_PATH_MAX];
    if (!json_is_array(v))
        return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, "granular_markings", "must be a list");
    const char *self = json_string_value(json_object_get(obj, "id"));
    json_array_foreach(v, i, gm)
    {
        stix_path_index(path, "granular_markings", i);
        json_t *selectors = json_object_get(gm, "selectors");
        json_t *ref = json_object_get(gm, "marking_ref"), *lang = json_object_get(gm, "lang");
        if (!json_is_object(gm) || !json_is_array(selectors) || json_array_size(selectors) == 0)
            return stix_refuse(err, STIX_RULE_GRANULAR, path, "needs a non-empty selectors list");
        if (!ref == !lang)
            return stix_refuse(err, STIX_RULE_GRANULAR, path,
                               "needs exactly one of marking_ref and lang");
        if (ref) {
            static const struct stix_prop prop = {"marking_ref", STIX_P_REF, false,
                                                  "marking-definition", NULL};
            stix_path_key(sub, path, "marking_ref");
            if (stix_check_value(sub, ref, &prop, err))
                return STIX_EINVALID;
            if (is_marking && self && strcmp(json_string_value(ref), self) == 0)
                return stix_refuse(err, STIX_RULE_MARKING_REFS, sub,
                                   "a marking definition cannot mark itself (circular "
                                   "reference)");
        }
        if (lang) {
            stix_path_key(sub, path, "lang");
            if (!json_is_string(lang))
                return stix_refuse(err, STIX_RULE_PROPERTY_TYPE, sub, "must be a string");
            if (!stix_is_language_tag(json_string_value(lang), json_string_length(lang)))
                return stix_refuse(err, STIX_RULE_LANG, sub,
                                   "\"%.40s\" is not an RFC 5646 language tag",
                                   json_string_value(lang));
        }
        json_array_foreach(selectors, j, sel)
        {
            stix_path_key(sub, path, "selectors");
            char one[STIX_PATH_MAX];
            stix_path_index(one, sub, j);
            if (!json_is_string(sel) || json_string_length(sel) == 0)
                return stix_refuse(err, STIX_RULE_SELECTOR, one, "must be a non-empty string");
            if (check_selector(obj, json_string_value(sel), one, err))
                return STIX_EINVALID;
        }
    }
    return LIA_OK;
}

/* The predefined TLP marking definitions, as the specification and the OASIS TLP 2.0
 * extension write them. */
static const struct {
    const char *id, *label, *canonical;
} tlp[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:WHITE\",\"definition\":{\"tlp\":\"white\"}}"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:GREEN\",\"definition\":{\"tlp\":\"green\"}}"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:AMBER\",\"definition\":{\"tlp\":\"amber\"}}"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:RED\",\"definition\":{\"tlp\":\"red\"}}"},
#define TLP2(uuid, label, name)                                                                    \
    {                                                                                              \
        "marking-definition--" uuid, label,                                                        \
            "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-"          \
            "definition--" uuid "\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"" name     \
            "\",\"extensions\":{\"" TLP2_EXTENSION                                                 \
            "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"" label "\"}}}"           \
    }
    TLP2("94868c89-83c2-464b-929b-a1a8aa3c8487", "clear", "TLP:CLEAR"),
    TLP2("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green", "TLP:GREEN"),
    TLP2("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber", "TLP:AMBER"),
    TLP2("939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict", "TLP:AMBER+STRICT"),
    TLP2("e828b379-4e03-4974-9ac4-e53a884c97c1", "red", "TLP:RED"),
#undef TLP2
};
#define N_TLP1 4
#define N_TLP (sizeof tlp / sizeof tlp[0])

static bool same_instant(json_t *a, json_t *b)
{
    int64_t ta, tb;
    return json_is_string(a) && json_is_string(b) &&
           stix_parse_timestamp(json_string_value(a), json_string_length(a), &ta, NULL, NULL) ==
               0 &&
           stix_parse_timestamp(json_string_value(b), json_string_length(b), &tb, NULL, NULL) ==
               0 &&
           ta == tb;
}

/* obj carries the id of predefined TLP marking i: it must be that definition. */
static int check_canonical(json_t *obj, size_t i, struct lia_err *err)
{
    json_t *want = json_loads(tlp[i].canonical, 0, NULL);
    if (!want)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    const char *k;
    json_t *v;
    const char *bad = NULL;
    json_object_foreach(obj, k, v)
    {
        json_t *w = json_object_get(want, k);
        bool ok = w && (strcmp(k, "created") == 0 ? same_instant(v, w) : json_equal(v, w));
        if (!ok) {
            bad = k;
            break;
        }
    }
    if (!bad && json_object_size(obj) != json_object_size(want)) {
        json_object_foreach(want, k, v)
        {
            if (!json_object_get(obj, k)) {
                bad = k;
                break;
            }
        }
    }
    int rc = LIA_OK;
    if (bad)
        rc = stix_refuse(err, STIX_RULE_TLP, bad,
                         "%s is the predefined TLP %s marking (%s); it must be exactly that "
                         "definition, and \"%s\" differs from it",
                         tlp[i].id, i < N_TLP1 ? "1.0" : "2.0", tlp[i].label, bad);
    json_decref(want);
    return rc;
}

int stix_check_marking_definition(json_t *obj, const char *path, struct lia_err *err)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    json_t *dtype = json_object_get(obj, "definition_type");
    json_t *def = json_object_get(obj, "definition");
    json_t *exts = json_object_get(obj, "extensions");
    for (size_t i = 0; i < N_TLP; i++) {
        if (strcmp(id, tlp[i].id) == 0)
            return check_canonical(obj, i, err);
    }
    if (!dtype != !def)
        return stix_refuse(err, STIX_RULE_MARKING_DEF, dtype ? "definition" : "definition_type",
                           "definition_type and definition go together");
    if (!dtype && !exts)
        return stix_refuse(err, STIX_RULE_MARKING_DEF, path,
                           "needs definition_type and definition, or an extension (e.g. TLP "
                           "2.0)");
    const char *dt = json_string_value(dtype);
    if (dt && strcmp(dt, "statement") == 0 && !json_is_string(json_object_get(def, "statement")))
        return stix_refuse(err, STIX_RULE_MARKING_DEF, "definition.statement",
                           "a statement definition needs a string statement");
    if (dt && strcmp(dt, "tlp") == 0)
        return stix_refuse(err, STIX_RULE_TLP, "definition_type",
                           "\"tlp\" is reserved for the four TLP 1.0 markings the spec "
                           "predefines; %s is not one of them",
                           id);
    json_t *tlp2_ext = json_object_get(exts, TLP2_EXTENSION);
    if (tlp2_ext) {
        const char *label = json_string_value(json_object_get(tlp2_ext, "tlp_2_0"));
        for (size_t i = N_TLP1; i < N_TLP; i++) {
            if (label && strcmp(label, tlp[i].label) == 0)
                return stix_refuse(err, STIX_RULE_TLP, "extensions." TLP2_EXTENSION ".tlp_2_0",
                                   "TLP 2.0 \"%s\" must have the predefined id %s", label,
                                   tlp[i].id);
        }
        return stix_refuse(err, STIX_RULE_TLP, "extensions." TLP2_EXTENSION ".tlp_2_0",
                           "must be one of clear, green, amber, amber+strict, red (with that "
                           "label's predefined id)");
    }
    return LIA_OK;
}
