"""The desk's signed export (issue 21.3; docs/api.md, "Signed export").

Algiers holds reports at every level in "cells"; Bamako (clearance green) may read it, Niamey
is a partner without a grant, Washington (red) is named by a REL TO. An administrator selects
versions on the collection page and asks POST /liaison/export for a file for Bamako: the
preview says how many Bamako may receive and why the others are withheld (above its
clearance, its markings, not in the collection), writing nothing; the file holds exactly the
versions Bamako's own gate releases among those selected (a selected older version travels
alone, not the newer one), its disclosure is on record (audit verify passes, audit show lists
exactly the file's versions), and Bamako's instance imports exactly those. A tampered file is
refused there. Every bad request is refused with nothing written: not an administrator, a
read-only administrator (preview only), an unknown partner, a partner without a grant, bad
JSON, unknown fields, bad ids, too many ids, no signing key.
"""
import json
import os
import uuid

import harness
from harness import TaxiiCase, run_cli, sdo

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"


def report(name, markings, modified="2024-01-01T00:00:00.000Z"):
    return sdo("report", name=name, published="2024-01-02T00:00:00Z", modified=modified,
               report_types=["threat-report"], object_refs=["identity--%s" % uuid.uuid4()],
               object_marking_refs=markings)


def pick(o):
    return {"id": o["id"], "modified": o["modified"]}


def signed_parts(data):
    """(header, bundle) of a signed file."""
    head_end = data.index(b"\n")
    header = json.loads(data[:head_end])
    bundle = json.loads(data[head_end + 1:head_end + 1 + header["bytes"]])
    return header, bundle


