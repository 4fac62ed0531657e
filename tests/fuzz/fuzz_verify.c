/*
 * Fuzz target: signed bundle verification (exchange_signed_verify, docs/exchange.md). The
 * first byte picks a mode:
 *  0: the rest is a file as an importer would read it; whatever it holds, verification must
 *     not crash, and a bundle it accepts lies inside the file with the length its header
 *     names (no input can carry a valid signature: the key below is secret to this run);
 *  1: the rest is a bundle, signed here with a fixed key; the file must verify and give back
 *     exactly that bundle, and flipping any one bit of it (position from the input) must be
 *     refused.
 */
#include "fuzz_common.h"

#include <stdio.h>

#include <sodium.h>

#include "exchange/exchange.h"

static unsigned char sk[crypto_sign_SECRETKEYBYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 1;
    data++, size--;
    struct exchange_header h;
    struct lia_err err;
    lia_err_clear(&err);
    const char *bundle = NULL;
    size_t blen = 0;
    if (mode == 0) {
        /* a private copy: the verifier must not read past len */
        char *text = malloc(size ? size : 1);
        if (!text)
            abort();
        memcpy(text, data, size);
        if (exchange_signed_verify(text, size, &h, &bundle, &blen, &err) == 0 &&
            (bundle < text || bundle + blen > text + size || (int64_t)blen != h.bytes))
            abort();
        free(text);
        return 0;
    }
    size_t flip = 0;
    for (size_t i = 0; i < 4 && size; i++, data++, size--)
        flip = flip << 8 | *data;
    struct exchange_header mk = {0};
    snprintf(mk.sender, sizeof mk.sender, "identity--6d5e3f4a-1b2c-4d3e-8f9a-0b1c2d3e4f5a");
    snprintf(mk.created, sizeof mk.created, "2024-01-01T00:00:00Z");
    snprintf(mk.collection, sizeof mk.collection, "6f1d3c0a-5b7e-4c2a-9e51-2d7a4b8c9f10");
    snprintf(mk.recipient, sizeof mk.recipient, "P");
    mk.objects = 1;
    struct dbuf file;
    dbuf_init(&file, 16u << 20);
    if (exchange_signed_build(sk, &mk, (const char *)data, size, &file, &err) != 0)
        abort();
    if (exchange_signed_verify(file.ptr, file.len, &h, &bundle, &blen, &err) != 0 || blen != size ||
        memcmp(bundle, data, size) != 0)
        abort(); /* a genuine file refused or misread */
    size_t bit = flip % (file.len * 8);
    file.ptr[bit / 8] = (char)(file.ptr[bit / 8] ^ (1 << (bit % 8)));
    lia_err_clear(&err);
    if (exchange_signed_verify(file.ptr, file.len, &h, &bundle, &blen, &err) == 0)
        abort(); /* an altered file accepted */
    dbuf_release(&file);
    return 0;
}
