"""The flows query and corroboration (docs/flows.md, issue 19 second half), the issue's story
against real servers: Algiers records weapons and fighters moving Libya -> northern Mali
(graded B2) and money Libya -> northern Mali through Niger (graded C3, REL TO Bamako);
Washington, on its own instance, reports fighters Libya -> Mali (A2); Algiers pulls it.
Algiers' query "into the Sahel" then shows the weapons edge with one source and the fighters
edge with two corroborating sources (Washington's flow, into Mali, and Algiers', into northern
Mali, meet at country level); Washington, reading Algiers' server as a partner, sees only the
edges of flows it may see, and a flow hidden from it changes none of its counts; what it was
shown is on record. The CLI answers the same; bad parameters are refused and change nothing."""
import json
import os
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, main, run_cli  # noqa: E402

FLOW_EXT = "extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7"
GRADING = "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
PLACES_NS = uuid.UUID("8e4b2f61-0c3d-4a97-b51e-6a70d239c45f")
T = "2026-03-02T09:30:00.000Z"


def gazetteer_location(key, name, country):
    """A location as intake makes it: its id is the UUIDv5 of its gazetteer key."""
    return {"type": "location", "spec_version": "2.1", "id": "location--%s" % uuid.uuid5(PLACES_NS, key),
            "created": T, "modified": T, "name": name, "country": country}


def location(name, country):
    return {"type": "location", "spec_version": "2.1", "id": "location--%s" % uuid.uuid4(),
            "created": T, "modified": T, "name": name, "country": country}


def flow(what, src, dst, grade, via=(), creator=None, **extra):
    o = {"type": "liaison-flow", "spec_version": "2.1", "id": "liaison-flow--%s" % uuid.uuid4(),
         "created": T, "modified": T, "commodities": list(what), "from_ref": src["id"],
         "to_ref": dst["id"], "first_seen": "2026-02-01T00:00:00Z", "last_seen": "2026-03-01T00:00:00Z",
         "extensions": {FLOW_EXT: {"extension_type": "new-sdo"},
                        GRADING: {"extension_type": "property-extension", "scale": "admiralty",
                                  "source_reliability": grade[0], "information_credibility": grade[1]}}}
    if via:
        o["via_refs"] = [v["id"] for v in via]
    if creator:
        o["created_by_ref"] = creator
    o.update(extra)
    return o


def rel_to(identity):
    return {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--%s" % uuid.uuid4(),
            "created": T, "name": "REL TO Bamako",
            "extensions": {RELEASABILITY: {"extension_type": "property-extension", "rel_to": [identity]}}}


def partner(data, name, clearance="amber", trust="B"):
    return run_cli("partner", "add", "--data", data.path, "--name", name, "--clearance", clearance,
                   "--trust", trust).stdout.strip()


def token(data, name):
    return run_cli("token", "issue", "--data", data.path, "--partner", name).stdout.strip().splitlines()[-1]


W = None


def setUpModule():
    global W
    W = World()


def tearDownModule():
    if W:
        W.cleanup()


