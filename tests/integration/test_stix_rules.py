"""STIX 2.1 rules through TAXII: one envelope holds, for the gaps issue 26 lists, an object
that breaks a MUST next to one that keeps it. The server stores the good ones and refuses each
bad one in its status entry, naming the rule and the property path in English; a refused
object is not stored (its id is absent from the manifest), and the predefined TLP:GREEN
marking with content of its own is refused while the canonical one is stored."""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, main, sdo  # noqa: E402

D = S = None
CID = None
TS = "2024-01-01T00:00:00.000Z"
TLP2_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def setUpModule():
    global D, S, CID
    D = DataDir()
    CID = D.collection("Rules", alias="rules")
    S = Server(D).start()


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


def sco(type_, v4=True, **props):
    u = uuid.uuid4() if v4 else uuid.uuid5(uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"),
                                           repr(props))
    o = {"type": type_, "id": "%s--%s" % (type_, u)}
    o.update(props)
    return o


def rel(source, target, rtype="uses"):
    return sdo("relationship", relationship_type=rtype, source_ref=source, target_ref=target)


def tlp_green(**extra):
    o = {"type": "marking-definition", "spec_version": "2.1", "id": TLP2_GREEN,
         "created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN",
         "extensions": {TLP2_EXT: {"extension_type": "property-extension", "tlp_2_0": "green"}}}
    o.update(extra)
    return o


MALWARE = sdo("malware")
TOOL = sdo("tool")

# (good object, bad object, rule, path the refusal starts with)
PAIRS = [
    (rel(MALWARE["id"], TOOL["id"], "located-at"),
     rel(MALWARE["id"], TOOL["id"], "located-at<img src=x onerror=alert(1)>"),
     "relationship-type", "relationship_type"),
    (rel(MALWARE["id"], TOOL["id"]), rel(MALWARE["id"], "relationship--%s" % uuid.uuid4()),
     "reference-target", "target_ref"),
    (sdo("sighting", sighting_of_ref=MALWARE["id"]),
     sdo("sighting", sighting_of_ref="ipv4-addr--%s" % uuid.uuid4()),
     "reference-target", "sighting_of_ref"),
    (sdo("tool", labels=["a", "b"], granular_markings=[
        {"selectors": ["labels.[1]"], "marking_ref": TLP2_GREEN}]),
     sdo("tool", granular_markings=[{"selectors": ["description"], "marking_ref": TLP2_GREEN}]),
     "granular-selector", "granular_markings[0].selectors[0]"),
    (sco("ipv4-addr", value="198.51.100.0/24"), sco("ipv4-addr", value="198.51.100.0/33"),
     "ip-address", "value"),
    (sco("ipv6-addr", value="2001:db8::/32"), sco("ipv6-addr", value="foo"), "ip-address", "value"),
    (sco("url", value="https://example.com/x"), sco("url", value="not a url"), "url", "value"),
    (sco("email-addr", value="jdoe@example.com"),
     sco("email-addr", value="John Doe <jdoe@example.com>"), "email-address", "value"),
    (sco("file", name="a.pdf", mime_type="application/pdf", name_enc="UTF-8"),
     sco("file", name="a.pdf", name_enc="no-such-charset"), "charset", "name_enc"),
    (sco("software", name="w", cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
         languages=["ara", "eng"]),
     sco("software", name="w", cpe="cpe:/a:microsoft:word"), "cpe", "cpe"),
    (sco("software", name="w", languages=["fre"]), sco("software", name="w", languages=["french"]),
     "software-languages", "languages[0]"),
    (sdo("tool", lang="ar-DZ"), sdo("tool", lang="arabic"), "language-tag", "lang"),
    (sco("file", hashes={"SHA-256": "a" * 64}), sco("file", hashes={"md": "abc"}), "hashes",
     "hashes.md"),
    (sco("file", name="a.exe", extensions={"windows-pebinary-ext": {
        "pe_type": "exe", "time_date_stamp": "2016-11-30T00:00:00Z"}}),
     sco("file", name="a.exe", extensions={"windows-pebinary-ext": {
         "pe_type": "exe", "time_date_stamp": "2016-11-31T00:00:00Z"}}),
     "timestamp", "extensions.windows-pebinary-ext.time_date_stamp"),
    (sco("artifact", payload_bin="aGVsbG8=", encryption_algorithm="AES-256-GCM"),
     sco("artifact", payload_bin="aGVsbG8=", encryption_algorithm="ROT13"),
     "enumeration", "encryption_algorithm"),
    (sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\Software"),
     sco("windows-registry-key", key="HKLM\\Software"), "registry-hive", "key"),
    (sco("user-account", user_id="1001", v4=False),
     sco("user-account", display_name="x", v4=False), "sco-uuid-v4", "id"),
    (sdo("vulnerability", name="v", external_references=[
        {"source_name": "cve", "external_id": "CVE-2014-0160"}]),
     sdo("vulnerability", name="v", external_references=[
         {"source_name": "cve", "external_id": "heartbleed"}]),
     "external-id-format", "external_references[0].external_id"),
    (sdo("tool", x_acme_score=3), sdo("tool", _acme_score=3), "property-name", ""),
    (sdo("tool", x_acme_tags=["a"]), sdo("tool", x_acme_tags=[]), "empty-list", "x_acme_tags"),
    (sdo("tool", x_severity="high"), sdo("tool", severity="high"), "reserved-name", "severity"),
    (sdo("indicator", pattern="[file:size = 1280]"), sdo("indicator", pattern="file:size = 1280"),
     "pattern", "pattern"),
    (sdo("indicator", pattern="[file:name = 'a' AND file:size > 10] REPEATS 2 TIMES"),
     sdo("indicator", pattern="[foo:bar=1] within 2 seconds"), "pattern", "pattern"),
    (sdo("indicator", pattern="rule x { condition: true }", pattern_type="yara"),
     sdo("indicator", pattern="[file:size = 'big']"), "pattern-object-path", "pattern"),
    (tlp_green(), tlp_green(description="green, and then some"), "tlp-predefined",
     "description"),
]


