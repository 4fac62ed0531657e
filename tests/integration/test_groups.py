"""Sharing groups (docs/groups.md, issue 18): the Sahel circle.

Algiers makes a group "Sahel cooperation" (Bamako, Niamey) and releases a report to it.
Bamako and Niamey receive it and the group's marking-definition; Washington, which reads the
same collection, receives nothing of it and learns nothing: no definition, no count, no id in
any listing, manifest, by-id answer, versions, search or group view (404s are the very bytes of
a missing object or group). Bamako cannot learn that Niamey is a member. Niamey removed from
the group sees nothing further at once. Bamako pulls the report into its own instance, where
the group is Algiers' circle, not one of its own: the report is kept, released to no one, the
status says so, and Bamako's push to Washington does not carry it (originator control).
Bad input: unknown group, a duplicate name, a partner added twice, removing a group in use.
"""
import json
import urllib.parse
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RELEASABILITY = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"
GROUP_EXT = "extension-definition--0a6bd4a4-5c2b-4f4e-9f0e-6c1d6a3b7e21"


def identity_of(server):
    st, _, j = server.get_json("/liaison/whoami")
    assert st == 200, j
    return j["identity"]


def ids(objects):
    return {o["id"] for o in objects}


class SahelCircle(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        cls.alg = harness.DataDir()
        cls.bko = harness.DataDir()
        cls.was = harness.DataDir()
        cls.alg_srv = harness.Server(cls.alg).start()
        cls.bko_srv = harness.Server(cls.bko).start()
        cls.was_srv = harness.Server(cls.was).start()
        i_alg, i_bko, i_was = (identity_of(s) for s in (cls.alg_srv, cls.bko_srv, cls.was_srv))
        a = cls.alg.path
        cls.id = {}
        for name, ident, clearance in (("Bamako", i_bko, "amber"), ("Niamey", None, "amber"),
                                       ("Washington", i_was, "red")):
            args = ["partner", "add", "--data", a, "--name", name, "--clearance", clearance]
            if ident:
                args += ["--identity", ident]
            cls.id[name] = run_cli(*args).stdout.strip()
        cls.cells = cls.alg.collection("Dismantled cells", "cells")
        cls.tok = {}
        for name in ("Bamako", "Niamey", "Washington"):
            run_cli("grant", "--data", a, "--collection", "cells", "--partner", name, "--read")
            cls.tok[name] = run_cli("token", "issue", "--data", a, "--partner",
                                    name).stdout.split()[-1]
        cls.group = run_cli("group", "add", "--data", a, "--name", "Sahel cooperation",
                            "--description", "Mali, Niger, Mauritania, Burkina Faso").stdout.strip()
        for name in ("Bamako", "Niamey"):
            run_cli("group", "member", "add", "--data", a, "--group", cls.group, "--partner", name)
        # What Algiers shares: to the circle (green), to the circle and REL TO Bamako only,
        # to the circle at amber+strict (above everyone's clearance), and one plain green.
        cls.rel_bko = {"type": "marking-definition", "spec_version": "2.1",
                       "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                       "name": "REL TO DZ, ML", "extensions": {RELEASABILITY: {
                           "extension_type": "property-extension", "rel_to": [cls.id["Bamako"]]}}}
        cls.report = sdo("report", name="ISIS routes from Libya to northern Mali",
                         published="2026-11-20T00:00:00Z", object_refs=["location--%s" % uuid.uuid4()],
                         object_marking_refs=[cls.group, GREEN])
        cls.both = sdo(name="circle and REL TO Bamako", object_marking_refs=[cls.group, cls.rel_bko["id"], GREEN])
        cls.strict = sdo(name="circle at amber+strict",
                         object_marking_refs=[cls.group, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"])
        cls.plain = sdo(name="plain green", object_marking_refs=[GREEN])
        st, _, j = cls.alg_srv.post_objects("cells", [cls.rel_bko, cls.report, cls.both, cls.strict, cls.plain])
        assert st == 202 and j["failure_count"] == 0, j
        cls.i_alg, cls.i_bko, cls.i_was = i_alg, i_bko, i_was

    @classmethod
    def tearDownClass(cls):
        for s in (cls.alg_srv, cls.bko_srv, cls.was_srv):
            s.stop()
        for d in (cls.alg, cls.bko, cls.was):
            d.cleanup()

    def objects(self, who):
        return self.alg_srv.objects_all("cells", token=self.tok[who]) if False else \
            self.alg_srv.get_json(ROOT + "collections/cells/objects/", token=self.tok[who])[2].get("objects", [])

    def manifest(self, who):
        st, _, j = self.alg_srv.get_json(ROOT + "collections/cells/manifest/", token=self.tok[who])
        self.assertEqual(st, 200)
        return {o["id"] for o in j.get("objects", [])}

    def test_1_members_receive(self):
        for who in ("Bamako", "Niamey"):
            got = ids(self.objects(who))
            self.assertIn(self.report["id"], got, who)
            self.assertIn(self.group, got, who)  # the definition travels with the object
            self.assertNotIn(self.strict["id"], got, who)  # groups intersect with TLP
            self.assertEqual(self.both["id"] in got, who == "Bamako", who)  # and with REL TO
            self.assertEqual(self.rel_bko["id"] in got, who == "Bamako", who)
        # The definition names the group, never a member.
        st, _, j = self.alg_srv.get_json(ROOT + "collections/cells/objects/%s/" % self.group,
                                         token=self.tok["Bamako"])
        self.assertEqual(st, 200)
        text = json.dumps(j)
        self.assertIn("Sahel cooperation", text)
        for name in ("Niamey", "Bamako", "Washington"):
            self.assertNotIn(self.id[name], text)
            self.assertNotIn(name, text)

    def test_2_outsider_learns_nothing(self):
        w = self.tok["Washington"]
        got = ids(self.objects("Washington"))
        self.assertEqual(got & {self.report["id"], self.both["id"], self.strict["id"], self.group,
                                self.rel_bko["id"]}, set())
        self.assertIn(self.plain["id"], got)
        self.assertEqual(self.manifest("Washington") & {self.report["id"], self.group}, set())
        missing_obj = "report--%s" % uuid.uuid4()
        missing_def = "marking-definition--%s" % uuid.uuid4()
        for hidden, missing in ((self.report["id"], missing_obj), (self.group, missing_def)):
            for suffix in ("", "versions/"):
                a = self.alg_srv.request("GET", ROOT + "collections/cells/objects/%s/%s" % (hidden, suffix), token=w)
                b = self.alg_srv.request("GET", ROOT + "collections/cells/objects/%s/%s" % (missing, suffix), token=w)
                self.assertEqual(a[0], 404)
                self.assertEqual(a[2], b[2])
            q = urllib.parse.urlencode({"match[id]": hidden})
            st, hd, j = self.alg_srv.get_json(ROOT + "collections/cells/objects/?" + q, token=w)
            self.assertNotIn("objects", j)
            self.assertIsNone(hd.get("X-TAXII-Date-Added-First"))
        # Search finds the report for a member, not for Washington.
        q = "/liaison/search?" + urllib.parse.urlencode({"q": "northern Mali"})
        st, _, j = self.alg_srv.get_json(q, token=self.tok["Bamako"])
        self.assertEqual(st, 200, j)
        self.assertIn(self.report["id"], json.dumps(j))
        st, _, j = self.alg_srv.get_json(q, token=w)
        self.assertEqual(st, 200, j)
        self.assertNotIn(self.report["id"], json.dumps(j))
        # The group itself: Washington sees no group; asking for it is a missing group.
        st, _, j = self.alg_srv.get_json("/liaison/groups", token=w)
        self.assertEqual((st, j), (200, {"groups": []}))
        a = self.alg_srv.request("GET", "/liaison/groups/" + self.group, token=w)
        b = self.alg_srv.request("GET", "/liaison/groups/" + missing_def, token=w)
        self.assertEqual((a[0], a[2]), (b[0], b[2]))
        self.assertEqual(a[0], 404)
        self.assertNotIn(self.group.encode(), a[2])

    def test_3_member_does_not_learn_members(self):
        st, _, j = self.alg_srv.get_json("/liaison/groups", token=self.tok["Bamako"])
        self.assertEqual(st, 200)
        self.assertEqual([(g["id"], g["name"], g["member"]) for g in j["groups"]],
                         [(self.group, "Sahel cooperation", True)])
        self.assertNotIn("members", j["groups"][0])
        text = json.dumps(j)
        self.assertNotIn(self.id["Niamey"], text)
        self.assertNotIn("Niamey", text)
        # The administrator sees the members.
        st, _, j = self.alg_srv.get_json("/liaison/groups/" + self.group)
        self.assertEqual(sorted(m["name"] for m in j["members"]), ["Bamako", "Niamey"])
        # A group made with --disclose-members shows them to members.
        open_group = run_cli("group", "add", "--data", self.alg.path, "--name", "Open circle",
                             "--disclose-members").stdout.strip()
        for name in ("Bamako", "Niamey"):
            run_cli("group", "member", "add", "--data", self.alg.path, "--group", "Open circle",
                    "--partner", name)
        st, _, j = self.alg_srv.get_json("/liaison/groups/" + open_group, token=self.tok["Bamako"])
        self.assertEqual(sorted(m["name"] for m in j["members"]), ["Bamako", "Niamey"])

    def test_4_bad_input(self):
        a = self.alg.path
        p = run_cli("group", "member", "add", "--data", a, "--group", "No such circle", "--partner",
                    "Bamako", check=False)
        self.assertEqual(p.returncode, 3)
        self.assertIn("no group 'No such circle'", p.stderr)
        p = run_cli("group", "add", "--data", a, "--name", "Sahel cooperation", check=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("exists already", p.stderr)
        p = run_cli("group", "member", "add", "--data", a, "--group", self.group, "--partner",
                    "Bamako", check=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("already a member", p.stderr)
        p = run_cli("group", "remove", "--data", a, self.group, check=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("refused", p.stderr)
        self.assertIn(self.group, run_cli("group", "list", "--data", a).stdout)
        p = run_cli("group", "add", "--data", a, "--name", "bad/name", check=False)
        self.assertEqual(p.returncode, 2)
        # Over the API: only an administrator changes groups; bad bodies are refused.
        st, _, _ = self.alg_srv.request("POST", "/liaison/groups", body={"name": "x"},
                                        content_type="application/json", token=self.tok["Bamako"])
        self.assertEqual(st, 403)
        st, _, _ = self.alg_srv.request("POST", "/liaison/groups", body={"name": 7},
                                        content_type="application/json")
        self.assertEqual(st, 422)
        st, _, j = self.alg_srv.get_json("/liaison/groups")
        self.assertEqual(sum(g["name"] == "Sahel cooperation" for g in j["groups"]), 1)
        # A partner's group marking naming no group of ours is kept and released to no one.
        foreign = {"type": "marking-definition", "spec_version": "2.1",
                   "id": "marking-definition--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                   "name": "Someone's circle", "extensions": {GROUP_EXT: {
                       "extension_type": "property-extension", "name": "Someone's circle"}}}
        obj = sdo(name="to someone's circle", object_marking_refs=[foreign["id"], GREEN])
        st, _, j = self.alg_srv.post_objects("cells", [foreign, obj])
        self.assertEqual(j["failure_count"], 0, j)
        self.assertIn("sharing group of another service", json.dumps(j["successes"]))
        for who in ("Bamako", "Niamey", "Washington"):
            self.assertNotIn(obj["id"], ids(self.objects(who)), who)
        # Nobody may store another definition under the group's id.
        fake = {"type": "marking-definition", "spec_version": "2.1", "id": self.group,
                "created": "2024-01-01T00:00:00.000Z", "name": "Sahel cooperation",
                "extensions": {GROUP_EXT: {"extension_type": "property-extension", "name": "x"}}}
        st, _, j = self.alg_srv.post_objects("cells", [fake])
        self.assertEqual(j["failure_count"], 1, j)

    def test_5_removed_member_sees_nothing_further(self):
        a = self.alg.path
        self.assertIn(self.report["id"], ids(self.objects("Niamey")))
        run_cli("group", "member", "remove", "--data", a, "--group", self.group, "--partner", "Niamey")
        try:
            got = ids(self.objects("Niamey"))
            self.assertNotIn(self.report["id"], got)
            self.assertNotIn(self.group, got)
            st, _, _ = self.alg_srv.request("GET", ROOT + "collections/cells/objects/%s/" % self.report["id"],
                                            token=self.tok["Niamey"])
            self.assertEqual(st, 404)
            st, _, j = self.alg_srv.get_json("/liaison/groups", token=self.tok["Niamey"])
            self.assertNotIn(self.group, [g["id"] for g in j["groups"]])
            # Bamako still receives.
            self.assertIn(self.report["id"], ids(self.objects("Bamako")))
        finally:
            run_cli("group", "member", "add", "--data", a, "--group", self.group, "--partner", "Niamey")
        p = run_cli("group", "member", "remove", "--data", a, "--group", self.group, "--partner",
                    "Washington", check=False)
        self.assertEqual(p.returncode, 3)
        self.assertIn("not a member", p.stderr)
        log = run_cli("audit", "show", "--data", a).stdout
        self.assertIn('"action":"group.member.remove"', log)

    def test_6_group_grant(self):
        a = self.alg.path
        coll = self.alg.collection("Circle only", "circle")
        run_cli("grant", "--data", a, "--collection", "circle", "--group", self.group, "--read")
        st, _, j = self.alg_srv.get_json(ROOT + "collections/", token=self.tok["Bamako"])
        self.assertIn(coll, [c["id"] for c in j["collections"]])
        st, _, j = self.alg_srv.get_json(ROOT + "collections/", token=self.tok["Washington"])
        self.assertNotIn(coll, [c["id"] for c in j.get("collections", [])])
        run_cli("revoke", "--data", a, "--collection", "circle", "--group", self.group)
        st, _, j = self.alg_srv.get_json(ROOT + "collections/", token=self.tok["Bamako"])
        self.assertNotIn(coll, [c["id"] for c in j["collections"]])

    def test_7_third_party_rule(self):
        """Bamako pulls the report; it is Algiers' circle there: kept, released to no one."""
        b, w = self.bko.path, self.was.path
        run_cli("partner", "add", "--data", b, "--name", "Algiers", "--identity", self.i_alg)
        self.bko.collection("From Algiers", "cells")
        run_cli("peer", "add", "--data", b, "--name", "algiers", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.alg_srv.port, "--partner", "Algiers",
                "--token", self.tok["Bamako"])
        out = run_cli("pull", "--data", b, "algiers", "--collection", self.cells, "--into", "cells")
        st, _, j = self.bko_srv.get_json(ROOT + "collections/cells/objects/")
        self.assertIn(self.report["id"], ids(j["objects"]), out.stderr)
        self.assertIn(self.group, ids(j["objects"]))
        # Shown as what it is on Bamako's side.
        self.assertIn("%s  released by Algiers to: Sahel cooperation" % self.group,
                      run_cli("group", "list", "--data", b).stdout)
        # Washington, as Bamako's partner, reads Bamako's copy: not the circle's report.
        run_cli("partner", "add", "--data", b, "--name", "Washington", "--identity", self.i_was,
                "--clearance", "red")
        run_cli("grant", "--data", b, "--collection", "cells", "--partner", "Washington", "--read")
        wtok = run_cli("token", "issue", "--data", b, "--partner", "Washington").stdout.split()[-1]
        st, _, j = self.bko_srv.get_json(ROOT + "collections/cells/objects/", token=wtok)
        self.assertEqual(ids(j.get("objects", [])) & {self.report["id"], self.group}, set())
        # Bamako pushes the collection to Washington's instance: the report is withheld.
        run_cli("partner", "add", "--data", w, "--name", "Bamako", "--identity", self.i_bko)
        inbox = self.was.collection("From Bamako", "inbox")
        run_cli("grant", "--data", w, "--collection", "inbox", "--partner", "Bamako", "--read", "--write")
        btok = run_cli("token", "issue", "--data", w, "--partner", "Bamako").stdout.split()[-1]
        run_cli("peer", "add", "--data", b, "--name", "washington", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.was_srv.port, "--partner", "Washington",
                "--token", btok)
        p = run_cli("push", "--data", b, "washington", "--collection", "cells", "--to", inbox, check=False)
        self.assertIn("originator control", p.stderr)
        st, _, j = self.was_srv.get_json(ROOT + "collections/inbox/objects/")
        got = ids(j.get("objects", []))
        self.assertIn(self.plain["id"], got, p.stderr)
        self.assertEqual(got & {self.report["id"], self.group, self.both["id"]}, set())

    def test_8_export_for_group(self):
        """export --for a group: a file per member, each on record; audit show --group."""
        import os
        a = self.alg.path
        out = os.path.join(self.alg.tmp, "sahel-out")
        os.mkdir(out)
        p = run_cli("export", "--data", a, "--for", "Sahel cooperation", "--collection", "cells",
                    "--out", out)
        self.assertEqual(sorted(os.listdir(out)), ["Bamako.bundle", "Niamey.bundle"], p.stderr)
        for name in ("Bamako", "Niamey"):
            with open(os.path.join(out, name + ".bundle")) as f:
                text = f.read()
            self.assertIn(self.report["id"], text)
            self.assertIn(self.group, text)
            self.assertEqual(self.both["id"] in text, name == "Bamako")
            self.assertNotIn(self.strict["id"], text)
        log = [json.loads(l) for l in run_cli("audit", "show", "--data", a, "--group",
                                               self.group).stdout.splitlines()]
        exports = [e for e in log if e["action"] == "objects.export"]
        self.assertEqual(len(exports), 2, [e["action"] for e in log])
        self.assertIn("group.add", [e["action"] for e in log])
        was = run_cli("audit", "show", "--data", a, "--partner", "Washington").stdout
        self.assertNotIn("objects.export", was)
        p = run_cli("audit", "show", "--data", a, "--group", "No such circle", check=False)
        self.assertEqual(p.returncode, 3)

    def test_9_push_to_group(self):
        """push --group: each member's peer gets what that member may receive."""
        a, b = self.alg.path, self.bko.path
        inbox = self.bko.collection("Pushed by Algiers", "pushed")
        run_cli("grant", "--data", b, "--collection", "pushed", "--partner", "Algiers", "--read", "--write")
        atok = run_cli("token", "issue", "--data", b, "--partner", "Algiers").stdout.split()[-1]
        run_cli("peer", "add", "--data", a, "--name", "bamako", "--url",
                "http://127.0.0.1:%d/taxii2/" % self.bko_srv.port, "--partner", "Bamako", "--token", atok)
        p = run_cli("push", "--data", a, "--group", self.group, "--collection", "cells", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("has no push of cells yet", p.stderr)
        run_cli("push", "--data", a, "bamako", "--collection", "cells", "--to", inbox)
        extra = sdo(name="later, to the circle", object_marking_refs=[self.group, GREEN])
        st, _, j = self.alg_srv.post_objects("cells", [extra])
        self.assertEqual(j["failure_count"], 0, j)
        p = run_cli("push", "--data", a, "--group", "Sahel cooperation", "--collection", "cells")
        st, _, j = self.bko_srv.get_json(ROOT + "collections/pushed/objects/")
        got = ids(j["objects"])
        self.assertIn(extra["id"], got, p.stderr)
        self.assertIn(self.report["id"], got)
        self.assertNotIn(self.strict["id"], got)
        log = run_cli("audit", "show", "--data", a, "--group", self.group).stdout
        self.assertIn("peer:bamako", log)


if __name__ == "__main__":
    harness.main()
