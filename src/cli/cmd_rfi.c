/*
 * `liaison rfi ...`: requests for information from the command line, acting
 * as this instance (docs/rfi.md). Output of list and show is meant for
 * people; --json prints the same views the HTTP API gives.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "access/access.h"
#include "rfi/rfi.h"

#define MAX_MULTI 50

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison rfi new --data DIR --to PARTNER --subject TEXT [--question TEXT]...\n"
        "                       [--about OBJECT_ID]... [--priority routine|priority|immediate]\n"
        "                       [--due DATE] [--marking clear|green|amber|amber+strict|red]\n"
        "                       [--collection C]\n"
        "       liaison rfi list --data DIR [--incoming|--outgoing] [--status S] [--json]\n"
        "       liaison rfi show --data DIR ID [--json]\n"
        "       liaison rfi ack --data DIR ID\n"
        "       liaison rfi answer --data DIR ID [--text TEXT] [--ref OBJECT_ID]...\n"
        "       liaison rfi decline --data DIR ID --reason TEXT\n"
        "       liaison rfi amend --data DIR ID [--subject TEXT] [--question TEXT]... [--due "
        "DATE]\n"
        "       liaison rfi withdraw|close --data DIR ID\n\n"
        "new prints the request's id. DATE is YYYY-MM-DD (end of that day, UTC) or an RFC 3339\n"
        "time. Only the requester amends, withdraws or closes; only the addressee acknowledges,\n"
        "answers or declines. S: open, acknowledged, answered, declined, withdrawn, closed,\n"
        "overdue. docs/rfi.md explains the objects and how they travel.\n");
}

struct args {
    const char *dir, *to, *subject, *priority, *due, *marking, *collection, *text, *reason;
    const char *status, *box, *id;
    const char *questions[MAX_MULTI], *about[MAX_MULTI], *refs[MAX_MULTI];
    size_t nq, na, nr;
    bool json;
};

static int push(const char **list, size_t *n, const char *v)
{
    if (*n == MAX_MULTI)
        return -1;
    list[(*n)++] = v;
    return 0;
}

static int parse(int argc, char **argv, struct args *x)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"to", required_argument, NULL, 't'},
                                         {"subject", required_argument, NULL, 's'},
                                         {"question", required_argument, NULL, 'q'},
                                         {"about", required_argument, NULL, 'a'},
                                         {"priority", required_argument, NULL, 'p'},
                                         {"due", required_argument, NULL, 'D'},
                                         {"marking", required_argument, NULL, 'm'},
                                         {"collection", required_argument, NULL, 'c'},
                                         {"text", required_argument, NULL, 'x'},
                                         {"ref", required_argument, NULL, 'r'},
                                         {"reason", required_argument, NULL, 'R'},
                                         {"status", required_argument, NULL, 'S'},
                                         {"incoming", no_argument, NULL, 'i'},
                                         {"outgoing", no_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(x, 0, sizeof *x);
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'd':
            x->dir = optarg;
            break;
        case 't':
            x->to = optarg;
            break;
        case 's':
            x->subject = optarg;
            break;
        case 'q':
            bad = push(x->questions, &x->nq, optarg);
            break;
        case 'a':
            bad = push(x->about, &x->na, optarg);
            break;
        case 'p':
            x->priority = optarg;
            break;
        case 'D':
            x->due = optarg;
            break;
        case 'm':
            x->marking = optarg;
            break;
        case 'c':
            x->collection = optarg;
            break;
        case 'x':
            x->text = optarg;
            break;
        case 'r':
            bad = push(x->refs, &x->nr, optarg);
            break;
        case 'R':
            x->reason = optarg;
            break;
        case 'S':
            x->status = optarg;
            break;
        case 'i':
            x->box = "incoming";
            break;
        case 'o':
            x->box = "outgoing";
            break;
        case 'j':
            x->json = true;
            break;
        case 'h':
            return 1;
        default:
            return -1;
        }
        if (bad)
            return cli_error(-1, "rfi", "at most %d of each repeated option", MAX_MULTI);
    }
    if (optind < argc)
        x->id = argv[optind++];
    return optind == argc && x->dir ? 0 : -1;
}

/* YYYY-MM-DD means the end of that day in UTC. */
static const char *due_time(const char *d, char buf[40])
{
    if (d && strlen(d) == 10 && d[4] == '-' && d[7] == '-') {
        snprintf(buf, 40, "%sT23:59:59.000Z", d);
        return buf;
    }
    return d;
}

