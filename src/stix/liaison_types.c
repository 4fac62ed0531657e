/*
 * The types liaison defines by extension (STIX 2.1 section 7.3, new-sdo), as data for the
 * validator: today one, liaison-flow (docs/flows.md, docs/schemas/liaison-flow.json).
 *
 * A flow is an SDO, so the common rules of validate.c apply to it as to any SDO (ids,
 * timestamps, markings, extensions, reference formats); this file adds its own properties
 * and the rules a partner's flow must meet before it is stored, each with a name
 * (flow-extension, flow-endpoints, flow-places, flow-carriers, flow-commodity,
 * flow-estimate). What a reference points at is told from the type in its id: the object
 * itself may not be held here (objects arrive in any order), but a location id names a
 * location.
 *
 * The extension-definition and the identity that authors it are fixed text, the same on
 * every instance, so the same definition arriving from several partners is one object.
 */
#include "stix/stix_internal.h"

#include <pthread.h>
#include <string.h>

const char stix_flow_identity_json[] =
    "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"" STIX_LIAISON_IDENTITY_ID "\","
    "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
    "\"created_by_ref\":\"" STIX_LIAISON_IDENTITY_ID
    "\",\"name\":\"liaison\",\"identity_class\":\"system\",\"description\":\"The liaison "
    "intelligence-exchange server, as the author of the STIX extensions it defines.\","
    "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]}";

const char stix_flow_extension_json[] =
    "{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"" STIX_FLOW_EXTENSION_ID
    "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
    "\"created_by_ref\":\"" STIX_LIAISON_IDENTITY_ID "\",\"name\":\"liaison flow\","
    "\"description\":\"Defines the SDO type liaison-flow: something reported moving (weapons, "
    "ammunition, explosives, money, fighters, fuel, drugs, people, other) from one location to "
    "another, through locations, carried by threat actors, intrusion sets or identities, with "
    "first and last seen and an optional estimate (quantity and unit).\","
    "\"schema\":\"https://liaison.invalid/schemas/liaison-flow.json (docs/schemas/"
    "liaison-flow.json in the liaison repository)\",\"version\":\"1.0.0\","
    "\"extension_types\":[\"new-sdo\"],"
    "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]}";

static const char *const commodities[] = {
    "weapons", "ammunition", "explosives", "money", "fighters", "fuel", "drugs", "people", "other"};
#define N_COMMODITIES (sizeof commodities / sizeof commodities[0])

const char *const *stix_flow_commodities(size_t *n)
{
    *n = N_COMMODITIES;
    return commodities;
}

bool stix_is_flow_commodity(const char *s, size_t n)
{
    for (size_t i = 0; i < N_COMMODITIES; i++)
        if (strlen(commodities[i]) == n && memcmp(commodities[i], s, n) == 0)
            return true;
    return false;
}

/* The type of an identifier, as the bytes before "--" (the id is valid: validate.c checked
 * every *_ref and *_refs before the type's hook runs). */
static bool id_is(const char *id, const char *type)
{
    size_t n = strlen(type);
    return strncmp(id, type, n) == 0 && id[n] == '-' && id[n + 1] == '-';
}

static bool is_carrier(const char *id)
{
    return id_is(id, "threat-actor") || id_is(id, "intrusion-set") || id_is(id, "identity");
}

static int check_extension(json_t *obj, struct lia_err *err)
{
    json_t *ext = json_object_get(json_object_get(obj, "extensions"), STIX_FLOW_EXTENSION_ID);
    if (!ext)
        return stix_refuse(err, STIX_RULE_FLOW_EXTENSION, "extensions",
                           "a liaison-flow names its definition: extensions.%s with "
                           "extension_type \"new-sdo\"",
                           STIX_FLOW_EXTENSION_ID);
    const char *t = json_string_value(json_object_get(ext, "extension_type"));
    if (!t || strcmp(t, "new-sdo") != 0)
        return stix_refuse(err, STIX_RULE_FLOW_EXTENSION, "extensions." STIX_FLOW_EXTENSION_ID,
                           "extension_type must be \"new-sdo\" (liaison-flow is a new SDO type)");
    return LIA_OK;
}

static int check_places(json_t *obj, struct lia_err *err)
{
    static const char *const ends[] = {"from_ref", "to_ref"};
    for (size_t i = 0; i < 2; i++)
        if (!json_object_get(obj, ends[i]))
            return stix_refuse(err, STIX_RULE_FLOW_ENDPOINTS, ends[i],
                               "a flow goes from a place to a place: %s (a location id) is "
                               "missing",
                               ends[i]);
    for (size_t i = 0; i < 2; i++) {
        const char *id = json_string_value(json_object_get(obj, ends[i]));
        if (!id_is(id, "location"))
            return stix_refuse(err, STIX_RULE_FLOW_PLACES, ends[i],
                               "\"%.80s\" must refer to a location", id);
    }
    size_t i;
    json_t *v;
    char sub[STIX_PATH_MAX];
    json_array_foreach(json_object_get(obj, "via_refs"), i, v)
    {
        if (!id_is(json_string_value(v), "location")) {
            stix_path_index(sub, "via_refs", i);
            return stix_refuse(err, STIX_RULE_FLOW_PLACES, sub,
                               "\"%.80s\" must refer to a location", json_string_value(v));
        }
    }
    return LIA_OK;
}

