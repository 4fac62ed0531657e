"""MISP in and out (issue 23), on real MISP data (LIAISON_SHARED/data/misp, read at test time).

- Every real event file and the real feed imported with `liaison misp import`: nothing refused
  by the write path (which validates every object with the project's STIX validator), the
  counts per attribute type printed; a second import stores nothing new.
- Round trip: everything imported, then read back as a MISP feed from a real server
  (GET /liaison/misp/<collection>/...): every attribute the mapping supports comes back with
  its uuid, type, category and value, every tag and object; and `misp export` writes the
  same feed to files.
- Leak test: variants of a real event at several TLPs, distributions (REL TO) and an
  attribute-level TLP:RED, read by partners of different clearances: a partner's manifest,
  events, hashes.csv and exported files hold exactly what its model lets it see, a hidden
  event answers 404 like a missing one, and every answer is on the audit record.
- Bad input: a truncated file (the events before the cut imported), wrong types, an unknown
  attribute type (kept as a note), a feed whose manifest names a missing or broken file.
- A 200 MB feed imported with bounded memory (peak RSS measured) and a progress bar on a
  terminal (a pty).
"""
import copy
import glob
import json
import os
import pty
import resource
import select
import shutil
import subprocess
import tempfile
import time
import uuid

import harness
from harness import TaxiiCase, run_cli

MISP = os.path.join(harness.SHARED, "data", "misp")
FEED = os.path.join(MISP, "feed", "chrome-mal-ids")


def event_files():
    return sorted(glob.glob(os.path.join(MISP, "events", "*", "*.json")))


def events_in(path):
    """The events of a MISP file, in any of its shapes."""
    with open(path) as f:
        d = json.load(f)
    if isinstance(d, dict) and isinstance(d.get("Event"), dict):
        return [d["Event"]]
    if isinstance(d, dict) and "uuid" in d and "info" in d:
        return [d]
    lst = d if isinstance(d, list) else d.get("response") if isinstance(d, dict) else None
    return [e["Event"] for e in lst or [] if isinstance(e, dict) and isinstance(e.get("Event"), dict)]


def all_real_events():
    out = []
    for f in event_files():
        out += events_in(f)
    for f in sorted(glob.glob(os.path.join(FEED, "*-*.json"))):
        out += events_in(f)
    return out


def misp_import(data, path, coll, *extra, check_rc=(0,)):
    p = run_cli("misp", "import", path, "--data", data.path, "--collection", coll, "--json", *extra,
                check=False, timeout=600)
    if p.returncode not in check_rc:
        raise AssertionError("misp import %s: exit %d\n%s\n%s" % (path, p.returncode, p.stdout, p.stderr))
    return p, (json.loads(p.stdout) if p.stdout.strip() else None)


def supported(a):
    """An attribute the mapping keeps: a uuid, a value, not deleted."""
    return (isinstance(a.get("uuid"), str) and isinstance(a.get("value"), str) and a["value"] != ""
            and not a.get("deleted"))


def tag_names(item):
    return {t["name"] for t in item.get("Tag", []) or []}


