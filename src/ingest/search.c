/*
 * The text of an object that search matches (store_filter.text_match): names and aliases of
 * everything, and the text of reports and requests (other descriptions are not searched:
 * every indexed character costs ingest), normalised as intake and watches normalise (text/), so
 * that الاسلامية finds الإسلامية.
 */
#include "ingest/ingest_int.h"

#include <string.h>

#include "text/text.h"

#define SEARCH_SOURCE_MAX (64u << 10)

static void add_text(struct dbuf *b, json_t *v)
{
    if (json_is_string(v)) {
        dbuf_append(b, json_string_value(v), json_string_length(v));
        dbuf_puts(b, "\n");
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) add_text(b, e);
    }
}

int ingest_search_text(json_t *obj, const char *type, struct arena *a, const char **out)
{
    static const char *const names[] = {"name", "aliases", "x_mitre_aliases", NULL};
    static const char *const texts[] = {"description", "abstract", "content",
                                        "explanation", "subject",  "questions",
                                        "text",        "reason",   NULL};
    static const char *const text_types[] = {"report", "liaison-rfi", "liaison-rfi-response", NULL};
    bool with_text = false;
    for (const char *const *t = text_types; *t && !with_text; t++)
        with_text = !strcmp(*t, type);
    struct dbuf src, norm;
    dbuf_init(&src, SEARCH_SOURCE_MAX);
    dbuf_init(&norm, 4 * SEARCH_SOURCE_MAX);
    for (const char *const *f = names; *f; f++)
        add_text(&src, json_object_get(obj, *f));
    for (const char *const *f = texts; with_text && *f; f++)
        add_text(&src, json_object_get(obj, *f));
    size_t ncp;
    int rc = 0;
    *out = NULL;
    if (src.len && text_normalize(src.ptr, src.len, &norm, NULL, NULL, &ncp, NULL) == 0)
        rc = (*out = arena_strndup(a, norm.ptr, norm.len)) ? 0 : LIA_ENOMEM;
    dbuf_release(&src);
    dbuf_release(&norm);
    return rc;
}
