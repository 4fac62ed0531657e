/*
 * Configuration keys, their defaults and their parsing. The table is the
 * single list of keys: parsing, the default file and docs all follow it.
 */
#include "cli/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_SIZE, K_BOOL };

struct key {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* for strings: buffer size */
    const char *def;
    size_t min, max;
    const char *doc;
};

#define STR(f, d, doc)                                                                             \
    {                                                                                              \
#f, K_STR, offsetof(struct cli_config, f), sizeof(((struct cli_config *)0)->f), d, 0, 0,   \
            doc                                                                                    \
    }
#define SIZE(f, d, lo, hi, doc)                                                                    \
    {                                                                                              \
#f, K_SIZE, offsetof(struct cli_config, f), 0, d, lo, hi, doc                              \
    }
#define BOOL(f, d, doc)                                                                            \
    {                                                                                              \
#f, K_BOOL, offsetof(struct cli_config, f), 0, d, 0, 1, doc                                \
    }

static const struct key keys[] = {
    STR(listen, "127.0.0.1:6143", "address and port to serve on"),
    STR(store, "", "the store: empty for DIR/liaison.db, or postgres://... or sqlite:PATH"),
    STR(tls_cert, "", "PEM certificate chain: serve HTTPS (TLS 1.2+)"),
    STR(tls_key, "", "PEM private key for tls_cert"),
    STR(tls_client_ca, "", "PEM CA: ask partners for client certificates signed by it"),
    BOOL(allow_plain_http, "false", "serve plain HTTP on a non-loopback address (unsafe)"),
    SIZE(max_content_length, "10485760", 1024, 1073741824, "largest request body, bytes"),
    SIZE(max_discard_length, "67108864", 1024, 17179869184,
         "bytes of a refused request's body read and thrown away before answering"),
    SIZE(max_json_depth, "64", 4, 10000, "deepest JSON nesting accepted"),
    SIZE(max_string_length, "1048576", 64, 1073741824, "longest JSON string value, bytes"),
    SIZE(max_objects_per_bundle, "10000", 1, 10000000, "most objects in one POST"),
    SIZE(default_page_size, "100", 1, 100000, "objects per page when no limit is given"),
    SIZE(max_page_size, "1000", 1, 100000, "most objects per page"),
    SIZE(max_filter_values, "100", 1, 10000, "most values in one match[...] list"),
    SIZE(rate_limit, "200", 0, 1000000, "requests per second per principal (0: no limit)"),
    SIZE(rate_burst, "400", 1, 10000000, "requests a principal may make in one burst"),
    SIZE(auth_failure_rate, "60", 0, 1000000,
         "failed authentications per minute per client address (0: no limit)"),
    SIZE(auth_failure_burst, "20", 1, 1000000,
         "failed authentications a client address may make in one burst"),
    SIZE(response_cache_bytes, "1048576", 0, 1073741824,
         "bytes of recent TAXII answers each worker thread keeps for repeated GETs (0: no cache)"),
    SIZE(response_cache_ms, "1000", 1, 3600000,
         "milliseconds a cached answer may be replayed at most, even when nothing changed"),
    SIZE(readahead_bytes, "16777216", 0, 1073741824,
         "bytes of next pages made while paging clients read the last one (0: no read-ahead)"),
    BOOL(fast_parse, "true",
         "read POSTed envelope elements with liaison's strict fast reader before jansson (speed "
         "only)"),
    SIZE(parse_arena_bytes, "268435456", 0, 17179869184,
         "address space for the trees of large POSTed envelopes, built in bump arenas "
         "(0: plain malloc)"),
    SIZE(readahead_threads, "1", 0, 16, "threads making next pages ahead (0: no read-ahead)"),
    SIZE(digest_sample, "64", 0, 1000000,
         "check one object version in N served against its digest (1: every one; 0: none)"),
    SIZE(max_connections, "512", 1, 100000, "simultaneous connections"),
    SIZE(per_ip_connections, "64", 0, 100000,
         "simultaneous connections per client address (0: no limit)"),
    SIZE(reserved_connections, "64", 0, 100000,
         "connections kept for addresses that authenticated recently (0: none)"),
    SIZE(connection_timeout, "30", 1, 3600, "seconds before an idle connection is closed"),
    SIZE(header_timeout, "20", 0, 3600,
         "seconds a request's head may take, from connecting or the previous answer (0: none)"),
    SIZE(body_timeout, "120", 0, 86400,
         "seconds a request's body may take, from the end of its head (0: none)"),
    SIZE(threads, "4", 1, 64, "worker threads"),
    SIZE(request_memory, "268435456", 1048576, 4294967296, "memory one request may use, bytes"),
    SIZE(max_response, "268435456", 65536, 4294967296, "largest response body, bytes"),
    STR(title, "liaison", "server title shown in TAXII discovery"),
    STR(description, "Federated intelligence exchange (TAXII 2.1)", "server description"),
    STR(contact, "", "contact shown in TAXII discovery"),
    STR(log_level, "info", "debug, info, warn or error"),
    SIZE(log_flush_ms, "100", 0, 10000,
         "milliseconds info lines may wait in a thread's buffer (0: write each at once)"),
    SIZE(sync_interval, "0", 0, 604800,
         "seconds between runs of the configured pulls and pushes (0: off)"),
    SIZE(watch_max_per_principal, "100", 1, 100000, "watches one principal may have"),
    SIZE(session_minutes, "480", 1, 10080, "how long a person's sign-in session lasts, minutes"),
    SIZE(signin_max_failures, "5", 1, 1000,
         "failed sign-ins in a row after which a person is locked out"),
    SIZE(signin_lockout_seconds, "900", 1, 604800, "how long a locked-out person must wait"),
    SIZE(flows_max_rows, "1000000", 1, 100000000,
         "flow rows (a flow per commodity) one flows query may read"),
    SIZE(search_facet_rows, "1000", 1, 100000000,
         "matching objects one search's facets count (past it they are partial)"),
    SIZE(export_max_objects, "5000", 1, 1000000,
         "object versions one signed export of the desk (POST /liaison/export) may name"),
    SIZE(watch_poll_ms, "500", 10, 60000,
         "milliseconds between looks for new object versions to match"),
    SIZE(watch_keepalive, "15", 1, 3600,
         "seconds between keep-alive comments on idle event streams"),
    SIZE(sse_max_streams, "64", 0, 100000, "event streams (/liaison/events) open at once"),
    SIZE(sse_recheck_ms, "500", 50, 1000,
         "milliseconds between checks that an open event stream's token, partner, grants and "
         "group memberships are unchanged (a change ends the stream)"),
    SIZE(watch_webhook_attempts, "6", 1, 100,
         "deliveries of one event to a webhook before giving up"),
    SIZE(watch_webhook_retry_ms, "2000", 10, 3600000,
         "milliseconds before the first webhook retry (doubles each time)"),
    SIZE(watch_webhook_timeout, "10", 1, 300, "seconds one webhook delivery may take"),
    STR(web_root, LIAISON_WEB_DIR, "folder of the analyst pages served at / (empty: none)"),
    STR(store_check, "quick",
        "check of a SQLite store before serving: quick, full (PRAGMA integrity_check) or none"),
};

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

