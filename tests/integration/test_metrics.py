"""/metrics: Prometheus text for a local admin, refused to others; the request log."""
import json
import time
import uuid

import harness
from harness import ROOT, TaxiiCase, run_cli, sdo


class MetricsTest(TaxiiCase):
    def test_counters_move_and_need_admin(self):
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        d.collection("c", "c")
        run_cli("partner", "add", "--data", d.path, "--name", "P")
        ptok = run_cli("token", "issue", "--data", d.path, "--partner", "P").stdout.split()[-1]
        s = harness.Server(d).start()
        try:
            st, hd, body = s.request("GET", "/metrics")
            self.assertEqual(st, 200)
            self.assertTrue(hd.get("Content-Type").startswith("text/plain"))
            before = parse(body)
            s.post_objects("c", [sdo(), sdo(), {"type": "indicator"}])
            s.request("GET", ROOT + "nowhere/")
            after = parse(s.request("GET", "/metrics")[2])
            self.assertEqual(after["liaison_objects_stored_total"] - before["liaison_objects_stored_total"], 2)
            self.assertEqual(after["liaison_objects_refused_total"] - before["liaison_objects_refused_total"], 1)
            self.assertGreaterEqual(after['liaison_requests_total{status="404"}'], 1)
            self.assertTaxiiError(s.request("GET", "/metrics", token=ptok), 403)
            self.assertTaxiiError(s.request("GET", "/metrics", auth=False), 401)
        finally:
            s.stop()


class LargeEnvelopeTest(TaxiiCase):
    """Envelopes of 64+ objects are stored while two threads parse them; the outcome must be
    exactly that of a whole parse, also when the stream has to give way to it."""

    def test_streamed_and_fallen_back(self):
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        d.collection("big", "big")
        pid, ptok = d.reader("big")
        s = harness.Server(d).start()
        try:
            def streamed():
                return parse(s.request("GET", "/metrics")[2])["liaison_envelopes_parallel_total"]

            pad = "z" * 900
            # 1. Plain: streamed, every object stored, one status.
            objs = [sdo("malware", description=pad) for _ in range(150)]
            objs[70] = {"type": "malware", "id": "malware--%s" % uuid.uuid4()}  # invalid: refused alone
            n0 = streamed()
            st, _, j = s.post_objects("big", objs)
            self.assertEqual((st, j["success_count"], j["failure_count"]), (202, 149, 1), j)
            self.assertEqual(j["failures"][0]["id"], objs[70]["id"])
            self.assertEqual(streamed(), n0 + 1)
            # 2. Broken JSON in the middle: the whole parse's error, nothing stored.
            before = len(s.manifest_all("big"))
            body = json.dumps({"objects": [sdo("malware", description=pad) for _ in range(150)]})
            cut = body.index("malware--", len(body) // 2)
            bad = body[:cut] + "\"oops" + body[cut:]
            st, _, b = s.request("POST", ROOT + "collections/big/objects/", body=bad.encode())
            self.assertEqual(st, 400, b)
            self.assertIn(b"byte", b)
            self.assertEqual(len(s.manifest_all("big")), before)
            # 3. A REL TO marking-definition spelled with an escape, after the object it marks:
            #    the two passes still store it first, so the object is released to P.
            rel_id = "marking-definition--%s" % uuid.uuid4()
            marked = sdo("malware", description=pad, object_marking_refs=[rel_id])
            rest = [sdo("malware", description=pad) for _ in range(100)]
            rel = {"type": "marking-definition", "spec_version": "2.1", "id": rel_id,
                   "created": "2024-01-01T00:00:00.000Z", "name": "REL TO P",
                   "extensions": {"extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d": {
                       "extension_type": "property-extension", "rel_to": [pid]}}}
            text = json.dumps({"objects": [marked] + rest + [rel]})
            text = text.replace('"type": "marking-definition"', '"type": "marking\\u002ddefinition"')
            self.assertNotIn('"marking-definition"', text)
            st, _, j = json_post(s, text)
            self.assertEqual((st, j.get("success_count")), (202, 102), j)
            st, _, j = s.get_json(ROOT + "collections/big/objects/%s/" % marked["id"], token=ptok)
            self.assertEqual(st, 200, j)
            self.assertEqual(j["objects"][0]["id"], marked["id"])
        finally:
            s.stop()


def json_post(s, text):
    st, hd, b = s.request("POST", ROOT + "collections/big/objects/", body=text.encode())
    return st, hd, json.loads(b)


def parse(body):
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


if __name__ == "__main__":
    harness.main()


def request_lines(text, marker):
    out = []
    for line in text.splitlines():
        if marker in line:
            j = json.loads(line)
            if j.get("event") == "request":
                out.append(j)
    return out


class RequestLogTest(TaxiiCase):
    def test_request_lines_are_written_soon_and_all_on_stop(self):
        """Request lines wait at most log_flush_ms in their thread's buffer: they show up in
        the log while the server runs, and a SIGTERM writes every one of them."""
        d = harness.DataDir()
        self.addCleanup(d.cleanup)
        s = harness.Server(d, sets=["log_flush_ms=200"]).start()
        try:
            for i in range(60):
                self.assertEqual(s.request("GET", ROOT + "?n=a%d" % i)[0], 400)  # unknown parameter
            deadline = time.time() + 10
            seen = []
            while time.time() < deadline:
                s.errlog.seek(0)
                seen = request_lines(s.errlog.read().decode(), "?n=a")
                if len(seen) == 60:
                    break
                time.sleep(0.05)
            self.assertEqual(len(seen), 60, "request lines still buffered after 10 s")
            for i in range(300):
                s.request("GET", ROOT + "?n=b%d" % i)
        finally:
            s.stop()
        lines = request_lines(s.stderr_text, "?n=b")
        self.assertEqual(sorted(j["path"] for j in lines), sorted(ROOT + "?n=b%d" % i for i in range(300)))
        self.assertTrue(all(j["status"] == 400 for j in lines))
        for line in s.stderr_text.splitlines():  # every line whole: no two writes interleaved
            json.loads(line)
        self.assertNotIn(d.admin.split(".")[1], s.stderr_text)

