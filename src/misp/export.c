/*
 * `liaison misp export`: the MISP feed a partner may see, as files, for a MISP instance with
 * no network path to this one (docs/misp.md, "Export").
 *
 * The same gate and the same mapping as the served feed (feed.c): every object read through
 * the store's query with the partner's policy. Files are made in a staging directory inside
 * the target; the disclosure of every version read goes on the audit record (an
 * objects.export entry for the partner, endpoint misp-export, in the one format of
 * audit/ticket.c) and is committed before any file takes its place. Event files of an earlier
 * export that this feed no longer holds are removed, so the directory is exactly the feed.
 */
#include "misp/misp_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"

struct export_ctx {
    char staging[4200];
    struct dbuf manifest, hashes;
    uint64_t events;
};

static int write_event_file(json_t *report, json_t *event, void *vctx, struct lia_err *err)
{
    struct export_ctx *x = vctx;
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.json", x->staging, misp_str(event, "uuid"));
    json_t *doc = json_pack("{s:O}", "Event", event);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    int rc = text ? lia_write_file(path, text, strlen(text), 0600, err)
                  : lia_err_set(err, LIA_ENOMEM, "out of memory");
    free(text);
    if (rc == 0 && (misp_manifest_entry(report, &x->manifest, x->events == 0) ||
                    misp_hashes_of(event, &x->hashes)))
        rc = lia_err_set(err, LIA_ETOOBIG, "the feed's manifest or hashes are too large");
    x->events++;
    return rc;
}

static bool is_event_file(const char *name)
{
    size_t n = strlen(name);
    if (n != 41 || strcmp(name + 36, ".json") != 0)
        return false;
    char uuid[37];
    memcpy(uuid, name, 36);
    uuid[36] = '\0';
    json_t *u = json_string(uuid);
    bool ok = misp_uuid_norm(u, uuid);
    json_decref(u);
    return ok;
}

/* Empties and removes the staging directory. */
static void remove_staging(const char *staging)
{
    DIR *d = opendir(staging);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[4500];
        snprintf(p, sizeof p, "%s/%s", staging, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(staging);
}

/* Moves the staged files into out_dir and removes event files the new feed does not hold. */
static int publish(const char *staging, const char *out_dir, struct lia_err *err)
{
    DIR *d = opendir(out_dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char staged[4500], old[4500];
        snprintf(staged, sizeof staged, "%s/%s", staging, de->d_name);
        snprintf(old, sizeof old, "%s/%s", out_dir, de->d_name);
        if (is_event_file(de->d_name) && access(staged, F_OK) != 0)
            unlink(old);
    }
    if (d)
        closedir(d);
    d = opendir(staging);
    int rc = d ? 0 : lia_err_set(err, LIA_EIO, "%s: %s", staging, strerror(errno));
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char from[4500], to[4500];
        snprintf(from, sizeof from, "%s/%s", staging, de->d_name);
        snprintf(to, sizeof to, "%s/%s", out_dir, de->d_name);
        if (rename(from, to) != 0)
            rc = lia_err_set(err, LIA_EIO, "%s: %s", to, strerror(errno));
    }
    if (d)
        closedir(d);
    return rc;
}

int misp_export_feed(struct store *s, int64_t partner, const char *coll_id, const char *out_dir,
                     uint64_t *events, struct lia_err *err)
{
    *events = 0;
    struct arena a;
    arena_init(&a, 0);
    struct store_partner p;
    int rc = store_partner_get(s, partner, NULL, NULL, &a, &p, err);
    struct store_policy pol = {.all = false, .partner = partner, .clearance = p.clearance};
    struct store_collection col;
    if (rc == 0 && store_collection_get(s, &pol, coll_id, &a, &col, err) != 0)
        rc = lia_err_set(err, LIA_ENOTFOUND,
                         "partner %s may not read collection %s (grant it --read first)", p.name,
                         coll_id);
    if (rc == 0 && !col.can_read)
        rc = lia_err_set(err, LIA_ENOTFOUND, "partner %s may not read collection %s", p.name,
                         coll_id);
    if (rc == 0 && mkdir(out_dir, 0700) != 0 && errno != EEXIST)
        rc = lia_err_set(err, LIA_EIO, "%s: %s", out_dir, strerror(errno));
    struct export_ctx x;
    memset(&x, 0, sizeof x);
    dbuf_init(&x.manifest, 1u << 30);
    dbuf_init(&x.hashes, 1u << 30);
    snprintf(x.staging, sizeof x.staging, "%s/.misp-export-XXXXXX", out_dir);
    bool staged = rc == 0 && mkdtemp(x.staging) != NULL;
    if (rc == 0 && !staged)
        rc = lia_err_set(err, LIA_EIO, "%s: %s", out_dir, strerror(errno));
    struct misp_rows rows = {0};
    if (rc == 0 && dbuf_puts(&x.manifest, "{"))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    if (rc == 0)
        rc = misp_feed_each_event(s, &pol, &col, &a, &rows, write_event_file, &x, err);
    char path[4300];
    if (rc == 0 && dbuf_puts(&x.manifest, "}"))
        rc = lia_err_set(err, LIA_ETOOBIG, "the manifest is too large");
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/manifest.json", x.staging);
        rc = lia_write_file(path, x.manifest.ptr, x.manifest.len, 0600, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/hashes.csv", x.staging);
        rc = lia_write_file(path, x.hashes.ptr ? x.hashes.ptr : "", x.hashes.len, 0600, err);
    }
    /* On record before any file of the feed is in place (design.md invariant 5), through the
     * one writer of disclosure records (audit/ticket.c). */
    if (rc == 0 && rows.n) {
        const char *actor = arena_printf(&a, "partner:%s/misp-export", p.name);
        struct audit_ticket t = {0};
        struct audit_recorder r;
        audit_recorder_init(&r, s);
        rc = audit_ticket_init(&t, AUDIT_ROUTE_EXPORT, actor, p.identity_id, err);
        rc = rc ? rc : audit_ticket_add(&t, col.id, "misp-export", rows.rows, rows.n, err);
        rc = rc ? rc : audit_ticket_commit(&r, &t, err);
        if (rc == 0 && !audit_ticket_sendable(&t))
            rc = lia_err_set(err, LIA_EINTERNAL, "the export's disclosure is not on record");
        audit_ticket_release(&t);
        audit_recorder_release(&r);
    }
    if (rc == 0)
        rc = publish(x.staging, out_dir, err);
    if (staged)
        remove_staging(x.staging);
    if (rc == 0)
        *events = x.events;
    dbuf_release(&x.manifest);
    dbuf_release(&x.hashes);
    arena_release(&a);
    return rc;
}