class World:
    """Algiers (partners Washington and Bamako) and Washington (partner Algiers)."""

    def __init__(self):
        self.alg = DataDir()
        self.was = DataDir()
        self.servers = []
        a = self.alg.path
        self.coll = self.alg.collection("Flows", "flows")
        self.washington = partner(self.alg, "Washington", trust="A")
        self.bamako = partner(self.alg, "Bamako", trust="C")
        for p in ("Washington", "Bamako"):
            run_cli("grant", "--data", a, "--collection", "flows", "--partner", p, "--read")
        self.alg_srv = Server(self.alg).start()
        self.servers.append(self.alg_srv)
        self.us = self.alg_srv.get_json("/liaison/whoami")[2]["identity"]
        # Algiers' own reporting.
        self.libya = gazetteer_location("country-ly", "Libya", "LY")
        self.nmali = gazetteer_location("region-northern-mali", "northern Mali", "ML")
        self.niger = location("Niger", "NE")
        self.rel = rel_to(self.bamako)
        self.wf = flow(["weapons", "fighters"], self.libya, self.nmali, "B2", creator=self.us)
        self.money = flow(["money"], self.libya, self.nmali, "C3", via=[self.niger], creator=self.us,
                          object_marking_refs=[self.rel["id"]])
        st, _, j = self.alg_srv.post_objects(self.coll, [self.rel, self.libya, self.nmali, self.niger,
                                                         self.wf, self.money])
        assert st == 202 and j["failure_count"] == 0, j
        # Washington's instance: its flow, read by Algiers' pull.
        w = self.was.path
        self.was_coll = self.was.collection("Reporting", "reporting")
        partner(self.was, "Algiers")
        run_cli("grant", "--data", w, "--collection", "reporting", "--partner", "Algiers", "--read")
        self.was_srv = Server(self.was).start()
        self.servers.append(self.was_srv)
        self.w_libya = location("Libya", "LY")
        self.w_mali = location("Mali", "ML")
        self.w_fighters = flow(["fighters"], self.w_libya, self.w_mali, "A2", creator=self.washington)
        st, _, j = self.was_srv.post_objects(self.was_coll, [self.w_libya, self.w_mali, self.w_fighters])
        assert st == 202 and j["failure_count"] == 0, j
        run_cli("peer", "add", "--data", a, "--name", "washington", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.was_srv.port, "--partner", "Washington",
                "--token", token(self.was, "Algiers"))
        run_cli("pull", "--data", a, "washington", "--collection", "reporting", "--into", "flows")
        self.was_token = token(self.alg, "Washington")
        self.bamako_token = token(self.alg, "Bamako")

    def cleanup(self):
        for s in self.servers:
            s.stop()
        self.alg.cleanup()
        self.was.cleanup()


def flows(params=None, token=None, server=None):
    s = server or W.alg_srv
    q = urllib.parse.urlencode(params or {})
    return s.get_json("/liaison/flows" + ("?" + q if q else ""), token=token)


def edges(j):
    return {(e["from"], e["to"], e["what"]): e for e in j["edges"]}


