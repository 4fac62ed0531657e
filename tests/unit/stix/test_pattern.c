/*
 * Tests for src/stix/pattern.c: the pattern examples of the STIX 2.1 specification
 * (sections 9.1-9.8) are accepted; the 17 invalid patterns of the stix2-patterns test suite
 * (oasis-open/cti-pattern-validator v2.0.0, test_validator.py FAIL_CASES) are refused, each
 * for its reason; its 26 valid patterns are accepted except the four that break a MUST of the
 * specification, which are refused on purpose with one variant of its spec_examples.txt
 * (docs/stix-validation.md says why). Patterns
 * are written as the specification prints them (not JSON-encoded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

/* Section 9.8 (Examples) and the examples in 9.1-9.7. */
static const char *const spec_valid[] = {
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
    "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' "
    "AND file:mime_type = 'application/x-pdf']",
    "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' "
    "OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']\nAND [file:hashes.'SHA-256' = "
    "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
    "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
    "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
    "user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND "
    "[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND "
    "user-account:account_login = 'Mary']",
    "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
    "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
    "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
    "'203.0.113.33/32']",
    "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
    "'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
    "'198.51.100.1/32']",
    "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
    "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
    "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
    "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
    "windows-registry-key:key = "
    "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
    "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']",
    "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
    "'Conference Info']",
    "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
    "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
    "FOLLOWEDBY [process:command_line MATCHES "
    "'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
    "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
    "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) "
    "OR [process:name = 'fooproc' OR process:name = 'procfoo']",
    "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a69faa']",
    /* 9.1 and 9.3 */
    "[ipv4-addr:value = '203.0.113.1' OR ipv4-addr:value = '203.0.113.2']",
    "([ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10'])",
    "([ipv4-addr:value = '198.51.100.5' ] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 "
    "SECONDS",
    "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[ipv4-addr:value = '198.51.100.5'] AND [ ipv4-addr:value = '198.51.100.10']",
    "[file:size = 25536]",
    "[ipv4-addr:value = '198.51.100.1/32']",
    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
    "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] REPEATS 5 TIMES",
    "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
    "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY "
    "[domain-name:value = 'example.com']) WITHIN 600 SECONDS",
    "[ network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = "
    "'198.51.100.58' ]",
    /* 9.6.1 operator examples */
    "[file:name = 'foo.dll']",
    "[file:size != 4112]",
    "[file:size > 256]",
    "[file:size < 256]",
    "[file:size <= 256]",
    "[file:size >= 33312]",
    "[process:name IN ('proccy', 'proximus', 'badproc')]",
    "[directory:path LIKE 'C:\\\\Windows\\\\%\\\\foo']",
    "[directory:path MATCHES '^C:\\\\\\\\Windows\\\\w+$']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
    "[EXISTS windows-registry-key:values]",
    /* 9.6.4 and 9.7 */
    "[artifact:payload_bin = 'this is a test']",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    "[artifact:payload_bin = h'7468697320697320612074657374']",
    "[file:hashes.ssdeep = '3:a:b']",
    "[file:extensions.'raster-image-ext'.image_height = 1024]",
    "[network-traffic:protocols[0] = 'tcp']",
    "[email-message:from_ref.value = 'a@example.com']",
    "[directory:contains_refs[*].name = 'x']",
    /* whitespace of section 9.4: tabs, line feeds, U+00A0 and U+3000 between tokens */
    "[\tfile:size\n=\r\n1\xc2\xa0]\xe3\x80\x80REPEATS 2 TIMES",
};