static struct access_principal cli_principal(struct store *s)
{
    struct access_principal who = {0};
    who.actor = "cli";
    who.admin = true;
    who.identity = access_instance_identity(s);
    who.policy.all = true;
    who.policy.clearance = STORE_TLP_RED;
    return who;
}

static void print_list(const char *json)
{
    json_t *arr = json_loads(json, 0, NULL);
    printf("%-52s  %-8s  %-12s  %-7s  %-10s  %-9s  %-16s  %s\n", "ID", "BOX", "STATUS", "OVERDUE",
           "DUE", "PRIORITY", "PARTY", "SUBJECT");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *dir = json_string_value(json_object_get(v, "direction"));
        json_t *party = json_object_get(v, !strcmp(dir, "outgoing") ? "addressee" : "requester");
        const char *due = json_string_value(json_object_get(v, "due"));
        const char *name = json_string_value(json_object_get(party, "name"));
        printf("%-52s  %-8s  %-12s  %-7s  %-10.10s  %-9s  %-16s  %s\n",
               json_string_value(json_object_get(v, "id")), dir,
               json_string_value(json_object_get(v, "status")),
               json_is_true(json_object_get(v, "overdue")) ? "OVERDUE" : "-", due ? due : "-",
               json_string_value(json_object_get(v, "priority")), name ? name : "?",
               json_string_value(json_object_get(v, "subject")));
    }
    json_decref(arr);
}

static void print_party(const char *label, json_t *p)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *trust = json_string_value(json_object_get(p, "trust"));
    printf("%-11s %s (%s)%s%s\n", label, name ? name : "unknown",
           json_string_value(json_object_get(p, "identity")), trust ? ", our trust: " : "",
           trust ? trust : "");
}

/* by: who claims the grading, as the reader says it ("sender", or "us" on the sender's own
 * side). An ungraded object shows no grading. */
static void print_refs(json_t *refs, const char *by)
{
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r)
    {
        json_t *g = json_object_get(r, "grading");
        const char *name = json_string_value(json_object_get(r, "name"));
        printf("    - %s %s", json_string_value(json_object_get(r, "id")), name ? name : "");
        const char *src = json_string_value(json_object_get(g, "source_reliability"));
        const char *info = json_string_value(json_object_get(g, "information_credibility"));
        const char *scale = json_string_value(json_object_get(g, "scale"));
        if (src && info)
            printf("  [graded %s%s by %s, %s scale]", src, info, by, scale ? scale : "unnamed");
        printf("\n");
    }
}

static void print_show(const char *json)
{
    json_t *v = json_loads(json, 0, NULL);
    const char *due = json_string_value(json_object_get(v, "due"));
    printf("request    %s\nsubject    %s\nstatus     %s%s\npriority   %s\ndue        %s\n"
           "marking    TLP:%s\ncollection %s\n",
           json_string_value(json_object_get(v, "id")),
           json_string_value(json_object_get(v, "subject")),
           json_string_value(json_object_get(v, "status")),
           json_is_true(json_object_get(v, "overdue")) ? " (OVERDUE)" : "",
           json_string_value(json_object_get(v, "priority")), due ? due : "-",
           json_string_value(json_object_get(v, "tlp")),
           json_string_value(json_object_get(v, "collection")));
    print_party("requester", json_object_get(v, "requester"));
    print_party("addressee", json_object_get(v, "addressee"));
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(v, "questions"), i, q)
        printf("question   %zu. %s\n", i + 1, json_string_value(q));
    if (json_array_size(json_object_get(v, "about"))) {
        printf("about\n");
        print_refs(json_object_get(v, "about"), "sender");
    }
    json_array_foreach(json_object_get(v, "responses"), i, q)
    {
        const char *text = json_string_value(json_object_get(q, "text"));
        const char *reason = json_string_value(json_object_get(q, "reason"));
        printf("response   %s %s\n", json_string_value(json_object_get(q, "created")),
               json_string_value(json_object_get(q, "action")));
        print_party("  by", json_object_get(q, "by"));
        if (text)
            printf("  text     %s\n", text);
        if (reason)
            printf("  reason   %s\n", reason);
        bool ours = json_is_true(json_object_get(json_object_get(q, "by"), "self"));
        print_refs(json_object_get(q, "refs"), ours ? "us" : "sender");
    }
    json_decref(v);
}

