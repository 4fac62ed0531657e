"""Filters and paging over a collection of 2,500 object versions: added_after,
limit, next (also across a restart), match[id|type|version|spec_version], and
the X-TAXII-Date-Added-First/Last headers of every page."""
import os
import re
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, ROOT, main, sdo  # noqa: E402

TS6 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
D = S = None
CID = None
MAN = []        # every manifest entry (all versions), date_added order
POSTED = {}     # (id, version) -> object
MULTI = []      # ids with three versions
VERS = ["2024-01-01T00:00:00.000Z", "2024-06-01T12:30:00.123Z", "2025-01-01T00:00:00.000Z"]
TYPES = ["indicator", "malware", "identity", "campaign", "tool"]


def setUpModule():
    global D, S, CID, MAN
    D = DataDir()
    CID = D.collection("Filters", alias="filters")
    S = Server(D, sets=["max_page_size=1000", "default_page_size=100", "max_filter_values=50"]).start()
    # 50 objects with three versions each (one version per bundle) + 2,350 single versions
    multi = [str(uuid.uuid4()) for _ in range(50)]
    MULTI.extend("indicator--" + u for u in multi)
    n_single = 0
    for b in range(5):
        objs = []
        if b < 3:
            objs += [sdo("indicator", id_="indicator--" + u, modified=VERS[b]) for u in multi]
        while len(objs) < 500 and n_single < 2350:
            objs.append(sdo(TYPES[n_single % len(TYPES)]))
            n_single += 1
        st, _, j = S.post_objects(CID, objs)
        assert st == 202 and j["success_count"] == len(objs) and j["failure_count"] == 0, j
        for o in objs:
            POSTED[(o["id"], o["modified"])] = o
    MAN = S.manifest_all(CID)


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


def url(endpoint="objects/", **params):
    return ROOT + "collections/%s/%s?%s" % (CID, endpoint, urllib.parse.urlencode(params))