class RealDataImport(TaxiiCase):
    """Each real event file and the real feed, imported; then the feed served back."""

    @classmethod
    def setUpClass(cls):
        cls.data = harness.DataDir()
        cls.coll = cls.data.collection("MISP", alias="misp")
        cls.totals = {}
        cls.results = {}
        for f in event_files() + [FEED]:
            p, s = misp_import(cls.data, f, "misp", check_rc=(0, 4))
            cls.results[f] = (p, s)
        cls.server = harness.Server(cls.data).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.data.cleanup()

    def test_every_file_imported_nothing_refused(self):
        counts = {}
        for f, (p, s) in self.results.items():
            self.assertEqual(s["stix"]["refused"], 0, "%s: %s" % (f, p.stderr))
            base = os.path.basename(f)
            if base in ("sharing_groups.json", "proposals.json"):
                # not events: two SharingGroup records; an event without a uuid (PyMISP's
                # draft of an event to create). Reported by position, nothing stored.
                self.assertEqual(p.returncode, 4)
                self.assertEqual(s["events"], 0)
                self.assertGreater(s["events_malformed"], 0)
                self.assertIn("misp import: ", p.stderr)
                continue
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(s["events_malformed"], 0, p.stderr)
            self.assertGreater(s["events"], 0, f)
            for t, outcomes in s["counts"].get("attributes", {}).items():
                for o, n in outcomes.items():
                    counts.setdefault(t, {}).setdefault(o, 0)
                    counts[t][o] += n
        feed = self.results[FEED][1]
        self.assertEqual(feed["events"], 79)
        self.assertEqual(sum(feed["counts"]["attributes"]["url"].values()), 2663)
        print("\nattribute types of the real events and feed -> what they became:")
        for t in sorted(counts):
            print("  %-26s %s" % (t, ", ".join("%s %d" % kv for kv in sorted(counts[t].items()))))
        # Nothing silently dropped: the counts add up to the attributes of the real data.
        real = sum(1 for e in all_real_events() for _ in e.get("Attribute", []))
        self.assertEqual(sum(sum(v.values()) for v in counts.values()), real)

    def test_second_import_stores_nothing(self):
        p, s = misp_import(self.data, FEED, "misp")
        self.assertEqual(s["stix"]["stored"], 0)
        self.assertGreater(s["stix"]["existed"], 7000)
        f = os.path.join(MISP, "events", "eset", "misp-moustachedbouncer.event.json")
        p, s = misp_import(self.data, f, "misp")
        self.assertEqual(s["stix"]["stored"], 0)

    def test_records_follow_the_published_schema(self):
        """Every MISP record the import wrote is valid under docs/schemas/misp.json, and the
        extension-definition that names that schema is served with the objects."""
        import jsonschema
        schema = json.load(open(os.path.join(harness.SOURCE, "docs", "schemas", "misp.json")))
        validator = jsonschema.Draft202012Validator(schema)
        ext = "extension-definition--c99476fd-cdb9-497c-b85d-4b08e14dba83"
        seen = {}
        for o in self.server.objects_all("misp"):
            rec = o.get("extensions", {}).get(ext)
            if o["id"] == ext:
                seen["definition"] = o
            if rec is None:
                continue
            errors = list(validator.iter_errors(rec))
            self.assertEqual(errors, [], "%s: %s" % (o["id"], errors[:1]))
            kind = [k for k in rec if k != "extension_type"][0]
            seen[kind] = seen.get(kind, 0) + 1
        self.assertIn("misp.json", seen["definition"]["schema"])
        for kind in ("event", "attribute", "object", "reference", "galaxy_cluster", "organisation"):
            self.assertGreater(seen.get(kind, 0), 0, kind)
        print("\nMISP records checked against docs/schemas/misp.json: %s" %
              {k: v for k, v in seen.items() if k != "definition"})

    def feed_event(self, uuid_, token=None):
        st, _, body = self.server.request("GET", "/liaison/misp/misp/%s.json" % uuid_, token=token)
        self.assertEqual(st, 200, body[:300])
        return json.loads(body)["Event"]

    def test_round_trip_keeps_values_types_categories_tags_uuids(self):
        st, hd, body = self.server.request("GET", "/liaison/misp/misp/manifest.json")
        self.assertEqual(st, 200)
        self.assertEqual(hd.get("Content-Type"), "application/json")
        manifest = json.loads(body)
        checked = attrs = objects = refs = 0
        for e in all_real_events():
            u = e["uuid"].lower()
            self.assertIn(u, manifest)
            self.assertEqual(manifest[u]["info"], e["info"])
            back = self.feed_event(u)
            self.assertEqual(back["uuid"], u)
            self.assertEqual(back["info"], e["info"])
            self.assertLessEqual(tag_names(e), tag_names(back), u)
            served = {a["uuid"]: a for a in back["Attribute"]}
            for a in e.get("Attribute", []):
                if not supported(a):
                    continue
                b = served.get(a["uuid"].lower())
                self.assertIsNotNone(b, "event %s lost attribute %s %s" % (u, a["type"], a["uuid"]))
                for k in ("type", "category", "value"):
                    self.assertEqual(b.get(k), a.get(k), "event %s attribute %s: %s" % (u, a["uuid"], k))
                self.assertEqual(b["to_ids"], a.get("to_ids") in (True, 1, "1"))
                self.assertLessEqual(tag_names(a), tag_names(b))
                attrs += 1
            served_objs = {o["uuid"]: o for o in back["Object"]}
            for o in e.get("Object", []):
                b = served_objs.get(o["uuid"].lower())
                self.assertIsNotNone(b, "event %s lost object %s" % (u, o["name"]))
                self.assertEqual(b["name"], o["name"])
                inner = {x["uuid"]: x for x in b["Attribute"]}
                for a in o.get("Attribute", []):
                    if not supported(a):
                        continue
                    x = inner[a["uuid"].lower()]
                    for k in ("type", "category", "value", "object_relation"):
                        self.assertEqual(x.get(k), a.get(k))
                    attrs += 1
                want = {(r["uuid"], r["referenced_uuid"], r["relationship_type"])
                        for r in o.get("ObjectReference", []) if not r.get("deleted")}
                got = {(r["uuid"], r["referenced_uuid"], r["relationship_type"])
                       for r in b["ObjectReference"]}
                self.assertEqual(want, got)
                refs += len(got)
                objects += 1
            checked += 1
        print("\nround trip: %d events, %d attributes, %d objects, %d references: values, types, "
              "categories, tags and uuids kept" % (checked, attrs, objects, refs))
        self.assertEqual(checked, len(all_real_events()))

    def test_hashes_csv_is_misp_core_form(self):
        st, hd, body = self.server.request("GET", "/liaison/misp/misp/hashes.csv")
        self.assertEqual(st, 200)
        self.assertEqual(hd.get("Content-Type"), "text/csv")
        lines = set(body.decode().splitlines())
        self.assertGreater(len(lines), 5000)
        import hashlib
        for e in all_real_events()[:20]:
            for a in e.get("Attribute", []):
                if supported(a) and "|" not in a["type"]:
                    self.assertIn("%s,%s" % (hashlib.md5(a["value"].encode()).hexdigest(),
                                             e["uuid"].lower()), lines)

    def test_feed_errors(self):
        st, _, _ = self.server.request("GET", "/liaison/misp/misp/%s.json" % uuid.uuid4())
        self.assertEqual(st, 404)
        st, _, _ = self.server.request("GET", "/liaison/misp/nope/manifest.json")
        self.assertEqual(st, 404)
        st, _, _ = self.server.request("GET", "/liaison/misp/misp/other.txt")
        self.assertEqual(st, 404)
        st, _, _ = self.server.request("POST", "/liaison/misp/misp/manifest.json", body="{}",
                                       content_type="application/json")
        self.assertEqual(st, 405)
        st, _, _ = self.server.request("GET", "/liaison/misp/misp/manifest.json?x=1")
        self.assertEqual(st, 400)
        st, _, _ = self.server.request("GET", "/liaison/misp/misp/manifest.json", auth=False)
        self.assertEqual(st, 401)