/* stix2-patterns' FAIL_CASES, with a word of the reason. */
static const struct {
    const char *pattern, *why;
} stix2_patterns_invalid[] = {
    {"file:size = 1280", "square brackets"},
    {"[file:size = ]", "expected a constant"},
    {"[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]", "expected a constant"},
    {"[file.size = 1280]", "':' after the object type"},
    {"[file:name MATCHES /.*\\\\.dll/]", "unexpected character '/'"},
    {"[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN ]", "after WITHIN"},
    {"[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN 5 HOURS]", "SECONDS"},
    {"[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN -5 SECONDS]", "positive"},
    {"[network-traffic:dst_ref.value ISSUBSET ]", "expected a string"},
    {"[file:hashes.MD5 =? 'cead3f77f6cda6ec00f57d76c9a6879f']", "unexpected character '?'"},
    {"[x_whatever:detected == t'2457-73-22T32:81:84.1Z']", "\"x_whatever\" is not a valid"},
    {"[artifact:payload_bin = b'====']", "base64"},
    {"[foo:bar=1] within 2 seconds", "found \"within\""},
    {"[file:hashes.'SHA-256' = 'f00']", "not a valid SHA-256 hash"},
    {"[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN 5 SECONDS WITHIN 6 "
     "SECONDS",
     "second WITHIN"},
    {"([win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] REPEATS 2 TIMES REPEATS 3 "
     "TIMES)",
     "second REPEATS"},
    {"[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] START "
     "t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' START "
     "t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'",
     "second START/STOP"},
};

/* stix2-patterns' PASS_CASES that liaison accepts too. */
static const char *const stix2_patterns_valid[] = {
    "[file:size = 1280]",
    "[file:size != 1280]",
    "[file:size < 1024]",
    "[file:size <= 1024]",
    "[file:size > 1024]",
    "[file:size >= 1024]",
    "[file:file_name = 'my_file_name']",
    "[file:extended_properties.'ntfs-ext'.sid = '234']",
    "[emailaddr:value MATCHES '.+\\\\@ibm\\\\.com$' OR file:name MATCHES '^Final "
    "Report.+\\\\.exe$']",
    "[ipv4addr:value ISSUBSET '192.168.0.1/24']",
    "[ipv4addr:value NOT ISSUBSET '192.168.0.1/24']",
    "[user-account:value = 'Peter'] AND [user-account:value != 'Paul'] AND "
    "[user-account:value = 'Mary'] WITHIN 5 SECONDS",
    "[file:file_system_properties.file_name LIKE 'name%']",
    "[file:file_name IN ('test.txt', 'test2.exe', 'README')]",
    "[file:size IN (1024, 2048, 4096)]",
    "[network-connection:extended_properties[0].source_payload MATCHES 'dGVzdHRlc3R0ZXN0']",
    "[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN 5 SECONDS",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    "[foo:bar=1] REPEATS 9 TIMES",
    "( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
    "([win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] REPEATS 2 TIMES) REPEATS 2 "
    "TIMES",
    "[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] START "
    "t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR "
    "[ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP "
    "t'2016-06-01T04:30:24.743Z'",
};

/* stix2-patterns' PASS_CASES (and its spec_examples.txt variant) that break a MUST. */
static const struct {
    const char *pattern, *why;
} stix2_patterns_valid_refused[] = {
    /* 3.1: type names are a-z, 0-9 and hyphens (the OASIS validator says the same) */
    {"[x_whatever:detected == t'2018-03-22T12:11:14.1Z']", "not a valid object type name"},
    /* 9.6.1: the constant has the property's type (start is a timestamp) */
    {"[network-traffic:start = '2018-04-20T12:36:24.558Z']", "is a timestamp"},
    /* 9.7.2: only lists take an index; hashes is a dictionary */
    {"[file:hashes[*] = '8665c8d477534008b3058b72e2dae8ae']", "dictionary"},
    /* 9.5.1: one qualifier of a kind per observation expression */
    {"([win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar']) WITHIN 5 SECONDS WITHIN 6 "
     "SECONDS",
     "second WITHIN"},
    /* 9.6.1: size is an integer (the specification's own example writes 371712) */
    {"[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = "
     "t'2014-01-13T07:03:17Z']",
     "is an integer"},
};

