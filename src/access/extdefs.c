/*
 * The extension-definitions of liaison's own extensions, as fixed text (the same on every
 * instance, authored by the "liaison" system identity of stix/liaison_types.c), so that an
 * object that uses one can be served and exported with it (issue 27.4; docs/markings.md).
 */
#include "access/access.h"

#include <string.h>

#include "stix/stix.h"

#define CLEAR_REF "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define DEF(id, name, description, schema, types)                                                  \
    "{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"" id "\","               \
    "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","          \
    "\"created_by_ref\":\"" STIX_LIAISON_IDENTITY_ID "\",\"name\":\"" name "\","                   \
    "\"description\":\"" description "\",\"schema\":\"https://liaison.invalid/schemas/" schema     \
    " (docs/schemas/" schema " in the liaison repository)\",\"version\":\"1.0.0\","                \
    "\"extension_types\":[\"" types "\"],\"object_marking_refs\":[\"" CLEAR_REF "\"]}"

static const struct {
    const char *id, *json;
} defs[] = {
    {ACCESS_EXT_HANDLING,
     DEF(ACCESS_EXT_HANDLING, "liaison handling",
         "red_recipients: the identities a TLP:RED object may be released to (docs/markings.md).",
         "markings.md", "property-extension")},
    {ACCESS_EXT_RELEASABILITY,
     DEF(ACCESS_EXT_RELEASABILITY, "liaison releasability",
         "On a marking-definition, rel_to: the identities an object carrying it may be released "
         "to (REL TO; docs/markings.md).",
         "markings.md", "property-extension")},
    {ACCESS_EXT_GROUP,
     DEF(ACCESS_EXT_GROUP, "liaison sharing group",
         "On a marking-definition: the sharing group an object carrying it is released to; "
         "names the group, never its members (docs/groups.md).",
         "liaison-group-marking.json", "property-extension")},
    {ACCESS_EXT_RFI,
     DEF(ACCESS_EXT_RFI, "liaison request for information",
         "Defines the SDO type liaison-rfi: a formal request for information from one partner "
         "to another (docs/rfi.md).",
         "liaison-rfi.json", "new-sdo")},
    {ACCESS_EXT_RFI_RESPONSE,
     DEF(ACCESS_EXT_RFI_RESPONSE, "liaison response to a request for information",
         "Defines the SDO type liaison-rfi-response: acknowledgement, answer, decline, amendment "
         "or closure of a liaison-rfi (docs/rfi.md).",
         "liaison-rfi-response.json", "new-sdo")},
    {ACCESS_EXT_GRADING,
     DEF(ACCESS_EXT_GRADING, "liaison grading",
         "Source reliability and information credibility of an SDO as its creator grades them "
         "(Admiralty or Europol 4x4; docs/rfi.md).",
         "liaison-grading.json", "property-extension")},
};

const char *access_extension_definition(const char *id)
{
    if (!strcmp(id, STIX_FLOW_EXTENSION_ID))
        return stix_flow_extension_json;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (!strcmp(defs[i].id, id))
            return defs[i].json;
    return NULL;
}
