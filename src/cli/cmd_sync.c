/*
 * `liaison pull` and `liaison push`: one run of an exchange with a peer
 * (src/exchange/ does the work; docs/exchange.md describes it). A run that
 * names its collections also configures the exchange: its checkpoint is
 * what `liaison serve` repeats every sync_interval and what `peer show`
 * reports. Exit 0 when the run completed, 1 when the peer was unreachable
 * or answered badly (after the retries), 3 for an unknown peer or
 * collection, 4 when the peer refused our credentials or lets us read nothing.
 * A pull of several exchanges runs each of them, whatever the others did, and
 * ends with a summary; it exits with the first failure's code.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exchange/exchange.h"

static void pull_usage(FILE *out)
{
    fprintf(out,
            "usage: liaison pull --data DIR PEER [--collection REMOTE_ID] [--into LOCAL]\n"
            "                    [--retries N] [--page N]\n\n"
            "Fetches what PEER added since the last pull (every version), stores it as written by\n"
            "the peer's partner with its provenance, and keeps a checkpoint per collection, so a\n"
            "pull can be repeated or resumed after a crash without loss or duplicates.\n"
            "Without --collection: every pull configured for PEER (or, the first time, every\n"
            "collection it lets us read). Without --into: the local collection used before, or\n"
            "a new one. Retries 429, 5xx, timeouts and network faults N times (default 5).\n");
}

static void push_usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison push --data DIR PEER --collection LOCAL [--to REMOTE_ID]\n"
        "                    [--retries N] [--page N]\n"
        "       liaison push --data DIR --group G --collection LOCAL [--retries N] [--page N]\n\n"
        "Sends PEER what its partner may receive from LOCAL (the same gate as its reads) and\n"
        "has not received yet, in envelopes under the peer's max_content_length, and follows\n"
        "each status until complete. Objects the peer refused are listed with its reason.\n"
        "Without --to: the remote collection used before. --group G pushes LOCAL to the peer\n"
        "of every current member of sharing group G, each what it may receive, over the\n"
        "push each peer already has for LOCAL (give it --to once with PEER).\n");
}

struct sync_args {
    const char *dir, *peer, *coll, *other, *group;
    struct exchange_opts o;
};

static int parse(int argc, char **argv, bool is_pull, struct sync_args *sa)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"into", required_argument, NULL, 'i'},
                                         {"to", required_argument, NULL, 't'},
                                         {"retries", required_argument, NULL, 'r'},
                                         {"page", required_argument, NULL, 'p'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    void (*usage)(FILE *) = is_pull ? pull_usage : push_usage;
    memset(sa, 0, sizeof *sa);
    exchange_opts_defaults(&sa->o);
    int ch;
    int64_t v;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            sa->dir = optarg;
            break;
        case 'c':
            sa->coll = optarg;
            break;
        case 'i':
            if (!is_pull)
                return usage(stderr), CLI_USAGE;
            sa->other = optarg;
            break;
        case 't':
            if (is_pull)
                return usage(stderr), CLI_USAGE;
            sa->other = optarg;
            break;
        case 'r':
            if (lia_parse_i64(optarg, strlen(optarg), 0, 100, &v))
                return cli_error(CLI_USAGE, is_pull ? "pull" : "push",
                                 "--retries expects 0 to 100");
            sa->o.retries = (int)v;
            break;
        case 'p':
            if (lia_parse_i64(optarg, strlen(optarg), 1, 100000, &v))
                return cli_error(CLI_USAGE, is_pull ? "pull" : "push",
                                 "--page expects 1 to 100000");
            sa->o.page = (size_t)v;
            break;
        case 'g':
            if (is_pull)
                return usage(stderr), CLI_USAGE;
            sa->group = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!sa->dir || optind != argc - (sa->group ? 0 : 1) || (!is_pull && !sa->coll) ||
        (sa->group && sa->other))
        return usage(stderr), CLI_USAGE;
    sa->peer = sa->group ? NULL : argv[optind];
    sa->o.lock_dir = sa->dir;
    sa->o.report = stderr;
    return 0;
}

static void summary(struct exchange_progress *pr, const char *verb, const char *peer,
                    const char *from, const char *to, const struct exchange_result *r, int rc)
{
    char extra[700], ours[80] = "", theirs[96] = "";
    if (r->ours)
        snprintf(ours, sizeof ours, ", %llu our own (sent from here, not recorded again)",
                 (unsigned long long)r->ours);
    if (r->theirs) /* a push does not echo the peer's own objects back */
        snprintf(theirs, sizeof theirs, ", %llu of its own not sent back",
                 (unsigned long long)r->theirs);
    snprintf(extra, sizeof extra, "%s %s %s -> %s: %llu new, %llu already held%s, %llu refused%s%s",
             verb, peer, from, to, (unsigned long long)r->stored, (unsigned long long)r->existed,
             ours, (unsigned long long)r->refused, theirs, rc ? " (stopped: see the error)" : "");
    exchange_progress_done(pr, extra);
}

