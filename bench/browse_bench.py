#!/usr/bin/env python3
"""The desk's collection browser on a large collection (issue 21: "the collection page with
100,000 objects stays under 300 ms per page").

  browse_bench.py LIAISON_BIN BENCH_GEN [N]      (N: objects, default 100000)

Makes a fresh data directory and server (loopback, free port, stopped at the end), N
objects from bench_gen (stixgen.h: the usual type mix, ~45% TLP-marked, 24 creators), a
partner cleared for amber that may read the collection, and times, as the page does it
(GET /liaison/browse: one page of 50 with the total and the position, i.e. one page query and
two counts through the gate), the median of BROWSE_REPEAT (9) requests of:
  - the first page; the first page newest first; sorted by modified (both orders)
  - filtered by type, by TLP, by creator, by a modified range, by text (a trigram match)
  - a page deep in the collection (reached with next tokens) and the page before it
  - the partner's first page and its type-filtered page
beside the baseline of the same run: TAXII's own first page of 50 (GET .../objects/?limit=50,
no total), with the response cache and read-ahead off so that both are made by the store. Prints key=value lines: each median in ms and its ratio to the baseline.
BROWSE_INDEXES=1 adds, after the ingest and with the server stopped, the two indexes the
slow cases would use (object(coll, modified, date_added) and object(coll, type, date_added)),
to show what they buy (their cost to ingest is not measured here).
Timing is for bench/RESULTS.md, never a pass/fail test.
"""
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPEAT = int(os.environ.get("BROWSE_REPEAT", "9"))
INDEXES = os.environ.get("BROWSE_INDEXES", "0") == "1"
TAXII = "application/taxii+json;version=2.1"


def cli(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1].strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary, gen = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    tmp = tempfile.mkdtemp(prefix="liaison-browse-")
    data = os.path.join(tmp, "data")
    proc = None
    try:
        admin = cli(binary, "init", "--data", data)
        cli(binary, "collection", "add", "--data", data, "--title", "big", "--alias", "big")
        cli(binary, "partner", "add", "--data", data, "--name", "P", "--clearance", "amber")
        cli(binary, "grant", "--data", data, "--collection", "big", "--partner", "P", "--read")
        partner = cli(binary, "token", "issue", "--data", data, "--partner", "P")
        subprocess.run([gen, "-n", str(n), "-b", "1000", "-s", "1", "-o",
                        os.path.join(tmp, "bundles")], check=True, capture_output=True)
        def start():
            port = free_port()
            p = subprocess.Popen([binary, "serve", "--data", data, "--listen",
                                  "127.0.0.1:%d" % port, "--set", "rate_limit=0",
                                  # the baseline is answered by the store, as browse is, not
                                  # replayed from the response cache or made ahead
                                  "--set", "response_cache_bytes=0", "--set", "readahead_bytes=0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                    c.request("GET", "/healthz")
                    c.getresponse().read()
                    return p, c
                except OSError:
                    time.sleep(0.1)
            raise SystemExit("the server did not start")

        proc, conn = start()
        t0 = time.perf_counter()
        for f in sorted(glob.glob(os.path.join(tmp, "bundles", "bundle-*.json"))):
            with open(f, "rb") as fh:
                conn.request("POST", "/taxii2/default/collections/big/objects/", body=fh.read(),
                             headers={"Authorization": "Bearer " + admin, "Accept": TAXII,
                                      "Content-Type": TAXII})
            r = conn.getresponse()
            r.read()
            assert r.status == 202, r.status
        print("objects=%d ingest_s=%.1f" % (n, time.perf_counter() - t0))
        if INDEXES:
            import sqlite3
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            t0 = time.perf_counter()
            with sqlite3.connect(os.path.join(data, "liaison.db")) as db:
                db.execute("CREATE INDEX bench_modified ON object(coll, modified, date_added)")
                db.execute("CREATE INDEX bench_type ON object(coll, type, date_added)")
            print("indexes_s=%.1f" % (time.perf_counter() - t0))
            proc, conn = start()

        def get(path, token=admin, accept="application/json"):
            conn.request("GET", path, headers={"Authorization": "Bearer " + token,
                                               "Accept": accept})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, (path, r.status, body[:200])
            return body

        def median_ms(path, token=admin, accept="application/json"):
            get(path, token, accept)  # warm
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                get(path, token, accept)
                times.append((time.perf_counter() - t) * 1e3)
            return statistics.median(times)

        def browse(**q):
            return "/liaison/browse/big?" + urllib.parse.urlencode(dict(limit=50, **q))

        first = json.loads(get(browse()))
        creator = first["objects"][0]["created_by_ref"]
        deep = first
        for _ in range(min(200, n // 50 // 2)):
            deep = json.loads(get(browse(next=deep["next"])))
        base = median_ms("/taxii2/default/collections/big/objects/?limit=50", accept=TAXII)
        print("baseline_taxii_first_page_ms=%.1f" % base)
        cases = [
            ("first_page", browse(), admin),
            ("newest_first", browse(order="desc"), admin),
            ("sort_modified_desc", browse(sort="modified", order="desc"), admin),
            ("sort_modified_asc", browse(sort="modified"), admin),
            ("type_report", browse(type="report"), admin),
            ("tlp_red", browse(tlp="red"), admin),
            ("creator", browse(creator=creator), admin),
            ("modified_range", browse(modified_from="2024-03-01", modified_to="2024-03-31"), admin),
            ("text", browse(text="partner agency"), admin),
            ("deep_page_%d" % deep["position"], browse(next=deep["next"]), admin),
            ("page_before_it", browse(prev=deep["prev"]), admin),
            ("partner_first_page", browse(), partner),
            ("partner_type_report", browse(type="report"), partner),
        ]
        worst = 0.0
        for name, path, tok in cases:
            ms = median_ms(path, tok)
            total = json.loads(get(path, tok))["total"]
            worst = max(worst, ms)
            print("%s_ms=%.1f ratio=%.2f total=%d" % (name, ms, ms / base, total))
        print("worst_ms=%.1f target_ms=300 %s" % (worst, "PASS" if worst < 300 else "FAIL"))
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
