/*
 * `liaison init --data DIR`: creates a data directory (mode 0700) holding the
 * store, the instance's identity and Ed25519 signing key, a commented
 * configuration file, and the first admin token, printed once on the last
 * line of stdout. Refuses to touch a directory that already holds a store.
 * With --tls it also makes a self-signed certificate (tlsgen.c) and points
 * the configuration at it, so that serve speaks HTTPS from the start.
 *
 * With --store URL the store is a PostgreSQL database instead of
 * DIR/liaison.db: init applies the schema migrations, refuses a database that
 * already holds an instance, and writes `store = URL` into DIR/liaison.conf.
 * DIR still keeps the configuration, the signing key and the TLS files; each
 * node of a cluster gets a copy of it (docs/scale-out.md).
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "access/access.h"
#include "cli/config.h"
#include "stix/stix.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: liaison init --data DIR [--name NAME] [--tls] [--store URL]\n\n"
                 "Creates DIR with an empty store, the instance's identity and signing key,\n"
                 "a configuration file (DIR/liaison.conf), and an admin token. The token is\n"
                 "printed once, on the last line of stdout; only its hash is kept.\n\n"
                 "  --data DIR    data directory to create (must not hold a store yet)\n"
                 "  --name NAME   this instance's name, for its STIX identity (default: liaison)\n"
                 "  --tls         also write DIR/tls.key and a self-signed DIR/tls.crt (for\n"
                 "                localhost, 127.0.0.1, ::1), and serve HTTPS (docs/tls.md)\n"
                 "  --store URL   keep the store in PostgreSQL (postgres://...) instead of\n"
                 "                DIR/liaison.db: migrates an empty database, and writes\n"
                 "                store = URL into DIR/liaison.conf (docs/scale-out.md)\n");
}

static int write_keys(const char *dir, struct lia_err *err)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    char path[4200];
    char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
    sodium_bin2hex(hex, sizeof hex - 1, sk, sizeof sk);
    hex[2 * sizeof sk] = '\n';
    hex[2 * sizeof sk + 1] = '\0';
    snprintf(path, sizeof path, "%s/signing.key", dir);
    int rc = lia_write_file(path, hex, strlen(hex), 0600, err);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(hex, sizeof hex);
    if (rc)
        return rc;
    sodium_bin2hex(hex, sizeof hex - 1, pk, sizeof pk);
    hex[2 * sizeof pk] = '\n';
    hex[2 * sizeof pk + 1] = '\0';
    snprintf(path, sizeof path, "%s/signing.pub", dir);
    return lia_write_file(path, hex, strlen(hex), 0644, err);
}

/* What a failed init takes back: what it wrote, and the directory when it made it, so that a
 * second try starts from where the first did. */
static const char *const init_files[] = {"liaison.conf", "signing.key", "signing.pub", "tls.key",
                                         "tls.crt"};
struct made {
    const char *dir;
    bool made_dir, db;
    bool existed[5]; /* init_files that were there before */
};

static void take_back(const struct made *m)
{
    static const char *const db[] = {"liaison.db", "liaison.db-wal", "liaison.db-shm",
                                     "liaison.db-gen"};
    char p[4200];
    for (size_t i = 0; i < 4 && m->db; i++) {
        snprintf(p, sizeof p, "%s/%s", m->dir, db[i]);
        unlink(p);
    }
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", m->dir, init_files[i]);
        if (!m->existed[i])
            unlink(p);
    }
    if (m->made_dir)
        rmdir(m->dir);
}

