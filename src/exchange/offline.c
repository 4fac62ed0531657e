/*
 * Offline exchange: `liaison export` writes a signed bundle file of what one
 * partner may receive; `liaison import` verifies such a file and stores it.
 *
 * Export reads through the one gate with the recipient's policy (every
 * version it may see, nothing filtered afterwards), audits the disclosure in
 * the transaction before the file is written, and signs with DIR/signing.key.
 * The desk's selection (versions named by id and modified, POST
 * /liaison/export) is read the same way: the gate's page of those ids, of
 * which only the named versions are kept, so a selection narrows what the
 * gate releases and never adds to it. Why each named version the gate did not
 * release was withheld is asked of the gate again (clearance red, then an
 * administrator's policy), as the desk's audience does.
 *
 * Import reads the whole file (bounded by EXCHANGE_MAX_FILE), verifies the
 * signature and digest, and finds the sending partner by the public key
 * registered with `liaison partner key`. Only then does it parse and store,
 * in one transaction, as that partner under the exchange write rule, with
 * provenance via "import". A file that fails any check stores nothing;
 * importing the same file again finds every version held and adds none.
 */
#include "exchange/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"
#include "stix/stix.h"

/* A version asked for by name, and what became of it. */
enum { PICK_OPEN, PICK_SENT, PICK_CLEARANCE, PICK_MARKING };
struct pick {
    const char *id;
    const char *modified; /* as given; NULL: an object without versions */
    int64_t at;           /* modified in microseconds; 0 without */
    int state;
    bool any; /* a definition carried along: every version of it the gate releases */
};

static int pick_cmp(const void *x, const void *y)
{
    const struct pick *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* The picks checked, sorted and without repeats, in a. */
static int picks_make(const struct exchange_export *e, struct arena *a, struct pick **out,
                      size_t *n, struct lia_err *err)
{
    struct pick *p = arena_alloc(a, (e->n_picks ? e->n_picks : 1) * sizeof *p);
    if (!p)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->n_picks; i++) {
        const struct exchange_pick *q = &e->picks[i];
        if (!q->id || !stix_is_valid_id(q->id, strlen(q->id)))
            return lia_err_set(err, LIA_EINVAL, "objects[%zu]: '%.100s' is not a STIX id", i,
                               q->id ? q->id : "");
        p[i] = (struct pick){.id = q->id, .modified = q->modified};
        int digits;
        struct lia_err why;
        lia_err_clear(&why);
        if (q->modified &&
            stix_parse_timestamp(q->modified, strlen(q->modified), &p[i].at, &digits, &why))
            return lia_err_set(err, LIA_EINVAL, "objects[%zu].modified '%.40s': %s", i, q->modified,
                               why.msg);
    }
    qsort(p, e->n_picks, sizeof *p, pick_cmp);
    size_t k = 0;
    for (size_t i = 0; i < e->n_picks; i++)
        if (k == 0 || pick_cmp(&p[k - 1], &p[i]) != 0)
            p[k++] = p[i];
    *out = p;
    *n = k;
    return 0;
}

/* An object with one version only: an SCO (no version stored), or a marking-definition (its
 * version stored is its created; it has no modified, so the desk names it with none). */
static bool unversioned(const struct store_row *r)
{
    return !r->modified || !strncmp(r->id, "marking-definition--", 20);
}

/* The open pick of p[0..n) that row r is, or NULL. */
static struct pick *pick_of(struct pick *p, size_t n, const struct store_row *r)
{
    int64_t at = 0;
    int digits;
    struct lia_err ignored;
    if (r->modified &&
        stix_parse_timestamp(r->modified, strlen(r->modified), &at, &digits, &ignored))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i].state == PICK_OPEN && !strcmp(p[i].id, r->id) &&
            (p[i].any || (p[i].modified ? r->modified && p[i].at == at : unversioned(r))))
            return &p[i];
    return NULL;
}

/* What a page of the export's reading is handed to (its rows may be reordered and cut). */
typedef int (*page_fn)(void *ctx, struct store_row *rows, size_t n, struct lia_err *err);

/* Every version of coll that pol releases and f selects (its after_key and limit set here),
 * a page of 1,000 at a time, each handed to fn. */