class DeskExport(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.alg = harness.DataDir()
        cls.bko = harness.DataDir()
        a = cls.alg.path
        cls.cells = cls.alg.collection("Dismantled cells", "cells")
        cls.id = {}
        for name, clearance in (("Bamako", "green"), ("Niamey", "green"), ("Washington", "red")):
            cls.id[name] = run_cli("partner", "add", "--data", a, "--name", name, "--clearance",
                                   clearance).stdout.strip()
        for name in ("Bamako", "Washington"):
            run_cli("grant", "--data", a, "--collection", "cells", "--partner", name, "--read")
        cls.tok_bko = run_cli("token", "issue", "--data", a, "--partner",
                              "Bamako").stdout.split()[-1]
        # Each instance knows the other's key (as test_exchange registers them).
        key_a = run_cli("key", "show", "--data", a).stdout.strip()
        key_b = run_cli("key", "show", "--data", cls.bko.path).stdout.strip()
        run_cli("partner", "key", "--data", a, "--partner", "Bamako", "--set", key_b)
        run_cli("partner", "add", "--data", cls.bko.path, "--name", "Algiers", "--clearance", "red")
        run_cli("partner", "key", "--data", cls.bko.path, "--partner", "Algiers", "--set", key_a)
        cls.group = run_cli("group", "add", "--data", a, "--name", "Sahel circle").stdout.strip()
        for name in ("Bamako", "Niamey"):
            run_cli("group", "member", "add", "--data", a, "--group", cls.group, "--partner", name)
        cls.rel_was = {"type": "marking-definition", "spec_version": "2.1",
                       "id": "marking-definition--%s" % uuid.uuid4(),
                       "created": "2024-01-01T00:00:00.000Z", "name": "REL TO Washington",
                       "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                                      "rel_to": [cls.id["Washington"]]}}}
        o = cls.o = {
            "clear": report("cell dismantled in Tamanrasset", [TLP["clear"]]),
            "green": report("routes through Kidal", [TLP["green"]]),
            "amber": report("members of the Algiers cell", [TLP["amber"]]),
            "rel_was": report("for Washington only", [TLP["green"], cls.rel_was["id"]]),
            "red": report("source reporting", [TLP["red"]]),
        }
        o["address"] = {"type": "ipv4-addr", "spec_version": "2.1",
                        "id": "ipv4-addr--%s" % uuid.uuid4(), "value": "198.51.100.7",
                        "object_marking_refs": [TLP["green"]]}
        o["green_v2"] = dict(o["green"], modified="2024-03-01T00:00:00.000Z", name="routes, v2")
        cls.srv = harness.Server(cls.alg, sets=["export_max_objects=9"]).start()
        st, _, j = cls.srv.post_objects(cls.cells, [cls.rel_was] + list(o.values()))
        assert st == 202 and j["failure_count"] == 0, j
        # The selection: the older green version only, and one of each kind withheld.
        cls.selection = [pick(o["clear"]), pick(o["green"]), pick(o["amber"]), pick(o["red"]),
                         pick(o["rel_was"]), {"id": o["address"]["id"], "modified": None},
                         {"id": "report--%s" % uuid.uuid4(), "modified": o["clear"]["modified"]}]
        cls.stored = cls.manifest()
        cls.releasable = {(o["clear"]["id"], o["clear"]["modified"]),
                          (o["green"]["id"], o["green"]["modified"]),
                          (o["address"]["id"], None)}

    @classmethod
    def manifest(cls):
        return {(m["id"], m["version"]) for m in cls.srv.manifest_all(cls.cells)}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.alg.cleanup()
        cls.bko.cleanup()

    def export(self, body, token=None, content_type="application/json", method="POST"):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.srv.request(method, "/liaison/export", body=raw, token=token,
                                content_type=content_type)

    def audit_lines(self):
        return run_cli("audit", "show", "--data", self.alg.path).stdout.splitlines()

    def exports_listed(self):
        got = set()
        for line in run_cli("audit", "show", "--data", self.alg.path, "--partner",
                            "Bamako").stdout.splitlines():
            e = json.loads(line)
            if e["action"] == "objects.export":
                got |= {(v[0], v[1] or None) for v in e["detail"]["objects"]}
        return got

    def test_1_preview_says_what_is_withheld_and_writes_nothing(self):
        before = self.audit_lines()
        # The same version with its timestamp written another way.
        same_version = {"id": self.o["clear"]["id"], "modified": "2024-01-01T00:00:00Z"}
        st, _, b = self.export({"for": "Bamako", "collection": "cells",
                                "objects": self.selection + [self.selection[0], same_version],
                                "preview": True})
        self.assertEqual(st, 200, b)
        j = json.loads(b)
        self.assertEqual(j["selected"], 7)  # a version named again counts once
        self.assertEqual(len(j["recipients"]), 1)
        r = j["recipients"][0]
        self.assertEqual((r["name"], r["clearance"], r["granted"], r["objects"]),
                         ("Bamako", "green", True, 3))
        self.assertEqual(r["withheld"], {"clearance": 1, "marking": 2, "unknown": 1})
        self.assertEqual(self.audit_lines(), before)
        # A group: each member with its own counts; Niamey has no grant.
        st, _, b = self.export({"for": "Sahel circle", "collection": self.cells,
                                "objects": self.selection, "preview": True})
        self.assertEqual(st, 200, b)
        j = json.loads(b)
        self.assertEqual(j["group"], "Sahel circle")
        by = {r["name"]: r for r in j["recipients"]}
        self.assertEqual(set(by), {"Bamako", "Niamey"})
        self.assertEqual((by["Bamako"]["objects"], by["Niamey"]["granted"]), (3, False))
        self.assertEqual(self.audit_lines(), before)

    def test_2_file_holds_only_what_the_gate_releases_and_imports(self):
        st, hd, data = self.export({"for": "Bamako", "collection": "cells",
                                    "objects": self.selection})
        self.assertEqual(st, 200, data[:300])
        self.assertRegex(hd["Content-Disposition"], r'^attachment; filename="Bamako-[0-9-]{10}\.bundle"$')
        self.assertEqual(hd["X-Liaison-Export-Objects"], "3")
        self.assertEqual(hd["X-Liaison-Export-Withheld"], "clearance=1, marking=2, unknown=1")
        header, bundle = signed_parts(data)
        self.assertEqual(header["recipient"], self.id["Bamako"])
        got = {(o["id"], o.get("modified")) for o in bundle["objects"]}
        self.assertEqual(got, self.releasable)
        for name in ("amber", "red", "rel_was", "green_v2"):
            self.assertNotIn(self.o[name]["name"].encode(), data, name)
        # On record before it left, exactly those versions; the chain verifies.
        self.assertEqual(self.exports_listed(), self.releasable)
        run_cli("audit", "verify", "--data", self.alg.path)
        # Bamako imports exactly those.
        path = os.path.join(self.bko.tmp, "from-algiers.bundle")
        with open(path, "wb") as f:
            f.write(data)
        into = self.bko.collection("From Algiers", "in")
        p = run_cli("import", "--data", self.bko.path, "--into", into, path)
        self.assertIn("imported", p.stdout)
        b_srv = harness.Server(self.bko).start()
        try:
            # an SCO has no version of its own: its manifest shows when it was added
            stored = {(m["id"], None if m["id"].startswith("ipv4-addr--") else m["version"])
                      for m in b_srv.manifest_all(into)}
        finally:
            b_srv.stop()
        self.assertEqual(stored, self.releasable)
        # A tampered copy is refused there, nothing imported.
        i = data.index(b"Tamanrasset")
        bad = data[:i] + b"X" + data[i + 1:]
        with open(path, "wb") as f:
            f.write(bad)
        p = run_cli("import", "--data", self.bko.path, "--into", into, path, check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("refused", p.stderr)

    def test_3_refusals_change_nothing(self):
        _, ro = self.alg.token("--read-only")
        before = self.audit_lines()
        ok = {"for": "Bamako", "collection": "cells", "objects": self.selection[:2]}
        cases = [
            ("partner token", ok, {"token": self.tok_bko}, 403, "administrator"),
            ("read-only admin", ok, {"token": ro}, 403, "read-only"),
            ("unknown partner", dict(ok, **{"for": "Timbuktu"}), {}, 404, "Timbuktu"),
            ("no grant", dict(ok, **{"for": "Niamey"}), {}, 422, "grant"),
            ("group file", dict(ok, **{"for": "Sahel circle"}), {}, 422, "each member"),
            ("unknown collection", dict(ok, collection="nope"), {}, 404, "collection"),
            ("not JSON", b"{\"for\":", {}, 400, None),
            ("not an object", [1], {}, 400, None),
            ("unknown field", dict(ok, sign=True), {}, 400, "nothing else"),
            ("unknown pick field", dict(ok, objects=[dict(ok["objects"][0], x=1)]), {}, 400,
             "objects[0]"),
            ("bad id", dict(ok, objects=[{"id": "report--nope", "modified": None}]), {}, 400,
             "STIX id"),
            ("bad modified", dict(ok, objects=[{"id": self.o["clear"]["id"],
                                               "modified": "yesterday"}]), {}, 400, "modified"),
            ("empty", dict(ok, objects=[]), {}, 400, "empty"),
            ("preview not boolean", dict(ok, preview="yes"), {}, 400, None),
            ("too many", dict(ok, objects=[pick(self.o["clear"])] * 10), {}, 413,
             "export_max_objects"),
            ("media type", ok, {"content_type": "text/plain"}, 415, None),
        ]
        st, hd, _ = self.srv.request("GET", "/liaison/export")
        self.assertEqual((st, hd["Allow"]), (405, "POST"))
        for name, body, kw, status, words in cases:
            st, _, b = self.export(body, **kw)
            self.assertEqual(st, status, "%s: %s" % (name, b[:300]))
            if words:
                self.assertIn(words, json.loads(b)["description"], name)
        # A read-only administrator may still preview.
        st, _, b = self.export(dict(ok, preview=True), token=ro)
        self.assertEqual(st, 200, b)
        # No signing key: said, nothing written.
        key = os.path.join(self.alg.path, "signing.key")
        os.rename(key, key + ".away")
        try:
            st, _, b = self.export(ok)
        finally:
            os.rename(key + ".away", key)
        self.assertEqual(st, 409, b)
        self.assertIn("liaison init", json.loads(b)["description"])
        self.assertEqual(self.audit_lines(), before)
        self.assertEqual(self.manifest(), self.stored)

    def test_4_definitions_travel_with_what_names_them(self):
        # A REL TO naming Bamako: an object under it carries its definition to Bamako.
        rel_bko = dict(self.rel_was, id="marking-definition--%s" % uuid.uuid4(), name="REL TO Bamako",
                       extensions={RELEASABILITY: {"extension_type": "property-extension",
                                                   "rel_to": [self.id["Bamako"]]}})
        for_bko = report("for Bamako only", [TLP["green"], rel_bko["id"]])
        st, _, j = self.srv.post_objects(self.cells, [rel_bko, for_bko])
        self.assertEqual((st, j["failure_count"]), (202, 0), j)
        ask = {"for": "Bamako", "collection": "cells", "preview": True}
        # A marking-definition has no modified: the page names it with null.
        st, _, b = self.export(dict(ask, objects=[{"id": rel_bko["id"], "modified": None}]))
        r = json.loads(b)["recipients"][0]
        self.assertEqual((st, r["objects"], r["withheld"]["unknown"]), (200, 1, 0), b)
        st, _, b = self.export(dict(ask, objects=[pick(for_bko)]))
        r = json.loads(b)["recipients"][0]
        self.assertEqual((st, r["objects"], r["definitions"], r["disabled"]), (200, 1, 1, False), b)
        before = self.exports_listed()
        st, hd, data = self.export({"for": "Bamako", "collection": "cells", "objects": [pick(for_bko)]})
        self.assertEqual(st, 200, data[:300])
        self.assertEqual((hd["X-Liaison-Export-Objects"], hd["X-Liaison-Export-Definitions"]), ("1", "1"))
        _, bundle = signed_parts(data)
        self.assertEqual({o["id"] for o in bundle["objects"]}, {for_bko["id"], rel_bko["id"]})
        # The definition is on the disclosure record too; a REL TO naming another stays home.
        self.assertEqual(self.exports_listed() - before,
                         {(for_bko["id"], for_bko["modified"]), (rel_bko["id"], rel_bko["created"])})
        self.assertNotIn(self.rel_was["id"].encode(), data)
        run_cli("audit", "verify", "--data", self.alg.path)
        # An extension-definition travels with the object that uses it, the same way.
        ext = sdo("extension-definition", name="cell scores", schema="https://example.org/s",
                  version="1.0.0", extension_types=["property-extension"],
                  created_by_ref=self.id["Bamako"], object_marking_refs=[TLP["green"]])
        ext["id"] = "extension-definition--%s" % uuid.uuid4()
        scored = report("scored cell", [TLP["green"]])
        scored["extensions"] = {ext["id"]: {"extension_type": "property-extension", "score": 2}}
        st, _, j = self.srv.post_objects(self.cells, [ext, scored])
        self.assertEqual((st, j["failure_count"]), (202, 0), j)
        st, hd, data = self.export({"for": "Bamako", "collection": "cells", "objects": [pick(scored)]})
        self.assertEqual((st, hd["X-Liaison-Export-Definitions"]), (200, "1"), data[:300])
        _, bundle = signed_parts(data)
        self.assertEqual({o["id"] for o in bundle["objects"]}, {scored["id"], ext["id"]})

    def test_5_nothing_to_send_is_said_not_signed(self):
        before = self.audit_lines()
        nowhere = {"for": "Bamako", "collection": "cells",
                   "objects": [pick(self.o["amber"]),
                               {"id": "report--%s" % uuid.uuid4(), "modified": None}]}
        st, _, b = self.export(nowhere)
        d = json.loads(b)["description"]
        self.assertEqual(st, 422, b)
        self.assertIn("none of the 2 versions selected may go to Bamako", d)
        self.assertIn("1 above its clearance", d)
        # A bad timestamp is named once, with what was given.
        st, _, b = self.export({"for": "Bamako", "collection": "cells",
                                "objects": [{"id": self.o["clear"]["id"], "modified": "yesterday"}]})
        d = json.loads(b)["description"]
        self.assertEqual(st, 400, b)
        self.assertIn("'yesterday'", d)
        self.assertEqual(d.count("objects[0]"), 1, d)
        # A disabled partner: the preview says so, the file is refused naming the way back.
        run_cli("partner", "disable", "--data", self.alg.path, "Washington")
        try:
            ask = {"for": "Washington", "collection": "cells", "objects": [pick(self.o["clear"])]}
            st, _, b = self.export(dict(ask, preview=True))
            self.assertEqual((st, json.loads(b)["recipients"][0]["disabled"]), (200, True), b)
            st, _, b = self.export(ask)
            self.assertEqual(st, 409, b)
            self.assertIn("partner enable", json.loads(b)["description"])
        finally:
            run_cli("partner", "enable", "--data", self.alg.path, "Washington")
        # Only the disable and enable themselves are on record: nothing was disclosed.
        added = [json.loads(x)["action"] for x in self.audit_lines()[len(before):]]
        self.assertEqual(added, ["partner.update", "partner.update"])


if __name__ == "__main__":
    harness.main()