def variant(event, **changes):
    """A copy of a real event with a new uuid (and new attribute/object uuids) and changes."""
    e = copy.deepcopy(event)
    e["uuid"] = str(uuid.uuid4())
    for a in e.get("Attribute", []):
        a["uuid"] = str(uuid.uuid4())
    for o in e.get("Object", []):
        o["uuid"] = str(uuid.uuid4())
        for a in o.get("Attribute", []):
            a["uuid"] = str(uuid.uuid4())
        o["ObjectReference"] = []
    e.update(changes)
    return e


def write_event(dirpath, name, event):
    path = os.path.join(dirpath, name)
    with open(path, "w") as f:
        json.dump({"Event": event}, f)
    return path


class PartnerScopedFeed(TaxiiCase):
    """A partner's MISP feed holds exactly what it may see (TLP, REL TO, attribute TLP:RED)."""

    @classmethod
    def setUpClass(cls):
        cls.data = harness.DataDir()
        cls.tmp = tempfile.mkdtemp(prefix="liaison-misp-")
        cls.coll = cls.data.collection("Shared", alias="shared")
        # P: amber, sends MISP data; G: green; R: red.
        cls.p_id, cls.p_tok = cls.data.reader("shared", "P", "amber")
        cls.g_id, cls.g_tok = cls.data.reader("shared", "G", "green")
        cls.r_id, cls.r_tok = cls.data.reader("shared", "R", "red")
        base = events_in(os.path.join(MISP, "events", "pymisp", "misp_event.json"))[0]
        feed_ev = events_in(os.path.join(FEED, "fef5a409-1213-569b-87c1-03888ef92e05.json"))[0]
        white = [{"name": "tlp:white"}]
        cls.events = {
            # name: (event, imported --from P?, who may see it)
            "white": (variant(feed_ev, Tag=white, distribution="3"), False, {"P", "G", "R"}),
            "green": (variant(base, Tag=[{"name": "tlp:green"}], distribution="3"), False,
                      {"P", "G", "R"}),
            "amber": (variant(base, Tag=[{"name": "TLP:AMBER"}], distribution="3"), False, {"P", "R"}),
            # RED from P: P is its recipient, but P's clearance (amber) stops it; R is not named.
            "red": (variant(base, Tag=[{"name": "tlp:red"}], distribution="3"), True, set()),
            # "this community only", from P: released back to P alone.
            "community": (variant(feed_ev, Tag=white, distribution="1"), True, {"P"}),
            # "your organisation only": released to no partner.
            "org": (variant(feed_ev, Tag=white, distribution="0"), True, set()),
            # a sharing group, from P: P alone until sharing groups map to liaison groups.
            "group": (variant(feed_ev, Tag=white, distribution="4", sharing_group_id="7",
                              SharingGroup={"uuid": str(uuid.uuid4()), "name": "Sahel states"}),
                      True, {"P"}),
        }
        # One attribute of a GREEN event is TLP:RED: G and P see the event without it.
        mixed = variant(feed_ev, Tag=[{"name": "tlp:green"}], distribution="3")
        mixed["Attribute"][0]["Tag"] = [{"name": "tlp:red"}]
        cls.hidden_attr = mixed["Attribute"][0]
        cls.events["mixed"] = (mixed, False, {"P", "G", "R"})
        for name, (ev, from_p, _) in cls.events.items():
            path = write_event(cls.tmp, name + ".json", ev)
            extra = ("--from", "P") if from_p else ()
            _, summary = misp_import(cls.data, path, "shared", *extra)
            assert summary["stix"]["refused"] == 0, (name, summary["problems"])
        cls.server = harness.Server(cls.data).start()
        cls.tokens = {"P": cls.p_tok, "G": cls.g_tok, "R": cls.r_tok}

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.data.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def visible(self, who):
        return {ev["uuid"] for ev, _, seen in self.events.values() if who in seen}

    def hidden_values(self, who):
        """Values and uuids that must never reach who."""
        out = set()
        for ev, _, seen in self.events.values():
            if who not in seen:
                out.add(ev["uuid"])
                out |= {a["uuid"] for a in ev.get("Attribute", [])}
        out.add(self.hidden_attr["uuid"])
        return out

    def test_each_partner_gets_exactly_its_events(self):
        for who, tok in self.tokens.items():
            st, _, body = self.server.request("GET", "/liaison/misp/shared/manifest.json", token=tok)
            self.assertEqual(st, 200)
            manifest = json.loads(body)
            self.assertEqual(set(manifest), self.visible(who), who)
            everything = [body]
            for u in manifest:
                st, _, b = self.server.request("GET", "/liaison/misp/shared/%s.json" % u, token=tok)
                self.assertEqual(st, 200)
                everything.append(b)
                ev = json.loads(b)["Event"]
                # REL TO'd events are served as "your organisation only".
                if u in (self.events["community"][0]["uuid"], self.events["group"][0]["uuid"]):
                    self.assertEqual(ev["distribution"], "0")
            st, _, b = self.server.request("GET", "/liaison/misp/shared/hashes.csv", token=tok)
            self.assertEqual(st, 200)
            everything.append(b)
            text = b"".join(everything).decode()
            for secret in self.hidden_values(who):
                self.assertNotIn(secret, text, "%s was shown %s" % (who, secret))
            import hashlib
            self.assertNotIn(hashlib.md5(self.hidden_attr["value"].encode()).hexdigest() +
                             "," + self.events["mixed"][0]["uuid"], text)

    def test_hidden_event_answers_like_missing(self):
        for who, tok in self.tokens.items():
            for ev, _, seen in self.events.values():
                if who in seen:
                    continue
                st, hd, body = self.server.request("GET", "/liaison/misp/shared/%s.json" % ev["uuid"],
                                                   token=tok)
                st2, _, body2 = self.server.request("GET", "/liaison/misp/shared/%s.json" % uuid.uuid4(),
                                                    token=tok)
                self.assertEqual((st, body), (st2, body2))

    def test_admin_sees_all_and_mixed_attribute(self):
        st, _, body = self.server.request("GET", "/liaison/misp/shared/manifest.json")
        self.assertEqual(set(json.loads(body)), {ev["uuid"] for ev, _, _ in self.events.values()})
        ev = json.loads(self.server.request("GET", "/liaison/misp/shared/%s.json" %
                                            self.events["mixed"][0]["uuid"])[2])["Event"]
        self.assertIn(self.hidden_attr["uuid"], {a["uuid"] for a in ev["Attribute"]})

    def test_disclosures_on_record(self):
        st, _, body = self.server.request("GET", "/liaison/misp/shared/manifest.json", token=self.g_tok)
        self.assertEqual(st, 200)
        shown = run_cli("audit", "show", "--data", self.data.path, "--partner", "G").stdout
        entries = [json.loads(l) for l in shown.splitlines() if l.strip()]
        disclosed = [e for e in entries if e["action"] == "objects.disclose"
                     and e["detail"].get("endpoint") == "misp-manifest"]
        self.assertTrue(disclosed)
        ids = {o[0] for o in disclosed[-1]["detail"]["objects"]}
        self.assertEqual(len(ids), len(self.visible("G")))
        self.assertTrue(all(i.startswith("report--") for i in ids))
        run_cli("audit", "verify", "--data", self.data.path)

    def test_export_is_the_same_feed(self):
        for who, tok in self.tokens.items():
            out = os.path.join(self.tmp, "export-" + who)
            p = run_cli("misp", "export", "--data", self.data.path, "--collection", "shared",
                        "--for", who, "--out", out)
            self.assertIn("events for %s" % who, p.stdout)
            files = set(os.listdir(out))
            self.assertEqual(files, {"manifest.json", "hashes.csv"} | {u + ".json" for u in self.visible(who)})
            served = json.loads(self.server.request("GET", "/liaison/misp/shared/manifest.json", token=tok)[2])
            self.assertEqual(json.load(open(os.path.join(out, "manifest.json"))), served)
            for u in self.visible(who):
                st, _, b = self.server.request("GET", "/liaison/misp/shared/%s.json" % u, token=tok)
                self.assertEqual(json.load(open(os.path.join(out, u + ".json"))), json.loads(b))
            text = "".join(open(os.path.join(out, f)).read() for f in files)
            for secret in self.hidden_values(who):
                self.assertNotIn(secret, text)
        shown = run_cli("audit", "show", "--data", self.data.path, "--partner", "G").stdout
        self.assertIn("misp-export", shown)
        # Errors: an unknown partner, a collection the partner may not read.
        p = run_cli("misp", "export", "--data", self.data.path, "--collection", "shared", "--for",
                    "nobody", "--out", os.path.join(self.tmp, "x"), check=False)
        self.assertEqual(p.returncode, 3)
        self.data.collection("Private", alias="private")
        p = run_cli("misp", "export", "--data", self.data.path, "--collection", "private", "--for",
                    "G", "--out", os.path.join(self.tmp, "y"), check=False)
        self.assertEqual(p.returncode, 3)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "y", "manifest.json")))


