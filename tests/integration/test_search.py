"""Search across names, aliases and report text, after Arabic and Latin
normalisation, through the same gate as every read."""
import json
import urllib.parse

import harness
from harness import TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


class SearchTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        cls.a = run_cli("collection", "add", "--data", d.path, "--title", "A", "--alias", "a").stdout.split()[-1]
        cls.b = run_cli("collection", "add", "--data", d.path, "--title", "B", "--alias", "b").stdout.split()[-1]
        run_cli("partner", "add", "--data", d.path, "--name", "G", "--clearance", "green")
        for c in ("a", "b"):
            run_cli("grant", "--data", d.path, "--collection", c, "--partner", "G", "--read")
        cls.g = run_cli("token", "issue", "--data", d.path, "--partner", "G").stdout.split()[-1]
        cls.s = harness.Server(d).start()
        cls.actor = sdo("threat-actor", name="Islamic State", threat_actor_types=["terrorist"],
                        aliases=["ISIS", "ISIL", "داعش", "الدولة الإسلامية"], object_marking_refs=[GREEN])
        cls.report = sdo("report", name="Cells dismantled", published="2026-11-01T00:00:00Z",
                         object_refs=[cls.actor["id"]], object_marking_refs=[AMBER],
                         description="خلايا تجنيد مرتبطة بتنظيم الدولة الإسلامية في العراق والشام")
        cls.secret = sdo("intrusion-set", name="الدولة الإسلامية — مصدر", object_marking_refs=[RED])
        cls.other = sdo("malware", name="Unrelated", is_family=False, object_marking_refs=[GREEN])
        cls.green_b = sdo("campaign", name="ISIS in the Sahel", object_marking_refs=[GREEN])
        cls.s.post_objects("a", [cls.actor, cls.report, cls.secret, cls.other])
        cls.s.post_objects("b", [cls.green_b])
        cls.both = sdo("intrusion-set", name="Katiba Shared", object_marking_refs=[GREEN],
                       created_by_ref="identity--0b6a1a52-7b0e-4d55-9d52-8f6d7c5f9a11")
        cls.s.post_objects("a", [cls.both])
        cls.s.post_objects("b", [cls.both])

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def search(self, token=None, **q):
        st, hd, b = self.s.request("GET", "/liaison/search?" + urllib.parse.urlencode(q), token=token)
        return st, json.loads(b)

    def ids(self, j):
        return {r["object"]["id"] for r in j["results"]}

    def test_arabic_normalisation(self):
        st, j = self.search(q="الاسلامية")  # no hamza, as people type it
        self.assertEqual(st, 200, j)
        self.assertEqual(self.ids(j), {self.actor["id"], self.report["id"], self.secret["id"]})
        st, j = self.search(q="داعش")
        self.assertEqual(self.ids(j), {self.actor["id"]})

    def test_latin_case(self):
        st, j = self.search(q="isis")
        self.assertEqual(self.ids(j), {self.actor["id"], self.green_b["id"]})
        st, j = self.search(q="isis", collection="b")
        self.assertEqual(self.ids(j), {self.green_b["id"]})

    def test_partner_sees_only_what_it_may(self):
        st, j = self.search(token=self.g, q="الاسلامية")
        self.assertEqual(self.ids(j), {self.actor["id"]})
        st, j = self.search(token=self.g, q="مصدر")
        self.assertEqual(j["results"], [])

    def test_paging(self):
        seen, nxt = [], None
        for _ in range(10):
            q = {"q": "isis", "limit": "1"}
            if nxt:
                q["next"] = nxt
            st, j = self.search(**q)
            self.assertEqual(st, 200, j)
            seen += [r["object"]["id"] for r in j["results"]]
            if not j["more"]:
                break
            nxt = j["next"]
        self.assertEqual(sorted(seen), sorted([self.actor["id"], self.green_b["id"]]))
        st, j = self.search(q="isis", next=nxt[:-2] + "AA")
        self.assertEqual(st, 400)

    def test_grouped_by_entity(self):
        st, j = self.search(q="katiba shared")
        self.assertEqual(st, 200, j)
        self.assertEqual([(r["object"]["id"], r["collections"]) for r in j["results"]],
                         [(self.both["id"], [self.a, self.b])])
        st, j = self.search(q="katiba shared", collection="b")
        self.assertEqual([r["collections"] for r in j["results"]], [[self.b]])
        # one a page: still once
        st, j = self.search(q="katiba shared", limit="1")
        self.assertEqual(len(j["results"]), 1)
        if j["more"]:
            st, j2 = self.search(q="katiba shared", limit="1", next=j["next"])
            self.assertEqual(j2["results"], [])

    def facets(self, j):
        return {k: {f["value"]: f["count"] for f in v} for k, v in j["facets"].items()}

    def test_facets(self):
        st, j = self.search(q="الاسلامية")
        f = self.facets(j)
        self.assertEqual(f["type"], {"threat-actor": 1, "report": 1, "intrusion-set": 1})
        self.assertEqual(f["tlp"], {"green": 1, "amber": 1, "red": 1})
        self.assertEqual(f["collection"], {self.a: 3})
        st, j = self.search(q="katiba")
        f = self.facets(j)
        self.assertEqual(f["source"], {"identity--0b6a1a52-7b0e-4d55-9d52-8f6d7c5f9a11": 2})
        self.assertEqual(f["collection"], {self.a: 1, self.b: 1})
        # a partner's facets count only what it may see
        st, j = self.search(token=self.g, q="الاسلامية")
        f = self.facets(j)
        self.assertEqual((f["type"], f["tlp"]), ({"threat-actor": 1}, {"green": 1}))
        # the facets narrow the search
        st, j = self.search(q="الاسلامية", type="report")
        self.assertEqual(self.ids(j), {self.report["id"]})
        st, j = self.search(q="الاسلامية", tlp="red,green")
        self.assertEqual(self.ids(j), {self.actor["id"], self.secret["id"]})
        st, j = self.search(token=self.g, q="الاسلامية", tlp="red")
        self.assertEqual((j["results"], self.facets(j)["tlp"]), ([], {}))
        self.assertFalse(j["facets_partial"])
        # a next page has no facets
        st, j = self.search(q="isis", limit="1")
        st, j = self.search(q="isis", limit="1", next=j["next"])
        self.assertNotIn("facets", j)

    def test_like_metacharacters_are_literal(self):
        # %, _ and \ in q match themselves, never "any text" or "any character"
        objs = [sdo("malware", name=n, is_family=False, object_marking_refs=[GREEN])
                for n in ("Promo 50%off", "Promo 50xoff", "Drop snake_case", "Drop snakexcase",
                          "Path c:\\temp\\drop", "Path c:xtempxdrop")]
        self.s.post_objects("b", objs)
        for q, want in (("50%off", 0), ("snake_case", 2), ("c:\\temp\\", 4), ("50xoff", 1)):
            st, j = self.search(q=q)
            self.assertEqual(st, 200, j)
            self.assertEqual(self.ids(j), {objs[want]["id"]}, q)

    def test_bad_queries(self):
        for q in ({}, {"q": "ab"}, {"q": "x" * 600}, {"q": "isis", "foo": "1"}, {"q": "isis", "limit": "0"},
                  {"q": "isis", "type": "Bad Type"}, {"q": "isis", "tlp": "pink"},
                  {"q": "isis", "creator": "nobody"}):
            st, j = self.search(**q)
            self.assertEqual(st, 400, (q, j))