/* One pull of remote into local (found, or made when absent). */
static int pull_one(struct store *s, const struct store_peer *peer, const char *remote,
                    const char *title, const char *into, struct sync_args *sa, struct arena *a)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    struct store_collection col;
    struct store_checkpoint *known;
    size_t n_known = 0;
    int rc = store_checkpoint_list(s, peer->rid, a, &known, &n_known, &err);
    bool configured = false;
    for (size_t i = 0; rc == 0 && i < n_known; i++)
        configured = configured ||
                     (!strcmp(known[i].direction, "pull") && !strcmp(known[i].remote_coll, remote));
    if (rc == 0 && !configured && !title) {
        /* The first pull of a collection named by hand: it must exist and be readable there,
         * before a local collection or an exchange that would fail forever is made. */
        bool readable = false;
        rc = exchange_remote_readable(peer, &sa->o, remote, &readable, &err);
        if (rc == 0 && !readable)
            return cli_error(CLI_NOTFOUND, "pull",
                             "peer %s has no collection '%s' we may read: nothing pulled, "
                             "nothing configured",
                             peer->name, remote);
    }
    if (rc)
        return cli_error(cli_exit_for(rc), "pull", "%s", err.msg);
    if (into) {
        rc = store_collection_get(s, &admin, into, a, &col, &err);
        if (rc)
            return cli_error(cli_exit_for(rc), "pull", "no local collection '%s'", into);
    } else {
        struct store_checkpoint *cps;
        size_t n;
        rc = store_checkpoint_list(s, peer->rid, a, &cps, &n, &err);
        int64_t local = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!strcmp(cps[i].direction, "pull") && !strcmp(cps[i].remote_coll, remote))
                local = cps[i].local_coll;
        struct store_collection *cols = NULL;
        size_t nc = 0;
        if (rc == 0 && local)
            rc = store_collection_list(s, &admin, a, &cols, &nc, &err);
        bool found = false;
        for (size_t i = 0; i < nc && !found; i++)
            if (cols[i].rid == local) {
                col = cols[i];
                found = true;
            }
        if (rc == 0 && !found && !title) {
            /* Ask the peer first: a pull that fails at once leaves no empty collection. */
            struct exchange_remote_collection *list;
            size_t nr;
            rc = exchange_remote_collections(peer, &sa->o, a, &list, &nr, &err);
            for (size_t i = 0; rc == 0 && i < nr && !title; i++)
                if (!strcmp(list[i].id, remote) && list[i].can_read)
                    title = list[i].title;
            if (rc == 0 && !title)
                rc = lia_err_set(&err, LIA_ENOTFOUND,
                                 "peer %s lets us read no collection '%s'; nothing was made here",
                                 peer->name, remote);
        }
        if (rc == 0 && !found) {
            char *t = arena_printf(a, "%s: %s", peer->name, title && *title ? title : remote);
            rc = t ? store_collection_add(s, t, "pulled from a peer", NULL, STORE_TLP_AMBER, a,
                                          &col, &err)
                   : lia_err_set(&err, LIA_ENOMEM, "out of memory");
            if (rc == 0)
                fprintf(stderr, "liaison pull: new local collection %s for %s\n", col.id, remote);
        }
        if (rc)
            return cli_error(cli_exit_for(rc), "pull", "%s", err.msg);
    }
    struct exchange_progress pr;
    exchange_progress_init(&pr, "pull", stderr);
    sa->o.progress = &pr;
    struct exchange_result res;
    rc = exchange_pull(s, peer, remote, &col, &sa->o, &res, &err);
    summary(&pr, "pulled", peer->name, remote, col.id, &res, rc);
    sa->o.progress = NULL; /* pr lives on this stack frame only */
    return rc ? cli_error(cli_exit_for(rc), "pull", "%s", err.msg) : CLI_OK;
}