static int read_pages(struct store *s, const struct store_policy *pol, int64_t coll,
                      struct store_filter f, bool with_json, page_fn fn, void *ctx,
                      struct lia_err *err)
{
    bool more = true;
    int rc = 0;
    f.after_key = 0;
    f.limit = 1000;
    while (rc == 0 && more) {
        struct arena pa;
        arena_init(&pa, 0);
        struct store_page page;
        rc = store_query_objects(s, pol, coll, &f, with_json, &pa, &page, err);
        more = rc == 0 && page.more;
        if (rc == 0 && page.n)
            f.after_key = page.rows[page.n - 1].date_added;
        rc = rc ? rc : fn(ctx, page.rows, page.n, err);
        arena_release(&pa);
    }
    return rc;
}

#define PICKS_PER_QUERY 64

/* One query's picks: the rows that are picks are marked `as` and handed on to take. */
struct picks_chunk {
    struct pick *p;
    size_t n;
    int as;
    page_fn take;
    void *ctx;
};

static int picks_page(void *ctx, struct store_row *rows, size_t n, struct lia_err *err)
{
    struct picks_chunk *c = ctx;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct pick *hit = pick_of(c->p, c->n, &rows[i]);
        if (hit) {
            hit->state = hit->any ? hit->state : c->as;
            rows[kept++] = rows[i];
        }
    }
    return c->take && kept ? c->take(c->ctx, rows, kept, err) : 0;
}

/* Reads through policy pol the open picks of p[0..n) from collection coll, a few ids per query
 * (every version of those ids, kept only when picked), marks each found `as`, and hands the
 * rows found to take (when not NULL) page by page. */
static int picks_read(struct store *s, const struct store_policy *pol, int64_t coll, struct pick *p,
                      size_t n, int as, page_fn take, void *ctx, struct lia_err *err)
{
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += PICKS_PER_QUERY) {
        struct picks_chunk c = {.p = p + at,
                                .n = n - at < PICKS_PER_QUERY ? n - at : PICKS_PER_QUERY,
                                .as = as,
                                .take = take,
                                .ctx = ctx};
        const char *ids[PICKS_PER_QUERY];
        size_t k = 0;
        for (size_t i = 0; i < c.n; i++)
            if (c.p[i].state == PICK_OPEN && (k == 0 || strcmp(ids[k - 1], c.p[i].id)))
                ids[k++] = c.p[i].id;
        struct store_filter f = {.ids = ids, .n_ids = k, .version_sel = STORE_VER_ALL};
        if (k)
            rc = read_pages(s, pol, coll, f, take != NULL, picks_page, &c, err);
    }
    return rc;
}

/* The definitions the chosen versions name (access_each_definition: marking-definitions other
 * than TLP's, and extension-definitions): they travel with them, as in a whole collection's
 * file, or the recipient could not apply the REL TO and group markings they say, nor read the
 * extensions. Bounded: one selection names at most EXPORT_MAX_REFS distinct definitions. */
#define EXPORT_MAX_REFS 256
struct export_refs {
    struct arena *a;
    const char *ids[EXPORT_MAX_REFS];
    size_t n;
    bool too_many;
};

static int ref_add(void *ctx, const char *id, bool marking)
{
    struct export_refs *r = ctx;
    (void)marking;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->ids[i], id))
            return 0;
    if (r->n == EXPORT_MAX_REFS)
        return r->too_many = true, LIA_ETOOBIG;
    r->ids[r->n] = arena_printf(r->a, "%s", id);
    return r->ids[r->n++] ? 0 : LIA_ENOMEM;
}

/* Adds the definitions row names. */
static int refs_of_row(struct export_refs *r, const struct store_row *row, struct lia_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(row->json, row->json_len, 0, &je);
    if (!o)
        return lia_err_set(err, LIA_EINTERNAL, "stored version of %s does not parse", row->id);
    int rc = access_each_definition(o, ref_add, r);
    json_decref(o);
    if (rc && r->too_many)
        return lia_err_set(err, LIA_ETOOBIG,
                           "the selection names more than %d definitions; export fewer objects "
                           "at a time",
                           EXPORT_MAX_REFS);
    return rc ? lia_err_set(err, LIA_ENOMEM, "out of memory") : 0;
}

/* The file as it is made: every version the gate released, named in the ticket. */
struct export_run {
    const struct exchange_export *e;
    const struct store_collection *col;
    struct dbuf bundle;
    struct audit_ticket ticket;
    uint64_t objects;
    struct export_refs *refs; /* when not NULL, the definitions the rows name are kept here */
};