class Story(TaxiiCase):
    def test_1_algiers_into_the_sahel(self):
        st, _, j = flows({"into": "region-sahel"})
        self.assertEqual(st, 200, j)
        e = edges(j)
        self.assertEqual(set(e), {("country-ly", "country-ml", w) for w in ("weapons", "fighters", "money")})
        weapons, fighters = e["country-ly", "country-ml", "weapons"], e["country-ly", "country-ml", "fighters"]
        self.assertEqual((weapons["reports"], weapons["n_sources"], weapons["corroborated"]), (1, 1, False))
        self.assertEqual(weapons["ids"], [W.wf["id"]])
        self.assertEqual(weapons["best_grade"], "B2")
        self.assertEqual([s["name"] for s in weapons["sources"]], ["us"])
        self.assertEqual((fighters["reports"], fighters["n_sources"], fighters["corroborated"]), (2, 2, True))
        self.assertEqual(sorted(fighters["ids"]), sorted([W.wf["id"], W.w_fighters["id"]]))
        self.assertEqual((fighters["best_grade"], fighters["first_seen"], fighters["last_seen"]),
                         ("A2", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"))
        by_name = {s["name"]: s for s in fighters["sources"]}
        self.assertEqual(set(by_name), {"us", "Washington"})
        self.assertEqual((by_name["Washington"]["trust"], by_name["Washington"]["best_grade"]), ("A", "A2"))
        # Algiers reported first, Washington later: Algiers' report was corroborated.
        self.assertTrue(by_name["us"]["corroborated_later"])
        self.assertFalse(by_name["Washington"]["corroborated_later"])
        corr = {c["name"]: c for c in j["corroboration"]}
        self.assertEqual((corr["us"]["edges"], corr["us"]["corroborated_later"]), (3, 1))
        self.assertEqual((corr["Washington"]["edges"], corr["Washington"]["corroborated_later"]), (1, 0))

    def test_2_places_inside_places(self):
        # Northern Mali lies in Mali, in the Sahel and in Western Africa; Libya out of it.
        for place in ("country-ml", "ML", "region-sahel", "western-africa"):
            st, _, j = flows({"into": place, "what": "fighters"})
            self.assertEqual((st, j["n_edges"]), (200, 1), place)
        # Only Algiers' flow goes into northern Mali itself; Washington's goes into Mali.
        st, _, j = flows({"into": "region-northern-mali", "what": "fighters"})
        self.assertEqual(edges(j)["country-ly", "country-ml", "fighters"]["ids"], [W.wf["id"]])
        st, _, j = flows({"into": "country-ly"})
        self.assertEqual(j["edges"], [])
        st, _, j = flows({"out_of": "northern-africa", "through": "country-ne"})
        self.assertEqual(list(edges(j)), [("country-ly", "country-ml", "money")])
        st, _, j = flows({"level": "place", "what": "fighters"})
        self.assertEqual(set(edges(j)), {("country-ly", "region-northern-mali", "fighters"),
                                         ("country-ly", "country-ml", "fighters")})
        st, _, j = flows({"min_grade": "A2"})
        self.assertEqual([e["ids"] for e in j["edges"]], [[W.w_fighters["id"]]])
        st, _, j = flows({"source": W.washington})
        self.assertEqual([e["what"] for e in j["edges"]], ["fighters"])
        st, _, j = flows({"since": "2026-03-02T00:00:00Z"})
        self.assertEqual(j["edges"], [])

    def test_3_washington_sees_only_what_it_may(self):
        st, _, j = flows({"into": "region-sahel"}, token=W.was_token)
        self.assertEqual(st, 200, j)
        e = edges(j)
        self.assertEqual(set(e), {("country-ly", "country-ml", "weapons"), ("country-ly", "country-ml", "fighters")})
        self.assertEqual(e["country-ly", "country-ml", "fighters"]["n_sources"], 2)
        # A partner is not told our names for sources, nor our trust in them.
        self.assertNotIn("name", e["country-ly", "country-ml", "fighters"]["sources"][0])
        st, _, j = flows({"through": "country-ne"}, token=W.was_token)
        self.assertEqual(j["edges"], [])
        # Bamako may see the money flow.
        st, _, j = flows({"through": "country-ne"}, token=W.bamako_token)
        self.assertEqual([e["what"] for e in j["edges"]], ["money"])

    def test_4_hidden_flow_changes_no_partner_count(self):
        before = flows({}, token=W.was_token)[2]
        admin_before = flows({})[2]
        hidden = flow(["weapons", "fighters"], W.libya, W.nmali, "A1", creator=W.us,
                      object_marking_refs=[W.rel["id"]])
        st, _, j = W.alg_srv.post_objects(W.coll, [hidden])
        self.assertEqual((st, j["success_count"]), (202, 1), j)
        after = flows({}, token=W.was_token)[2]
        self.assertEqual(after, before)
        admin_after = edges(flows({})[2])
        self.assertEqual(admin_after["country-ly", "country-ml", "weapons"]["reports"],
                         edges(admin_before)["country-ly", "country-ml", "weapons"]["reports"] + 1)
        self.assertEqual(edges(flows({}, token=W.bamako_token)[2])["country-ly", "country-ml", "weapons"]
                         ["best_grade"], "A1")
        # A new version of a flow counts once, as its last version.
        v2 = dict(W.wf, modified="2026-03-05T00:00:00.000Z", commodities=["weapons"])
        self.assertEqual(W.alg_srv.post_objects(W.coll, [v2])[2]["success_count"], 1)
        e = edges(flows({}, token=W.was_token)[2])
        self.assertEqual(e["country-ly", "country-ml", "fighters"]["ids"], [W.w_fighters["id"]])
        self.assertEqual(e["country-ly", "country-ml", "weapons"]["ids"], [W.wf["id"]])

    def test_5_on_record(self):
        flows({"into": "region-sahel"}, token=W.was_token)
        out = run_cli("audit", "show", "--data", W.alg.path, "--partner", "Washington").stdout
        self.assertIn('"flows"', out)
        lines = [json.loads(x) for x in out.splitlines() if x.startswith("{") and '"flows"' in x]
        self.assertTrue(lines, out)

    def test_6_cli_answers_the_same(self):
        for extra, token in (([], None), (["--partner", "Washington"], W.was_token)):
            p = run_cli("flows", "--data", W.alg.path, "--into", "region-sahel", *extra)
            self.assertEqual(json.loads(p.stdout), flows({"into": "region-sahel"}, token=token)[2])

    def test_7_bad_parameters(self):
        for params, word in (({"into": "Atlantis"}, "into"), ({"what": "cigarettes"}, "what"),
                             ({"since": "yesterday"}, "since"), ({"level": "city"}, "level"),
                             ({"min_grade": "Z9"}, "min_grade"), ({"source": "Washington"}, "source"),
                             ({"bogus": "1"}, "bogus")):
            st, _, j = flows(params)
            self.assertEqual(st, 400, params)
            self.assertIn(word, j["description"] if "description" in j else json.dumps(j))
        st, _, j = flows({"collection": "nope"})
        self.assertEqual(st, 404)
        p = run_cli("flows", "--data", W.alg.path, "--what", "cigarettes", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("flow-commodity-ov", p.stderr)

    def test_8_watch_into_mali_fires_once_per_new_flow(self):
        def watches():
            return {w["id"]: w for w in json.loads(run_cli("watch", "list", "--data", W.alg.path,
                                                           "--json").stdout)}
        ours = run_cli("watch", "add", "--data", W.alg.path, "--name", "into mali", "--type",
                       "liaison-flow", "--into", "ML").stdout.split()[0]
        theirs = run_cli("watch", "add", "--data", W.alg.path, "--name", "into mali", "--into",
                         "country-ml", "--partner", "Washington").stdout.split()[0]
        fuel = run_cli("watch", "add", "--data", W.alg.path, "--name", "fuel", "--what",
                       "fuel").stdout.split()[0]
        gao = gazetteer_location("city-2457163", "Gao", "ML")
        algeria = location("Algeria", "DZ")
        into_gao = flow(["fighters"], W.libya, gao, "B2", creator=W.us)  # Gao lies in Mali
        via_mali = flow(["fuel"], algeria, W.niger, "C3", via=[W.nmali], creator=W.us)  # through
        elsewhere = flow(["weapons"], W.libya, W.niger, "B2", creator=W.us)
        hidden = flow(["money"], W.libya, gao, "C3", creator=W.us, object_marking_refs=[W.rel["id"]])
        st, _, j = W.alg_srv.post_objects(W.coll, [gao, algeria, into_gao, via_mali, elsewhere, hidden])
        self.assertEqual((st, j["failure_count"]), (202, 0), j)
        W.alg_srv.post_objects(W.coll, [into_gao])  # the same version again: no new flow
        deadline = time.time() + 15
        while time.time() < deadline and watches()[ours]["events"] < 3:
            time.sleep(0.1)
        time.sleep(1.5)  # several engine passes: nothing more may come
        w = watches()
        self.assertEqual((w[ours]["events"], w[theirs]["events"], w[fuel]["events"]), (3, 2, 1))
        # Bad watches: an unknown place, an unknown commodity, into without flows.
        for args, word in ((["--into", "Atlantis"], "unknown place"),
                           (["--into", "ML", "--what", "cigarettes"], "commodity"),
                           (["--into", "ML", "--type", "report"], "liaison-flow")):
            p = run_cli("watch", "add", "--data", W.alg.path, "--name", "bad", *args, check=False)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn(word, p.stderr)
        self.assertEqual(len(watches()), 3)

    def test_9_partner_posts_flows_with_their_definition(self):
        # The gap of part 1: a partner's flows arrive with liaison's definition objects, which
        # name liaison as creator. Those exact objects are accepted from anyone; an edited copy
        # is still refused by the creator rule.
        run_cli("collection", "add", "--data", W.alg.path, "--title", "Bamako's", "--alias", "bko")
        run_cli("grant", "--data", W.alg.path, "--collection", "bko", "--partner", "Bamako", "--read",
                "--write")
        with open(os.path.join(os.environ.get("LIAISON_SOURCE", "."), "docs", "schemas",
                               "liaison-flow-definition.json"), encoding="utf-8") as f:
            defs = json.load(f)["objects"]
        kidal = gazetteer_location("admin1-ml-9", "Kidal", "ML")
        mine = flow(["fighters"], W.niger, kidal, "B3", creator=W.bamako)
        for _ in range(2):  # the second time: held already
            st, _, j = W.alg_srv.post_objects("bko", defs + [W.niger, kidal, mine], token=W.bamako_token)
            self.assertEqual((st, j["failure_count"], j["success_count"]), (202, 0, 5), j)
        edited = dict(defs[1], description="not liaison's text")
        st, _, j = W.alg_srv.post_objects("bko", [edited], token=W.bamako_token)
        self.assertEqual(j["failure_count"], 1, j)
        self.assertIn("created_by_ref", j["failures"][0]["message"])
        st, _, j = flows({"collection": "bko"}, token=W.bamako_token)
        self.assertEqual([(e["from"], e["to"], e["what"]) for e in j["edges"]],
                         [("country-ne", "country-ml", "fighters")])

    def test_zz_row_limit(self):
        # flows_max_rows bounds the rows one query reads: past it 413, nothing half-answered.
        W.alg_srv.stop()
        lim = Server(W.alg, sets=["flows_max_rows=3"]).start()
        try:
            st, _, j = flows({}, server=lim)
            self.assertEqual(st, 413, j)
            self.assertIn("flows_max_rows", j["description"])
            st, _, j = flows({"what": "money", "collection": "flows"}, server=lim)
            self.assertEqual(st, 200, j)
            self.assertEqual([e["what"] for e in j["edges"]], ["money"])
        finally:
            lim.stop()
            W.alg_srv.start()


class OldStore(TaxiiCase):
    """Flows stored before migration 22 (a store whose flow tables are empty, as an older
    liaison left them) are indexed by migration 28: `liaison migrate` fills the tables from the
    stored objects, and the flows query then answers with them."""

    def test_migration_28_indexes_old_flows(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        coll = d.collection("Old", "old")
        libya = gazetteer_location("country-ly", "Libya", "LY")
        gao = location("Gao", "ML")
        gao["administrative_area"] = "ML-7"
        niger = location("Niger", "NE")
        old = flow(["weapons"], libya, gao, "B2", via=[niger])
        srv = Server(d).start()
        try:
            st, _, j = srv.post_objects(coll, [libya, gao, niger, old])
            self.assertEqual((st, j["failure_count"]), (202, 0), j)
        finally:
            srv.stop()
        # As an older liaison left it: the objects, no flow or place rows, schema version 25.
        d.sql("DELETE FROM flow", "DELETE FROM flow_via", "DELETE FROM place_of",
              "DELETE FROM place_in", "UPDATE meta SET value = '25' WHERE key = 'schema_version'")
        p = run_cli("flows", "--data", d.path, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("liaison migrate", p.stderr)
        p = run_cli("migrate", "--data", d.path)
        self.assertRegex(p.stdout, r"migrated from schema version 25 to \d+")
        for args, edge in ((["--into", "ML"], ("country-ly", "country-ml")),
                           (["--through", "NE", "--level", "place"], ("country-ly", "admin1-ml-7"))):
            j = json.loads(run_cli("flows", "--data", d.path, *args).stdout)
            self.assertEqual([(e["from"], e["to"], e["what"], e["ids"], e["to_placed"])
                              for e in j["edges"]], [edge + ("weapons", [old["id"]], True)], args)
        # Run again (a store migrated already): nothing to do, nothing doubled.
        self.assertIn("nothing to do", run_cli("migrate", "--data", d.path).stdout)
        j = json.loads(run_cli("flows", "--data", d.path).stdout)
        self.assertEqual([e["reports"] for e in j["edges"]], [1])


if __name__ == "__main__":
    main()