int cli_rfi(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *verb = argv[1];
    struct args x;
    int prc = parse(argc - 1, argv + 1, &x);
    if (prc == 1)
        return usage(stdout), CLI_OK;
    if (prc)
        return usage(stderr), CLI_USAGE;
    bool is_new = !strcmp(verb, "new"), is_list = !strcmp(verb, "list");
    if (!is_new && !is_list && !x.id)
        return cli_error(CLI_USAGE, "rfi", "%s needs a request id", verb);
    char cmd[40], due[40];
    snprintf(cmd, sizeof cmd, "rfi %s", verb);
    struct lia_err err;
    lia_err_clear(&err);
    if (x.due && rfi_check_due(due_time(x.due, due), &err) == LIA_EINVAL) /* usage, not refusal */
        return cli_error(CLI_USAGE, cmd, "%s", err.msg);
    lia_err_clear(&err);
    struct store *s;
    int rc = cli_open_store("rfi", x.dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct access_principal who = cli_principal(s);
    struct dbuf out;
    dbuf_init(&out, 64 * 1024 * 1024);
    if (is_new) {
        struct store_partner p;
        int tlp = x.marking ? access_tlp_parse(x.marking) : STORE_TLP_AMBER;
        if (!x.to || !x.subject)
            rc = cli_error(CLI_USAGE, "rfi new", "--to and --subject are required");
        else if (tlp < STORE_TLP_CLEAR)
            rc = cli_error(CLI_USAGE, "rfi new", "unknown marking '%s'", x.marking);
        else if ((rc = cli_find_partner(s, x.to, &a, &p)) != 0)
            rc = cli_exit_for(rc);
        else {
            struct rfi_request_spec spec = {.to = p.identity_id,
                                            .subject = x.subject,
                                            .questions = x.questions,
                                            .n_questions = x.nq,
                                            .about = x.about,
                                            .n_about = x.na,
                                            .priority = x.priority,
                                            .due = due_time(x.due, due),
                                            .tlp = tlp,
                                            .collection = x.collection};
            const char *id, *warning;
            rc = rfi_create(s, &who, &spec, &a, &id, &warning, &err);
            if (rc == 0 && warning)
                fprintf(stderr, "liaison rfi new: warning: %s\n", warning);
            if (rc == 0)
                printf("%s\n", id);
            else
                rc = cli_error(cli_exit_for(rc == LIA_EINVAL ? LIA_ECONFLICT : rc), "rfi new", "%s",
                               err.msg);
        }
    } else if (is_list || !strcmp(verb, "show")) {
        struct rfi_filter f = {.box = x.box, .status = x.status};
        rc = is_list ? rfi_list_json(s, &who, &f, &a, NULL, &out, &err)
                     : rfi_show_json(s, &who, x.id, &a, NULL, &out, &err);
        if (rc)
            rc = cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
        else if (x.json)
            printf("%s\n", out.ptr);
        else if (is_list)
            print_list(out.ptr);
        else
            print_show(out.ptr);
    } else {
        struct rfi_action act = {.verb = verb,
                                 .text = x.text,
                                 .reason = x.reason,
                                 .refs = x.refs,
                                 .n_refs = x.nr,
                                 .subject = x.subject,
                                 .questions = x.questions,
                                 .n_questions = x.nq,
                                 .due = due_time(x.due, due)};
        const char *written;
        rc = rfi_act(s, &who, x.id, &act, &a, &written, &err);
        if (rc == 0)
            printf("%s\n", written ? written : x.id);
        else
            rc = cli_error(rc == LIA_EINVAL ? CLI_USAGE : cli_exit_for(rc), cmd, "%s", err.msg);
    }
    dbuf_release(&out);
    arena_release(&a);
    store_close(s);
    return rc;
}