static int export_take(void *ctx, struct store_row *rows, size_t n, struct lia_err *err)
{
    struct export_run *x = ctx;
    for (size_t i = 0; i < n && x->refs; i++) {
        int rc = refs_of_row(x->refs, &rows[i], err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n && !x->e->preview; i++) {
        int w = dbuf_puts(&x->bundle, x->objects + i ? "," : "");
        w = w ? w : dbuf_append(&x->bundle, rows[i].json, rows[i].json_len);
        if (w)
            return lia_err_set(err, LIA_ETOOBIG, "export larger than %zu bytes",
                               (size_t)EXCHANGE_MAX_FILE);
        exchange_progress_add(x->e->progress, 1, rows[i].json_len);
    }
    x->objects += n;
    return x->e->preview ? 0 : audit_ticket_add(&x->ticket, x->col->id, "export", rows, n, err);
}

/* Why the picks the recipient was not given were withheld, asked of the gate itself: given
 * with clearance red (its clearance), seen by an administrator (the markings), or neither (not
 * in the collection). */
static int withheld_count(struct store *s, const struct store_policy *pol, int64_t coll,
                          struct pick *p, size_t n, struct exchange_export_counts *out,
                          struct lia_err *err)
{
    struct store_policy red = *pol, all = {.all = true, .clearance = STORE_TLP_RED};
    red.clearance = STORE_TLP_RED;
    int rc = picks_read(s, &red, coll, p, n, PICK_CLEARANCE, NULL, NULL, err);
    rc = rc ? rc : picks_read(s, &all, coll, p, n, PICK_MARKING, NULL, NULL, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        out->withheld_clearance += p[i].state == PICK_CLEARANCE;
        out->withheld_marking += p[i].state == PICK_MARKING;
        out->withheld_unknown += p[i].state == PICK_OPEN;
    }
    return rc;
}

/* The definitions refs holds that the selection did not name, every version the gate releases
 * to the recipient, added to the file (one the gate withholds stays out: the recipient then
 * releases what names it to no one, never to more). */
static int carry_definitions(struct store *s, const struct store_policy *pol, int64_t coll,
                             const struct pick *picks, size_t n_picks, struct export_refs *refs,
                             struct export_run *x, struct lia_err *err)
{
    struct pick more[EXPORT_MAX_REFS];
    size_t k = 0;
    for (size_t i = 0; i < refs->n; i++) {
        bool named = false;
        for (size_t j = 0; j < n_picks && !named; j++)
            named = !strcmp(picks[j].id, refs->ids[i]);
        if (!named)
            more[k++] = (struct pick){.id = refs->ids[i], .state = PICK_OPEN, .any = true};
    }
    if (k == 0)
        return 0;
    qsort(more, k, sizeof *more, pick_cmp);
    return picks_read(s, pol, coll, more, k, PICK_SENT, export_take, x, err);
}

/* The signed file of the bundle made, with our latest checkpoint and key rotation notice. */
static int export_sign(struct store *s, const struct export_run *x, const struct store_partner *p,
                       const char *instance, const unsigned char sk[64], struct arena *a,
                       struct dbuf *file, struct lia_err *err)
{
    struct exchange_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.sender, sizeof h.sender, "%s", instance);
    lia_format_ts(lia_now_us(), 6, h.created);
    snprintf(h.collection, sizeof h.collection, "%s", x->col->id);
    snprintf(h.recipient, sizeof h.recipient, "%s", p->identity_id);
    h.objects = (int64_t)x->objects;
    char *cp = NULL;
    if (audit_checkpoint_current(s, a, &cp, NULL) == 0)
        snprintf(h.checkpoint, sizeof h.checkpoint, "%s", cp);
    struct dbuf notice;
    dbuf_init(&notice, 8192);
    int rc = exchange_rotation_current(x->e->data_dir, sk, &notice, err);
    if (rc == 0 && notice.len)
        h.rotation = notice.ptr;
    rc = rc ? rc : exchange_signed_build(sk, &h, x->bundle.ptr, x->bundle.len, file, err);
    dbuf_release(&notice);
    return rc;
}