int cli_pull(int argc, char **argv)
{
    struct sync_args sa;
    int rc = parse(argc, argv, true, &sa);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    if ((rc = cli_open_store("pull", sa.dir, 2, &s)) != 0)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer;
    rc = store_peer_get(s, 0, sa.peer, &a, &peer, &err);
    if (rc) {
        rc = cli_error(cli_exit_for(rc), "pull", "%s", err.msg);
    } else if (sa.coll) {
        rc = pull_one(s, &peer, sa.coll, NULL, sa.other, &sa, &a);
    } else {
        struct store_checkpoint *cps;
        size_t n, runs = 0, failed = 0;
        int first = 0; /* every exchange runs; the first failure gives the exit code */
        rc = store_checkpoint_list(s, peer.rid, &a, &cps, &n, &err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!strcmp(cps[i].direction, "pull")) {
                runs++;
                int r = pull_one(s, &peer, cps[i].remote_coll, NULL, NULL, &sa, &a);
                failed += r != 0;
                first = first ? first : r;
            }
        if (rc == 0 && runs == 0) {
            struct exchange_remote_collection *rc_list;
            size_t nr;
            rc = exchange_remote_collections(&peer, &sa.o, &a, &rc_list, &nr, &err);
            if (rc)
                rc = cli_error(cli_exit_for(rc), "pull", "%s", err.msg);
            size_t readable = 0;
            for (size_t i = 0; rc == 0 && i < nr; i++)
                readable += rc_list[i].can_read;
            if (rc == 0 && sa.other && readable != 1)
                rc = cli_error(CLI_USAGE, "pull",
                               "the peer has %zu readable collections: give --collection with "
                               "--into",
                               readable);
            for (size_t i = 0; rc == 0 && i < nr; i++)
                if (rc_list[i].can_read) {
                    runs++;
                    int r = pull_one(s, &peer, rc_list[i].id, rc_list[i].title, sa.other, &sa, &a);
                    failed += r != 0;
                    first = first ? first : r;
                }
            if (rc == 0 && readable == 0) /* nothing was pulled, and nothing can be */
                rc =
                    cli_error(CLI_REFUSED, "pull",
                              "peer %s lets us read no collection (ask it for a grant)", peer.name);
        }
        if (rc == 0 && runs > 1)
            fprintf(stderr, "liaison pull: %s: %zu of %zu exchanges succeeded%s\n", peer.name,
                    runs - failed, runs, failed ? "; see the errors above" : "");
        rc = rc ? rc : first;
    }
    arena_release(&a);
    store_close(s);
    return rc;
}

/* push --group: every peer of every current member, over its configured push of col. */
static int push_group(struct store *s, struct sync_args *sa, struct arena *a)
{
    struct lia_err err;
    lia_err_clear(&err);
    struct store_group g;
    struct store_collection col;
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    int64_t *m = NULL;
    size_t n = 0, np = 0, runs = 0;
    struct store_peer *peers = NULL;
    int rc = cli_find_group(s, "push", sa->group, a, &g);
    if (rc)
        return cli_exit_for(rc);
    rc = store_collection_get(s, &admin, sa->coll, a, &col, &err);
    rc = rc ? rc : store_group_members(s, g.rid, a, &m, &n, &err);
    rc = rc ? rc : store_peer_list(s, a, &peers, &np, &err);
    if (rc)
        return cli_error(cli_exit_for(rc), "push", "%s", err.msg);
    int worst = CLI_OK;
    for (size_t i = 0; i < np; i++) {
        bool member = false;
        for (size_t k = 0; k < n; k++)
            member = member || peers[i].partner == m[k];
        if (!member)
            continue;
        struct store_checkpoint *cps;
        size_t nc;
        const char *remote = NULL;
        if ((rc = store_checkpoint_list(s, peers[i].rid, a, &cps, &nc, &err)) != 0)
            return cli_error(cli_exit_for(rc), "push", "%s", err.msg);
        for (size_t k = 0; k < nc; k++)
            if (!strcmp(cps[k].direction, "push") && cps[k].local_coll == col.rid)
                remote = cps[k].remote_coll;
        if (!remote) {
            worst = cli_error(CLI_USAGE, "push",
                              "peer %s (a member of %s) has no push of %s yet: run `liaison "
                              "push --data DIR %s --collection %s --to REMOTE_ID` once",
                              peers[i].name, g.name, sa->coll, peers[i].name, sa->coll);
            continue;
        }
        runs++;
        struct exchange_progress pr;
        exchange_progress_init(&pr, "push", stderr);
        sa->o.progress = &pr;
        struct exchange_result res;
        rc = exchange_push(s, &peers[i], &col, remote, &sa->o, &res, &err);
        summary(&pr, "pushed", peers[i].name, col.id, remote, &res, rc);
        sa->o.progress = NULL; /* pr ends with this round */
        if (rc)
            worst = cli_error(cli_exit_for(rc), "push", "%s: %s", peers[i].name, err.msg);
    }
    cli_note_withheld(s, "push", col.rid);
    if (runs == 0 && worst == CLI_OK)
        worst = cli_error(CLI_REFUSED, "push", "no member of %s has a peer to push to", g.name);
    return worst;
}