static int check_carriers(json_t *obj, struct lia_err *err)
{
    size_t i;
    json_t *v;
    char sub[STIX_PATH_MAX];
    json_array_foreach(json_object_get(obj, "carrier_refs"), i, v)
    {
        if (!is_carrier(json_string_value(v))) {
            stix_path_index(sub, "carrier_refs", i);
            return stix_refuse(err, STIX_RULE_FLOW_CARRIERS, sub,
                               "\"%.80s\" must refer to a threat-actor, intrusion-set or "
                               "identity",
                               json_string_value(v));
        }
    }
    return LIA_OK;
}

static int check_commodities(json_t *obj, struct lia_err *err)
{
    json_t *list = json_object_get(obj, "commodities");
    if (!list)
        return stix_refuse(err, STIX_RULE_FLOW_COMMODITY, "commodities",
                           "a flow says what moves: commodities is missing");
    size_t i;
    json_t *v;
    bool other = false;
    char sub[STIX_PATH_MAX];
    json_array_foreach(list, i, v)
    {
        stix_path_index(sub, "commodities", i);
        const char *s = json_string_value(v);
        if (!stix_is_flow_commodity(s, json_string_length(v)))
            return stix_refuse(err, STIX_RULE_FLOW_COMMODITY, sub,
                               "\"%.40s\" is not in flow-commodity-ov (weapons, ammunition, "
                               "explosives, money, fighters, fuel, drugs, people): write "
                               "\"other\" and name it in other_commodities",
                               s);
        for (size_t j = 0; j < i; j++)
            if (json_equal(v, json_array_get(list, j)))
                return stix_refuse(err, STIX_RULE_FLOW_COMMODITY, sub, "\"%s\" is listed twice", s);
        other |= strcmp(s, "other") == 0;
    }
    if (json_object_get(obj, "other_commodities") && !other)
        return stix_refuse(err, STIX_RULE_FLOW_COMMODITY, "other_commodities",
                           "only with \"other\" in commodities");
    return LIA_OK;
}

static int check_estimate(json_t *obj, struct lia_err *err)
{
    json_t *e = json_object_get(obj, "estimate");
    if (!e)
        return LIA_OK;
    if (!json_is_object(e))
        return stix_refuse(err, STIX_RULE_FLOW_ESTIMATE, "estimate",
                           "must be an object {\"quantity\": number, \"unit\": string}");
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v)
    {
        if (strcmp(k, "quantity") != 0 && strcmp(k, "unit") != 0)
            return stix_refuse(err, STIX_RULE_FLOW_ESTIMATE, "estimate",
                               "\"%.40s\" is not a member of an estimate (quantity, unit)", k);
    }
    json_t *q = json_object_get(e, "quantity"), *u = json_object_get(e, "unit");
    if (!json_is_number(q))
        return stix_refuse(err, STIX_RULE_FLOW_ESTIMATE, "estimate.quantity",
                           "an estimate needs a number");
    if (json_number_value(q) < 0)
        return stix_refuse(err, STIX_RULE_FLOW_ESTIMATE, "estimate.quantity",
                           "must not be negative");
    if (!json_is_string(u) || json_string_length(u) == 0 || json_string_length(u) > 64)
        return stix_refuse(err, STIX_RULE_FLOW_ESTIMATE, "estimate.unit",
                           "an estimate needs a unit: a string of 1-64 bytes (rifles, kg, USD)");
    return LIA_OK;
}

static int check_flow(json_t *obj, const char *path, struct lia_err *err)
{
    (void)path;
    if (check_extension(obj, err) || check_places(obj, err) || check_commodities(obj, err) ||
        check_carriers(obj, err) || check_estimate(obj, err))
        return STIX_EINVALID;
    return LIA_OK;
}

/* Shapes only; what they must refer to and hold is check_flow's. */
static const struct stix_prop flow[] = {
    {"name", STIX_P_STRING, false, "", NULL},
    {"description", STIX_P_STRING, false, "", NULL},
    {"commodities", STIX_P_STRINGS, false, "", NULL},
    {"other_commodities", STIX_P_STRINGS, false, "", NULL},
    {"from_ref", STIX_P_REF, false, "", NULL},
    {"to_ref", STIX_P_REF, false, "", NULL},
    {"via_refs", STIX_P_REFS, false, "", NULL},
    {"carrier_refs", STIX_P_REFS, false, "", NULL},
    {"first_seen", STIX_P_TIMESTAMP, false, "", NULL},
    {"last_seen", STIX_P_TIMESTAMP, false, "", NULL},
};

static const struct stix_type liaison_types[] = {
    {STIX_FLOW_TYPE, STIX_KIND_SDO, flow, sizeof flow / sizeof flow[0], check_flow, "first_seen",
     "last_seen", false, false, NULL, NULL},
};

const struct stix_type *stix_liaison_type_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof liaison_types / sizeof liaison_types[0]; i++)
        if (strcmp(liaison_types[i].name, name) == 0)
            return &liaison_types[i];
    return NULL;
}

bool stix_is_liaison_type(const char *name)
{
    return stix_liaison_type_lookup(name) != NULL;
}

static json_t *definitions[2];
static pthread_once_t definitions_once = PTHREAD_ONCE_INIT;

static void load_definitions(void)
{
    definitions[0] = json_loads(stix_flow_identity_json, 0, NULL);
    definitions[1] = json_loads(stix_flow_extension_json, 0, NULL);
}

bool stix_is_flow_definition(json_t *obj)
{
    pthread_once(&definitions_once, load_definitions);
    for (int i = 0; i < 2; i++)
        if (definitions[i] && json_equal(obj, definitions[i]))
            return true;
    return false;
}