int exchange_export_file(struct store *s, const struct exchange_export *e,
                         struct exchange_export_counts *n, struct lia_err *err)
{
    memset(n, 0, sizeof *n);
    struct arena a;
    arena_init(&a, 0);
    /* The picks first: a malformed one is said before anything else. */
    struct pick *picks = NULL;
    size_t n_picks = 0;
    int rc = e->picks ? picks_make(e, &a, &picks, &n_picks, err) : 0;
    n->picks = n_picks;
    struct store_partner p = {0};
    rc = rc ? rc : store_partner_get(s, e->partner, NULL, NULL, &a, &p, err);
    struct store_policy pol = {.all = false, .partner = e->partner, .clearance = p.clearance};
    struct store_collection col;
    if (rc == 0 && store_collection_get(s, &pol, e->collection, &a, &col, err) != 0)
        rc = lia_err_set(err, LIA_ENOTFOUND,
                         "partner %s may not read collection %s (grant it --read first)", p.name,
                         e->collection);
    char *instance = NULL;
    if (rc == 0)
        rc = store_meta_get(s, "instance_identity", &a, &instance, err);
    unsigned char sk[64];
    bool have_key = false;
    if (rc == 0) {
        if (!e->data_dir)
            rc = lia_err_set(err, LIA_ENOTFOUND, "no data directory to read signing.key from");
        else
            have_key = (rc = exchange_load_secret_key(e->data_dir, sk, err)) == 0;
        if (rc == LIA_ENOTFOUND)
            rc = lia_err_set(err, LIA_EUNSUPPORTED,
                             "this instance has no signing key (%s/signing.key, which `liaison "
                             "init` makes), so it cannot sign a bundle file",
                             e->data_dir ? e->data_dir : "DIR");
    }
    struct export_run x = {.e = e, .col = &col};
    dbuf_init(&x.bundle, EXCHANGE_MAX_FILE);
    char bid[64];
    stix_new_id("bundle", bid, sizeof bid);
    if (rc == 0 && !e->preview &&
        dbuf_printf(&x.bundle, "{\"type\":\"bundle\",\"id\":\"%s\",\"objects\":[", bid))
        rc = lia_err_set(err, LIA_ENOMEM, "out of memory");
    /* What the file discloses, named as it is read (audit/ticket.c). */
    if (rc == 0 && !e->preview)
        rc = audit_ticket_init(&x.ticket, AUDIT_ROUTE_EXPORT, e->actor ? e->actor : "cli",
                               p.identity_id, err);
    if (rc == 0 && e->picks) {
        struct export_refs refs = {.a = &a};
        x.refs = &refs;
        rc = picks_read(s, &pol, col.rid, picks, n_picks, PICK_SENT, export_take, &x, err);
        rc = rc ? rc : withheld_count(s, &pol, col.rid, picks, n_picks, n, err);
        n->objects = x.objects;
        x.refs = NULL;
        rc = rc ? rc : carry_definitions(s, &pol, col.rid, picks, n_picks, &refs, &x, err);
        n->carried = x.objects - n->objects;
        if (rc == 0 && !e->preview && n->objects == 0)
            rc = lia_err_set(err, LIA_ECONFLICT,
                             "none of the %zu versions selected may go to %s (withheld: %llu "
                             "above its clearance, %llu whose markings do not name it, %llu not "
                             "in the collection); nothing exported",
                             n_picks, p.name, (unsigned long long)n->withheld_clearance,
                             (unsigned long long)n->withheld_marking,
                             (unsigned long long)n->withheld_unknown);
    } else if (rc == 0) {
        struct store_filter f = {.added_after = e->since, .version_sel = STORE_VER_ALL};
        rc = read_pages(s, &pol, col.rid, f, !e->preview, export_take, &x, err);
    }
    if (!e->picks)
        n->objects = x.objects;
    if (rc == 0 && !e->preview && dbuf_puts(&x.bundle, "]}"))
        rc = lia_err_set(err, LIA_ETOOBIG, "export too large");
    /* The disclosure is on record before the file exists (invariant 5), and the file carries
     * our latest signed audit checkpoint, that record included (audit/anchor.c). */
    struct audit_recorder own; /* when the caller has none (the CLI) */
    audit_recorder_init(&own, s);
    if (rc == 0 && !e->preview)
        rc = audit_ticket_commit(e->recorder ? e->recorder : &own, &x.ticket, err);
    audit_recorder_release(&own);
    if (rc == 0 && !audit_ticket_sendable(&x.ticket))
        rc = lia_err_set(err, LIA_EINTERNAL, "the export's disclosure is not on record");
    audit_ticket_release(&x.ticket);
    struct dbuf file;
    dbuf_init(&file, EXCHANGE_MAX_FILE + 65536);
    struct dbuf *into = e->out_path ? &file : e->out;
    if (rc == 0 && !e->preview)
        rc = export_sign(s, &x, &p, instance, sk, &a, into, err);
    if (have_key)
        sodium_memzero(sk, sizeof sk);
    dbuf_release(&x.bundle);
    if (rc == 0 && !e->preview && e->out_path)
        rc = lia_write_file(e->out_path, file.ptr, file.len, 0600, err);
    dbuf_release(&file);
    arena_release(&a);
    return rc;
}

