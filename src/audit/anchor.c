/*
 * Anchoring the audit log outside this database (docs/security.md, "The audit record").
 *
 * The hash chain alone proves nothing against someone who can write the database: they can
 * cut its end, or rewrite it and compute the chain again. So each head the log gets is
 * signed with the instance's Ed25519 key (DIR/signing.key, a file outside the database, mode
 * 0600) as a checkpoint, one line:
 *
 *   liaison-audit-checkpoint/1 <instance identity> <seq> <hash hex> <time µs> <signature hex>
 *
 * the signature covering everything before its own space. Whoever holds a checkpoint (a file
 * saved from `liaison audit head`, or a partner that received it with a pull, a push or an
 * export, its witness) can later show that the entry it names is still in the log with the
 * same hash: a log cut below it, wiped, or rewritten at or before it no longer matches, and a
 * matching forgery would need the key. The head kept in the database (meta audit_head) is the
 * latest checkpoint; editing it breaks its signature.
 */
#include "audit/audit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define PREFIX AUDIT_CHECKPOINT_FORMAT " "

static pthread_mutex_t signer_lock = PTHREAD_MUTEX_INITIALIZER;
static bool signer_on;
static unsigned char signer_sk[crypto_sign_SECRETKEYBYTES];
static char signer_instance[128];

int audit_key_load(const char *dir, unsigned char sk[64], struct lia_err *err)
{
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/signing.key", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return lia_err_set(err, LIA_EINVAL, "data directory path too long");
    char *text = NULL;
    size_t len = 0;
    int rc = lia_read_file(path, 4096, &text, &len, err);
    if (rc)
        return rc;
    size_t got = 0;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len != 128 || sodium_hex2bin(sk, 64, text, len, NULL, &got, NULL) || got != 64)
        rc = lia_err_set(err, LIA_EINVAL, "%s is not a hex Ed25519 secret key", path);
    sodium_memzero(text, len);
    free(text);
    return rc;
}

void audit_signer_set(const unsigned char *sk, const char *instance)
{
    pthread_mutex_lock(&signer_lock);
    signer_on = sk != NULL;
    if (sk)
        memcpy(signer_sk, sk, sizeof signer_sk);
    else
        sodium_memzero(signer_sk, sizeof signer_sk);
    snprintf(signer_instance, sizeof signer_instance, "%s", instance && *instance ? instance : "-");
    pthread_mutex_unlock(&signer_lock);
}

int audit_signer_load(struct store *s, const char *dir, struct lia_err *err)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    int rc = audit_key_load(dir, sk, err);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 0);
    char *instance = NULL;
    if (store_meta_get(s, "instance_identity", &a, &instance, NULL) != 0)
        instance = NULL;
    audit_signer_set(sk, instance);
    sodium_memzero(sk, sizeof sk);
    arena_release(&a);
    return 0;
}

/* The signed part of a checkpoint, into buf. */
static int signed_part(char *buf, size_t size, const char *instance, int64_t seq,
                       const unsigned char hash[32], int64_t ts)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, hash, 32);
    int n = snprintf(buf, size, PREFIX "%s %" PRId64 " %s %" PRId64, instance, seq, hex, ts);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

void audit_head_text(int64_t seq, const unsigned char hash[32], int64_t ts,
                     char out[AUDIT_CHECKPOINT_MAX])
{
    pthread_mutex_lock(&signer_lock);
    int n = signer_on ? signed_part(out, AUDIT_CHECKPOINT_MAX, signer_instance, seq, hash, ts) : -1;
    if (n > 0 && (size_t)n + 2 + 2 * crypto_sign_BYTES < AUDIT_CHECKPOINT_MAX) {
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, NULL, (const unsigned char *)out, (size_t)n, signer_sk);
        out[n] = ' ';
        sodium_bin2hex(out + n + 1, AUDIT_CHECKPOINT_MAX - (size_t)n - 1, sig, sizeof sig);
    } else { /* no key in this process: the unsigned head of older logs */
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, hash, 32);
        snprintf(out, AUDIT_CHECKPOINT_MAX, "%" PRId64 ":%s", seq, hex);
    }
    pthread_mutex_unlock(&signer_lock);
}

static int bad(struct lia_err *err, const char *why)
{
    return lia_err_set(err, LIA_EINVAL, "not an audit checkpoint: %s", why);
}