int cli_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
        {"tls", no_argument, NULL, 't'},        {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *dir = NULL, *name = "liaison", *location = NULL;
    bool tls = false;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 't':
            tls = true;
            break;
        case 's':
            location = optarg;
            if (cli_refuse_password("init", location))
                return CLI_USAGE;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    char path[4096];
    if (store_path_for_dir(dir, path, sizeof path))
        return cli_error(CLI_USAGE, "init", "data directory path too long");
    struct stat sb;
    if (stat(path, &sb) == 0)
        return cli_error(CLI_REFUSED, "init", "%s already holds a store; nothing changed", dir);
    if (location && strlen(location) >= sizeof path)
        return cli_error(CLI_USAGE, "init", "--store: location too long");
    struct made made = {.dir = dir};
    if (mkdir(dir, 0700) == 0)
        made.made_dir = true;
    else if (errno != EEXIST)
        return cli_error(CLI_FAIL, "init", "cannot create %s: %s", dir, strerror(errno));
    for (size_t i = 0; i < 5; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, init_files[i]);
        made.existed[i] = lstat(p, &sb) == 0;
    }
    made.db = !location;
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/liaison.conf", dir);
    if (location)
        memcpy(path, location, strlen(location) + 1);

    struct lia_err err;
    lia_err_clear(&err);
    struct store *s = NULL;
    struct store_options sopt = {.pool_size = 1, .busy_timeout_ms = 10000, .create = true};
    struct cli_tls_info tls_info;
    int rc = tls ? cli_tls_generate(dir, name, &tls_info, &err) : 0;
    if (rc == 0)
        rc = store_open(path, &sopt, &s, &err);
    struct arena a;
    arena_init(&a, 0);
    char *existing = NULL;
    if (rc == 0 && store_meta_get(s, "instance_identity", &a, &existing, NULL) == 0)
        rc = lia_err_set(&err, LIA_ECONFLICT,
                         "the store already holds instance %s; nothing changed", existing);
    arena_release(&a);
    char identity[128];
    stix_new_id("identity", identity, sizeof identity);
    if (rc == 0)
        rc = store_meta_set(s, "instance_identity", identity, &err);
    if (rc == 0)
        rc = store_meta_set(s, "instance_name", name, &err);
    if (rc == 0)
        rc = write_keys(dir, &err);
    if (rc == 0) /* the first head is signed already */
        rc = audit_signer_load(s, dir, &err);
    if (rc == 0 && !made.existed[0])
        rc = cli_config_write_default(conf, &err);
    if (rc == 0 && tls)
        rc = cli_tls_configure(conf, &tls_info, &err);
    if (rc == 0 && location)
        rc = cli_config_add_store(conf, location, &err);
    char token[ACCESS_TOKEN_MAX], id[32];
    struct access_token_spec spec = {.admin = true, .label = "created by init"};
    if (rc == 0)
        rc = access_token_issue(s, &spec, token, id, &err);
    if (rc == 0) {
        char detail[256];
        snprintf(detail, sizeof detail, "{\"identity\":\"%s\",\"admin_token\":\"%s\"}", identity,
                 id);
        rc = cli_audit(s, "instance.init", detail, &err);
    }
    store_close(s);
    if (rc) {
        take_back(&made);
        return cli_error(cli_exit_for(rc), "init", "%s", err.msg);
    }
    printf("Initialised %s (identity %s).\n", dir, identity);
    if (tls) {
        printf("TLS certificate %s (self-signed, localhost/127.0.0.1/::1, 1 year)\n",
               tls_info.cert_path);
        printf("  SHA-256 fingerprint: %s\n", tls_info.fingerprint);
        printf("  public key pin:      sha256//%s\n", tls_info.pubkey_pin);
    }
    printf("Start it with: liaison serve --data %s\n", dir);
    printf("Admin token (shown once; use it as 'Authorization: Bearer TOKEN'):\n");
    printf("%s\n", token);
    sodium_memzero(token, sizeof token);
    return CLI_OK;
}

int cli_config_add_store(const char *conf, const char *location, struct lia_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(conf, 1024 * 1024, &text, &len, err);
    if (rc)
        return rc;
    struct dbuf b;
    dbuf_init(&b, len + strlen(location) + 256);
    rc = dbuf_append(&b, text, len);
    if (rc == 0)
        rc = dbuf_printf(&b, "\n# set by init --store (docs/scale-out.md)\nstore = %s\n", location);
    free(text);
    if (rc == 0)
        rc = lia_write_file(conf, b.ptr, b.len, 0600, err);
    else
        rc = lia_err_set(err, rc, "configuration file too large");
    dbuf_release(&b);
    return rc;
}
