/*
 * `liaison watch ...`: standing queries from the command line (docs/watches.md). A watch made
 * here belongs to this instance (it sees everything), or with --partner to that partner, whose
 * policy then decides what the watch may fire for and what `watch test` shows. The running
 * server's engine picks new watches up on its next pass; nothing here needs it to run.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/config.h"
#include "watch/watch.h"

#define TEST_LIMIT 1000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison watch add --data DIR --name N [--type T]... [--name-like TEXT]...\n"
            "                         [--text-like TEXT]... [--location CC|REGION]...\n"
            "                         [--marking-at-most M] [--into PLACE] [--what W]...\n"
            "                         [--webhook URL] [--partner P]\n"
            "       liaison watch list --data DIR [--partner P] [--json]\n"
            "       liaison watch remove --data DIR ID\n"
            "       liaison watch test --data DIR ID [--json]\n\n"
            "A watch fires once for each newly stored object version it selects and its owner\n"
            "may see: to its webhook (POST, signed) and to the owner's /liaison/events stream.\n"
            "Each kind of filter narrows the watch; repeated values of one kind widen it (any\n"
            "of them). --name-like matches names and aliases, --text-like names, aliases and\n"
            "descriptions, after Arabic and Latin normalisation. A watch that could never fire\n"
            "(a location filter on types without a country) is refused. T is a STIX type;\n"
            "CC a two-letter country code, REGION a STIX region (northern-africa...); M one of\n"
            "clear, green, amber, amber+strict, red. --into PLACE (a gazetteer key such as\n"
            "region-sahel, an ISO 3166 code or a STIX region) selects flows (liaison-flow)\n"
            "into or through it, places inside it included; --what W a commodity (weapons,\n"
            "money...). add prints the id and, with --webhook, the signing secret, once. test\n"
            "lists what stored objects the watch selects now, without firing.\n");
}

struct args {
    const char *dir, *partner, *id;
    struct watch_spec spec;
    bool json;
};

static int parse(int argc, char **argv, struct args *x)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"type", required_argument, NULL, 't'},
                                         {"name-like", required_argument, NULL, 'l'},
                                         {"text-like", required_argument, NULL, 'x'},
                                         {"location", required_argument, NULL, 'L'},
                                         {"marking-at-most", required_argument, NULL, 'm'},
                                         {"webhook", required_argument, NULL, 'w'},
                                         {"into", required_argument, NULL, 'i'},
                                         {"what", required_argument, NULL, 'W'},
                                         {"partner", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(x, 0, sizeof *x);
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            x->dir = optarg;
            break;
        case 'n':
            x->spec.name = optarg;
            break;
        case 't':
            if (x->spec.n_types == WATCH_MAX_VALUES)
                return cli_error(-1, "watch", "at most %d --type options", WATCH_MAX_VALUES);
            x->spec.types[x->spec.n_types++] = optarg;
            break;
        case 'l':
            if (x->spec.n_name_likes == WATCH_MAX_VALUES)
                return cli_error(-1, "watch", "at most %d --name-like options", WATCH_MAX_VALUES);
            x->spec.name_likes[x->spec.n_name_likes++] = optarg;
            break;
        case 'x':
            if (x->spec.n_text_likes == WATCH_MAX_VALUES)
                return cli_error(-1, "watch", "at most %d --text-like options", WATCH_MAX_VALUES);
            x->spec.text_likes[x->spec.n_text_likes++] = optarg;
            break;
        case 'L':
            if (x->spec.n_locations == WATCH_MAX_VALUES)
                return cli_error(-1, "watch", "at most %d --location options", WATCH_MAX_VALUES);
            x->spec.locations[x->spec.n_locations++] = optarg;
            break;
        case 'm':
            x->spec.marking_at_most = optarg;
            break;
        case 'w':
            x->spec.webhook = optarg;
            break;
        case 'i':
            x->spec.into = optarg;
            break;
        case 'W':
            if (x->spec.n_what == WATCH_MAX_VALUES)
                return cli_error(-1, "watch", "at most %d --what options", WATCH_MAX_VALUES);
            x->spec.what[x->spec.n_what++] = optarg;
            break;
        case 'p':
            x->partner = optarg;
            break;
        case 'j':
            x->json = true;
            break;
        case 'h':
            return 1;
        default:
            return -1;
        }
    }
    if (optind < argc)
        x->id = argv[optind++];
    return optind == argc && x->dir ? 0 : -1;
}

static size_t max_per_principal(const char *dir)
{
    struct cli_config cfg;
    cli_config_of_data(dir, &cfg);
    return cfg.watch_max_per_principal;
}

static int add(struct store *s, struct args *x, struct arena *a, struct lia_err *err)
{
    int64_t owner = 0;
    if (x->partner) {
        struct store_partner p;
        int rc = cli_find_partner(s, x->partner, a, &p);
        if (rc)
            return lia_err_set(err, rc, "no partner '%s'", x->partner);
        owner = p.rid;
    }
    const char *id = NULL, *secret = NULL;
    int rc = watch_add(s, owner, &x->spec, max_per_principal(x->dir), a, &id, &secret, err);
    if (rc == 0) {
        char *detail = arena_printf(a, "{\"watch\":\"%s\",\"owner\":%lld}", id, (long long)owner);
        rc = cli_audit(s, "watch.add", detail, err);
    }
    if (rc)
        return rc;
    printf("%s\n", id);
    if (secret) {
        printf("secret: %s\n", secret);
        fprintf(stderr, "liaison watch add: keep the webhook secret: it is shown only this once\n");
    }
    return 0;
}

static void print_list(const char *text)
{
    json_t *arr = json_loads(text, 0, NULL);
    printf("%-43s  %-12s  %-20s  %6s  %6s  %s\n", "ID", "OWNER", "NAME", "EVENTS", "FAILED",
           "FILTERS / WEBHOOK");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *owner = json_string_value(json_object_get(v, "owner"));
        char *filters = json_dumps(json_object_get(v, "filters"), JSON_COMPACT | JSON_SORT_KEYS);
        const char *hook = json_string_value(json_object_get(v, "webhook"));
        printf("%-43s  %-12s  %-20s  %6lld  %6lld  %s%s%s\n",
               json_string_value(json_object_get(v, "id")), owner ? owner : "(local)",
               json_string_value(json_object_get(v, "name")),
               (long long)json_integer_value(json_object_get(v, "events")),
               (long long)json_integer_value(json_object_get(v, "failed_deliveries")),
               filters ? filters : "{}", hook ? " -> " : "", hook ? hook : "");
        free(filters);
    }
    json_decref(arr);
}

static void print_test(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    json_t *m = json_object_get(v, "matches");
    size_t i;
    json_t *e;
    json_array_foreach(m, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        printf("%s  %s  %s  %s\n", json_string_value(json_object_get(e, "id")),
               json_string_value(json_object_get(e, "type")), name ? name : "-",
               json_string_value(json_object_get(e, "collection")));
    }
    printf("%zu match%s%s (nothing fired)\n", json_array_size(m),
           json_array_size(m) == 1 ? "" : "es",
           json_is_true(json_object_get(v, "truncated")) ? ", more not shown" : "");
    json_decref(v);
}

int cli_watch(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *verb = argv[1];
    struct args x;
    int p = parse(argc - 1, argv + 1, &x);
    if (p == 1) {
        usage(stdout);
        return CLI_OK;
    }
    bool needs_id = !strcmp(verb, "remove") || !strcmp(verb, "test");
    bool known = needs_id || !strcmp(verb, "add") || !strcmp(verb, "list");
    if (p || !known || needs_id != (x.id != NULL) || (!strcmp(verb, "add") && !x.spec.name)) {
        usage(stderr);
        return CLI_USAGE;
    }
    struct store *s;
    int rc = cli_open_store("watch", x.dir, 2, &s);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    struct lia_err err;
    lia_err_clear(&err);
    struct dbuf out;
    dbuf_init(&out, 64 * 1024 * 1024);
    if (!strcmp(verb, "add")) {
        rc = add(s, &x, &a, &err);
    } else if (!strcmp(verb, "list")) {
        int64_t owner = -1;
        struct store_partner partner;
        if (x.partner && (rc = cli_find_partner(s, x.partner, &a, &partner)) != 0)
            lia_err_set(&err, rc, "no partner '%s'", x.partner);
        else if (x.partner)
            owner = partner.rid;
        if (rc == 0)
            rc = watch_list_json(s, owner, &out, &err);
        if (rc == 0 && x.json)
            printf("%s\n", out.ptr);
        else if (rc == 0)
            print_list(out.ptr);
    } else if (!strcmp(verb, "remove")) {
        rc = store_watch_remove(s, -1, x.id, &err);
        if (rc == 0) {
            char *detail = arena_printf(&a, "{\"watch\":\"%s\"}", x.id);
            rc = cli_audit(s, "watch.remove", detail, &err);
        }
        if (rc == 0)
            printf("%s\n", x.id);
    } else {
        rc = watch_test_json(s, -1, x.id, TEST_LIMIT, NULL, &out, &err);
        if (rc == 0 && x.json)
            printf("%s\n", out.ptr);
        else if (rc == 0)
            print_test(out.ptr);
    }
    dbuf_release(&out);
    arena_release(&a);
    store_close(s);
    if (rc == LIA_ETOOBIG) /* over watch_max_per_principal */
        return cli_error(CLI_REFUSED, "watch", "%s", err.msg);
    return rc ? cli_error(cli_exit_for(rc), "watch", "%s", err.msg) : CLI_OK;
}