class Filters(TaxiiCase):
    def get(self, u):
        st, hd, body = S.request("GET", u)
        return self.assertOk((st, hd, body)), hd

    def test_01_date_added_precision_and_order(self):
        self.assertEqual(len(MAN), 2500)
        self.assertEqual(len(POSTED), 2500)
        self.assertEqual({(m["id"], m["version"]) for m in MAN}, set(POSTED))
        for m in MAN:
            self.assertRegex(m["date_added"], TS6)
        dates = [m["date_added"] for m in MAN]
        for a, b in zip(dates, dates[1:]):
            self.assertLess(a, b, "date_added must be strictly increasing")

    def test_02_added_after_paging_never_skips_nor_repeats(self):
        for endpoint, version in (("objects/", "all"), ("manifest/", "all"), ("objects/", "last")):
            seen = []
            after = None
            for _ in range(200):
                params = {"limit": "173", "match[version]": version}
                if after:
                    params["added_after"] = after
                j, hd = self.get(url(endpoint, **params))
                items = j.get("objects", [])
                if not items:
                    self.assertIsNone(hd.get("X-TAXII-Date-Added-Last"))
                    break
                keys = [(o["id"], o.get("modified", o.get("version"))) for o in items]
                seen += keys
                after = hd.get("X-TAXII-Date-Added-Last")
                self.assertIsNotNone(after)
            expect = [(m["id"], m["version"]) for m in MAN]
            if version == "last":
                last = {}
                for k in expect:
                    last[k[0]] = k
                expect = [k for k in expect if last[k[0]] == k]
            self.assertEqual(seen, expect, endpoint + version)

    def test_03_added_after_is_strict(self):
        k = 1234
        j, hd = self.get(url("manifest/", added_after=MAN[k]["date_added"], limit="3", **{"match[version]": "all"}))
        self.assertEqual(j["objects"], MAN[k + 1:k + 4])
        self.assertIs(j["more"], True)
        self.assertEqual(hd.get("X-TAXII-Date-Added-First"), MAN[k + 1]["date_added"])
        self.assertEqual(hd.get("X-TAXII-Date-Added-Last"), MAN[k + 3]["date_added"])
        j, hd = self.get(url("manifest/", added_after=MAN[-1]["date_added"]))
        self.assertEqual(j, {"more": False})
        # a timestamp with fewer digits works too (before everything: all)
        j, _ = self.get(url("manifest/", added_after="2000-01-01T00:00:00Z", limit="2", **{"match[version]": "all"}))
        self.assertEqual(j["objects"], MAN[:2])

    def test_04_limit(self):
        j, hd = self.get(url(limit="5", **{"match[version]": "all"}))
        self.assertEqual(len(j["objects"]), 5)
        self.assertIs(j["more"], True)
        self.assertIn("next", j)
        self.assertEqual(hd.get("X-TAXII-Date-Added-First"), MAN[0]["date_added"])
        self.assertEqual(hd.get("X-TAXII-Date-Added-Last"), MAN[4]["date_added"])
        j, _ = self.get(url("manifest/", limit="5000", **{"match[version]": "all"}))
        self.assertEqual(len(j["objects"]), 1000)  # capped at max_page_size
        self.assertIs(j["more"], True)
        j, _ = self.get(url("manifest/", **{"match[version]": "all"}))
        self.assertEqual(len(j["objects"]), 100)  # default_page_size
        for bad in ("0", "-1", "abc", "1.5", "", "99999999999999999999999"):
            self.assertTaxiiError(S.request("GET", url(limit=bad)), 400)

    def test_05_next_to_the_end_and_headers(self):
        for endpoint in ("objects/", "manifest/"):
            seen = []
            nxt = None
            page = 0
            for _ in range(100):
                params = {"limit": "97", "match[version]": "all"}
                if nxt:
                    params["next"] = nxt
                j, hd = self.get(url(endpoint, **params))
                items = j["objects"]
                exp = MAN[page * 97:(page + 1) * 97]
                self.assertEqual(len(items), len(exp))
                self.assertEqual(hd.get("X-TAXII-Date-Added-First"), exp[0]["date_added"])
                self.assertEqual(hd.get("X-TAXII-Date-Added-Last"), exp[-1]["date_added"])
                seen += [(o["id"], o.get("modified", o.get("version"))) for o in items]
                page += 1
                if not j["more"]:
                    self.assertNotIn("next", j)
                    break
                nxt = j["next"]
                self.assertRegex(nxt, r"^[A-Za-z0-9_-]+$")
            self.assertEqual(seen, [(m["id"], m["version"]) for m in MAN])
            self.assertEqual(len(seen), len(set(seen)))
        # objects are returned verbatim
        j, _ = self.get(url(limit="50", **{"match[version]": "all"}))
        for o in j["objects"]:
            self.assertEqual(o, POSTED[(o["id"], o["modified"])])

    def test_06_next_survives_restart(self):
        j1, _ = self.get(url(limit="10", **{"match[type]": "malware"}))
        nxt = j1["next"]
        j2, hd2 = self.get(url(limit="10", next=nxt, **{"match[type]": "malware"}))
        S.restart()
        j3, hd3 = self.get(url(limit="10", next=nxt, **{"match[type]": "malware"}))
        self.assertEqual(j3, j2)
        self.assertEqual(hd3.get("X-TAXII-Date-Added-First"), hd2.get("X-TAXII-Date-Added-First"))
        self.assertNotEqual(j2["objects"][0], j1["objects"][0])

    def test_07_match_id(self):
        ids = [MAN[10]["id"], MAN[700]["id"], MAN[2400]["id"]]
        j, _ = self.get(url(**{"match[id]": ",".join(ids), "match[version]": "all"}))
        self.assertEqual(sorted({o["id"] for o in j["objects"]}), sorted(set(ids)))
        j, _ = self.get(url(**{"match[id]": MULTI[0], "match[version]": "all"}))
        self.assertEqual([o["modified"] for o in j["objects"]], VERS)
        j, _ = self.get(url(**{"match[id]": "indicator--00000000-0000-4000-8000-000000000000"}))
        self.assertEqual(j, {"more": False})
        # more values than max_filter_values
        many = ",".join("indicator--%s" % uuid.uuid4() for _ in range(51))
        self.assertTaxiiError(S.request("GET", url(**{"match[id]": many})), 400)

    def test_08_match_type(self):
        j = S.objects_all(CID, {"match[type]": "malware,identity"})
        types = {o["type"] for o in j}
        self.assertEqual(types, {"malware", "identity"})
        self.assertEqual(len(j), 940)  # 2,350 singles over 5 types: 470 each
        self.assertEqual(len(S.objects_all(CID, {"match[type]": "x-unknown-type"})), 0)
        self.assertEqual(len(S.objects_all(CID, {"match[type]": "indicator"})), 470 + 50)

    def test_09_match_version(self):
        oid = MULTI[3]

        def versions(v):
            j, _ = self.get(url(**{"match[id]": oid, "match[version]": v}))
            return [o["modified"] for o in j.get("objects", [])]
        self.assertEqual(versions("last"), [VERS[2]])
        self.assertEqual(versions("first"), [VERS[0]])
        self.assertEqual(versions("all"), VERS)
        self.assertEqual(versions(VERS[1]), [VERS[1]])
        self.assertEqual(versions("first,last"), [VERS[0], VERS[2]])
        self.assertEqual(versions("%s,%s" % (VERS[0], VERS[1])), VERS[:2])
        self.assertEqual(versions("last," + VERS[0]), [VERS[0], VERS[2]])
        self.assertEqual(versions("2023-01-01T00:00:00.000Z"), [])
        # default: last version only, for every object
        j = S.objects_all(CID)
        self.assertEqual(len(j), 2400)
        by_id = {o["id"]: o for o in j}
        self.assertEqual(by_id[oid]["modified"], VERS[2])
        # on the object endpoint and in the manifest too
        j, _ = self.get(ROOT + "collections/%s/objects/%s/?match[version]=first" % (CID, oid))
        self.assertEqual([o["modified"] for o in j["objects"]], [VERS[0]])
        j, _ = self.get(url("manifest/", **{"match[id]": oid, "match[version]": "all"}))
        self.assertEqual([m["version"] for m in j["objects"]], VERS)

    def test_10_match_spec_version(self):
        j, _ = self.get(url("manifest/", limit="1000", **{"match[spec_version]": "2.1"}))
        self.assertEqual(len(j["objects"]), 1000)
        j, _ = self.get(url("manifest/", **{"match[spec_version]": "2.0"}))
        self.assertEqual(j, {"more": False})
        j, _ = self.get(url("manifest/", limit="7", **{"match[spec_version]": "2.0,2.1"}))
        self.assertEqual(len(j["objects"]), 7)
        for m in j["objects"]:
            self.assertEqual(m["media_type"], "application/stix+json;version=2.1")

    def test_11_combined_filters_with_next(self):
        params = {"match[type]": "tool,campaign", "added_after": MAN[500]["date_added"], "limit": "40"}
        got = []
        nxt = None
        for _ in range(100):
            p = dict(params)
            if nxt:
                p["next"] = nxt
            j, _ = self.get(url(**p))
            got += [o["id"] for o in j.get("objects", [])]
            if not j["more"]:
                break
            nxt = j["next"]
        expect = [m["id"] for m in MAN[501:] if m["id"].split("--")[0] in ("tool", "campaign")]
        self.assertEqual(got, expect)


if __name__ == "__main__":
    main()
