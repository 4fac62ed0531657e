/*
 * Handling from markings: which TLP level an object carries. TLP 2.0
 * marking-definitions (OASIS cti-stix-common-objects) and the TLP 1.0 ones of
 * the STIX 2.1 specification (section 7.2.1.4) map to the same five ranks;
 * WHITE is CLEAR. When an object carries several TLP markings, object-level or
 * granular, the most restrictive wins: handling errs towards not sharing.
 */
#include "access/access.h"

#include <string.h>

static const struct {
    const char *id;
    int rank;
} tlp_ids[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", STORE_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", STORE_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", STORE_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", STORE_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", STORE_TLP_RED},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", STORE_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", STORE_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", STORE_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", STORE_TLP_RED},
};

int access_tlp_of_marking(const char *id)
{
    for (size_t i = 0; i < sizeof tlp_ids / sizeof tlp_ids[0]; i++)
        if (!strcmp(tlp_ids[i].id, id))
            return tlp_ids[i].rank;
    return STORE_TLP_NONE;
}

const char *access_tlp_marking_id(int rank)
{
    for (size_t i = 0; i < sizeof tlp_ids / sizeof tlp_ids[0]; i++)
        if (tlp_ids[i].rank == rank)
            return tlp_ids[i].id;
    return NULL;
}

static int max_tlp(int a, int b)
{
    return a > b ? a : b;
}

int access_object_tlp(json_t *obj)
{
    int tlp = STORE_TLP_NONE;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, v)
    {
        if (json_is_string(v))
            tlp = max_tlp(tlp, access_tlp_of_marking(json_string_value(v)));
    }
    json_array_foreach(json_object_get(obj, "granular_markings"), i, v)
    {
        json_t *ref = json_object_get(v, "marking_ref");
        if (json_is_string(ref))
            tlp = max_tlp(tlp, access_tlp_of_marking(json_string_value(ref)));
    }
    return tlp;
}

int access_each_definition(json_t *obj, access_definition_fn fn, void *ctx)
{
    int rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, v)
    {
        const char *ref = json_string_value(v);
        if (rc == 0 && ref && access_tlp_of_marking(ref) == STORE_TLP_NONE)
            rc = fn(ctx, ref, true);
    }
    json_array_foreach(json_object_get(obj, "granular_markings"), i, v)
    {
        const char *ref = json_string_value(json_object_get(v, "marking_ref"));
        if (rc == 0 && ref && access_tlp_of_marking(ref) == STORE_TLP_NONE)
            rc = fn(ctx, ref, true);
    }
    const char *key;
    json_object_foreach(json_object_get(obj, "extensions"), key, v)
    {
        if (rc == 0 && strncmp(key, "extension-definition--", 22) == 0)
            rc = fn(ctx, key, false);
    }
    return rc;
}

const char *access_tlp_name(int rank)
{
    static const char *names[] = {"clear", "green", "amber", "amber+strict", "red"};
    return rank >= 0 && rank <= 4 ? names[rank] : "none";
}

int access_tlp_parse(const char *name)
{
    for (int r = 0; r <= 4; r++)
        if (!strcmp(access_tlp_name(r), name))
            return r;
    if (!strcmp(name, "white"))
        return STORE_TLP_CLEAR;
    return STORE_TLP_NONE - 1;
}
