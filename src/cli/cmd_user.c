/*
 * `liaison user ...`: the people of this instance and their roles (docs/people.md). add
 * prints a one-time sign-in code; a password is read from standard input, never from the
 * command line (where `ps` and shell histories would keep it). Every change is on record.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "access/access.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liaison user add --data DIR --name N --role analyst|releaser|admin\n"
            "       liaison user list --data DIR\n"
            "       liaison user disable --data DIR --name N\n"
            "       liaison user enable --data DIR --name N\n"
            "       liaison user set --data DIR --name N --role analyst|releaser|admin\n"
            "       liaison user password --data DIR --name N   (the password on stdin)\n"
            "       liaison user totp --data DIR --name N\n"
            "       liaison user token --data DIR --name N [--expires DURATION] [--label TEXT]\n\n"
            "add prints a one-time sign-in code: the person's first sign-in (POST\n"
            "/liaison/signin, or the sign-in page) names it and a new password. password sets\n"
            "a password read from standard input (12-1024 characters). totp enrols a TOTP second\n"
            "factor and prints its key once (base32, for an authenticator app). token issues a\n"
            "token that acts as the person (for their scripts). disable ends every session and\n"
            "token of the person; set --role ends the person's sessions.\n");
}

struct args {
    const char *dir, *name, *role, *label, *expires;
};

static int parse(int argc, char **argv, struct args *a, const char *allowed)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        char key = 0;
        if (!strcmp(argv[i], "--help"))
            return usage(stdout), -1;
        if (!strcmp(argv[i], "--data"))
            slot = &a->dir, key = 'd';
        else if (!strcmp(argv[i], "--name"))
            slot = &a->name, key = 'n';
        else if (!strcmp(argv[i], "--role"))
            slot = &a->role, key = 'r';
        else if (!strcmp(argv[i], "--label"))
            slot = &a->label, key = 'l';
        else if (!strcmp(argv[i], "--expires"))
            slot = &a->expires, key = 'e';
        if (!slot || !strchr(allowed, key) || i + 1 >= argc || *slot) {
            usage(stderr);
            return CLI_USAGE;
        }
        *slot = argv[++i];
    }
    if (!a->dir || (strchr(allowed, 'n') && !a->name) || (strchr(allowed, 'r') && !a->role)) {
        usage(stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* Opens the store and finds the person; prints why not. */
static int open_person(const char *cmd, const struct args *a, struct store **s, struct arena *ar,
                       struct store_person *p)
{
    int rc = cli_open_store(cmd, a->dir, 1, s);
    if (rc)
        return rc;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_person_get(*s, 0, a->name, ar, p, &err);
    if (rc == 0)
        return 0;
    store_close(*s);
    *s = NULL;
    if (rc == LIA_ENOTFOUND)
        return cli_error(CLI_NOTFOUND, cmd, "no person named '%s' (see `liaison user list`)",
                         a->name);
    return cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
}

static int add(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a, "dnr");
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    int role = access_role_parse(a.role);
    if (!role)
        return cli_error(CLI_USAGE, "user add", "--role is analyst, releaser or admin");
    if (!access_person_name_ok(a.name))
        return cli_error(CLI_USAGE, "user add",
                         "--name has 1-64 bytes, without control characters, '/', '\"' or '\\'");
    struct store *s;
    rc = cli_open_store("user add", a.dir, 1, &s);
    if (rc)
        return rc;
    char code[ACCESS_CODE_MAX];
    int64_t rid = 0;
    struct lia_err err;
    lia_err_clear(&err);
    rc = access_person_add(s, a.name, role, "cli", code, &rid, &err);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "user add", "%s", err.msg);
    printf("Person %s added as %s. One-time sign-in code (shown once):\n%s\n", a.name,
           access_role_name(role), code);
    sodium_memzero(code, sizeof code);
    return CLI_OK;
}

static int list(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a, "d");
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    rc = cli_open_store("user list", a.dir, 1, &s);
    if (rc)
        return rc;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_person *p;
    size_t n = 0;
    struct lia_err err;
    lia_err_clear(&err);
    rc = store_person_list(s, &ar, &p, &n, &err);
    if (rc == 0) {
        printf("%-24s  %-8s  %-8s  %-8s  %-4s  %s\n", "NAME", "ROLE", "STATE", "PASSWORD", "TOTP",
               "CREATED");
        int64_t now = lia_now_us();
        for (size_t i = 0; i < n; i++) {
            char created[32];
            lia_format_ts(p[i].created, 0, created);
            printf("%-24s  %-8s  %-8s  %-8s  %-4s  %s\n", p[i].name, access_role_name(p[i].role),
                   p[i].disabled             ? "disabled"
                   : p[i].locked_until > now ? "locked"
                                             : "active",
                   p[i].password ? "set" : "not set", p[i].totp_key ? "yes" : "no", created);
        }
    }
    arena_release(&ar);
    store_close(s);
    return rc ? cli_error(cli_exit_for(rc), "user list", "%s", err.msg) : CLI_OK;
}