/* More malformed patterns, each refused for its reason. */
static const struct {
    const char *pattern, *why;
} more_invalid[] = {
    {"", "expected '[' or '('"},
    {"[]", "an object path"},
    {"[file:name = 'x'", "']' or AND / OR"},
    {"[file:name = 'x]", "not closed"},
    {"[file:name = 'a\\b']", "backslash"},
    {"[file:size = 007]", "leading zeros"},
    {"[file:size = +5]", "plus sign"},
    {"[file:name = 'x'] REPEATS 0 TIMES", "positive integer"},
    {"[file:name = 'x'] WITHIN 0 SECONDS", "positive number"},
    {"[file:size IN (1, 'two')]", "of one type"},
    {"[file:name MATCHES '(unclosed']", "PCRE"},
    {"[file:name ISSUBSET '10.0.0.0/8']", "value property"},
    {"[ipv4-addr:value ISSUBSET '10.0.0.0/40']", "not an IPv4 address"},
    {"[file:ctime = t'2016-02-30T00:00:00Z']", "not a timestamp"},
    {"[x-whatever:detected == t'2457-73-22T32:81:84.1Z']", "t'2457-73-22T32:81:84.1Z'"},
    {"[file:magic_number_hex = h'abc']", "even number"},
    {"[Bad-Type:name = 'x']", "object type name"},
    {"[file:Name = 'x']", "not a property name"},
    {"[file:windows-pebinary-ext = 'x']", "expected a property name"},
    {"[file:extensions.'tcp-ext'.src_flags_hex = '02']", "extension of network-traffic"},
    {"[file:size = true]", "is an integer"},
    {"[file:name > true]", "only with = and !="},
    {"[file:name = 'x'] AND", "'[' or '('"},
    {"[file:name = 'x'] /* open comment", "comment is not closed"},
    {"[relationship:source_ref = 'x']", "not one"},
    {"[file:parent_directory_ref[0] = 'x']", "only a list"},
    {"[file:contains_refs.name = 'x']", "is a list"},
};

static int check(const char *pattern)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = stix_validate_pattern(pattern, strlen(pattern), &err);
    if (rc)
        print_message("%s\n    -> %s\n", pattern, err.msg);
    return rc;
}

static void test_spec_examples_accepted(void **state)
{
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < sizeof spec_valid / sizeof spec_valid[0]; i++)
        bad += check(spec_valid[i]) != 0;
    for (size_t i = 0; i < sizeof stix2_patterns_valid / sizeof stix2_patterns_valid[0]; i++)
        bad += check(stix2_patterns_valid[i]) != 0;
    assert_int_equal(bad, 0);
}

static size_t refused_for(const char *pattern, const char *why)
{
    struct lia_err err;
    lia_err_clear(&err);
    int rc = stix_validate_pattern(pattern, strlen(pattern), &err);
    if (rc == STIX_EINVALID && strstr(err.msg, why) && strstr(err.msg, "(rule pattern"))
        return 0;
    print_error("%s\n    want a refusal with \"%s\", got %d: %s\n", pattern, why, rc, err.msg);
    return 1;
}

static void test_invalid_refused(void **state)
{
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < sizeof stix2_patterns_invalid / sizeof stix2_patterns_invalid[0]; i++)
        bad += refused_for(stix2_patterns_invalid[i].pattern, stix2_patterns_invalid[i].why);
    for (size_t i = 0;
         i < sizeof stix2_patterns_valid_refused / sizeof stix2_patterns_valid_refused[0]; i++)
        bad += refused_for(stix2_patterns_valid_refused[i].pattern,
                           stix2_patterns_valid_refused[i].why);
    for (size_t i = 0; i < sizeof more_invalid / sizeof more_invalid[0]; i++)
        bad += refused_for(more_invalid[i].pattern, more_invalid[i].why);
    assert_int_equal(bad, 0);
    assert_int_equal(sizeof stix2_patterns_invalid / sizeof stix2_patterns_invalid[0], 17);
}