class BadInput(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.data = harness.DataDir()
        cls.coll = cls.data.collection("Bad", alias="bad")
        cls.tmp = tempfile.mkdtemp(prefix="liaison-misp-bad-")

    @classmethod
    def tearDownClass(cls):
        cls.data.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def count_reports(self):
        import sqlite3
        con = sqlite3.connect(os.path.join(self.data.path, "liaison.db"))
        try:
            return con.execute("SELECT count(*) FROM object WHERE type='report'").fetchone()[0]
        finally:
            con.close()

    def test_truncated_list_keeps_events_before_the_cut(self):
        src = open(os.path.join(MISP, "misp-stix", "tests", "test_events_collection_1.json"), "rb").read()
        cut = src[:src.rindex(b'"Attribute"')]  # inside the second event
        path = os.path.join(self.tmp, "cut.json")
        open(path, "wb").write(cut)
        before = self.count_reports()
        p, s = misp_import(self.data, path, "bad", check_rc=(4,))
        self.assertEqual(s["events"], 1)
        self.assertEqual(s["events_malformed"], 1)
        self.assertIn("element 1", p.stderr)
        self.assertIn("truncated", p.stderr)
        self.assertEqual(self.count_reports(), before + 1)

    def test_truncated_single_event_stores_nothing(self):
        src = open(os.path.join(MISP, "events", "pymisp", "long_event.json"), "rb").read()
        path = os.path.join(self.tmp, "half.json")
        open(path, "wb").write(src[:len(src) // 2])
        before = self.count_reports()
        p, s = misp_import(self.data, path, "bad", check_rc=(4,))
        self.assertEqual(s["events"], 0)
        self.assertIn("not valid JSON", p.stderr)
        self.assertEqual(self.count_reports(), before)

    def test_wrong_types(self):
        ev = events_in(os.path.join(MISP, "events", "pymisp", "57c4445b-c548-4654-af0b-4be3950d210f.json"))[0]
        bad_attrs = variant(ev)
        bad_attrs["Attribute"][0]["value"] = 12
        bad_attrs["Attribute"][1]["uuid"] = "not-a-uuid"
        bad_attrs["Attribute"][2]["type"] = ["md5"]
        no_uuid = variant(ev)
        no_uuid["uuid"] = 42
        not_list = variant(ev, Attribute="nope")
        path = os.path.join(self.tmp, "types.json")
        json.dump({"response": [{"Event": bad_attrs}, {"Event": no_uuid}, {"Event": not_list}, "x"]},
                  open(path, "w"))
        p, s = misp_import(self.data, path, "bad", check_rc=(4,))
        self.assertEqual(s["events"], 2)           # bad_attrs and not_list, with what is usable
        self.assertEqual(s["events_malformed"], 2)  # no uuid; "x"
        self.assertIn("element 1", p.stderr)
        self.assertIn("element 3", p.stderr)
        self.assertIn("value of this", p.stderr)
        self.assertIn("without a valid uuid", p.stderr)
        self.assertIn("Attribute is not a list", p.stderr)
        self.assertEqual(s["stix"]["refused"], 0)

    def test_unknown_attribute_type_kept_as_note(self):
        ev = variant(events_in(os.path.join(MISP, "events", "pymisp", "misp_event.json"))[0])
        ev["Attribute"][0]["type"] = "x-made-up-type"
        path = write_event(self.tmp, "unknown.json", ev)
        p, s = misp_import(self.data, path, "bad")
        self.assertEqual(s["counts"]["attributes"]["x-made-up-type"], {"note": 1})
        server = harness.Server(self.data).start()
        try:
            back = json.loads(server.request("GET", "/liaison/misp/bad/%s.json" % ev["uuid"])[2])["Event"]
        finally:
            server.stop()
        got = {a["uuid"]: a for a in back["Attribute"]}[ev["Attribute"][0]["uuid"]]
        self.assertEqual((got["type"], got["value"]), ("x-made-up-type", ev["Attribute"][0]["value"]))

    def test_feed_with_missing_and_broken_files(self):
        feed = os.path.join(self.tmp, "feed")
        os.makedirs(feed)
        manifest = json.load(open(os.path.join(FEED, "manifest.json")))
        keys = list(manifest)[:3]
        small = {k: manifest[k] for k in keys}
        small["not-a-uuid"] = {}
        json.dump(small, open(os.path.join(feed, "manifest.json"), "w"))
        shutil.copy(os.path.join(FEED, keys[0] + ".json"), feed)
        open(os.path.join(feed, keys[1] + ".json"), "w").write('{"Event": {"uuid": ')
        p, s = misp_import(self.data, feed, "bad", check_rc=(4,))
        self.assertEqual(s["events"], 1)
        self.assertEqual(s["events_malformed"], 3)
        for k in keys[1:]:
            self.assertIn(k, p.stderr)
        p = run_cli("misp", "import", self.tmp, "--data", self.data.path, "--collection", "bad",
                    check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a MISP feed", p.stderr)

    def test_usage_errors(self):
        for args in (["misp"], ["misp", "import"], ["misp", "import", "x", "--data", self.data.path],
                     ["misp", "export", "--data", self.data.path]):
            self.assertEqual(run_cli(*args, check=False).returncode, 2)
        p = run_cli("misp", "import", "/nonexistent", "--data", self.data.path, "--collection", "bad",
                    check=False)
        self.assertEqual(p.returncode, 3)
        p = run_cli("misp", "import", FEED, "--data", self.data.path, "--collection", "nope",
                    check=False)
        self.assertEqual(p.returncode, 3)
        p = run_cli("misp", "import", FEED, "--data", self.data.path, "--collection", "bad",
                    "--from", "nobody", check=False)
        self.assertEqual(p.returncode, 3)
        p = run_cli("misp", "import", FEED, "--data", self.data.path, "--collection", "bad",
                    "--max-event-bytes", "0", check=False)
        self.assertEqual(p.returncode, 2)

    def test_event_over_the_size_limit(self):
        f = os.path.join(MISP, "events", "eset", "misp-moustachedbouncer.event.json")
        p, s = misp_import(self.data, f, "bad", "--max-event-bytes", "100000", check_rc=(4,))
        self.assertEqual(s["events"], 0)
        self.assertIn("--max-event-bytes", p.stderr)


class LargeFeed(TaxiiCase):
    """A 200 MB feed made of real feed events: bounded memory, a progress bar on a terminal."""

    SIZE = 200 << 20

    @classmethod
    def setUpClass(cls):
        cls.data = harness.DataDir()
        cls.data.collection("Large", alias="large")
        cls.tmp = tempfile.mkdtemp(prefix="liaison-misp-large-")
        cls.feed = os.path.join(cls.tmp, "feed")
        os.makedirs(cls.feed)
        real = [events_in(f)[0] for f in sorted(glob.glob(os.path.join(FEED, "*-*.json")))]
        manifest = {}
        total, i = 0, 0
        pad = "x" * (1 << 20)  # each event carries one 1 MiB text attribute: few objects, many bytes
        while total < cls.SIZE:
            ev = variant(real[i % len(real)])
            ev["Attribute"].append({"uuid": str(uuid.uuid4()), "type": "text", "category": "Other",
                                    "value": pad, "to_ids": False, "timestamp": ev["timestamp"]})
            path = write_event(cls.feed, ev["uuid"] + ".json", ev)
            manifest[ev["uuid"]] = {"info": ev["info"], "timestamp": ev["timestamp"]}
            total += os.path.getsize(path)
            i += 1
        json.dump(manifest, open(os.path.join(cls.feed, "manifest.json"), "w"))
        cls.events = i
        cls.total = total

    @classmethod
    def tearDownClass(cls):
        cls.data.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_bounded_memory_and_progress_bar(self):
        env = dict(harness.ENV)
        # ASan keeps freed memory in quarantine (256 MB by default): keep it small so that RSS
        # shows what the import holds.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"
        master, slave = pty.openpty()
        start = time.time()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.Popen([harness.BIN, "misp", "import", self.feed, "--data", self.data.path,
                                 "--collection", "large", "--json"],
                                stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        tty = b""
        out = proc.stdout.read()
        while True:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            tty += chunk
        proc.wait()
        os.close(master)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        s = json.loads(out)
        self.assertEqual(proc.returncode, 0, tty[-2000:])
        self.assertEqual(s["events"], self.events)
        self.assertEqual(s["stix"]["refused"], 0)
        text = tty.decode("utf-8", "replace")
        self.assertIn("misp import [", text)
        self.assertIn("100%", text)
        self.assertIn("\r", text)
        print("\n%d MB feed, %d events: peak RSS %.0f MB (ASan build, quarantine 16 MB), %.1f s"
              % (self.total >> 20, self.events, rss_mb, time.time() - start))
        # The whole feed is never held: peak RSS stays well under the feed's size.
        self.assertGreater(before, -1)
        self.assertLess(rss_mb, (self.total >> 20) * 0.75)


if __name__ == "__main__":
    harness.main()