/* The partner whose registered key is hex (lowercase), or LIA_EFORBIDDEN. */
static int find_sender(struct store *s, const char *hex, struct arena *a, struct store_partner *out,
                       struct lia_err *err)
{
    struct store_partner *ps;
    size_t n;
    int rc = store_partner_list(s, a, &ps, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].pubkey || strlen(ps[i].pubkey) != 64)
            continue;
        bool same = true;
        for (size_t k = 0; k < 64; k++) {
            char c = ps[i].pubkey[k];
            if (c >= 'A' && c <= 'F')
                c = (char)(c + 32);
            same = same && c == hex[k];
        }
        if (same) {
            *out = ps[i];
            return out->disabled ? lia_err_set(err, LIA_EFORBIDDEN,
                                               "refused: the sender, partner %s, is disabled; "
                                               "nothing imported",
                                               out->name)
                                 : 0;
        }
    }
    return lia_err_set(err, LIA_EFORBIDDEN,
                       "refused: the file is signed by key %.16s..., which belongs to no partner "
                       "here (register it with `liaison partner key`); nothing imported",
                       hex);
}

/* A file whose key is no partner's current one: the key rotation notice it carries (signed
 * by the partner's registered key), or a partner's retired key still valid. */
static int sender_by_rotation(struct store *s, const char *text, const struct exchange_header *h,
                              struct arena *a, struct store_partner *out, struct lia_err *err)
{
    json_error_t je;
    json_t *head = json_loadb(text, strcspn(text, "\n"), 0, &je);
    json_t *notice = json_object_get(head, "rotation");
    int rc;
    if (notice) {
        struct exchange_rotation n;
        rc = exchange_rotation_parse(notice, &n, err);
        if (rc == 0 && (strcmp(n.new_key, h->sender_key) || strcmp(n.sender, h->sender)))
            rc = lia_err_set(err, LIA_EFORBIDDEN,
                             "refused: the file carries a key rotation notice for another key or "
                             "sender; nothing imported");
        if (rc == 0)
            rc = exchange_rotation_accept(s, &n, 0, "import", a, out, err);
        json_decref(head);
        if (rc)
            return rc;
        return find_sender(s, h->sender_key, a, out, err);
    }
    json_decref(head);
    int64_t partner = 0, until = 0;
    struct lia_err e2;
    lia_err_clear(&e2);
    if (store_partner_key_old(s, h->sender_key, lia_now_us(), &partner, &until, &e2) == 0) {
        rc = store_partner_get(s, partner, NULL, NULL, a, out, err);
        if (rc == 0 && out->disabled)
            rc = lia_err_set(err, LIA_EFORBIDDEN,
                             "refused: the sender, partner %s, is disabled; nothing imported",
                             out->name);
        return rc;
    }
    if (store_partner_key_old(s, h->sender_key, 0, &partner, &until, &e2) == 0 &&
        store_partner_get(s, partner, NULL, NULL, a, out, &e2) == 0) {
        char ts[32];
        lia_format_ts(until, 0, ts);
        lia_err_set(err, LIA_EFORBIDDEN,
                    "refused: the file is signed with a key partner %s replaced, valid until %s "
                    "only; nothing imported",
                    out->name ? out->name : "?", ts);
        memset(out, 0, sizeof *out);
        return LIA_EFORBIDDEN;
    }
    return LIA_EFORBIDDEN; /* err says it already: the key belongs to no partner */
}

/* The local collection an import goes to: --into, the one used before, or a new one. */
static int import_target(struct store *s, const struct exchange_import *im,
                         const struct store_partner *from, const struct exchange_header *h,
                         struct arena *a, struct store_collection *col, struct lia_err *err)
{
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    if (im->into)
        return store_collection_get(s, &admin, im->into, a, col, err);
    char *key = arena_printf(a, "import_into:%lld:%s", (long long)from->rid, h->collection);
    char *id = NULL;
    struct lia_err e2;
    lia_err_clear(&e2);
    if (key && store_meta_get(s, key, a, &id, &e2) == 0 &&
        store_collection_get(s, &admin, id, a, col, &e2) == 0)
        return 0;
    char *title = arena_printf(a, "Imported from %s", from->name);
    if (!key || !title)
        return lia_err_set(err, LIA_ENOMEM, "out of memory");
    int rc = store_collection_add(s, title, "signed bundles imported from a partner", NULL,
                                  STORE_TLP_AMBER, a, col, err);
    return rc ? rc : store_meta_set(s, key, col->id, err);
}

