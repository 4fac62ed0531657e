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
        run_cli("collection", "add", "--data", d.path, "--title", "A", "--alias", "a")
        run_cli("collection", "add", "--data", d.path, "--title", "B", "--alias", "b")
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

    def test_bad_queries(self):
        for q in ({}, {"q": "ab"}, {"q": "x" * 600}, {"q": "isis", "foo": "1"}, {"q": "isis", "limit": "0"}):
            st, j = self.search(**q)
            self.assertEqual(st, 400, (q, j))


if __name__ == "__main__":
    harness.main()
