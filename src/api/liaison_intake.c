/*
 * The intake endpoints of the liaison API (docs/api.md, docs/intake.md):
 *   POST /liaison/intake          article text -> {"bundle": draft STIX bundle}
 *   POST /liaison/intake/publish  {"collection", "marking", "bundle"} -> publish report
 * The first only analyses (it stores nothing, so any authenticated principal may use it);
 * the second stores through the one write path with the caller's rights. The gazetteer is
 * loaded once, on first use, and shared by every worker thread (it is immutable).
 */
#include "api/api_int.h"

#include <pthread.h>
#include <string.h>

#include "intake/intake.h"
#include "stix/stix.h"

static pthread_mutex_t gaz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct intake_gazetteer *gazetteer;

static const struct intake_gazetteer *load_gazetteer(struct lia_err *err)
{
    pthread_mutex_lock(&gaz_lock);
    if (!gazetteer) {
        char dir[4096];
        if (intake_gazetteer_load(intake_default_gazetteer_dir(dir, sizeof dir), &gazetteer, err))
            gazetteer = NULL;
    }
    pthread_mutex_unlock(&gaz_lock);
    return gazetteer;
}

static bool content_type_is(struct api_call *c, const char *type)
{
    const char *ct = http_header(c->req, "Content-Type");
    return ct && !strncmp(ct, type, strlen(type));
}

static void analyse(struct api_call *c)
{
    const char *text = c->req->body;
    size_t len = c->req->body_len;
    struct intake_options opt = {0};
    json_t *body = NULL;
    struct lia_err err;
    lia_err_clear(&err);
    if (content_type_is(c, "application/json")) {
        if (stix_parse_json(c->req->body, c->req->body_len, &c->api->cfg.stix, &body, &err))
            return (void)api_fail_err(c, &err);
        json_t *t = json_object_get(body, "text");
        const char *lang = json_string_value(json_object_get(body, "lang"));
        if (!json_is_string(t)) {
            json_decref(body);
            return (void)api_fail(c, 400, "Bad request", "the body needs \"text\"");
        }
        text = json_string_value(t);
        len = json_string_length(t);
        opt.lang = INTAKE_LANG_AUTO;
        if (lang && intake_lang_parse(lang, &opt.lang) < 0) {
            json_decref(body);
            return (void)api_fail(c, 400, "Bad request", "lang must be auto, ar, en or fr");
        }
    } else if (!content_type_is(c, "text/plain")) {
        return (void)api_fail(c, 415, "Unsupported media type",
                              "send the article as text/plain; charset=utf-8 or as JSON");
    }
    const struct intake_gazetteer *g = load_gazetteer(&err);
    int rc = g ? 0 : LIA_EIO;
    if (rc == 0)
        rc = intake_check_input(text, len, &err);
    struct dbuf bundle;
    dbuf_init(&bundle, len * 8 + (1u << 20));
    if (rc == 0)
        rc = intake_extract(g, text, len, &opt, &bundle, &err);
    json_decref(body);
    if (rc == INTAKE_EREFUSED) {
        dbuf_release(&bundle);
        return (void)api_fail(c, 422, "Unprocessable content", "%s", err.msg);
    }
    if (rc) {
        dbuf_release(&bundle);
        return (void)api_fail_err(c, &err);
    }
    rc = dbuf_puts(&c->resp->body, "{\"bundle\":");
    rc = rc ? rc : dbuf_append(&c->resp->body, bundle.ptr, bundle.len);
    rc = rc ? rc : dbuf_puts(&c->resp->body, "}");
    dbuf_release(&bundle);
    if (rc)
        return (void)api_fail(c, 413, "Too large", "the draft does not fit the response limit");
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}

/* The answer's "reused" objects were already in the collection, and the caller may see them:
 * telling it so discloses them. They are read again through the one reader (read.c), as
 * intake_publish found them, so that a partner's answer names them on record. */
static int disclose_reused(struct api_call *c, const char *coll)
{
    if (!c->who->partner)
        return 0;
    json_t *answer =
        json_loadb(c->resp->body.ptr ? c->resp->body.ptr : "", c->resp->body.len, 0, NULL);
    struct store_collection col;
    struct lia_err err;
    lia_err_clear(&err);
    int rc = answer ? store_collection_get(c->api->store, &c->who->policy, coll, c->req->arena,
                                           &col, &err)
                    : lia_err_set(&err, LIA_EINTERNAL, "the publish report is not JSON");
    if (rc) {
        json_decref(answer);
        return api_fail_err(c, &err);
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(answer, "objects"), i, o)
    {
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *result = json_string_value(json_object_get(o, "result"));
        if (!id || !result || strcmp(result, "reused") != 0)
            continue;
        struct store_filter f = {.ids = &id, .n_ids = 1, .version_sel = STORE_VER_ALL, .limit = 1};
        struct store_page page;
        if ((rc = api_read_objects(c, &col, "intake", &f, false, &page)) != 0)
            break;
    }
    json_decref(answer);
    return rc;
}

static void publish(struct api_call *c)
{
    if (!content_type_is(c, "application/json"))
        return (void)api_fail(c, 415, "Unsupported media type",
                              "send the body as application/json");
    struct lia_err err;
    lia_err_clear(&err);
    json_t *body = NULL;
    if (stix_parse_json(c->req->body, c->req->body_len, &c->api->cfg.stix, &body, &err))
        return (void)api_fail_err(c, &err);
    const char *coll = json_string_value(json_object_get(body, "collection"));
    const char *marking = json_string_value(json_object_get(body, "marking"));
    json_t *bundle = json_object_get(body, "bundle");
    int tlp = marking ? access_tlp_parse(marking) : STORE_TLP_AMBER;
    if (!coll || !json_is_object(bundle) || tlp < STORE_TLP_CLEAR) {
        json_decref(body);
        return (void)api_fail(c, 400, "Bad request",
                              "the body needs \"collection\", \"bundle\" and a known \"marking\"");
    }
    char *text = json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = text ? intake_publish(c->api->store, c->who, coll, tlp, text, strlen(text),
                                   c->req->arena, &c->resp->body, &err)
                  : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    free(text);
    if (rc) {
        json_decref(body);
        dbuf_reset(&c->resp->body);
        return (void)api_fail_err(c, &err);
    }
    rc = disclose_reused(c, coll);
    json_decref(body);
    if (rc)
        return;
    c->resp->status = 200;
    c->resp->content_type = "application/json";
}

void api_liaison_intake(struct api_call *c, const char **seg, size_t nseg)
{
    static const char *const no_params[] = {NULL};
    if (api_check_params(c, no_params))
        return;
    if (strcmp(c->req->method, "POST") != 0) {
        api_fail(c, 405, "Method not allowed", "use POST");
        return http_add_header(c->resp, "Allow", "POST");
    }
    if (nseg == 2)
        return analyse(c);
    if (nseg == 3 && !strcmp(seg[2], "publish"))
        return publish(c);
    api_fail(c, 404, "Not found", "no such resource");
}
