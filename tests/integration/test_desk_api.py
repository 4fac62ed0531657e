"""The desk's browsing of a collection (filters, sort, totals, paging both ways with a
position) and who an object reaches, both answered by the store's one gate."""
import json
import urllib.parse

import harness
from harness import TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
HANDLING = "extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
CREATOR = "identity--0b6a1a52-7b0e-4d55-9d52-8f6d7c5f9a11"


class DeskApiTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        cls.coll = d.collection("A", "a")
        d.collection("B", "b")
        cls.ident = {}
        cls.tok = {}
        for name, clearance in (("G", "green"), ("Am", "amber"), ("R", "red"), ("D", "amber")):
            cls.ident[name], cls.tok[name] = d.reader("a", name, clearance)
        cls.ident["N"] = run_cli("partner", "add", "--data", d.path, "--name", "N",
                                 "--clearance", "red").stdout.strip()
        run_cli("partner", "disable", "--data", d.path, "D")
        # A sharing group whose only member is Am (docs/groups.md).
        cls.group = run_cli("group", "add", "--data", d.path, "--name", "circle").stdout.strip()
        run_cli("group", "member", "add", "--data", d.path, "--group", cls.group, "--partner", "Am")
        cls.s = harness.Server(d).start()
        rel = {"type": "marking-definition", "spec_version": "2.1",
               "id": "marking-definition--7d3f0a6e-98c1-4d1e-bd43-3f2b51a0c001",
               "created": "2024-01-01T00:00:00.000Z", "name": "REL TO Am",
               "extensions": {RELEASABILITY: {"extension_type": "property-extension",
                                              "rel_to": [cls.ident["Am"]]}}}
        cls.green = sdo("threat-actor", name="Katiba Macina", object_marking_refs=[GREEN])
        cls.amber = sdo("report", name="Cells", published="2024-01-01T00:00:00Z",
                        object_refs=[cls.green["id"]], object_marking_refs=[AMBER])
        cls.red = sdo("intrusion-set", name="Source", object_marking_refs=[RED],
                      extensions={HANDLING: {"extension_type": "property-extension",
                                             "red_recipients": [cls.ident["R"]]}})
        cls.relto = sdo("campaign", name="Only Am", object_marking_refs=[GREEN, rel["id"]])
        v1 = sdo("malware", name="Two versions", object_marking_refs=[GREEN])
        v2 = dict(v1, modified="2024-02-01T00:00:00.000Z", object_marking_refs=[AMBER])
        cls.versioned = v2
        st, _, b = cls.s.post_objects("a", [rel, cls.green, cls.amber, cls.red, cls.relto, v1, v2])
        assert st == 202, b
        # 30 indicators: modified spread over January, every third green, the others amber;
        # every fifth by CREATOR; names "ind 00" .. "ind 29".
        cls.inds = []
        for i in range(30):
            o = sdo("indicator", modified="2024-01-%02dT00:00:00.000Z" % (30 - i),
                    created="2024-01-01T00:00:00.000Z", name="ind %02d" % i,
                    object_marking_refs=[GREEN if i % 3 == 0 else AMBER])
            if i % 5 == 0:
                o["created_by_ref"] = CREATOR
            cls.inds.append(o)
        st, _, b = cls.s.post_objects("a", cls.inds)
        assert st == 202, b
        # Around the green actor: a green relationship out of it, the amber report listing it,
        # a red relationship into it (to R only), a note that names it only in its text.
        g = cls.green["id"]
        cls.rel = sdo("relationship", relationship_type="located-at", source_ref=g,
                      target_ref="location--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,
                      object_marking_refs=[GREEN])
        cls.red_rel = sdo("relationship", relationship_type="related-to",
                          source_ref=cls.red["id"], target_ref=g, object_marking_refs=[RED],
                          extensions={HANDLING: {"extension_type": "property-extension",
                                                 "red_recipients": [cls.ident["R"]]}})
        cls.note = sdo("note", content="about " + g + " in words only", object_refs=[cls.amber["id"]],
                       object_marking_refs=[GREEN])
        st, _, b = cls.s.post_objects("a", [cls.rel, cls.red_rel, cls.note])
        assert st == 202, b
        # Collection t: 12 notes, three to each modified time (ties broken by date_added: the
        # order they were posted in), every other one amber; G reads t.
        d.collection("T", "t")
        run_cli("grant", "--data", d.path, "--collection", "t", "--partner", "G", "--read")
        cls.ties = []
        for i in range(12):
            o = sdo("note", content="tie %02d" % i, object_refs=[cls.green["id"]],
                    modified="2024-03-%02dT00:00:00.000Z" % (4 - i // 3),
                    created="2024-01-01T00:00:00.000Z",
                    object_marking_refs=[GREEN if i % 2 == 0 else AMBER])
            st, _, b = cls.s.post_objects("t", [o])
            assert st == 202, b
            cls.ties.append(o)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def get(self, path, token=None, **q):
        st, _, b = self.s.request("GET", path + ("?" + urllib.parse.urlencode(q) if q else ""),
                                  token=token)
        return st, json.loads(b)

    def browse(self, token=None, **q):
        return self.get("/liaison/browse/a", token=token, **q)

    def names(self, j):
        return [o.get("name") for o in j["objects"]]

    def test_total_position_and_both_ways(self):
        st, j = self.browse(type="indicator", limit=7)
        self.assertEqual(st, 200, j)
        self.assertEqual((j["total"], j["position"]), (30, 1))
        self.assertNotIn("prev", j)
        pages = [self.names(j)]
        while "next" in j:
            st, j = self.browse(type="indicator", limit=7, next=j["next"])
            self.assertEqual(st, 200, j)
            self.assertEqual(j["position"], 1 + 7 * len(pages))
            pages.append(self.names(j))
        self.assertEqual(sum(pages, []), ["ind %02d" % i for i in range(30)])
        # and back from the last page to the first
        back = [self.names(j)]
        while "prev" in j:
            st, j = self.browse(type="indicator", limit=7, prev=j["prev"])
            self.assertEqual(st, 200, j)
            back.insert(0, self.names(j))
        self.assertEqual(back, pages)
        self.assertEqual(j["position"], 1)

    def test_sort_by_modified(self):
        st, j = self.browse(type="indicator", sort="modified", limit=5)
        self.assertEqual(self.names(j), ["ind 29", "ind 28", "ind 27", "ind 26", "ind 25"])
        st, j2 = self.browse(type="indicator", sort="modified", limit=5, next=j["next"])
        self.assertEqual(self.names(j2)[0], "ind 24")
        self.assertEqual(j2["position"], 6)
        st, j = self.browse(type="indicator", sort="modified", order="desc", limit=3)
        self.assertEqual(self.names(j), ["ind 00", "ind 01", "ind 02"])
        st, j = self.browse(type="indicator", order="desc", limit=3)
        self.assertEqual(self.names(j), ["ind 29", "ind 28", "ind 27"])

    def walk(self, token=None, **q):
        """Every page of a browse, forward with next then back with prev: (contents, positions
        forward, the pages read back)."""
        st, j = self.get("/liaison/browse/t", token=token, **q)
        self.assertEqual(st, 200, j)
        pages, positions = [[o["content"] for o in j["objects"]]], [j["position"]]
        total = j["total"]
        while "next" in j:
            st, j = self.get("/liaison/browse/t", token=token, next=j["next"], **q)
            self.assertEqual((st, j["total"]), (200, total), j)
            pages.append([o["content"] for o in j["objects"]])
            positions.append(j["position"])
        back = [pages[-1]]
        while "prev" in j:
            st, j = self.get("/liaison/browse/t", token=token, prev=j["prev"], **q)
            self.assertEqual(st, 200, j)
            back.insert(0, [o["content"] for o in j["objects"]])
        self.assertEqual(j["position"], 1)
        return total, pages, positions, back

    def test_sort_by_modified_ties_both_ways_and_partner(self):
        # Oldest modified first, ties in the order stored; pages of 5 both ways (the page is
        # chosen among the keys of the page index, then read: the same rows and order).
        oldest = sorted(range(12), key=lambda i: (-(i // 3), i))
        for token, seen in ((None, oldest), (self.tok["G"], [i for i in oldest if i % 2 == 0])):
            want = ["tie %02d" % i for i in seen]
            total, pages, positions, back = self.walk(token, sort="modified", limit=5)
            self.assertEqual((total, sum(pages, [])), (len(want), want), token)
            self.assertEqual(positions, list(range(1, len(want) + 1, 5)))
            self.assertEqual(back, pages)
            newest = sorted(seen, key=lambda i: (i // 3, -i))
            total, pages, _, back = self.walk(token, sort="modified", order="desc", limit=5)
            self.assertEqual(sum(pages, []), ["tie %02d" % i for i in newest], token)
            self.assertEqual(back, pages)
        # a green partner sorted by modified meets the last version it may see, not a newer
        # amber one, and nothing amber
        st, j = self.browse(token=self.tok["G"], sort="modified", order="desc", limit=100)
        got = {o["id"]: o["modified"] for o in j["objects"]}
        self.assertEqual(got[self.versioned["id"]], "2024-01-01T00:00:00.000Z")
        self.assertEqual(j["total"], len(got))
        self.assertFalse({self.amber["id"], self.red["id"], self.relto["id"]} & set(got))

    def test_filters(self):
        st, j = self.browse(type="indicator", tlp="green", limit=100)
        self.assertEqual(self.names(j), ["ind %02d" % i for i in range(0, 30, 3)])
        self.assertEqual(j["total"], 10)
        st, j = self.browse(creator=CREATOR, limit=100)
        self.assertEqual(self.names(j), ["ind %02d" % i for i in range(0, 30, 5)])
        st, j = self.browse(type="indicator", modified_from="2024-01-25", modified_to="2024-01-27")
        self.assertEqual(sorted(self.names(j)), ["ind 03", "ind 04", "ind 05"])
        st, j = self.browse(added_after="2099-01-01T00:00:00Z")
        self.assertEqual((j["total"], j["objects"]), (0, []))
        st, j = self.browse(type="indicator", added_after="2000-01-01T00:00:00Z", limit=1)
        self.assertEqual(j["total"], 30)
        st, j = self.browse(text="katiba")
        self.assertEqual(self.names(j), ["Katiba Macina"])
        st, j = self.browse(tlp="red,none", type="intrusion-set")
        self.assertEqual(self.names(j), ["Source"])
        # the last version only, counted once
        st, j = self.browse(type="malware")
        self.assertEqual((j["total"], [o["modified"] for o in j["objects"]]),
                         (1, ["2024-02-01T00:00:00.000Z"]))

    def test_partner_counts_only_what_it_may_see(self):
        st, j = self.browse(token=self.tok["G"], limit=100)
        self.assertEqual(st, 200, j)
        ids = {o["id"] for o in j["objects"]}
        self.assertEqual(j["total"], len(ids))
        self.assertNotIn(self.red["id"], ids)
        self.assertNotIn(self.amber["id"], ids)
        self.assertNotIn(self.relto["id"], ids)
        # the malware's green first version is the last one G may see
        self.assertIn(self.versioned["id"], ids)
        st, j = self.browse(token=self.tok["G"], type="intrusion-set")
        self.assertEqual((j["total"], j["position"], j["objects"]), (0, 0, []))
        st, j = self.browse(token=self.tok["G"], type="indicator", tlp="amber")
        self.assertEqual(j["total"], 0)
        st, j = self.get("/liaison/browse/b", token=self.tok["G"])
        self.assertEqual(st, 404)

    def test_bad_input(self):
        st, j = self.browse(type="indicator", limit=5)
        for q in ({"sort": "name"}, {"order": "up"}, {"tlp": "purple"}, {"creator": "bob"},
                  {"type": "Not A Type"}, {"text": "ab"}, {"modified_from": "yesterday"},
                  {"modified_from": "2024-02-01", "modified_to": "2024-01-01"},
                  {"added_after": "2024-13-01T00:00:00Z"},
                  {"limit": "0"}, {"foo": "1"}, {"next": "xyz"},
                  {"next": j["next"], "prev": j["next"]},
                  {"type": "report", "next": j["next"]},     # a token of another query
                  {"type": "indicator", "prev": j["next"]}):  # a next token is not a prev one
            st, e = self.browse(**q)
            self.assertEqual(st, 400, (q, e))
            self.assertIn("description", e)
        # each error names what is wrong, in words a user can act on
        for q, words in (({"sort": "name"}, "sort is added or modified"),
                         ({"sort": "MODIFIED"}, "sort is added or modified"),
                         ({"order": "newest"}, "order is asc or desc"),
                         ({"modified_from": "yesterday"}, "modified_from"),
                         ({"modified_to": "2024-02-30"}, "modified_to"),
                         ({"modified_from": "2024-01-01T25:00:00Z"}, "modified_from"),
                         ({"modified_from": "2024-02-01", "modified_to": "2024-01-01"},
                          "modified_from is after modified_to")):
            st, e = self.browse(**q)
            self.assertEqual(st, 400, (q, e))
            self.assertIn(words, e["description"], q)
        st, e = self.get("/liaison/browse/nope")
        self.assertEqual(st, 404)
        st, _, _ = self.s.request("POST", "/liaison/browse/a", body=b"{}")
        self.assertEqual(st, 405)

    def neighbours(self, oid, token=None, **q):
        st, j = self.get("/liaison/neighbours/a/" + oid, token=token, **q)
        self.assertEqual(st, 200, j)
        return j

    def test_neighbours_through_the_gate(self):
        g = self.green["id"]
        ids = {o["id"] for o in self.neighbours(g)["objects"]}
        self.assertEqual(ids, {self.rel["id"], self.red_rel["id"], self.amber["id"]})
        ids = {o["id"] for o in self.neighbours(g, token=self.tok["G"])["objects"]}
        self.assertEqual(ids, {self.rel["id"]})
        ids = {o["id"] for o in self.neighbours(g, token=self.tok["R"])["objects"]}
        self.assertEqual(ids, {self.rel["id"], self.red_rel["id"], self.amber["id"]})
        # the note lists the report: the report's neighbours
        self.assertEqual([o["id"] for o in self.neighbours(self.amber["id"])["objects"]],
                         [self.note["id"]])
        # a page at a time
        j = self.neighbours(g, limit=2)
        self.assertTrue(j["more"])
        j2 = self.neighbours(g, limit=2, next=j["next"])
        self.assertEqual(len(j["objects"]) + len(j2["objects"]), 3)
        self.assertFalse(j2["more"])
        for bad in ({"limit": "0"}, {"next": "x"}, {"foo": "1"}):
            st, _ = self.get("/liaison/neighbours/a/" + g, **bad)
            self.assertEqual(st, 400, bad)
        self.assertEqual(self.get("/liaison/neighbours/a/nope")[0], 400)
        self.assertEqual(self.get("/liaison/neighbours/b/" + g, token=self.tok["G"])[0], 404)

    def audience(self, oid, token=None):
        st, j = self.get("/liaison/audience/a/" + oid, token=token)
        self.assertEqual(st, 200, j)
        return {p["name"]: (p["visible"], p["reason"]) for p in j["partners"]}, j

    def test_audience_by_the_gate(self):
        a, _ = self.audience(self.green["id"])
        self.assertEqual(a, {"G": (True, None), "Am": (True, None), "R": (True, None),
                             "D": (False, "disabled"), "N": (False, "collection")})
        a, _ = self.audience(self.amber["id"])
        self.assertEqual(a["G"], (False, "clearance"))
        self.assertEqual(a["Am"], (True, None))
        a, _ = self.audience(self.red["id"])
        self.assertEqual((a["G"], a["Am"], a["R"]),
                         ((False, "marking"), (False, "marking"), (True, None)))
        a, _ = self.audience(self.relto["id"])
        self.assertEqual((a["G"], a["Am"], a["R"]),
                         ((False, "marking"), (True, None), (False, "marking")))

    def test_audience_of_versions(self):
        _, j = self.audience(self.versioned["id"])
        by = {p["name"]: p for p in j["partners"]}
        self.assertEqual((by["G"]["version"], by["G"]["latest"]),
                         ("2024-01-01T00:00:00.000Z", False))
        self.assertEqual((by["Am"]["version"], by["Am"]["latest"]),
                         ("2024-02-01T00:00:00.000Z", True))

    def preview(self, obj, token=None):
        st, _, b = self.s.request("POST", "/liaison/audience/a", body=json.dumps(obj).encode(),
                                  token=token, content_type="application/json")
        return st, json.loads(b)

    def test_audience_preview_is_the_gate_after_storing(self):
        rel_id = "marking-definition--7d3f0a6e-98c1-4d1e-bd43-3f2b51a0c001"
        drafts = [
            sdo("campaign", name="p green", object_marking_refs=[GREEN]),
            sdo("campaign", name="p amber", object_marking_refs=[AMBER]),
            sdo("campaign", name="p unmarked"),
            sdo("campaign", name="p red", object_marking_refs=[RED],
                extensions={HANDLING: {"extension_type": "property-extension",
                                       "red_recipients": [self.ident["R"]]}}),
            sdo("campaign", name="p rel", object_marking_refs=[GREEN, rel_id]),
            sdo("campaign", name="p group", object_marking_refs=[GREEN, self.group]),
            sdo("campaign", name="p unknown",
                object_marking_refs=[GREEN, "marking-definition--00000000-0000-4000-8000-000000000000"]),
        ]
        previews = []
        for d in drafts:
            st, j = self.preview(d)
            self.assertEqual(st, 200, j)
            previews.append({p["name"]: (p["visible"], p["reason"]) for p in j["partners"]})
        # nothing was stored by the previews
        st, j = self.browse(type="campaign", text="p green")
        self.assertEqual(j["total"], 0)
        st, _, b = self.s.post_objects("a", drafts[:6])
        self.assertEqual(st, 202, b)
        for d, pv in zip(drafts[:6], previews):
            after, _ = self.audience(d["id"])
            self.assertEqual(pv, after, d["name"])
        self.assertEqual(previews[0]["G"], (True, None))
        self.assertEqual(previews[1]["G"], (False, "clearance"))
        self.assertEqual(previews[3]["Am"], (False, "marking"))
        self.assertEqual(previews[4]["Am"], (True, None))
        # released to a group: its members only (Am), whatever their clearance allows
        self.assertEqual((previews[5]["G"], previews[5]["Am"], previews[5]["R"]),
                         ((False, "marking"), (True, None), (False, "marking")))
        # a marking the store does not hold releases to nobody
        self.assertTrue(all(not v for v, _ in previews[6].values()), previews[6])
        # refused: a partner; a body that is not an object with an id
        st, j = self.preview(drafts[0], token=self.tok["Am"])
        self.assertEqual(st, 403, j)
        for bad in ([], {"type": "campaign"}, {"type": "campaign", "id": "nope"}):
            st, j = self.preview(bad)
            self.assertEqual(st, 400, (bad, j))
        st, _, b = self.s.request("POST", "/liaison/audience/a", body=b"{not json",
                                  content_type="application/json")
        self.assertEqual(st, 400)

    def test_audience_refused(self):
        st, j = self.get("/liaison/audience/a/" + self.green["id"], token=self.tok["G"])
        self.assertEqual(st, 403, j)
        st, j = self.get("/liaison/audience/a/indicator--00000000-0000-4000-8000-000000000000")
        self.assertEqual(st, 404, j)
        st, j = self.get("/liaison/audience/a/not-an-id")
        self.assertEqual(st, 400, j)
        st, j = self.get("/liaison/audience/b/" + self.green["id"])
        self.assertEqual(st, 404, j)


if __name__ == "__main__":
    harness.main()
