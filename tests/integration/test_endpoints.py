"""Happy paths of every TAXII 2.1 endpoint, status resources across a restart,
re-posting, and bundles with some bad objects."""
import json
import re
import sys
import os
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DataDir, Server, TaxiiCase, ROOT, TAXII, STIX, main, media_type, sdo)  # noqa: E402

TS6 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
D = S = None
CID = None


def setUpModule():
    global D, S, CID
    D = DataDir()
    CID = D.collection("Main collection", alias="main")
    S = Server(D, sets=["max_content_length=2097152", "title=integ-title"]).start()


def tearDownModule():
    try:
        if S:
            S.stop()
    finally:
        if D:
            D.cleanup()


def coll(c=None):
    return ROOT + "collections/%s/" % (c or CID)


class Endpoints(TaxiiCase):
    def check_date_headers(self, hd, first, last):
        self.assertEqual(hd.get("X-TAXII-Date-Added-First"), first)
        self.assertEqual(hd.get("X-TAXII-Date-Added-Last"), last)

    def test_01_discovery(self):
        j = self.assertOk(S.request("GET", "/taxii2/"))
        self.assertEqual(j["title"], "integ-title")
        self.assertEqual(j["default"], ROOT)
        self.assertEqual(j["api_roots"], [ROOT])

    def test_02_api_root(self):
        j = self.assertOk(S.request("GET", ROOT))
        self.assertEqual(j["max_content_length"], 2097152)
        self.assertEqual(j["versions"], [TAXII])
        self.assertEqual(j["title"], "integ-title")

    def test_03_collections(self):
        j = self.assertOk(S.request("GET", ROOT + "collections/"))
        mine = [c for c in j["collections"] if c["id"] == CID]
        self.assertEqual(len(mine), 1)
        c = mine[0]
        self.assertEqual(c["title"], "Main collection")
        self.assertEqual(c["alias"], "main")
        self.assertIs(c["can_read"], True)
        self.assertIs(c["can_write"], True)
        self.assertEqual(c["media_types"], [STIX])
        by_id = self.assertOk(S.request("GET", coll()))
        by_alias = self.assertOk(S.request("GET", coll("main")))
        self.assertEqual(by_id, c)
        self.assertEqual(by_alias, c)

    def test_04_post_get_status_restart_objects(self):
        c2 = D.collection("status")
        objs = [sdo("indicator"), sdo("malware"), sdo("identity")]
        st, hd, j = S.post_objects(c2, objs)
        self.assertEqual(st, 202, j)
        self.assertEqual(media_type(hd), TAXII)
        self.assertEqual(j["status"], "complete")
        self.assertEqual(j["total_count"], 3)
        self.assertEqual(j["success_count"], 3)
        self.assertEqual(j["failure_count"], 0)
        self.assertEqual(j["pending_count"], 0)
        self.assertEqual(j["failures"], [])
        self.assertEqual(j["pendings"], [])
        self.assertEqual(sorted(s["id"] for s in j["successes"]), sorted(o["id"] for o in objs))
        for s in j["successes"]:
            self.assertEqual(s["version"], "2024-01-01T00:00:00.000Z")
        sid = j["id"]
        self.assertRegex(sid, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        again = self.assertOk(S.request("GET", ROOT + "status/%s/" % sid))
        self.assertEqual(again, j)
        # the objects, verbatim, in date_added order, with the date headers of the page
        man = S.manifest_all(c2)
        self.assertEqual([m["id"] for m in man], [o["id"] for o in objs])
        st, hd, body = S.request("GET", coll(c2) + "objects/")
        got = self.assertOk((st, hd, body))
        self.assertIs(got["more"], False)
        self.assertNotIn("next", got)
        self.assertEqual(got["objects"], objs)
        self.check_date_headers(hd, man[0]["date_added"], man[-1]["date_added"])
        # status and objects survive a restart
        S.restart()
        again = self.assertOk(S.request("GET", ROOT + "status/%s/" % sid))
        self.assertEqual(again, j)
        got2 = self.assertOk(S.request("GET", coll(c2) + "objects/"))
        self.assertEqual(got2, got)

    def test_05_objects_media_types(self):
        c3 = D.collection("media")
        o = sdo("indicator")
        self.assertEqual(S.post_objects(c3, [o])[0], 202)
        for accept, want in ((None, TAXII), (STIX, STIX), (TAXII, TAXII),
                             ("application/stix+json", STIX), ("application/taxii+json", TAXII),
                             ("*/*", TAXII), ("text/html, application/stix+json;version=2.1", STIX)):
            st, hd, body = S.request("GET", coll(c3) + "objects/", accept=accept)
            self.assertEqual(st, 200, (accept, body))
            self.assertEqual(media_type(hd), want, accept)
            self.assertEqual(json.loads(body)["objects"], [o])
        # the stix media type may be POSTed too
        st, _, j = S.post_objects(c3, [sdo("malware")], content_type=STIX)
        self.assertEqual(st, 202, j)

    def test_06_object_versions_manifest_delete(self):
        c4 = D.collection("versions")
        oid = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        vers = ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
        objs = [sdo("indicator", id_=oid, modified=v, name="v%d" % i) for i, v in enumerate(vers)]
        for o in objs:  # three POSTs: three status resources, three date_added
            st, _, j = S.post_objects(c4, [o])
            self.assertEqual((st, j["success_count"]), (202, 1))
        other = sdo("malware")
        S.post_objects(c4, [other])
        # versions
        st, hd, body = S.request("GET", coll(c4) + "objects/%s/versions/" % oid)
        j = self.assertOk((st, hd, body))
        self.assertEqual(j, {"more": False, "versions": vers})
        man = S.manifest_all(c4)
        mine = [m for m in man if m["id"] == oid]
        self.assertEqual(len(mine), 3)
        self.check_date_headers(hd, mine[0]["date_added"], mine[-1]["date_added"])
        for m in man:
            self.assertEqual(set(m), {"id", "date_added", "version", "media_type"})
            self.assertRegex(m["date_added"], TS6)
            self.assertEqual(m["media_type"], STIX)
        self.assertEqual([m["version"] for m in mine], vers)
        # date_added strictly increasing
        self.assertEqual([m["date_added"] for m in man], sorted(set(m["date_added"] for m in man)))
        # the default manifest and objects show the last version only
        st, hd, body = S.request("GET", coll(c4) + "manifest/")
        j = self.assertOk((st, hd, body))
        self.assertEqual([(m["id"], m["version"]) for m in j["objects"]],
                         [(oid, vers[2]), (other["id"], other["modified"])])
        self.check_date_headers(hd, j["objects"][0]["date_added"], j["objects"][-1]["date_added"])
        # object by id: last version; match[version]=all: three; first; a timestamp
        st, hd, body = S.request("GET", coll(c4) + "objects/%s/" % oid)
        j = self.assertOk((st, hd, body))
        self.assertEqual(j, {"more": False, "objects": [objs[2]]})
        self.check_date_headers(hd, mine[2]["date_added"], mine[2]["date_added"])
        j = self.assertOk(S.request("GET", coll(c4) + "objects/%s/?match[version]=all" % oid))
        self.assertEqual(j["objects"], objs)
        j = self.assertOk(S.request("GET", coll(c4) + "objects/%s/?match[version]=first" % oid))
        self.assertEqual(j["objects"], [objs[0]])
        j = self.assertOk(S.request("GET", coll(c4) + "objects/%s/?match[version]=%s" % (oid, vers[1])))
        self.assertEqual(j["objects"], [objs[1]])
        # DELETE one version
        st, hd, body = S.request("DELETE", coll(c4) + "objects/%s/?match[version]=%s" % (oid, vers[1]))
        self.assertEqual(st, 200, body)
        j = self.assertOk(S.request("GET", coll(c4) + "objects/%s/versions/" % oid))
        self.assertEqual(j["versions"], [vers[0], vers[2]])
        # DELETE the rest, then 404 everywhere for it; the other object remains
        st, hd, body = S.request("DELETE", coll(c4) + "objects/%s/" % oid)
        self.assertEqual(st, 200, body)
        self.assertTaxiiError(S.request("GET", coll(c4) + "objects/%s/" % oid), 404)
        self.assertTaxiiError(S.request("GET", coll(c4) + "objects/%s/versions/" % oid), 404)
        self.assertTaxiiError(S.request("DELETE", coll(c4) + "objects/%s/" % oid), 404)
        self.assertEqual([m["id"] for m in S.manifest_all(c4)], [other["id"]])

    def test_07_repost_same_version(self):
        c5 = D.collection("repost")
        objs = [sdo("indicator"), sdo("identity")]
        st, _, j1 = S.post_objects(c5, objs)
        self.assertEqual((st, j1["success_count"]), (202, 2))
        before = S.manifest_all(c5)
        st, _, j2 = S.post_objects(c5, objs)
        self.assertEqual(st, 202, j2)
        self.assertEqual(j2["failure_count"], 0)
        self.assertEqual(j2["success_count"], 2)
        self.assertNotEqual(j2["id"], j1["id"])
        after = S.manifest_all(c5)
        self.assertEqual(after, before)
        # the same object twice in one bundle is stored once
        o = sdo("malware")
        st, _, j3 = S.post_objects(c5, [o, o])
        self.assertEqual((st, j3["total_count"], j3["failure_count"]), (202, 2, 0))
        self.assertEqual(len(S.manifest_all(c5)), 3)

    def test_08_partial_bundle(self):
        c6 = D.collection("partial")
        good = [sdo("indicator"), sdo("malware")]
        bad_created = sdo("identity", created="2022-101-27T00:00:00.000Z")
        no_spec = sdo("campaign")
        del no_spec["spec_version"]
        bad_id = sdo("tool", id_="tool--not-a-uuid")
        no_type = sdo("identity")
        del no_type["type"]
        body = {"type": "bundle", "id": "bundle--6a3b2cf5-a3f7-4d61-9d23-5ab1e4c17f36",
                "objects": [good[0], bad_created, no_spec, bad_id, good[1], no_type]}
        st, hd, j = S.post_objects(c6, body, envelope=False)
        self.assertEqual(st, 202, j)
        self.assertEqual(j["total_count"], 6)
        self.assertEqual(j["success_count"], 2)
        self.assertEqual(j["failure_count"], 4)
        self.assertEqual([s["id"] for s in j["successes"]], [g["id"] for g in good])
        fails = {f["id"]: f for f in j["failures"]}
        for o in (bad_created, no_spec, bad_id):
            self.assertIn(o["id"], fails)
            self.assertTrue(fails[o["id"]].get("message"), fails[o["id"]])
        self.assertIn("created", fails[bad_created["id"]]["message"])
        self.assertIn("2.0", fails[no_spec["id"]]["message"])
        self.assertIn("id", fails[bad_id["id"]]["message"])
        self.assertEqual(len(j["failures"]), 4)
        self.assertEqual([m["id"] for m in S.manifest_all(c6)], [g["id"] for g in good])
        self.assertEqual(self.assertOk(S.request("GET", ROOT + "status/%s/" % j["id"])), j)

    def test_09_head_and_healthz(self):
        st, hd, body = S.request("GET", "/healthz", auth=False)
        self.assertEqual((st, json.loads(body)), (200, {"status": "ok"}))
        st, hd, body = S.request("HEAD", ROOT + "collections/")
        self.assertEqual(st, 200)
        self.assertEqual(media_type(hd), TAXII)

    def test_10_empty_answers(self):
        c7 = D.collection("empty")
        st, hd, body = S.request("GET", coll(c7) + "objects/")
        self.assertEqual(self.assertOk((st, hd, body)), {"more": False})
        self.assertIsNone(hd.get("X-TAXII-Date-Added-First"))
        st, hd, body = S.request("GET", coll(c7) + "manifest/")
        self.assertEqual(self.assertOk((st, hd, body)), {"more": False})
        # an empty envelope is fine: nothing stored
        st, _, j = S.post_objects(c7, [])
        self.assertEqual((st, j["total_count"], j["success_count"]), (202, 0, 0))
        self.assertEqual(S.manifest_all(c7), [])
        self.assertTaxiiError(S.request("GET", coll(c7) + "objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/"), 404)
        self.assertTaxiiError(S.request("GET", ROOT + "status/00000000-0000-4000-8000-000000000000/"), 404)

    def test_11_every_store_connection_sees_committed_changes(self):
        """Writes through one pooled store connection (or by the CLI) are seen by all of them."""
        import concurrent.futures

        def burst(fn, n=24):
            with concurrent.futures.ThreadPoolExecutor(6) as ex:
                return list(ex.map(lambda _: fn(), range(n)))
        for _ in range(4):
            o = sdo("indicator")
            st, _, j = S.post_objects(CID, [o])
            self.assertEqual(st, 202)
            got = burst(lambda: S.request("GET", coll() + "objects/%s/" % o["id"])[0])
            self.assertEqual(got, [200] * len(got), "a committed object is missing on some connections")
        cnew = D.collection("added while serving")
        got = burst(lambda: S.request("GET", coll(cnew))[0])
        self.assertEqual(got, [200] * len(got), "a collection added by the CLI is missing on some connections")
        _, tok = D.token()
        got = burst(lambda: S.request("GET", ROOT, token=tok)[0])
        self.assertEqual(got, [200] * len(got), "a token issued by the CLI is refused on some connections")


if __name__ == "__main__":
    main()
