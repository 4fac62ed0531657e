"""/metrics: Prometheus text for a local admin, refused to others."""
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
