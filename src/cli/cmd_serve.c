/*
 * `liaison serve`: reads the configuration, opens the store, and serves
 * TAXII 2.1 until SIGINT or SIGTERM, then stops accepting, finishes the
 * requests under way and closes the store cleanly.
 *
 * Plain HTTP is refused on any address but loopback unless
 * allow_plain_http is set: tokens must not cross a network in clear.
 * A SQLite store is checked before it is opened (store_check, quick unless
 * store_check says otherwise): serve refuses a damaged store and names
 * `liaison store check`, rather than serving damage or writing into it.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/config.h"
#include "http/http.h"
#include "watch/watch.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liaison serve --data DIR [--listen HOST:PORT] [--tls-cert F --tls-key F]\n"
        "                     [--tls-client-ca F] [--config FILE] [--set KEY=VALUE]...\n"
        "                     [--store URL]\n\n"
        "Serves TAXII 2.1 at /taxii2/ from the store in DIR until SIGINT or SIGTERM.\n\n"
        "  --data DIR          data directory made by `liaison init`\n"
        "  --store URL         the store, if not DIR's (postgres://..., docs/scale-out.md)\n"
        "  --listen HOST:PORT  address to listen on (default 127.0.0.1:6143; port 0 picks one)\n"
        "  --tls-cert F        PEM certificate chain: serve HTTPS, TLS 1.2 or later only\n"
        "  --tls-key F         PEM private key of the certificate\n"
        "  --tls-client-ca F   accept partner client certificates signed by this CA\n"
        "  --config FILE       configuration file (default DIR/liaison.conf)\n"
        "  --set KEY=VALUE     override one configuration key (see docs/configuration.md)\n");
}

/* Splits "host:port" or "[v6]:port". */
static int parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    int64_t p;
    if (lia_parse_i64(colon + 1, strlen(colon + 1), 0, 65535, &p) != 0)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static char *read_pem(const char *path, const char *what)
{
    char *text = NULL;
    size_t len;
    struct lia_err err;
    lia_err_clear(&err);
    if (lia_read_file(path, 1024 * 1024, &text, &len, &err) != 0) {
        cli_error(CLI_FAIL, "serve", "%s: %s", what, err.msg);
        return NULL;
    }
    return text;
}