class StixRules(TaxiiCase):
    def test_rules_named_in_status(self):
        # The refused TLP:GREEN goes first: the canonical one would otherwise be held already.
        bad = [p[1] for p in PAIRS]
        good = [MALWARE, TOOL] + [p[0] for p in PAIRS]
        st, _, j = S.post_objects(CID, bad)
        self.assertEqual(st, 202, j)
        self.assertEqual((j["success_count"], j["failure_count"]), (0, len(bad)), j)
        by_id = {f["id"]: f["message"] for f in j["failures"]}
        for _, obj, rule, path in PAIRS:
            msg = by_id[obj["id"]]
            self.assertIn("(rule %s, STIX 2.1 section" % rule, msg)
            if path:
                self.assertTrue(msg.startswith(path + ":"), msg)
        st, _, j = S.post_objects(CID, good)
        self.assertEqual(st, 202, j)
        self.assertEqual((j["success_count"], j["failure_count"]), (len(good), 0), j)
        stored = {m["id"] for m in S.manifest_all(CID)}
        for obj in good:
            self.assertIn(obj["id"], stored)
        for obj in bad:
            if obj["id"] != TLP2_GREEN:
                self.assertNotIn(obj["id"], stored)
        # The TLP:GREEN stored is the canonical one, not the one with a self-marking.
        _, _, j = S.get_json("/taxii2/default/collections/%s/objects/%s/" % (CID, TLP2_GREEN))
        self.assertNotIn("description", j["objects"][0])

    def test_extension_definition_in_a_large_envelope(self):
        # A large envelope is stored while it is parsed, in one pass that takes no definition:
        # one holding an extension-definition must take the two passes, not lose it silently.
        ext = sdo("extension-definition", name="acme scores", schema="https://acme.example/s",
                  version="1.0.0", extension_types=["property-extension"],
                  created_by_ref="identity--%s" % uuid.uuid4())
        ext["id"] = "extension-definition--%s" % uuid.uuid4()
        many = [sdo("indicator", pattern="[file:size = %d]" % i, pattern_type="stix",
                    valid_from=TS, description="x" * 1000) for i in range(80)]
        many[0]["extensions"] = {ext["id"]: {"extension_type": "property-extension", "score": 3}}
        body = [many[0], ext] + many[1:]
        self.assertGreater(len(str(body)), 64 * 1024)
        st, _, j = S.post_objects(CID, body)
        self.assertEqual(st, 202, j)
        self.assertEqual((j["total_count"], j["success_count"], j["failure_count"]), (81, 81, 0), j)
        st, _, got = S.get_json("/taxii2/default/collections/%s/objects/%s/" % (CID, ext["id"]))
        self.assertEqual(st, 200, got)
        self.assertEqual(got["objects"][0]["name"], "acme scores")


if __name__ == "__main__":
    main()
