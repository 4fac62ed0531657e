/*
 * `liaison config defaults` prints a configuration file with every key commented at its
 * default (the same text `init` writes; the Debian package ships it as
 * /etc/liaison/liaison.conf). `liaison config check` reads a configuration the way `serve`
 * does and says whether serve would accept it, so an operator can check an edit before a
 * restart.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/config.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison config defaults\n"
            "       liaison config check (--data DIR | --config FILE) [--set KEY=VALUE ...]\n\n"
            "defaults  print a configuration file with every key commented at its default\n"
            "check     read DIR/liaison.conf (or FILE) and the --set overrides as `serve`\n"
            "          does; exit 0 and print `ok` when serve would accept them, else exit 2\n"
            "          naming the file, line and key\n");
}

static int print_defaults(void)
{
    struct dbuf b;
    dbuf_init(&b, 64 * 1024);
    int rc = cli_config_default_text(&b);
    if (rc == 0 && fwrite(b.ptr, 1, b.len, stdout) != b.len)
        rc = -1;
    dbuf_release(&b);
    return rc ? cli_error(CLI_FAIL, "config", "could not write the defaults") : CLI_OK;
}

static int check(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"set", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *file = NULL;
    const char *sets[64];
    size_t n_sets = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'c':
            file = optarg;
            break;
        case 's':
            if (n_sets == 64)
                return cli_error(CLI_USAGE, "config", "too many --set options");
            sets[n_sets++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if ((!dir && !file) || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    char path[4200];
    if (file)
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/liaison.conf", dir);
    struct cli_config cfg;
    cli_config_defaults(&cfg);
    struct lia_err err;
    lia_err_clear(&err);
    if (cli_config_load(&cfg, path, false, &err))
        return cli_error(CLI_USAGE, "config", "%s", err.msg);
    if (cli_config_apply_sets(&cfg, sets, n_sets, &err))
        return cli_error(CLI_USAGE, "config", "%s", err.msg);
    printf("ok: %s\n", path);
    return CLI_OK;
}

int cli_config_cmd(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "defaults") && argc == 2)
        return print_defaults();
    if (!strcmp(argv[1], "check"))
        return check(argc - 1, argv + 1);
    usage(stderr);
    return CLI_USAGE;
}
