#!/usr/bin/env python3
"""The desk's collection browser on a large collection (issue 21: "the collection page with
100,000 objects stays under 300 ms per page").

  browse_bench.py LIAISON_BIN BENCH_GEN [N]      (N: objects, default 100000)

Makes a fresh data directory and server (loopback, free port, stopped at the end), N
objects from bench_gen (stixgen.h: the usual type mix, ~45% TLP-marked, 24 creators, modified
over four days of January 2023), a partner cleared for amber that may read the collection,
and times, as the page does it (GET /liaison/browse: one page of 50 with the total and the
position, i.e. one page query and one or two counts through the gate), the median of
BROWSE_REPEAT (9) requests of every filter and order the page offers, for the admin and for
the partner (names prefixed admin. and partner.):
  - the first page, oldest and newest first; sorted by modified, both orders
  - filtered by type, by TLP, by creator, by text (names contain), by a modified range that
    selects a third of the collection and by one that selects nothing (the page query then
    walks the whole collection)
  - a page deep in the collection (10,001 in, reached with next tokens) and the page before
    it, in added order and in modified order
beside the baseline of the same run: TAXII's own first page of 50 (GET .../objects/?limit=50,
no total), with the response cache and read-ahead off so that every answer is made by the
store. Then, when node, web/dist and Chromium are there (BROWSE_BROWSER=0 skips it), the page
itself in headless Chromium (bench/browse_page.mjs): one page load per filter and order, for
both callers, and its next and previous pages.
Prints key=value lines: each median in ms, its ratio to the baseline, the total.
BROWSE_PG=postgres://user@host:port (no database, no password) runs it on PostgreSQL: a new
database liaison_browse_<pid> on that server, dropped at the end (VACUUM ANALYZE after the
ingest unless BROWSE_VACUUM=0, as autovacuum would do on a store that is not just filled).
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
PG = os.environ.get("BROWSE_PG", "")
TAXII = "application/taxii+json;version=2.1"
HERE = os.path.dirname(os.path.abspath(__file__))


def cli(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1].strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql):
    subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   capture_output=True)


def server_cpu_ms(pid):
    """CPU time (ms) the server's threads have used: the work of the requests it answered,
    whatever else the machine is doing (PostgreSQL's share is in its own processes)."""
    ns = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(f) as fh:
                ns += int(fh.read().split()[0])
        except OSError:
            pass  # a thread that ended
    return ns / 1e6


def cases_of(creator):
    """(name, browse parameters, the page's own query) of every filter and order it offers."""
    return [
        ("first_page", {}, ""),
        ("newest_first", {"order": "desc"}, "sort=added_desc"),
        ("sort_modified_desc", {"sort": "modified", "order": "desc"}, "sort=modified_desc"),
        ("sort_modified_asc", {"sort": "modified"}, "sort=modified_asc"),
        ("type_report", {"type": "report"}, "type=report"),
        ("tlp_red", {"tlp": "red"}, "tlp=red"),
        ("tlp_amber", {"tlp": "amber"}, "tlp=amber"),
        ("creator", {"creator": creator}, "partner=" + creator),
        ("text", {"text": "partner agency"}, "text=partner+agency"),
        ("modified_range", {"modified_from": "2023-01-02", "modified_to": "2023-01-02"},
         "from=2023-01-02&to=2023-01-02"),
        ("modified_range_none", {"modified_from": "2024-03-01", "modified_to": "2024-03-31"},
         "from=2024-03-01&to=2024-03-31"),
        ("type_sorted_modified", {"type": "indicator", "sort": "modified", "order": "desc"},
         "type=indicator&sort=modified_desc"),
    ]


def main():
    binary, gen = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    tmp = tempfile.mkdtemp(prefix="liaison-browse-")
    data = os.path.join(tmp, "data")
    proc = None
    db_url = None
    try:
        print("load=%s store=%s" % (" ".join(open("/proc/loadavg").read().split()[:3]),
                                    "postgresql" if PG else "sqlite"))
        init = ["init", "--data", data]
        if PG:
            db_url = PG.rstrip("/") + "/liaison_browse_%d" % os.getpid()
            psql(PG.rstrip("/") + "/postgres", "CREATE DATABASE liaison_browse_%d" % os.getpid())
            init += ["--store", db_url]
        admin = cli(binary, *init)
        cli(binary, "collection", "add", "--data", data, "--title", "big", "--alias", "big")
        cli(binary, "partner", "add", "--data", data, "--name", "P", "--clearance", "amber")
        cli(binary, "grant", "--data", data, "--collection", "big", "--partner", "P", "--read")
        partner = cli(binary, "token", "issue", "--data", data, "--partner", "P")
        subprocess.run([gen, "-n", str(n), "-b", "1000", "-s", "1", "-o",
                        os.path.join(tmp, "bundles")], check=True, capture_output=True)
        web_root = os.path.join(HERE, "..", "web", "dist")

        def start():
            port = free_port()
            p = subprocess.Popen([binary, "serve", "--data", data, "--listen",
                                  "127.0.0.1:%d" % port, "--set", "rate_limit=0",
                                  # the baseline is answered by the store, as browse is, not
                                  # replayed from the response cache or made ahead
                                  "--set", "response_cache_bytes=0", "--set", "readahead_bytes=0",
                                  "--set", "web_root=" + os.path.abspath(web_root)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                    c.request("GET", "/healthz")
                    c.getresponse().read()
                    return p, c, port
                except OSError:
                    time.sleep(0.1)
            raise SystemExit("the server did not start")

        proc, conn, port = start()
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
        if PG and os.environ.get("BROWSE_VACUUM", "1") == "1":
            t0 = time.perf_counter()
            psql(db_url, "VACUUM ANALYZE")
            print("vacuum_s=%.1f" % (time.perf_counter() - t0))

        def get(path, token=admin, accept="application/json"):
            conn.request("GET", path, headers={"Authorization": "Bearer " + token,
                                               "Accept": accept})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, (path, r.status, body[:200])
            return body

        def median_ms(path, token=admin, accept="application/json"):
            """The median wall time of REPEAT requests, and the server's CPU time per request."""
            get(path, token, accept)  # warm
            times = []
            cpu = server_cpu_ms(proc.pid)
            for _ in range(REPEAT):
                t = time.perf_counter()
                get(path, token, accept)
                times.append((time.perf_counter() - t) * 1e3)
            return statistics.median(times), (server_cpu_ms(proc.pid) - cpu) / REPEAT

        def browse(**q):
            return "/liaison/browse/big?" + urllib.parse.urlencode(dict(limit=50, **q))

        def deep(token, **q):
            """The answer 200 pages in (position 10,001), reached with next tokens."""
            page = json.loads(get(browse(**q), token))
            for _ in range(min(200, n // 50 // 2)):
                page = json.loads(get(browse(next=page["next"], **q), token))
            return page

        creator = json.loads(get(browse()))["objects"][0]["created_by_ref"]
        base, base_cpu = median_ms("/taxii2/default/collections/big/objects/?limit=50",
                                   accept=TAXII)
        print("baseline_taxii_first_page_ms=%.1f cpu_ms=%.1f" % (base, base_cpu))
        worst = 0.0
        for who, tok in (("admin", admin), ("partner", partner)):
            d_added = deep(tok)
            d_mod = deep(tok, sort="modified", order="desc")
            mod = {"sort": "modified", "order": "desc"}
            paging = [
                ("deep_page_%d" % d_added["position"], browse(next=d_added["next"])),
                ("page_before_it", browse(prev=d_added["prev"])),
                ("modified_deep_page_%d" % d_mod["position"], browse(next=d_mod["next"], **mod)),
                ("modified_page_before_it", browse(prev=d_mod["prev"], **mod)),
            ]
            for name, path in [(c[0], browse(**c[1])) for c in cases_of(creator)] + paging:
                ms, cpu = median_ms(path, tok)
                total = json.loads(get(path, tok))["total"]
                worst = max(worst, ms)
                print("%s.%s_ms=%.1f ratio=%.2f cpu_ms=%.1f total=%d"
                      % (who, name, ms, ms / base, cpu, total))
        print("worst_ms=%.1f target_ms=300 %s" % (worst, "PASS" if worst < 300 else "FAIL"))
        browser(port, admin, partner, creator)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        if db_url:
            psql(PG.rstrip("/") + "/postgres",
                 "DROP DATABASE IF EXISTS liaison_browse_%d WITH (FORCE)" % os.getpid())
        shutil.rmtree(tmp, ignore_errors=True)


def browser(port, admin, partner, creator):
    """The page in Chromium (bench/browse_page.mjs), when everything it needs is there."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    missing = [what for what, ok in (
        ("BROWSE_BROWSER=0", os.environ.get("BROWSE_BROWSER", "1") != "0"),
        ("node", shutil.which("node")),
        ("web/dist (scripts/build-web)", os.path.exists(os.path.join(HERE, "..", "web", "dist",
                                                                     "index.html"))),
        ("web/node_modules/playwright-core", os.path.isdir(
            os.path.join(HERE, "..", "web", "node_modules", "playwright-core"))),
        (chromium, os.path.exists(chromium))) if not ok]
    if missing:
        print("browser=skipped (%s)" % ", ".join(missing))
        return
    cases = [[c[0], c[2]] for c in cases_of(creator)]
    figures = []
    for who, tok in (("admin", admin), ("partner", partner)):
        out = subprocess.run(["node", os.path.join(HERE, "browse_page.mjs"),
                              "http://127.0.0.1:%d" % port, tok, "big", json.dumps(cases)],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            print(line.replace("browser.", "browser.%s." % who, 1))
            if "_ms=" in line:
                figures.append(float(line.split("_ms=")[1].split()[0]))
    worst = max(figures)
    print("browser_median_ms=%.1f browser_worst_ms=%.1f over_300=%d of %d target_ms=300 %s"
          % (statistics.median(figures), worst, sum(f >= 300 for f in figures), len(figures),
             "PASS" if worst < 300 else "FAIL"))
    print("load=%s" % " ".join(open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    main()
