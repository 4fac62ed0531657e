"""Corroboration of an entity (docs/flows.md, Corroboration; issue 19 point 4) against a real
server: Algiers records the Islamic State in the Greater Sahara (English name, its Arabic name
as an alias, graded B2); Washington, a partner trusted A, later pushes its own intrusion-set
under the Arabic name written without hamza (A2) and a relationship naming Algiers' group by id
(A3); Algiers then writes a report about the group (C3). GET /liaison/corroboration groups the
reports by source with their grading and our trust, says how each matched (the same id, a
reference, the name or an alias after normalisation: a group "Islamic State Somalia" does not
match), and gives per source how many of its reports another source reported later. A partner
is refused; an unknown id, a bad collection, a non-entity and a bad id are refused and change
nothing; the CLI answers the same. Per partner, across every entity (GET
/liaison/corroboration?partner=NAME, `liaison corroboration --partner NAME`): Washington's three
objects (its group, its relationship, and a threat-actor nobody else reports, pushed last), two
of them corroborated later by Algiers; Bamako, which reported nothing, none."""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, main, run_cli  # noqa: E402

GRADING = "extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7"
T = "2026-03-02T09:30:00.000Z"
AR = "الدولة الإسلامية في الصحراء الكبرى"
AR_PLAIN = "الدولة الاسلامية في الصحراء الكبرى"  # no hamza: equal after normalisation


def obj(type_, grade, creator, **extra):
    o = {"type": type_, "spec_version": "2.1", "id": "%s--%s" % (type_, uuid.uuid4()), "created": T,
         "modified": T,
         "extensions": {GRADING: {"extension_type": "property-extension", "scale": "admiralty",
                                  "source_reliability": grade[0], "information_credibility": grade[1]}}}
    if creator:
        o["created_by_ref"] = creator
    o.update(extra)
    return o


W = None


def setUpModule():
    global W
    W = World()


def tearDownModule():
    if W:
        W.cleanup()


class World:
    def __init__(self):
        self.data = DataDir()
        d = self.data.path
        self.coll = self.data.collection("Groups", "groups")
        self.washington = run_cli("partner", "add", "--data", d, "--name", "Washington", "--clearance",
                                  "amber", "--trust", "A").stdout.strip()
        run_cli("grant", "--data", d, "--collection", "groups", "--partner", "Washington", "--read",
                "--write")
        self.was_token = run_cli("token", "issue", "--data", d, "--partner",
                                 "Washington").stdout.strip().splitlines()[-1]
        run_cli("partner", "add", "--data", d, "--name", "Bamako", "--clearance", "amber", "--trust", "C")
        self.srv = Server(self.data).start()
        self.us = self.srv.get_json("/liaison/whoami")[2]["identity"]
        self.isgs = obj("intrusion-set", "B2", self.us, name="Islamic State in the Greater Sahara",
                        aliases=[AR, "ISGS"])
        self.somalia = obj("intrusion-set", "B2", self.us, name="Islamic State Somalia")
        self.place = obj("location", "B2", self.us, name="Menaka", country="ML")
        self.post([self.isgs, self.somalia, self.place])
        self.w_isgs = obj("intrusion-set", "A2", self.washington, name=AR_PLAIN)
        self.w_rel = obj("relationship", "A3", self.washington, relationship_type="targets",
                         source_ref=self.isgs["id"], target_ref=self.place["id"])
        self.post([self.w_isgs, self.w_rel], token=self.was_token)
        self.report = obj("report", "C3", self.us, name="ISGS in Menaka", published=T,
                          object_refs=[self.isgs["id"]])
        self.post([self.report])
        self.w_katiba = obj("threat-actor", "A3", self.washington, name="Katiba Macina")
        self.post([self.w_katiba], token=self.was_token)

    def post(self, objects, token=None):
        st, _, j = self.srv.post_objects(self.coll, objects, token=token)
        assert st == 202 and j["failure_count"] == 0, j

    def cleanup(self):
        self.srv.stop()
        self.data.cleanup()


def corroboration(coll, id_, token=None):
    return W.srv.get_json("/liaison/corroboration/%s/%s" % (coll, id_), token=token)