int cli_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},          {"listen", required_argument, NULL, 'l'},
        {"tls-cert", required_argument, NULL, 'c'},      {"tls-key", required_argument, NULL, 'k'},
        {"tls-client-ca", required_argument, NULL, 'a'}, {"config", required_argument, NULL, 'f'},
        {"set", required_argument, NULL, 's'},           {"help", no_argument, NULL, 'h'},
        {"store", required_argument, NULL, 'S'},         {NULL, 0, NULL, 0}};
    /* Before any thread starts (the checkpointer and read-ahead start before the server):
     * every thread inherits the mask, so SIGINT and SIGTERM reach only sigwait below. A
     * thread started with them unblocked would take SIGTERM's default action and kill the
     * process without its orderly stop (seen as "server exited with -15" under load). */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *dir = NULL, *config = NULL;
    const char *sets[64];
    size_t n_sets = 0;
    const char *listen = NULL, *cert = NULL, *key = NULL, *ca = NULL, *store = NULL;
    int ch;
    cli_reset_getopt();
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'a':
            ca = optarg;
            break;
        case 'S':
            store = optarg;
            if (cli_refuse_password("serve", store))
                return CLI_USAGE;
            break;
        case 'f':
            config = optarg;
            break;
        case 's':
            if (n_sets == 64)
                return cli_error(CLI_USAGE, "serve", "too many --set options");
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
    if (!dir || optind != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    struct cli_config cfg;
    cli_config_defaults(&cfg);
    struct lia_err err;
    lia_err_clear(&err);
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/liaison.conf", dir);
    if (cli_config_load(&cfg, config ? config : conf, config == NULL, &err))
        return cli_error(CLI_USAGE, "serve", "%s", err.msg);
    if (cli_config_apply_sets(&cfg, sets, n_sets, &err))
        return cli_error(CLI_USAGE, "serve", "%s", err.msg);
    if ((listen && cli_config_set(&cfg, "listen", listen, &err)) ||
        (cert && cli_config_set(&cfg, "tls_cert", cert, &err)) ||
        (key && cli_config_set(&cfg, "tls_key", key, &err)) ||
        (ca && cli_config_set(&cfg, "tls_client_ca", ca, &err)) ||
        (store && cli_config_set(&cfg, "store", store, &err)))
        return cli_error(CLI_USAGE, "serve", "%s", err.msg);
    if (!strcmp(cfg.log_level, "debug"))
        lia_log_set_level(LIA_LOG_DEBUG);
    else if (!strcmp(cfg.log_level, "warn"))
        lia_log_set_level(LIA_LOG_WARN);
    else if (!strcmp(cfg.log_level, "error"))
        lia_log_set_level(LIA_LOG_ERROR);

    char host[128];
    uint16_t port;
    if (parse_listen(cfg.listen, host, sizeof host, &port))
        return cli_error(CLI_USAGE, "serve", "listen: expected HOST:PORT, got '%s'", cfg.listen);
    bool tls = cfg.tls_cert[0] != '\0';
    if (tls != (cfg.tls_key[0] != '\0'))
        return cli_error(CLI_USAGE, "serve", "--tls-cert and --tls-key go together");
    if (cfg.tls_client_ca[0] && !tls)
        return cli_error(CLI_USAGE, "serve", "--tls-client-ca needs --tls-cert and --tls-key");
    if (!tls && !http_is_loopback(host) && !cfg.allow_plain_http)
        return cli_error(CLI_USAGE, "serve",
                         "refusing plain HTTP on %s: give --tls-cert/--tls-key, or set "
                         "allow_plain_http=true if a TLS proxy fronts this server",
                         host);

    bool check_full = !strcmp(cfg.store_check, "full");
    if (!check_full && strcmp(cfg.store_check, "quick") != 0 && strcmp(cfg.store_check, "none"))
        return cli_error(CLI_USAGE, "serve", "store_check: expected quick, full or none, got '%s'",
                         cfg.store_check);

    struct http_config hc = {0};
    hc.host = host;
    hc.port = port;
    hc.max_content_length = cfg.max_content_length;
    hc.max_discard_length = cfg.max_discard_length;
    hc.reserved_connections = (unsigned)cfg.reserved_connections;
    hc.header_timeout = (unsigned)cfg.header_timeout;
    hc.body_timeout = (unsigned)cfg.body_timeout;
    hc.precheck = api_precheck;
    hc.max_response = cfg.max_response;
    hc.request_memory = cfg.request_memory;
    hc.max_connections = (unsigned)cfg.max_connections;
    hc.per_ip_connections = (unsigned)cfg.per_ip_connections;
    hc.timeout_seconds = (unsigned)cfg.connection_timeout;
    hc.threads = (unsigned)cfg.threads;
    char *cert_pem = NULL, *key_pem = NULL, *ca_pem = NULL;
    if (tls) {
        cert_pem = read_pem(cfg.tls_cert, "tls_cert");
        key_pem = cert_pem ? read_pem(cfg.tls_key, "tls_key") : NULL;
        if (!key_pem) {
            free(cert_pem);
            return CLI_FAIL;
        }
        if (cfg.tls_client_ca[0] && !(ca_pem = read_pem(cfg.tls_client_ca, "tls_client_ca"))) {
            free(cert_pem);
            free(key_pem);
            return CLI_FAIL;
        }
        hc.tls_cert_pem = cert_pem;
        hc.tls_key_pem = key_pem;
        hc.tls_client_ca_pem = ca_pem;
    }

    /* Before the server's threads: it changes jansson's allocation functions (parse_arena.c). */
    stix_set_parse_arena(cfg.parse_arena_bytes);
    stix_set_fast_parse(cfg.fast_parse);
    int rc = strcmp(cfg.store_check, "none")
                 ? cli_store_check_before_serve(dir, cfg.store, check_full)
                 : CLI_OK;
    if (rc) {
        free(cert_pem);
        free(key_pem);
        free(ca_pem);
        return rc;
    }
    struct store *s;
    /* A connection for each worker, the watch engine, the sync thread and each read-ahead. */
    rc = cli_open_store_at("serve", dir, cfg.store, (int)(cfg.threads + 2 + cfg.readahead_threads),
                           &s);
    if (rc) {
        free(cert_pem);
        free(key_pem);
        free(ca_pem);
        return rc;
    }
    store_set_digest_sample(s, (unsigned)cfg.digest_sample);
    struct lia_err ckerr;
    lia_err_clear(&ckerr);
    if (store_background_checkpoints(s, &ckerr)) /* requests then never checkpoint */
        lia_log(LIA_LOG_WARN, "checkpoints_inline", "\"reason\":\"%s\"", ckerr.msg);
    struct api_config ac = {0};
    ac.max_content_length = cfg.max_content_length;
    ac.stix.max_depth = cfg.max_json_depth;
    ac.stix.max_string = cfg.max_string_length;
    ac.stix.max_objects = cfg.max_objects_per_bundle;
    ac.default_page_size = cfg.default_page_size;
    ac.max_page_size = cfg.max_page_size;
    ac.max_filter_values = cfg.max_filter_values;
    ac.rate_limit = cfg.rate_limit;
    ac.rate_burst = cfg.rate_burst;
    ac.auth_failure_rate = cfg.auth_failure_rate;
    ac.auth_failure_burst = cfg.auth_failure_burst;
    ac.response_cache_bytes = cfg.response_cache_bytes;
    ac.response_cache_ms = cfg.response_cache_ms;
    ac.readahead_bytes = cfg.readahead_bytes;
    ac.readahead_threads = cfg.readahead_threads;
    ac.request_memory = cfg.request_memory;
    ac.max_response = cfg.max_response;
    ac.title = cfg.title;
    ac.description = cfg.description[0] ? cfg.description : NULL;
    ac.contact = cfg.contact[0] ? cfg.contact : NULL;
    ac.web_root = cfg.web_root;
    ac.watch_max_per_principal = cfg.watch_max_per_principal;
    ac.session_minutes = cfg.session_minutes;
    ac.signin_max_failures = cfg.signin_max_failures;
    ac.signin_lockout_seconds = cfg.signin_lockout_seconds;
    ac.flows_max_rows = cfg.flows_max_rows;
    ac.search_facet_rows = cfg.search_facet_rows;
    ac.export_max_objects = cfg.export_max_objects;
    ac.data_dir = dir; /* the signing key is read per export, and wiped after */
    struct api *api = calloc(1, sizeof *api);
    rc = api ? api_init(api, s, &ac, &err) : lia_err_set(&err, LIA_ENOMEM, "out of memory");
    if (rc == 0)
        rc = api_readahead_start(api, &err);

    struct watch_engine_config wc = {0};
    wc.poll_ms = (int64_t)cfg.watch_poll_ms;
    wc.keepalive_ms = (int64_t)cfg.watch_keepalive * 1000;
    wc.max_streams = cfg.sse_max_streams;
    wc.recheck_ms = (int64_t)cfg.sse_recheck_ms;
    wc.max_attempts = (int)cfg.watch_webhook_attempts;
    wc.retry_base_ms = (int64_t)cfg.watch_webhook_retry_ms;
    wc.webhook_timeout_s = (long)cfg.watch_webhook_timeout;
    struct watch_engine *watches = NULL;
    if (rc == 0 && (rc = watch_engine_start(s, &wc, &watches, &err)) == 0)
        api->watches = watches;
    struct http_server *srv = NULL;
    if (rc == 0)
        rc = http_server_start(&hc, api_handle, api, &srv, &err);
    if (rc) {
        watch_engine_stop(watches);
        if (api)
            api_readahead_stop(api);
        store_close(s);
        free(api);
        free(cert_pem);
        free(key_pem);
        free(ca_pem);
        return cli_error(cli_exit_for(rc), "serve", "%s", err.msg);
    }
    lia_log(LIA_LOG_INFO, "listening", "\"url\":\"%s://%s%s%s:%u/taxii2/\"", tls ? "https" : "http",
            strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
            http_server_port(srv));
    /* After the listening line, which scripts wait for, lines are gathered per thread. */
    if (lia_log_buffer((int)cfg.log_flush_ms))
        lia_log(LIA_LOG_WARN, "log_unbuffered", "\"reason\":\"cannot start the log flusher\"");
    cli_sync_start(s, dir, cfg.sync_interval);
    int sig = 0;
    sigwait(&sigs, &sig);
    lia_log(LIA_LOG_INFO, "stopping", "\"signal\":%d", sig);
    http_server_stop(srv);   /* ends the event streams first: the engine outlives them */
    api_readahead_stop(api); /* no request is left to take what it made */
    watch_engine_stop(watches);
    cli_sync_stop();
    stix_reaper_drain();
    lia_log_flush();
    store_close(s);
    free(api);
    free(cert_pem);
    free(key_pem);
    free(ca_pem);
    return CLI_OK;
}