struct import_audit {
    const struct store_partner *from;
    const struct store_collection *col;
    const char *sha256;
};

static int import_done(struct store_txn *t, const struct exchange_result *n, void *ctx,
                       struct dbuf *d, struct lia_err *err)
{
    (void)t;
    struct import_audit *x = ctx;
    dbuf_puts(d, "{\"partner\":");
    dbuf_json_string(d, x->from->identity_id, strlen(x->from->identity_id));
    int rc = dbuf_printf(d,
                         ",\"collection\":\"%s\",\"sha256\":\"%s\",\"received\":%llu,"
                         "\"stored\":%llu,\"refused\":%llu}",
                         x->col->id, x->sha256, (unsigned long long)n->received,
                         (unsigned long long)n->stored, (unsigned long long)n->refused);
    return rc ? lia_err_set(err, rc, "audit record too large") : 0;
}

int exchange_import_file(struct store *s, const struct exchange_import *im,
                         struct exchange_result *res, struct lia_err *err)
{
    memset(res, 0, sizeof *res);
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(im->path, EXCHANGE_MAX_FILE + 65536, &text, &len, err);
    if (rc == LIA_ETOOBIG)
        rc = lia_err_set(err, LIA_EFORBIDDEN, "refused: the file is larger than %zu bytes",
                         (size_t)EXCHANGE_MAX_FILE);
    if (rc)
        return rc;
    struct exchange_header h = {0};
    const char *bundle = NULL;
    size_t blen = 0;
    rc = exchange_signed_verify(text, len, &h, &bundle, &blen, err);
    struct arena a;
    arena_init(&a, 0);
    struct store_partner from = {0};
    if (rc == 0)
        rc = find_sender(s, h.sender_key, &a, &from, err);
    if (rc == LIA_EFORBIDDEN && !from.rid)
        rc = sender_by_rotation(s, text, &h, &a, &from, err);
    struct stix_envelope env = {0};
    if (rc == 0) {
        struct stix_limits lim = {
            .max_depth = 64, .max_string = 16u << 20, .max_objects = 1u << 24};
        struct lia_err why;
        lia_err_clear(&why);
        if (stix_parse_envelope(bundle, blen, &lim, &env, &why) != 0 || !env.is_bundle)
            rc = lia_err_set(err, LIA_EFORBIDDEN,
                             "refused: the signed content is not a STIX 2.1 bundle (%s); nothing "
                             "imported",
                             why.msg[0] ? why.msg : "an envelope");
    }
    struct store_collection col = {0};
    if (rc == 0)
        rc = import_target(s, im, &from, &h, &a, &col, err);
    struct access_principal who = {0};
    char *actor = rc ? NULL : arena_printf(&a, "partner:%s/import", from.name);
    if (rc == 0)
        rc = exchange_principal(s, from.rid, actor, &a, &who, &from, err);
    if (im->progress)
        im->progress->total_objects = env.n_items;
    struct exchange_opts o;
    exchange_opts_defaults(&o);
    o.report = im->report;
    struct import_audit x = {.from = &from, .col = &col, .sha256 = h.sha256};
    struct exchange_batch b = {.s = s,
                               .who = &who,
                               .coll = col.rid,
                               .env = &env,
                               .trust = from.trust,
                               .via = "import",
                               .action = "objects.import",
                               .o = &o,
                               .finish = import_done,
                               .ctx = &x};
    if (rc == 0)
        rc = exchange_receive(&b, res, err);
    struct lia_err werr;
    lia_err_clear(&werr);
    if (rc == 0 && h.checkpoint[0] && audit_witness_keep(s, &from, h.checkpoint, &werr) != 0)
        lia_log(LIA_LOG_WARN, "witness_refused", "\"partner\":\"%s\",\"why\":\"%s\"", from.name,
                werr.msg);
    if (rc == 0)
        exchange_progress_add(im->progress, res->received, blen);
    else
        memset(res, 0, sizeof *res);
    stix_envelope_release(&env);
    arena_release(&a);
    free(text);
    return rc;
}