int audit_checkpoint_parse(const char *text, size_t len, struct audit_checkpoint *cp,
                           struct lia_err *err)
{
    memset(cp, 0, sizeof *cp);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    if (len >= AUDIT_CHECKPOINT_MAX)
        return bad(err, "too long");
    if (len < sizeof PREFIX - 1 || memcmp(text, PREFIX, sizeof PREFIX - 1) != 0)
        return bad(err, "it does not start with " AUDIT_CHECKPOINT_FORMAT);
    memcpy(cp->line, text, len);
    cp->line[len] = '\0';
    char *fields[4];
    char work[AUDIT_CHECKPOINT_MAX];
    memcpy(work, cp->line, len + 1);
    char *p = work + sizeof PREFIX - 1;
    for (int i = 0; i < 4; i++) {
        fields[i] = p;
        p = strchr(p, ' ');
        if (!p)
            return bad(err, "it has fewer than six fields");
        *p++ = '\0';
    }
    if (strchr(p, ' '))
        return bad(err, "it has more than six fields");
    size_t got = 0;
    char *end;
    if (strlen(fields[0]) >= sizeof cp->instance || !fields[0][0])
        return bad(err, "bad instance");
    memcpy(cp->instance, fields[0], strlen(fields[0]) + 1);
    cp->seq = strtoll(fields[1], &end, 10);
    if (*end || end == fields[1] || cp->seq < 0)
        return bad(err, "bad entry number");
    if (strlen(fields[2]) != 64 || sodium_hex2bin(cp->hash, 32, fields[2], 64, NULL, &got, NULL) ||
        got != 32)
        return bad(err, "bad hash");
    cp->ts = strtoll(fields[3], &end, 10);
    if (*end || end == fields[3] || cp->ts < 0)
        return bad(err, "bad time");
    if (strlen(p) != 2 * crypto_sign_BYTES ||
        sodium_hex2bin(cp->sig, sizeof cp->sig, p, strlen(p), NULL, &got, NULL) ||
        got != crypto_sign_BYTES)
        return bad(err, "bad signature field");
    cp->signed_len = (size_t)(p - work) - 1;
    return 0;
}

bool audit_checkpoint_signed_by(const struct audit_checkpoint *cp, const unsigned char pk[32])
{
    return crypto_sign_verify_detached(cp->sig, (const unsigned char *)cp->line, cp->signed_len,
                                       pk) == 0;
}

int audit_key_from_hex(const char *hex, unsigned char pk[32])
{
    size_t got = 0;
    if (!hex || strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &got, NULL) || got != 32)
        return -1;
    return 0;
}

int audit_checkpoint_current(struct store *s, struct arena *a, char **line, struct lia_err *err)
{
    *line = NULL;
    char *head = NULL;
    int rc = store_meta_get(s, STORE_AUDIT_HEAD, a, &head, err);
    if (rc)
        return rc;
    if (strncmp(head, PREFIX, sizeof PREFIX - 1) != 0)
        return lia_err_set(err, LIA_ENOTFOUND,
                           "the audit head is not signed yet (no signing key where it was "
                           "written)");
    *line = head;
    return 0;
}

int audit_witness_keep(struct store *s, const struct store_partner *p, const char *line,
                       struct lia_err *err)
{
    struct audit_checkpoint cp;
    int rc = audit_checkpoint_parse(line, strlen(line), &cp, err);
    if (rc)
        return rc;
    unsigned char pk[32];
    if (audit_key_from_hex(p->pubkey, pk) != 0)
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "partner %s has no registered key: its checkpoint cannot be verified",
                           p->name);
    if (!audit_checkpoint_signed_by(&cp, pk)) /* the key names the instance, as for files */
        return lia_err_set(err, LIA_EFORBIDDEN,
                           "the checkpoint from %s is not signed by its registered key", p->name);
    /* What it sent before must still hold: a head below one it showed us, or another hash for
     * an entry it named, says its log was cut or rewritten. Logged; both are kept. */
    struct arena a;
    arena_init(&a, 0);
    struct store_witness *old;
    size_t n = 0;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, cp.hash, 32);
    if (store_witness_list(s, p->rid, &a, &old, &n, NULL) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (old[i].seq == cp.seq && strcmp(old[i].hash, hex) != 0)
                lia_log(LIA_LOG_WARN, "witness_conflict",
                        "\"partner\":\"%s\",\"seq\":%" PRId64
                        ",\"what\":\"two signed heads for one entry: its log was rewritten\"",
                        p->name, cp.seq);
        }
        if (n && old[n - 1].seq > cp.seq)
            lia_log(LIA_LOG_WARN, "witness_behind",
                    "\"partner\":\"%s\",\"seq\":%" PRId64 ",\"seen\":%" PRId64
                    ",\"what\":\"its log is behind a head it showed us before\"",
                    p->name, cp.seq, old[n - 1].seq);
    }
    arena_release(&a);
    struct store_witness w = {
        .partner = p->rid, .seq = cp.seq, .hash = hex, .line = cp.line, .received = lia_now_us()};
    bool added;
    return store_witness_put(s, &w, &added, err);
}