/* Deep nesting is refused, not a stack overflow; a NUL inside is refused. */
static void test_limits(void **state)
{
    (void)state;
    size_t n = 20000;
    char *deep = malloc(2 * n + 32);
    assert_non_null(deep);
    memset(deep, '(', n);
    memcpy(deep + n, "[file:size = 1]", sizeof "[file:size = 1]");
    assert_int_equal(refused_for(deep, "nested deeper"), 0);
    memset(deep, '[', n);
    deep[n] = '\0';
    assert_int_equal(refused_for(deep, "(rule pattern"), 0);
    free(deep);
    struct lia_err err;
    assert_int_equal(stix_validate_pattern("[file:name = 'a\0b']", 20, &err), STIX_EINVALID);
}

/* The parser reads only the bytes it is given: every pattern above, copied into a buffer of
 * exactly its length (no NUL after it), gets the same answer (ASan catches any read past). */
static int exact(const char *pattern, char *msg, size_t cap)
{
    size_t n = strlen(pattern);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, pattern, n);
    struct lia_err err;
    lia_err_clear(&err);
    int rc = stix_validate_pattern(copy, n, &err);
    snprintf(msg, cap, "%s", err.msg);
    free(copy);
    return rc;
}

static void test_unterminated(void **state)
{
    (void)state;
    char a[512], b[512];
    const char *all[256];
    size_t k = 0;
    for (size_t i = 0; i < sizeof spec_valid / sizeof spec_valid[0]; i++)
        all[k++] = spec_valid[i];
    for (size_t i = 0; i < sizeof stix2_patterns_invalid / sizeof stix2_patterns_invalid[0]; i++)
        all[k++] = stix2_patterns_invalid[i].pattern;
    for (size_t i = 0;
         i < sizeof stix2_patterns_valid_refused / sizeof stix2_patterns_valid_refused[0]; i++)
        all[k++] = stix2_patterns_valid_refused[i].pattern;
    for (size_t i = 0; i < sizeof more_invalid / sizeof more_invalid[0]; i++)
        all[k++] = more_invalid[i].pattern;
    for (size_t i = 0; i < k; i++) {
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_validate_pattern(all[i], strlen(all[i]), &err);
        snprintf(b, sizeof b, "%s", err.msg);
        assert_int_equal(exact(all[i], a, sizeof a), rc);
        assert_string_equal(a, b);
    }
}

/* Not-stix pattern types are stored as given; a stix one is checked inside an indicator. */
static void test_indicator_pattern_types(void **state)
{
    (void)state;
    static const struct {
        const char *type, *pattern;
        int rc;
    } cases[] = {
        {"stix", "[file:size = 1]", 0},
        {"stix", "file:size = 1", STIX_EINVALID},
        {"sigma", "title: x\ndetection: {}", 0},
        {"yara", "rule x { condition: true }", 0},
        {"snort", "alert tcp any any -> any any (msg:\"x\";)", 0},
        {"suricata", "not [a stix pattern", 0},
        {"pcre", "(unclosed", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "indicator", "spec_version", "2.1",
            "id", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created",
            "2016-04-06T20:03:48.000Z", "modified", "2016-04-06T20:03:48.000Z", "valid_from",
            "2016-04-06T20:03:48.000Z", "pattern_type", cases[i].type, "pattern", cases[i].pattern);
        assert_non_null(o);
        struct stix_info info;
        struct lia_err err;
        lia_err_clear(&err);
        int rc = stix_validate_object(o, &info, &err);
        if (rc != cases[i].rc)
            fail_msg("%s %s: %d %s", cases[i].type, cases[i].pattern, rc, err.msg);
        if (rc)
            assert_non_null(strstr(err.msg, "pattern: at character 1"));
        json_decref(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples_accepted),
        cmocka_unit_test(test_invalid_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_indicator_pattern_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