class Corroboration(TaxiiCase):
    def test_1_grouped_by_source(self):
        st, _, j = corroboration("groups", W.isgs["id"])
        self.assertEqual(st, 200, j)
        self.assertEqual(j["entity"]["type"], "intrusion-set")
        self.assertEqual(j["entity"]["names"], ["Islamic State in the Greater Sahara", AR, "ISGS"])
        src = {s["name"]: s for s in j["sources"]}
        self.assertEqual(set(src), {"us", "Washington"})
        self.assertEqual(j["n_reports"], 4)
        us = {o["id"]: o for o in src["us"]["objects"]}
        was = {o["id"]: o for o in src["Washington"]["objects"]}
        # Islamic State Somalia shares words, not a name: not there.
        self.assertEqual(set(us), {W.isgs["id"], W.report["id"]})
        self.assertEqual(set(was), {W.w_isgs["id"], W.w_rel["id"]})
        self.assertEqual((us[W.isgs["id"]]["match"], us[W.isgs["id"]]["grade"]), ("id", "B2"))
        self.assertEqual((us[W.report["id"]]["match"], us[W.report["id"]]["grade"]), ("ref", "C3"))
        # The Arabic name without hamza meets the alias with it.
        self.assertEqual((was[W.w_isgs["id"]]["match"], was[W.w_isgs["id"]]["matched"],
                          was[W.w_isgs["id"]]["grade"]), ("alias", AR, "A2"))
        self.assertEqual((was[W.w_rel["id"]]["match"], was[W.w_rel["id"]]["grade"]), ("ref", "A3"))
        # Our trust in each source.
        self.assertEqual((src["Washington"]["trust"], src["Washington"]["source"]), ("A", W.washington))
        self.assertIsNone(src["us"]["trust"])
        # Later corroboration: Algiers' group was reported by Washington later, Algiers' report
        # came last; Washington's two were both followed by Algiers' report.
        self.assertTrue(us[W.isgs["id"]]["corroborated_later"])
        self.assertFalse(us[W.report["id"]]["corroborated_later"])
        self.assertEqual((src["us"]["reports"], src["us"]["corroborated_later"], src["us"]["rate"]),
                         (2, 1, 0.5))
        self.assertEqual((src["Washington"]["reports"], src["Washington"]["corroborated_later"],
                          src["Washington"]["rate"]), (2, 2, 1.0))

    def test_2_from_the_arabic_side(self):
        st, _, j = corroboration("groups", W.w_isgs["id"])
        self.assertEqual(st, 200, j)
        ids = {o["id"]: o["match"] for s in j["sources"] for o in s["objects"]}
        # Washington's Arabic name is Algiers' alias: Algiers' group matches it by name; the
        # report and relationship name Algiers' id, not this one.
        self.assertEqual(ids, {W.w_isgs["id"]: "id", W.isgs["id"]: "name"})

    def test_3_cli_answers_the_same(self):
        p = run_cli("corroboration", "--data", W.data.path, "--collection", "groups", W.isgs["id"])
        self.assertEqual(json.loads(p.stdout), corroboration("groups", W.isgs["id"])[2])

    def test_4_bad_input(self):
        before = corroboration("groups", W.isgs["id"])[2]
        st, _, j = corroboration("groups", W.isgs["id"], token=W.was_token)
        self.assertEqual(st, 403, j)
        st, _, j = corroboration("groups", "intrusion-set--%s" % uuid.uuid4())
        self.assertEqual(st, 404, j)
        st, _, j = corroboration("nope", W.isgs["id"])
        self.assertEqual(st, 404, j)
        st, _, j = corroboration("groups", W.report["id"])
        self.assertEqual(st, 400, j)
        self.assertIn("intrusion-set", json.dumps(j))
        st, _, j = corroboration("groups", "not-an-id")
        self.assertEqual(st, 400, j)
        for args, code in ((["--collection", "groups", "intrusion-set--%s" % uuid.uuid4()], 3),
                           (["--collection", "nope", W.isgs["id"]], 3),
                           (["--collection", "groups", W.report["id"]], 2),
                           ([W.isgs["id"]], 2)):
            p = run_cli("corroboration", "--data", W.data.path, *args, check=False)
            self.assertEqual(p.returncode, code, (args, p.stderr))
        self.assertEqual(corroboration("groups", W.isgs["id"])[2], before)

    def test_5_per_partner_across_every_entity(self):
        # Washington: its group (corroborated later by Algiers' report on the group it names by
        # alias), its relationship (the same), its threat-actor (nobody else): 2 of 3. It
        # reports on Algiers' group, Menaka, its own group and its threat-actor.
        st, _, j = W.srv.get_json("/liaison/corroboration?partner=Washington")
        self.assertEqual(st, 200, j)
        self.assertEqual(j["n_entities"], 5)
        self.assertEqual(j["partners"], [{"partner": "Washington", "identity": W.washington,
                                          "trust": "A", "entities": 4, "reports": 3,
                                          "corroborated_later": 2, "rate": 0.667}])
        st, _, j = W.srv.get_json("/liaison/corroboration")
        self.assertEqual(st, 200, j)
        got = {p["partner"]: (p["reports"], p["corroborated_later"], p["rate"]) for p in j["partners"]}
        self.assertEqual(got, {"Washington": (3, 2, 0.667), "Bamako": (0, 0, None)})
        p = run_cli("corroboration", "--data", W.data.path, "--partner", "Washington")
        self.assertEqual(json.loads(p.stdout), W.srv.get_json("/liaison/corroboration?partner=Washington")[2])
        p = run_cli("corroboration", "--data", W.data.path, "--partners")
        self.assertEqual(json.loads(p.stdout), j)

    def test_6_per_partner_bad_input(self):
        st, _, j = W.srv.get_json("/liaison/corroboration?partner=Washington", token=W.was_token)
        self.assertEqual(st, 403, j)
        st, _, j = W.srv.get_json("/liaison/corroboration?partner=Nobody")
        self.assertEqual(st, 404, j)
        self.assertIn("no such partner", j["description"])
        st, _, j = W.srv.get_json("/liaison/corroboration?who=Washington")
        self.assertEqual(st, 400, j)
        for args, code in ((["--partner", "Nobody"], 3),
                           (["--partner", "Washington", "--collection", "groups"], 2),
                           (["--partner", "Washington", "--partners"], 2),
                           (["--partner", "Washington", W.isgs["id"]], 2)):
            p = run_cli("corroboration", "--data", W.data.path, *args, check=False)
            self.assertEqual(p.returncode, code, (args, p.stderr))

if __name__ == "__main__":
    main()
