"""Partners and need-to-know, end to end (issue: partners, markings, audit).

An Algiers instance shares a collection with a US partner (clearance red,
read+write) and a Sahel partner (clearance green, read only); a third partner
has no grant. Objects carry every kind of handling: TLP 2.0 and 1.0 levels,
TLP:RED with and without the US as recipient, REL TO US, REL TO Sahel, and
none (collection default). Each partner must see exactly what the policy
allows on every read path, and an invisible object must look exactly like a
missing one. Write rules, credentials and the audit chain are checked too.
"""
import json
import os
import sqlite3
import urllib.parse
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
HANDLING = "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"


def rel_marking(name, identities):
    return {"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
            "name": name,
            "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                           "rel_to": identities}}}


class World:
    def __init__(self):
        self.data = harness.DataDir()
        d = self.data.path
        self.coll = self.data.collection("Dismantled cells", "cells")
        self.other_coll = self.data.collection("Internal", "internal")
        self.us = run_cli("partner", "add", "--data", d, "--name", "US", "--country", "US",
                          "--clearance", "red", "--trust", "B").stdout.strip()
        self.sahel = run_cli("partner", "add", "--data", d, "--name", "Sahel", "--clearance",
                             "green").stdout.strip()
        self.third = run_cli("partner", "add", "--data", d, "--name", "Third", "--clearance",
                             "red").stdout.strip()
        run_cli("grant", "--data", d, "--collection", "cells", "--partner", "US", "--read", "--write")
        run_cli("grant", "--data", d, "--collection", "cells", "--partner", "Sahel", "--read")
        self.amber = run_cli("partner", "add", "--data", d, "--name", "Amber", "--clearance",
                             "amber").stdout.strip()
        run_cli("grant", "--data", d, "--collection", "cells", "--partner", "Amber", "--read")
        self.tok = {}
        for name in ("US", "Sahel", "Third", "Amber"):
            self.tok[name] = run_cli("token", "issue", "--data", d, "--partner",
                                     name).stdout.strip().splitlines()[-1]
        self.server = harness.Server(self.data).start()


class PartnersTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        w = cls.w = World()
        s = w.server
        rel_us = rel_marking("REL TO US", [w.us])
        rel_sahel = rel_marking("REL TO SAHEL", [w.sahel])
        cls.objs = {
            "clear": sdo(name="clear", object_marking_refs=[TLP2["clear"]]),
            "green": sdo(name="green", object_marking_refs=[TLP2["green"]]),
            "green1": sdo(name="green1", object_marking_refs=[TLP1_GREEN]),
            "amber": sdo(name="amber", object_marking_refs=[TLP2["amber"]]),
            "strict": sdo(name="strict", object_marking_refs=[TLP2["amber+strict"]]),
            "red": sdo(name="red", object_marking_refs=[TLP2["red"]]),
            "red_us": sdo(name="red_us", object_marking_refs=[TLP2["red"]],
                          extensions={HANDLING: {"extension_type": "property-extension",
                                                 "red_recipients": [w.us]}}),
            "red_amber": sdo(name="red_amber", object_marking_refs=[TLP2["red"]],
                             extensions={HANDLING: {"extension_type": "property-extension",
                                                    "red_recipients": [w.amber]}}),
            "rel_us": sdo(name="rel_us", object_marking_refs=[rel_us["id"], TLP2["green"]]),
            "rel_sahel": sdo(name="rel_sahel", object_marking_refs=[rel_sahel["id"], TLP2["clear"]]),
            "unmarked": sdo(name="unmarked"),
            "granular_red": sdo(name="granular_red", object_marking_refs=[TLP2["green"]],
                                granular_markings=[{"marking_ref": TLP2["red"], "selectors": ["name"]}]),
        }
        cls.rel = {"us": rel_us["id"], "sahel": rel_sahel["id"]}
        st, _, j = s.post_objects("cells", [rel_us, rel_sahel] + list(cls.objs.values()))
        assert st == 202 and j["failure_count"] == 0, j
        cls.expect = {
            "US": {"clear", "green", "green1", "amber", "strict", "red_us", "rel_us", "unmarked"},
            "Sahel": {"clear", "green", "green1", "rel_sahel"},
            "Third": set(),
            "Amber": {"clear", "green", "green1", "amber", "unmarked"},
        }
        # TLP:RED needs both the clearance and being named as a recipient: Amber is named
        # on red_amber but its clearance stops at amber.

    @classmethod
    def tearDownClass(cls):
        cls.w.server.stop()
        cls.w.data.cleanup()

    def names(self, objects):
        """Names of this class's fixed objects among objects (other tests add their own)."""
        return {o["name"] for o in objects if o.get("type") == "indicator"} & set(self.objs)

    def test_objects_and_manifest_per_partner(self):
        s = self.w.server
        for partner in ("US", "Sahel", "Amber"):
            tok = self.w.tok[partner]
            got = self.names(s_objects(s, "cells", tok, limit=2))
            self.assertEqual(got, self.expect[partner], partner)
            man = manifest_ids(s, "cells", tok)
            want_ids = {self.objs[n]["id"] for n in self.expect[partner]}
            fixed = {o["id"] for o in self.objs.values()}
            self.assertEqual({i for i in man if i in fixed}, want_ids, partner)
            # A REL TO marking-definition reaches exactly the parties it lists (issue 27.4),
            # never by the collection default: US sees REL TO US only, Sahel REL TO SAHEL only
            # (although the collection's default, amber, is above its clearance), Amber none.
            defs = set(man) & set(self.rel.values())
            self.assertEqual(defs, {"US": {self.rel["us"]}, "Sahel": {self.rel["sahel"]},
                                    "Amber": set()}[partner], partner)

    def test_admin_sees_everything(self):
        got = self.names(s_objects(self.w.server, "cells", self.w.data.admin))
        self.assertEqual(got, set(self.objs))

    def test_invisible_looks_like_absent(self):
        s = self.w.server
        tok = self.w.tok["Sahel"]
        hidden = self.objs["red"]["id"]
        missing = "indicator--%s" % uuid.uuid4()
        for suffix in ("", "versions/"):
            a = s.request("GET", ROOT + "collections/cells/objects/%s/%s" % (hidden, suffix), token=tok)
            b = s.request("GET", ROOT + "collections/cells/objects/%s/%s" % (missing, suffix), token=tok)
            self.assertEqual(a[0], 404)
            self.assertEqual((a[0], a[2]), (b[0], b[2]))
        q = urllib.parse.urlencode({"match[id]": hidden})
        st, hd, j = s.get_json(ROOT + "collections/cells/objects/?" + q, token=tok)
        self.assertEqual(st, 200)
        self.assertNotIn("objects", j)
        self.assertIsNone(hd.get("X-TAXII-Date-Added-First"))
        st, _, j = s.get_json(ROOT + "collections/cells/manifest/?" + q, token=tok)
        self.assertNotIn("objects", j)

    def test_collections_follow_grants(self):
        s = self.w.server
        st, _, j = s.get_json(ROOT + "collections/", token=self.w.tok["US"])
        self.assertEqual([(c["alias"], c["can_read"], c["can_write"]) for c in j["collections"]],
                         [("cells", True, True)])
        st, _, j = s.get_json(ROOT + "collections/", token=self.w.tok["Sahel"])
        self.assertEqual([(c["alias"], c["can_read"], c["can_write"]) for c in j["collections"]],
                         [("cells", True, False)])
        st, _, j = s.get_json(ROOT + "collections/", token=self.w.tok["Third"])
        self.assertEqual(j.get("collections", []), [])
        for alias in ("internal", self.w.other_coll):
            a = s.request("GET", ROOT + "collections/%s/objects/" % alias, token=self.w.tok["Third"])
            b = s.request("GET", ROOT + "collections/%s/objects/" % uuid.uuid4(), token=self.w.tok["Third"])
            self.assertEqual(a[0], 404)
            self.assertEqual(a[2], b[2])

    def test_write_rules(self):
        s = self.w.server
        us, sahel = self.w.tok["US"], self.w.tok["Sahel"]
        # Sahel may read but not write.
        self.assertTaxiiError(s.request("POST", ROOT + "collections/cells/objects/",
                                        body={"objects": [sdo(name="x")]}, token=sahel), 403)
        # US posts without created_by_ref: the server sets its identity.
        mine = sdo(name="us-own", object_marking_refs=[TLP2["green"]])
        st, _, j = s.post_objects("cells", [mine], token=us)
        self.assertEqual((st, j["success_count"]), (202, 1), j)
        st, _, j = s.get_json(ROOT + "collections/cells/objects/%s/" % mine["id"], token=us)
        self.assertEqual(j["objects"][0]["created_by_ref"], self.w.us)
        # A forged created_by_ref is refused, with the reason.
        forged = sdo(name="forged", created_by_ref=self.w.sahel)
        st, _, j = s.post_objects("cells", [forged], token=us)
        self.assertEqual((j["success_count"], j["failure_count"]), (0, 1))
        self.assertIn("created_by_ref", j["failures"][0]["message"])
        # US may add a version of its own object, not of an object the admin created.
        v2 = dict(mine, modified="2024-06-01T00:00:00.000Z", created_by_ref=self.w.us)
        st, _, j = s.post_objects("cells", [v2], token=us)
        self.assertEqual(j["success_count"], 1, j)
        theirs = dict(self.objs["green"], modified="2025-01-01T00:00:00.000Z", created_by_ref=self.w.us)
        st, _, j = s.post_objects("cells", [theirs], token=us)
        self.assertEqual(j["failure_count"], 1, j)
        # Partners may not create marking definitions.
        st, _, j = s.post_objects("cells", [rel_marking("REL TO US", [self.w.us])], token=us)
        self.assertEqual(j["failure_count"], 1, j)
        self.assertIn("administrator", j["failures"][0]["message"])
        # A partner's status resource is not visible to another partner or to the admin's peers.
        st, _, j = s.post_objects("cells", [sdo(name="status-probe")], token=us)
        sid = j["id"]
        self.assertOk(s.request("GET", ROOT + "status/%s/" % sid, token=us))
        self.assertTaxiiError(s.request("GET", ROOT + "status/%s/" % sid, token=sahel), 404)
        self.assertOk(s.request("GET", ROOT + "status/%s/" % sid))

    def test_unknown_marking_releases_to_nobody(self):
        s = self.w.server
        o = sdo(name="unknown-marking", object_marking_refs=[TLP2["clear"],
                                                              "marking-definition--%s" % uuid.uuid4()])
        st, _, j = s.post_objects("cells", [o])
        self.assertEqual((j["success_count"], j["failure_count"]), (1, 0), j)
        self.assertIn("released to no partner", j["successes"][0]["message"])
        for partner in ("US", "Sahel", "Amber"):
            st, _, _ = s.request("GET", ROOT + "collections/cells/objects/%s/" % o["id"],
                                 token=self.w.tok[partner])
            self.assertEqual(st, 404, partner)
        self.assertOk(s.request("GET", ROOT + "collections/cells/objects/%s/" % o["id"]))

    def test_marking_definition_cannot_be_redefined(self):
        s = self.w.server
        rel = rel_marking("REL TO SAHEL (fixed)", [self.w.sahel])
        st, _, j = s.post_objects("cells", [rel])
        self.assertEqual(j["success_count"], 1, j)
        # The same text again (here or in another collection) is fine: nothing changes.
        st, _, j = s.post_objects("internal", [rel])
        self.assertEqual(j["success_count"], 1, j)
        # The same id meaning something else is refused, wherever it comes.
        forged = dict(rel, extensions={RELEASABILITY: {"extension_type": "property-extension",
                                                       "rel_to": [self.w.us]}})
        for coll in ("cells", "internal"):
            st, _, j = s.post_objects(coll, [forged])
            self.assertEqual(j["failure_count"], 1, j)
            self.assertIn("cannot be redefined", j["failures"][0]["message"])
        # A statement marking may be restated (MITRE's copyright statement changes text).
        stmt = {"type": "marking-definition", "spec_version": "2.1",
                "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                "definition_type": "statement", "definition": {"statement": "v1"}}
        self.assertEqual(s.post_objects("cells", [stmt])[2]["success_count"], 1)
        stmt2 = dict(stmt, definition={"statement": "v2"})
        self.assertEqual(s.post_objects("internal", [stmt2])[2]["success_count"], 1)
        o = sdo(name="still-sahel-only", object_marking_refs=[rel["id"], TLP2["green"]])
        s.post_objects("cells", [o])
        self.assertEqual(s.request("GET", ROOT + "collections/cells/objects/%s/" % o["id"],
                                   token=self.w.tok["US"])[0], 404)

    def test_marking_later_in_the_same_request(self):
        s = self.w.server
        rel = rel_marking("REL TO SAHEL (same request)", [self.w.sahel])
        o = sdo(name="same-request", object_marking_refs=[rel["id"], TLP2["green"]])
        st, _, j = s.post_objects("cells", [o, rel])
        self.assertEqual(j["success_count"], 2, j)
        self.assertOk(s.request("GET", ROOT + "collections/cells/objects/%s/" % o["id"],
                                token=self.w.tok["Sahel"]))
        st, _, _ = s.request("GET", ROOT + "collections/cells/objects/%s/" % o["id"],
                             token=self.w.tok["US"])
        self.assertEqual(st, 404)

    def test_changes_take_effect_on_the_next_request(self):
        """The server caches tokens, partners, collections and rights per store connection;
        a change made by the CLI (another process) must still hold on the very next request,
        on every connection, however warm the caches are."""
        d = harness.DataDir()
        try:
            cid = d.collection("Shared", "shared")
            _, tok = d.reader("shared")
            s = harness.Server(d).start()
            try:
                o = sdo(name="shared", object_marking_refs=[TLP2["green"]])
                self.assertEqual(s.post_objects("shared", [o])[0], 202)
                path = ROOT + "collections/%s/objects/%s/" % (cid, o["id"])
                by_alias = ROOT + "collections/shared/objects/"

                def warm():  # enough requests for every pooled connection to cache the rows
                    for _ in range(40):
                        st, _, j = s.get_json(path, token=tok)
                        self.assertEqual(st, 200, j)
                        self.assertEqual(s.get_json(by_alias, token=tok)[0], 200)

                warm()
                run_cli("revoke", "--data", d.path, "--collection", "shared", "--partner", "P")
                for _ in range(40):
                    self.assertTaxiiError(s.request("GET", path, token=tok), 404)
                    self.assertTaxiiError(s.request("GET", by_alias, token=tok), 404)
                run_cli("grant", "--data", d.path, "--collection", "shared", "--partner", "P",
                        "--read")
                warm()
                run_cli("partner", "disable", "--data", d.path, "P")
                for _ in range(40):
                    self.assertTaxiiError(s.request("GET", path, token=tok), 401)
                run_cli("partner", "enable", "--data", d.path, "P")
                warm()
                tid = tok.split(".")[0]
                run_cli("token", "revoke", "--data", d.path, tid)
                for _ in range(40):
                    self.assertTaxiiError(s.request("GET", path, token=tok), 401)
                # The admin's own reads were cached too and still work.
                self.assertEqual(s.get_json(path)[0], 200)
            finally:
                s.stop()
        finally:
            d.cleanup()

    def test_disclosures_named_by_key_and_checked(self):
        """A page sent to a partner is recorded by the keys of its versions and a digest:
        small, yet `audit show` names every [id, version], also after a delete on record,
        and `audit verify` catches object rows edited or removed behind the log's back."""
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Shared", "shared")
        _, tok = d.reader("shared")
        s = harness.Server(d).start()
        try:
            objs = [sdo(name="o%d" % i, object_marking_refs=[TLP2["green"]]) for i in range(1000)]
            v2 = dict(objs[5], modified="2024-02-01T00:00:00.000Z", name="o5 v2")
            self.assertEqual(s.post_objects("shared", objs + [v2])[0], 202)
            got = s_objects(s, "shared", tok)
            self.assertEqual(len(got), 1000)
            sent = sorted((o["id"], o["modified"]) for o in got)
            st, _, _ = s.request("DELETE", ROOT + "collections/shared/objects/%s/" % objs[7]["id"])
            self.assertEqual(st, 200)
        finally:
            s.stop()

        def disclosures():
            out = run_cli("audit", "show", "--data", d.path, "--partner", "P").stdout
            return [e for e in map(json.loads, out.splitlines()) if e["action"] == "objects.disclose"]

        entries = disclosures()
        named = sorted(tuple(p) for e in entries for p in e["detail"]["objects"])
        self.assertEqual(named, sent)  # the deleted object too, from the delete entry
        self.assertEqual(sum(e["detail"]["count"] for e in entries), 1000)
        # Small: [id, version] pairs took ~79 bytes an object, a 1,000-object page 79 KB.
        largest = max(len(json.dumps(e["detail"]["keys"])) for e in entries)
        self.assertLess(largest, 8000)
        self.assertIn("intact", run_cli("audit", "verify", "--data", d.path).stdout)
        # An object row edited behind the log: its version no longer matches the digest.
        d.sql("UPDATE object SET modified_text = '2030-01-01T00:00:00.000Z' WHERE id = '%s'"
              % objs[3]["id"])
        p = run_cli("audit", "verify", "--data", d.path, check=False)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("no longer match its digest", p.stderr)
        d.sql("UPDATE object SET modified_text = '%s' WHERE id = '%s'"
              % (objs[3]["modified"], objs[3]["id"]))
        self.assertIn("intact", run_cli("audit", "verify", "--data", d.path).stdout)
        # A row removed without a delete on record.
        d.sql("DELETE FROM object WHERE id = '%s'" % objs[9]["id"])
        p = run_cli("audit", "verify", "--data", d.path, check=False)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("neither stored nor deleted on record", p.stderr)
        self.assertIn([None, None], [o for e in disclosures() for o in e["detail"]["objects"]])

    def test_concurrent_reads_all_on_record(self):
        """Partner reads at the same time share one commit of their disclosure records (group
        commit): each read still answers with its object, and each has its own entry, in one
        intact chain."""
        import concurrent.futures
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Shared", "shared")
        _, tok = d.reader("shared")
        s = harness.Server(d).start()
        objs = [sdo(name="o%d" % i, object_marking_refs=[TLP2["green"]]) for i in range(40)]
        try:
            self.assertEqual(s.post_objects("shared", objs)[0], 202)

            def read(i):
                o = objs[i % len(objs)]
                st, _, j = s.get_json(ROOT + "collections/shared/objects/%s/" % o["id"], token=tok)
                return st, [x["id"] for x in j.get("objects", [])], o["id"]

            with concurrent.futures.ThreadPoolExecutor(12) as pool:
                got = list(pool.map(read, range(240)))
        finally:
            s.stop()
        for st, ids, want in got:
            self.assertEqual((st, ids), (200, [want]))
        out = run_cli("audit", "show", "--data", d.path, "--partner", "P").stdout
        entries = [e for e in map(json.loads, out.splitlines()) if e["action"] == "objects.disclose"]
        self.assertEqual(len(entries), 240)
        self.assertEqual(sorted(e["detail"]["objects"][0][0] for e in entries),
                         sorted(want for _, _, want in got))
        self.assertIn("intact", run_cli("audit", "verify", "--data", d.path).stdout)

    def test_nothing_leaves_unless_on_record(self):
        """A page is sent to a partner only once its disclosure record is committed: when the
        record cannot be written, the partner gets an error that names nothing, on every read
        path."""
        if harness.USE_PG:
            self.skipTest("the failing record is made with a SQLite trigger")
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        cid = d.collection("Shared", "shared")
        _, tok = d.reader("shared")
        s = harness.Server(d).start()
        self.addCleanup(s.stop)
        objs = [sdo(name="o%d" % i, object_marking_refs=[TLP2["green"]]) for i in range(30)]
        self.assertEqual(s.post_objects("shared", objs)[0], 202)
        d.sql("CREATE TRIGGER no_disclosure BEFORE INSERT ON audit"
              " WHEN NEW.action = 'objects.disclose'"
              " BEGIN SELECT RAISE(ABORT, 'disclosures refused'); END")
        base = ROOT + "collections/%s/" % cid
        paths = [base + "objects/", base + "objects/?limit=5", base + "manifest/",
                 base + "objects/%s/" % objs[3]["id"], base + "objects/%s/versions/" % objs[3]["id"]]
        for path in paths:
            st, h, body = s.request("GET", path, token=tok)
            self.assertGreaterEqual(st, 500, (path, st, body))
            self.assertIsNone(h.get("X-TAXII-Date-Added-First"), path)
            for o in objs:
                self.assertNotIn(o["id"][-12:].encode(), body, path)
        # The administrator's reads are not disclosures, and the partner's come back with the
        # record.
        self.assertEqual(len(s_objects(s, "shared", d.admin)), 30)
        d.sql("DROP TRIGGER no_disclosure")
        self.assertEqual(len(s_objects(s, "shared", tok)), 30)

    def test_disabled_partner_and_bad_tokens(self):
        d = harness.DataDir()
        try:
            run_cli("partner", "add", "--data", d.path, "--name", "P")
            tok = run_cli("token", "issue", "--data", d.path, "--partner", "P").stdout.split()[-1]
            s = harness.Server(d).start()
            try:
                self.assertOk(s.request("GET", ROOT + "collections/", token=tok))
                for bad in (tok[:-1], tok[:-1] + ("A" if tok[-1] != "A" else "B"), tok.split(".")[0],
                            "x" * 60, tok + "x"):
                    self.assertTaxiiError(s.request("GET", ROOT + "collections/", token=bad), 401)
                run_cli("partner", "disable", "--data", d.path, "P")
                self.assertTaxiiError(s.request("GET", ROOT + "collections/", token=tok), 401)
                run_cli("partner", "enable", "--data", d.path, "P")
                self.assertOk(s.request("GET", ROOT + "collections/", token=tok))
            finally:
                s.stop()
        finally:
            d.cleanup()

    def test_audit_records_disclosures(self):
        s = self.w.server
        s_objects(s, "cells", self.w.tok["Sahel"])
        out = run_cli("audit", "show", "--data", self.w.data.path, "--partner", "Sahel").stdout
        entries = [json.loads(l) for l in out.splitlines() if l.strip()]
        disclosed = set()
        for e in entries:
            self.assertTrue(e["actor"].startswith("partner:Sahel/"))
            if e["action"] == "objects.disclose":
                disclosed |= {i for i, _v in e["detail"]["objects"]}
        want = {self.objs[n]["id"] for n in self.expect["Sahel"]}
        self.assertTrue(want <= disclosed, (want - disclosed))
        hidden = {o["id"] for n, o in self.objs.items() if n not in self.expect["Sahel"]}
        self.assertFalse(hidden & disclosed)
        p = run_cli("audit", "verify", "--data", self.w.data.path)
        self.assertIn("intact", p.stdout)
        for secret in self.w.tok.values():
            self.assertNotIn(secret.split(".")[1], out)


def s_objects(s, coll, tok, limit=1000):
    out, nxt = [], None
    for _ in range(1000):
        q = {"limit": str(limit)}
        if nxt:
            q["next"] = nxt
        st, _, j = s.get_json(ROOT + "collections/%s/objects/?%s" % (coll, urllib.parse.urlencode(q)),
                              token=tok)
        assert st == 200, (st, j)
        out += j.get("objects", [])
        if not j["more"]:
            return out
        nxt = j["next"]
    raise AssertionError("paging did not end")


def manifest_ids(s, coll, tok):
    st, _, j = s.get_json(ROOT + "collections/%s/manifest/?limit=1000" % coll, token=tok)
    assert st == 200
    return [m["id"] for m in j.get("objects", [])]


class RateLimitTest(TaxiiCase):
    """A principal over its rate gets 429 with Retry-After; another principal does not."""

    def test_rate_limit_per_principal(self):
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        run_cli("partner", "add", "--data", d.path, "--name", "Busy")
        run_cli("partner", "add", "--data", d.path, "--name", "Calm")
        busy = run_cli("token", "issue", "--data", d.path, "--partner", "Busy").stdout.split()[-1]
        calm = run_cli("token", "issue", "--data", d.path, "--partner", "Calm").stdout.split()[-1]
        s = harness.Server(d, sets=["rate_limit=2", "rate_burst=5"]).start()
        try:
            statuses = [s.request("GET", ROOT + "collections/", token=busy) for _ in range(12)]
            codes = [r[0] for r in statuses]
            self.assertEqual(codes[:5], [200] * 5)
            self.assertIn(429, codes)
            limited = next(r for r in statuses if r[0] == 429)
            self.assertTaxiiError(limited, 429, "rate limit")
            self.assertGreaterEqual(int(limited[1].get("Retry-After")), 1)
            self.assertOk(s.request("GET", ROOT + "collections/", token=calm))
        finally:
            s.stop()


class AuditTamperTest(TaxiiCase):
    """Each way of tampering with the audit log is detected by `audit verify`."""

    def fresh(self):
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        for i in range(6):
            run_cli("collection", "add", "--data", d.path, "--title", "c%d" % i)
        run_cli("audit", "verify", "--data", d.path)
        return d, d

    def assertTampered(self, d, where):
        p = run_cli("audit", "verify", "--data", d.path, check=False)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("TAMPERED", p.stderr)
        self.assertIn(where, p.stderr)

    def test_edit(self):
        d, db = self.fresh()
        db.sql("UPDATE audit SET detail = '{\"collection\":\"forged\"}' WHERE seq = 3")
        self.assertTampered(d, "entry 3 was edited")

    def test_delete(self):
        d, db = self.fresh()
        db.sql("DELETE FROM audit WHERE seq = 4")
        self.assertTampered(d, "entry 5")

    def test_reorder(self):
        d, db = self.fresh()
        db.sql("UPDATE audit SET seq = 100 WHERE seq = 3",
               "UPDATE audit SET seq = 3 WHERE seq = 4",
               "UPDATE audit SET seq = 4 WHERE seq = 100")
        self.assertTampered(d, "entry 3")

    def test_truncate(self):
        d, db = self.fresh()
        db.sql("DELETE FROM audit WHERE seq >= 6")
        self.assertTampered(d, "removed from the end")


if __name__ == "__main__":
    harness.main()
