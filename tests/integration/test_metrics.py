"""/metrics: Prometheus text for a local admin, refused to others; the request log."""
import json
import time

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