class FacetBoundTest(TaxiiCase):
    """search_facet_rows bounds the matches the facets count: the newest ones, and the answer
    says so; the results themselves are not bounded."""

    def test_partial_facets(self):
        d = harness.DataDir()
        s = harness.Server(d, sets=["search_facet_rows=2"]).start()
        try:
            d.collection("A", "a")
            d.collection("B", "b")
            objs = [sdo("malware", name="Bound %d" % i, is_family=False, object_marking_refs=[GREEN])
                    for i in range(3)]
            s.post_objects("a", objs[:2])
            s.post_objects("b", objs[2:])  # the newest, in the second collection
            st, hd, b = s.request("GET", "/liaison/search?q=bound")
            j = json.loads(b)
            self.assertEqual(st, 200, j)
            self.assertEqual(len(j["results"]), 3)
            self.assertTrue(j["facets_partial"])
            self.assertEqual(j["facets"]["type"], [{"value": "malware", "count": 2}])
            self.assertEqual(sum(f["count"] for f in j["facets"]["collection"]), 2)
            st, hd, b = s.request("GET", "/liaison/search?q=bound&collection=b")
            j = json.loads(b)
            self.assertFalse(j["facets_partial"])
            self.assertEqual(j["facets"]["type"], [{"value": "malware", "count": 1}])
        finally:
            s.stop()
            d.cleanup()


if __name__ == "__main__":
    harness.main()
