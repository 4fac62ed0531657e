"""Intake end to end: the sample article becomes a draft over HTTP and from
the command line, an analyst drops one entity and publishes the rest, and a
second article reuses the entities already stored instead of multiplying them.
"""
import json
import os

import harness
from harness import ROOT, SHARED, TaxiiCase, run_cli

SAMPLE = os.path.join(SHARED, "samples", "article-ar-algeria-us-rfi.txt")
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


class IntakePublishTest(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        run_cli("collection", "add", "--data", d.path, "--title", "Drafts", "--alias", "drafts")
        run_cli("partner", "add", "--data", d.path, "--name", "Reader")
        run_cli("grant", "--data", d.path, "--collection", "drafts", "--partner", "Reader", "--read")
        cls.reader = run_cli("token", "issue", "--data", d.path, "--partner", "Reader").stdout.split()[-1]
        cls.s = harness.Server(d).start()
        with open(SAMPLE, "rb") as fh:
            cls.text = fh.read()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def draft(self, token=None):
        st, hd, b = self.s.request("POST", "/liaison/intake", body=self.text,
                                   content_type="text/plain; charset=utf-8", token=token)
        self.assertEqual(st, 200, b[:300])
        return json.loads(b)["bundle"]

    def test_http_review_and_publish(self):
        bundle = self.draft()
        types = {o["type"] for o in bundle["objects"]}
        self.assertTrue({"report", "location", "threat-actor"} <= types, types)
        names = {o.get("name") for o in bundle["objects"]}
        actors = [o for o in bundle["objects"] if o["type"] == "threat-actor"]
        self.assertTrue(any("داعش" in o.get("aliases", []) or "ISIS" in o.get("aliases", []) for o in actors), actors)
        # The analyst rejects one location and publishes the rest as TLP:GREEN.
        dropped = next(o for o in bundle["objects"] if o["type"] == "location")
        kept = [o for o in bundle["objects"] if o["id"] != dropped["id"]
                and dropped["id"] not in (o.get("source_ref"), o.get("target_ref"))]
        for o in kept:
            if o["type"] == "report":
                o["object_refs"] = [r for r in o["object_refs"] if r != dropped["id"]]
        body = {"collection": "drafts", "marking": "green", "bundle": dict(bundle, objects=kept)}
        st, hd, b = self.s.request("POST", "/liaison/intake/publish", body=json.dumps(body).encode(),
                                   content_type="application/json")
        self.assertEqual(st, 200, b[:500])
        rep = json.loads(b)
        self.assertEqual(rep["refused"], 0, rep)
        self.assertEqual(rep["stored"] + rep["reused"], len(kept))
        stored = {o["id"]: o for o in self.s.objects_all("drafts")}
        self.assertNotIn(dropped["id"], stored)
        report = next(o for o in stored.values() if o["type"] == "report")
        self.assertIn(GREEN, report["object_marking_refs"])
        st, _, me = self.s.get_json("/liaison/whoami")
        self.assertEqual(report["created_by_ref"], me["identity"])  # the publisher vouches
        tool = next(o for o in bundle["objects"] if o.get("name") == "liaison intake")
        ext = next(o for o in stored.values() if o["type"] == "extension-definition")
        self.assertEqual(ext["created_by_ref"], tool["id"])  # the tool still defines its extension
        # The partner with a read grant sees the published (green) draft.
        st, _, j = self.s.get_json(ROOT + "collections/drafts/objects/%s/" % report["id"], token=self.reader)
        self.assertEqual(st, 200)

    def test_cli_publish_reuses_entities(self):
        run_cli("collection", "add", "--data", self.d.path, "--title", "CLI", "--alias", "cli")
        first = json.loads(run_cli("intake", SAMPLE, "--publish", "cli", "--data", self.d.path).stdout)
        self.assertGreater(first["stored"], 10)
        self.assertEqual(first["reused"], 0)
        second = json.loads(run_cli("intake", SAMPLE, "--publish", "cli", "--data", self.d.path).stdout)
        self.assertEqual(second["stored"], 1)  # only the new report
        self.assertEqual(second["reused"], first["stored"] - 1)
        man = self.s.manifest_all("cli")
        reports = [m for m in man if m["id"].startswith("report--")]
        self.assertEqual(len(reports), 2)
        self.assertEqual(len(man), first["stored"] + 1)
        objs = self.s.objects_all("cli")
        self.assertTrue(all(AMBER in o.get("object_marking_refs", [AMBER]) for o in objs
                            if o["type"] != "extension-definition"))
        audit = run_cli("audit", "show", "--data", self.d.path).stdout
        self.assertEqual(audit.count('"intake.publish"'), 2)

    def test_reuse_goes_through_the_gate(self):
        # The instance holds the Algeria location at TLP:RED in "secret"; a partner with write
        # rights publishes a draft naming Algeria there: it must not be told "reused".
        d = self.d.path
        run_cli("collection", "add", "--data", d, "--title", "Secret", "--alias", "secret")
        run_cli("partner", "add", "--data", d, "--name", "Writer", "--clearance", "amber")
        run_cli("grant", "--data", d, "--collection", "secret", "--partner", "Writer", "--read",
                "--write")
        writer = run_cli("token", "issue", "--data", d, "--partner", "Writer").stdout.split()[-1]
        bundle = self.draft()
        first = json.loads(run_cli("intake", SAMPLE, "--publish", "secret", "--data", d,
                                   "--marking", "red").stdout)
        self.assertGreater(first["stored"], 10)
        body = json.dumps({"collection": "secret", "marking": "green", "bundle": bundle}).encode()
        st, _, b = self.s.request("POST", "/liaison/intake/publish", body=body,
                                  content_type="application/json", token=writer)
        self.assertEqual(st, 200, b[:300])
        rep = json.loads(b)
        reused = {o["id"].split("--")[0] for o in rep["objects"] if o["result"] == "reused"}
        # Nothing: never the TLP:RED entities the writer may not see, nor the mentions
        # extension-definition, which is shown only with the objects that use it (here all
        # TLP:RED; issue 27.4). Sent again, that definition is not refused either: a version
        # the collection holds is that version.
        self.assertEqual(reused, set(), rep)
        ext = [o for o in rep["objects"] if o["id"].startswith("extension-definition--")]
        self.assertEqual(len(ext), 1, rep)
        self.assertNotEqual(ext[0]["result"], "refused", ext)

    def test_bad_input(self):
        st, _, b = self.s.request("POST", "/liaison/intake", body=b"\xff\xfe bad",
                                  content_type="text/plain")
        self.assertTaxiiError((st, _, b), 422, "utf-8")
        st, _, b = self.s.request("POST", "/liaison/intake", body=b"", content_type="text/plain")
        self.assertIn(st, (400, 422))
        self.assertTaxiiError(self.s.request("POST", "/liaison/intake", body=b"x",
                                             content_type="application/xml"), 415)
        self.assertTaxiiError(self.s.request("GET", "/liaison/intake"), 405)
        bundle = self.draft()
        # A read-only grant cannot publish; an unknown collection is 404; a bad marking is 400.
        body = json.dumps({"collection": "drafts", "bundle": bundle}).encode()
        self.assertTaxiiError(self.s.request("POST", "/liaison/intake/publish", body=body,
                                             content_type="application/json", token=self.reader), 403)
        body = json.dumps({"collection": "nowhere", "bundle": bundle}).encode()
        self.assertTaxiiError(self.s.request("POST", "/liaison/intake/publish", body=body,
                                             content_type="application/json"), 404)
        body = json.dumps({"collection": "drafts", "marking": "purple", "bundle": bundle}).encode()
        self.assertTaxiiError(self.s.request("POST", "/liaison/intake/publish", body=body,
                                             content_type="application/json"), 400)
        p = run_cli("intake", SAMPLE, "--publish", "drafts", check=False)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    harness.main()
