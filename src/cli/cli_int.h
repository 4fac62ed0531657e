/*
 * Private to src/cli/: helpers shared by the command files.
 */
#ifndef LIAISON_CLI_INT_H
#define LIAISON_CLI_INT_H

#include <stddef.h>
#include <stdio.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "store/store.h"
#include "util/util.h"

/* Prints "liaison CMD: message" on stderr and returns code. */
int cli_error(int code, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens DIR's store; prints the error and returns an exit code on failure. */
int cli_open_store(const char *cmd, const char *dir, int pool, struct store **out);
/* Prints a JSON answer (rc 0) or err's message, releases out, a and s, and returns the exit
 * code: LIA_EINVAL usage (2), LIA_ENOTFOUND not found (3), else failure. */
int cli_print_answer(const char *cmd, int rc, struct dbuf *out, struct arena *a, struct store *s,
                     const struct lia_err *err);
/* The same for an explicit store location (a URL or path; NULL or "": DIR's, store.h's
 * store_location_for_dir). Messages never show a password of the location. */
int cli_open_store_at(const char *cmd, const char *dir, const char *location, int pool,
                      struct store **out);
void cli_reset_getopt(void);
/* --store URL given to a command that parses only --data (main.c): the store every later
 * cli_open_store opens instead of DIR's. */
void cli_set_store_override(const char *location);
/* Refuses (prints why, returns CLI_USAGE) a store location that carries a password. */
int cli_refuse_password(const char *cmd, const char *location);
/* A flag of cli_parse_flags: its text ("--data"), where it goes in the caller's struct (a
 * const char * for a value, a bool when is_bool). */
struct cli_flag {
    const char *name;
    size_t off;
    bool is_bool;
};
/* Parses argv[1..argc) into the struct at base by f[0..n), and at most one word without a
 * flag into *positional (none allowed when NULL). -1 after printing usage for --help;
 * CLI_USAGE, usage printed, for an unknown flag, a repeated one, a value missing or a second
 * word. */
int cli_parse_flags(int argc, char **argv, const struct cli_flag *f, size_t n, void *base,
                    const char **positional, void (*usage)(FILE *out));
/* "90d" (a number then s, m, h or d) -> microseconds; -1 when malformed or too large. */
int cli_parse_duration(const char *s, int64_t *us);
/* A name of 1-100 bytes without control characters, '/', '"', '\\' or any of extra. */
bool cli_valid_name(const char *n, const char *extra);
/* Exactly len lowercase hex digits. */
bool cli_is_hex(const char *s, size_t len);
/* Appends one audit entry for an administrative change made from the command line. */
int cli_audit(struct store *s, const char *action, const char *detail, struct lia_err *err);

/* What `init --tls` made (tlsgen.c): absolute paths and the two ways to pin it. */
struct cli_tls_info {
    char cert_path[1024];
    char key_path[1024];
    char fingerprint[65]; /* SHA-256 of the certificate's DER, lowercase hex */
    char pubkey_pin[48];  /* SHA-256 of its SubjectPublicKeyInfo, base64 (curl's sha256//) */
};
/* Writes DIR/tls.key (0600) and a self-signed DIR/tls.crt (0644) for localhost; refuses,
 * writing nothing, if either exists. */
int cli_tls_generate(const char *dir, const char *name, struct cli_tls_info *info,
                     struct lia_err *err);
/* Appends tls_cert and tls_key = info's paths to the configuration file conf. */
int cli_tls_configure(const char *conf, const struct cli_tls_info *info, struct lia_err *err);
int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_collection(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_partner(int argc, char **argv);
int cli_grant(int argc, char **argv);
int cli_revoke(int argc, char **argv);
int cli_audit_cmd(int argc, char **argv);
int cli_rfi(int argc, char **argv);
int cli_watch(int argc, char **argv);         /* cmd_watch.c */
int cli_flows(int argc, char **argv);         /* cmd_flows.c */
int cli_corroboration(int argc, char **argv); /* cmd_corroboration.c */
int cli_peer(int argc, char **argv);          /* cmd_peer.c */
int cli_pull(int argc, char **argv);          /* cmd_sync.c */
int cli_push(int argc, char **argv);
int cli_exchange(int argc, char **argv); /* cmd_exchange.c */
int cli_export(int argc, char **argv);   /* cmd_bundle.c */
int cli_import(int argc, char **argv);
int cli_key(int argc, char **argv);
int cli_migrate(int argc, char **argv); /* cmd_storecopy.c */
int cli_backup(int argc, char **argv);  /* cmd_backup.c */
int cli_restore(int argc, char **argv);
int cli_config_cmd(int argc, char **argv); /* cmd_config.c */
int cli_store(int argc, char **argv);
int cli_store_check(int argc, char **argv); /* cmd_storecheck.c: `store check` */
/* Checks DIR's store (location, or DIR's) before serve opens it (store_check: quick or full);
 * prints what is wrong and the command to run, and returns an exit code, when it is damaged. */
int cli_store_check_before_serve(const char *dir, const char *location, bool full);
int cli_misp(int argc, char **argv);    /* cmd_misp.c */
int cli_user(int argc, char **argv);    /* cmd_user.c */
int cli_release(int argc, char **argv); /* cmd_release.c */
struct access_decider;
/* The person named by --as NAME, acting from the command line (actor "person:NAME/cli");
 * LIA_ENOTFOUND, or LIA_EFORBIDDEN when disabled, with the message in err. */
int cli_decider(struct store *s, const char *name, struct arena *a, struct access_decider *who,
                struct lia_err *err);
int cli_review(int argc, char **argv); /* cmd_review.c */
/* Flags (on) or unflags partner p four-eyes, on record; prints the outcome unless quiet. */
int cli_partner_four_eyes(struct store *s, const struct store_partner *p, bool on, bool quiet);
/* Appends "store = location" to the configuration file conf (init --store). */
int cli_config_add_store(const char *conf, const char *location, struct lia_err *err);
/* The scheduled exchanges of serve (sync.c): a thread running every configured pull and push
 * each interval seconds (0: none); stop waits for the run under way. */
int cli_sync_start(struct store *s, const char *dir, size_t interval);
void cli_sync_stop(void);
int cli_group(int argc, char **argv); /* cmd_group.c */
/* Tells on stderr how many versions of coll push or export (cmd) withheld because their
 * originator released them to its own sharing group (third-party rule). */
void cli_note_withheld(struct store *s, const char *cmd, int64_t coll);
/* Finds a group by id or name; prints the error (as cmd) and returns its code. */
int cli_find_group(struct store *s, const char *cmd, const char *key, struct arena *a,
                   struct store_group *g);
/* Finds a partner by name or identity id; prints the error and returns its code. */
/* A --since value: a plain date YYYY-MM-DD (its first instant, UTC) or an RFC 3339 time. */
int cli_parse_since(const char *text, int64_t *us, struct lia_err *err);
int cli_find_partner(struct store *s, const char *key, struct arena *a, struct store_partner *p);

#endif