int cli_push(int argc, char **argv)
{
    struct sync_args sa;
    int rc = parse(argc, argv, false, &sa);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    if ((rc = cli_open_store("push", sa.dir, 2, &s)) != 0)
        return rc;
    if (sa.group) {
        struct arena ga;
        arena_init(&ga, 0);
        rc = push_group(s, &sa, &ga);
        arena_release(&ga);
        store_close(s);
        return rc;
    }
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct store_peer peer;
    struct store_collection col;
    struct store_policy admin = {.all = true, .clearance = STORE_TLP_RED};
    rc = store_peer_get(s, 0, sa.peer, &a, &peer, &err);
    if (rc == 0)
        rc = store_collection_get(s, &admin, sa.coll, &a, &col, &err);
    const char *remote = sa.other;
    if (rc == 0 && !remote) {
        struct store_checkpoint *cps;
        size_t n;
        rc = store_checkpoint_list(s, peer.rid, &a, &cps, &n, &err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!strcmp(cps[i].direction, "push") && cps[i].local_coll == col.rid)
                remote = cps[i].remote_coll;
        if (rc == 0 && !remote) {
            arena_release(&a);
            store_close(s);
            return cli_error(CLI_USAGE, "push", "give --to REMOTE_ID the first time");
        }
    }
    if (rc) {
        arena_release(&a);
        store_close(s);
        return cli_error(cli_exit_for(rc), "push", "%s", err.msg);
    }
    struct exchange_progress pr;
    exchange_progress_init(&pr, "push", stderr);
    sa.o.progress = &pr;
    struct exchange_result res;
    rc = exchange_push(s, &peer, &col, remote, &sa.o, &res, &err);
    summary(&pr, "pushed", peer.name, col.id, remote, &res, rc);
    cli_note_withheld(s, "push", col.rid);
    if (rc)
        rc = cli_error(cli_exit_for(rc), "push", "%s", err.msg);
    arena_release(&a);
    store_close(s);
    return rc;
}

/* The sync thread of `liaison serve` (sync_interval): runs every configured exchange, then
 * sleeps; cli_sync_stop wakes it and waits for the run under way to end. */
static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool started, stop;
    struct store *store;
    size_t interval;
    struct exchange_opts o;
} syncer = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *sync_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&syncer.lock);
    while (!syncer.stop) {
        pthread_mutex_unlock(&syncer.lock);
        /* One node at a time runs the exchanges of a store shared by several. */
        struct store_lock *held = NULL;
        if (store_lock_try(syncer.store, "sync", &held, NULL) == 0) {
            exchange_sync_all(syncer.store, &syncer.o);
            store_lock_release(held);
        }
        pthread_mutex_lock(&syncer.lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)syncer.interval;
        while (!syncer.stop && pthread_cond_timedwait(&syncer.wake, &syncer.lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&syncer.lock);
    return NULL;
}

int cli_sync_start(struct store *s, const char *dir, size_t interval)
{
    if (interval == 0)
        return 0;
    syncer.store = s;
    syncer.interval = interval;
    syncer.stop = false;
    exchange_opts_defaults(&syncer.o);
    syncer.o.retries = 2;
    syncer.o.timeout_s = 60;
    syncer.o.lock_dir = dir;
    if (pthread_create(&syncer.thread, NULL, sync_main, NULL) != 0)
        return cli_error(CLI_FAIL, "serve", "cannot start the sync thread");
    syncer.started = true;
    lia_log(LIA_LOG_INFO, "sync.start", "\"interval_s\":%zu", interval);
    return 0;
}

void cli_sync_stop(void)
{
    if (!syncer.started)
        return;
    pthread_mutex_lock(&syncer.lock);
    syncer.stop = true;
    pthread_cond_signal(&syncer.wake);
    pthread_mutex_unlock(&syncer.lock);
    pthread_join(syncer.thread, NULL);
    syncer.started = false;
}
