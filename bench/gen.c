/*
 * bench_gen: writes N deterministic, realistic STIX 2.1 objects (stixgen.h) as
 * TAXII envelopes {"objects":[...]} of B objects each.
 *
 *   bench_gen -n 100000 [-b 1000] [-s SEED] [-o DIR]
 *
 * With -o, DIR/bundle-000000.json, DIR/bundle-000001.json, ... are written;
 * without, the envelopes go to stdout, one per line. A summary (object count,
 * average size, mix) goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stixgen.h"

static void usage(void)
{
    fprintf(stderr, "usage: bench_gen -n N [-b PER_ENVELOPE] [-s SEED] [-o DIR]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned long long n = 0, per = 1000, seed = 1;
    const char *dir = NULL;
    int ch;
    while ((ch = getopt(argc, argv, "n:b:s:o:")) != -1) {
        switch (ch) {
        case 'n':
            n = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            per = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'o':
            dir = optarg;
            break;
        default:
            usage();
        }
    }
    if (n == 0 || per == 0 || optind != argc)
        usage();
    if (dir && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    struct gen_obj o = {0};
    unsigned long long bytes = 0, count[8] = {0}, marked = 0, arabic = 0;
    FILE *out = stdout;
    for (unsigned long long i = 0; i < n; i++) {
        if (i % per == 0) {
            if (dir) {
                char path[4096];
                snprintf(path, sizeof path, "%s/bundle-%06llu.json", dir, i / per);
                out = fopen(path, "w");
                if (!out) {
                    perror(path);
                    return 1;
                }
            }
            fputs("{\"objects\":[", out);
        }
        gen_object(seed, i, &o);
        if (i % per)
            fputc(',', out);
        fwrite(o.json, 1, o.len, out);
        bytes += o.len;
        marked += o.tlp >= 0;
        for (int t = 0; t < 8; t++)
            if (o.type == gen_types[t])
                count[t]++;
        for (size_t k = 0; k < o.len; k++)
            if ((unsigned char)o.json[k] == 0xd8 || (unsigned char)o.json[k] == 0xd9) {
                arabic++;
                break;
            }
        if (i % per == per - 1 || i == n - 1) {
            fputs(dir ? "]}\n" : "]}\n", out);
            if (dir && fclose(out) != 0) {
                perror("write");
                return 1;
            }
        }
    }
    if (!dir && fflush(stdout) != 0) {
        perror("write");
        return 1;
    }
    fprintf(stderr,
            "bench_gen: %llu objects, %llu bytes, %.0f bytes/object average, %llu%% with "
            "a TLP marking, %llu%% with Arabic text\n",
            n, bytes, (double)bytes / (double)n, marked * 100 / n, arabic * 100 / n);
    fprintf(stderr, "bench_gen: mix");
    for (int t = 0; t < 8; t++)
        fprintf(stderr, " %s=%llu", gen_types[t], count[t]);
    fprintf(stderr, "\n");
    free(o.json);
    return 0;
}