void cli_config_defaults(struct cli_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cli_config_set(cfg, keys[i].name, keys[i].def, NULL);
}

int cli_config_set(struct cli_config *cfg, const char *name, const char *value, struct lia_err *err)
{
    const struct key *k = find_key(name);
    if (!k)
        return lia_err_set(err, LIA_EINVAL, "unknown configuration key '%s'", name);
    char *field = (char *)cfg + k->offset;
    if (k->kind == K_STR) {
        size_t n = strlen(value);
        if (n >= k->size)
            return lia_err_set(err, LIA_EINVAL, "%s: value longer than %zu bytes", name,
                               k->size - 1);
        memcpy(field, value, n + 1);
    } else if (k->kind == K_BOOL) {
        bool v;
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
            v = true;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
            v = false;
        else
            return lia_err_set(err, LIA_EINVAL, "%s: expected true or false, got '%s'", name,
                               value);
        memcpy(field, &v, sizeof v);
    } else {
        int64_t v;
        if (lia_parse_i64(value, strlen(value), (int64_t)k->min, (int64_t)k->max, &v) != 0)
            return lia_err_set(err, LIA_EINVAL,
                               "%s: expected a whole number from %zu to %zu, got '%s'", name,
                               k->min, k->max, value);
        size_t sv = (size_t)v;
        memcpy(field, &sv, sizeof sv);
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int cli_config_load(struct cli_config *cfg, const char *path, bool optional, struct lia_err *err)
{
    char *text;
    size_t len;
    int rc = lia_read_file(path, 1024 * 1024, &text, &len, err);
    if (rc == LIA_ENOTFOUND && optional) {
        lia_err_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    int lineno = 0;
    char *save = text;
    for (char *line = text; line && *line && rc == 0; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *l = trim(line);
        if (*l && *l != '#') {
            char *eq = strchr(l, '=');
            if (!eq) {
                rc = lia_err_set(err, LIA_EINVAL, "%s:%d: expected key = value", path, lineno + 1);
            } else {
                *eq = '\0';
                struct lia_err e2;
                lia_err_clear(&e2);
                rc = cli_config_set(cfg, trim(l), trim(eq + 1), &e2);
                if (rc)
                    lia_err_set(err, rc, "%s:%d: %s", path, lineno + 1, e2.msg);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(save);
    return rc;
}

int cli_config_apply_sets(struct cli_config *cfg, const char *const *sets, size_t n,
                          struct lia_err *err)
{
    for (size_t i = 0; i < n; i++) {
        char kv[2048];
        if ((size_t)snprintf(kv, sizeof kv, "%s", sets[i]) >= sizeof kv)
            return lia_err_set(err, LIA_EINVAL, "--set %.40s...: longer than %zu bytes", sets[i],
                               sizeof kv - 1);
        char *eq = strchr(kv, '=');
        if (!eq)
            return lia_err_set(err, LIA_EINVAL, "--set expects KEY=VALUE, got '%s'", sets[i]);
        *eq = '\0';
        int rc = cli_config_set(cfg, kv, eq + 1, err);
        if (rc)
            return rc;
    }
    return 0;
}

int cli_config_default_text(struct dbuf *b)
{
    int rc =
        dbuf_puts(b, "# liaison configuration: key = value. Command-line flags and\n"
                     "# --set key=value override this file. docs/configuration.md has more.\n\n");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == 0; i++)
        rc = dbuf_printf(b, "# %s\n# %s = %s\n\n", keys[i].doc, keys[i].name, keys[i].def);
    return rc;
}

int cli_config_write_default(const char *path, struct lia_err *err)
{
    struct dbuf b;
    dbuf_init(&b, 64 * 1024);
    int rc = cli_config_default_text(&b);
    if (rc == 0)
        rc = lia_write_file(path, b.ptr, b.len, 0600, err);
    else
        rc = lia_err_set(err, rc, "default configuration larger than 64 KiB");
    dbuf_release(&b);
    return rc;
}

void cli_config_of_data(const char *dir, struct cli_config *cfg)
{
    cli_config_defaults(cfg);
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/liaison.conf", dir);
    struct lia_err err;
    lia_err_clear(&err);
    cli_config_load(cfg, conf, true, &err);
}