/* disable, enable, set --role, password. */
static int change(const char *verb, int argc, char **argv)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "user %s", verb);
    struct args a;
    bool set = !strcmp(verb, "set"), pw = !strcmp(verb, "password");
    int rc = parse(argc, argv, &a, set ? "dnr" : "dn");
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    int role = set ? access_role_parse(a.role) : 0;
    if (set && !role)
        return cli_error(CLI_USAGE, cmd, "--role is analyst, releaser or admin");
    char password[ACCESS_PASSWORD_MAX + 2] = "";
    if (pw) {
        if (!fgets(password, sizeof password, stdin))
            return cli_error(CLI_USAGE, cmd, "give the new password on standard input");
        password[strcspn(password, "\r\n")] = '\0';
    }
    struct store *s;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_person p;
    rc = open_person(cmd, &a, &s, &ar, &p);
    if (rc) {
        sodium_memzero(password, sizeof password);
        arena_release(&ar);
        return rc;
    }
    const char *action = "person.password";
    if (!strcmp(verb, "disable"))
        p.disabled = true, action = "person.disable";
    else if (!strcmp(verb, "enable"))
        p.disabled = false, action = "person.enable";
    else if (set)
        p.role = role, action = "person.role";
    struct lia_err err;
    lia_err_clear(&err);
    rc = access_person_change(s, &p, "cli", action, pw ? password : NULL,
                              !pw && strcmp(verb, "enable"), &err);
    sodium_memzero(password, sizeof password);
    arena_release(&ar);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), cmd, "%s", err.msg);
    printf("Person %s: %s.\n", a.name, action + 7);
    return CLI_OK;
}

static int totp(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a, "dn");
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct store *s;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_person p;
    rc = open_person("user totp", &a, &s, &ar, &p);
    if (rc)
        return arena_release(&ar), rc;
    char secret[ACCESS_TOTP_TEXT];
    struct lia_err err;
    lia_err_clear(&err);
    rc = access_person_totp_enroll(s, &p, "cli", secret, &err);
    arena_release(&ar);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "user totp", "%s", err.msg);
    printf("TOTP key of %s (shown once; 6 digits, 30 s steps, SHA-1):\n%s\n", a.name, secret);
    sodium_memzero(secret, sizeof secret);
    return CLI_OK;
}

static int token(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a, "dnle");
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct access_token_spec spec = {.label = a.label};
    int64_t d = 0;
    if (a.expires && cli_parse_duration(a.expires, &d))
        return cli_error(CLI_USAGE, "user token",
                         "--expires expects a duration such as 3600s, 30m, 12h or 90d");
    spec.expires = a.expires ? lia_now_us() + d : 0;
    if (a.label && strlen(a.label) > 200)
        return cli_error(CLI_USAGE, "user token", "--label is longer than 200 bytes");
    struct store *s;
    struct arena ar;
    arena_init(&ar, 0);
    struct store_person p;
    rc = open_person("user token", &a, &s, &ar, &p);
    if (rc)
        return arena_release(&ar), rc;
    char tok[ACCESS_TOKEN_MAX], id[32];
    struct lia_err err;
    lia_err_clear(&err);
    struct store_txn *t = NULL;
    rc = p.disabled ? lia_err_set(&err, LIA_ECONFLICT, "%s is disabled", a.name)
                    : store_begin(s, &t, &err);
    rc = rc ? rc : access_token_issue_for(t, &spec, p.rid, false, tok, id, &err);
    if (rc == 0) {
        char detail[256];
        snprintf(detail, sizeof detail, "{\"person\":\"%s\",\"token\":\"%s\"}", p.name, id);
        rc = audit_append(t, "cli", "person.token", detail, &err);
    }
    rc = rc ? rc : store_commit(t, &err);
    if (rc && t)
        store_rollback(t);
    arena_release(&ar);
    store_close(s);
    if (rc)
        return cli_error(cli_exit_for(rc), "user token", "%s", err.msg);
    printf("Token %s of %s issued (shown once):\n%s\n", id, a.name, tok);
    sodium_memzero(tok, sizeof tok);
    return CLI_OK;
}

int cli_user(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *v = argv[1];
    if (!strcmp(v, "add"))
        return add(argc - 1, argv + 1);
    if (!strcmp(v, "list"))
        return list(argc - 1, argv + 1);
    if (!strcmp(v, "disable") || !strcmp(v, "enable") || !strcmp(v, "set") ||
        !strcmp(v, "password"))
        return change(v, argc - 1, argv + 1);
    if (!strcmp(v, "totp"))
        return totp(argc - 1, argv + 1);
    if (!strcmp(v, "token"))
        return token(argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "user", "unknown subcommand '%s'", v);
}
