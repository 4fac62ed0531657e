#!/usr/bin/env python3
"""Search on a 1,000,000-object collection, SQLite and PostgreSQL (issue 21.4).

    python3 bench/search_bench.py BUILD_DIR [N]

For each backend: a new store (`liaison init`; on PostgreSQL a new database on the
cluster at SEARCH_PG_URL, else LIAISON_TEST_PG, dropped at the end; the backend is
skipped, saying so, when neither is set), a collection "big" filled with N (1,000,000)
bench_gen objects by bench_search_load through the one write path (so every version has
the search text the server gives it), a few entities of our own posted over HTTP into
"big" and a second collection "desk" (a rare actor named in Arabic with Latin aliases, a
report about it, a TLP:RED source), a green-cleared partner allowed to read both. On
PostgreSQL the database is ANALYZEd after the load, as docs/scale-out.md asks after a bulk
load. Then `liaison serve` and each query SEARCH_RUNS (7) times as the administrator and as
the partner (through the policy gate); figures are the medians of the server's own time
for the request (the request log's `us`) and of the client's wall time.

The baseline, measured in the same run with the same server and caller: the first page
(limit=50) of the big collection's objects listing, the cheapest read of that collection.

Environment: SEARCH_RUNS (7), SEARCH_BACKENDS ("sqlite pg"), SEARCH_KEEP=1 keeps the
directories (and the database), SEARCH_PG_URL; SEARCH_REUSE_SQLITE=DIR and
SEARCH_REUSE_PG=DIR time the queries on the data directory of a kept run (no load);
SEARCH_SET="key=value ..." passes settings to `liaison serve`.
"""
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
MEDIA = "application/taxii+json;version=2.1"

# (label, query string): the mix.
QUERIES = [
    ("rare name (Latin)", {"q": "macina"}),
    ("rare name, Arabic, normalised (ta marbuta)", {"q": "كتيبه ماسينا"}),
    ("through an alias (Latin finds Arabic-named)", {"q": "macina liberation"}),
    ("common word", {"q": "campaign"}),
    ("Arabic name, normalised (no hamza)", {"q": "الاسلامية"}),
    ("alias, common", {"q": "isis"}),
    ("facet-narrowed (type, tlp)", {"q": "isis", "type": "threat-actor", "tlp": "green,clear"}),
    ("no match", {"q": "zzqqxx"}),
]


def freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def cli(binary, *args):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True)
    if p.returncode:
        raise SystemExit("search_bench: %s %s failed: %s" % (binary, " ".join(args), p.stderr))
    return p.stdout.strip()


def stix(type_, id_, **props):
    o = {"type": type_, "spec_version": "2.1", "id": id_, "created": "2026-11-01T00:00:00.000Z",
         "modified": "2026-11-01T00:00:00.000Z"}
    o.update(props)
    return o


OURS = [
    stix("threat-actor", "threat-actor--6d1f3b1e-6a1c-4a57-9a0e-5c3f0f1a0001", name="كتيبة ماسينا",
         threat_actor_types=["terrorist"], aliases=["Katiba Macina", "Macina Liberation Front"],
         object_marking_refs=[GREEN]),
    stix("report", "report--6d1f3b1e-6a1c-4a57-9a0e-5c3f0f1a0002", name="Katiba Macina in Mopti",
         published="2026-11-01T00:00:00Z", report_types=["threat-report"],
         object_refs=["threat-actor--6d1f3b1e-6a1c-4a57-9a0e-5c3f0f1a0001"],
         description="تقرير عن كتيبة ماسينا وعلاقتها بالدولة الإسلامية", object_marking_refs=[AMBER]),
    stix("intrusion-set", "intrusion-set--6d1f3b1e-6a1c-4a57-9a0e-5c3f0f1a0003",
         name="Macina source", object_marking_refs=[RED]),
]


class Server:
    def __init__(self, binary, data):
        self.log = open(os.path.join(os.path.dirname(data), "serve.log"), "w+")
        self.port = freeport()
        self.proc = subprocess.Popen(
            [binary, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port,
             "--set", "rate_limit=0", "--set", "response_cache_bytes=0", "--set",
             "readahead_bytes=0"] + [a for kv in os.environ.get("SEARCH_SET", "").split()
                                    for a in ("--set", kv)],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("search_bench: the server did not start")
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def request(self, method, path, token, body=None):
        h = {"Accept": MEDIA, "Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = MEDIA
            body = json.dumps(body).encode()
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data, (time.perf_counter() - t0) * 1e3

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def measure(srv, token, path, prefix, runs):
    """Medians of server ms and wall ms over runs, and the last answer."""
    server, wall = [], []
    data = b""
    for _ in range(runs):
        lines_before = sum(1 for _ in open(srv.log.name))
        st, data, ms = srv.request("GET", path, token)
        if st != 200:
            raise SystemExit("search_bench: GET %s answered %d: %s" % (path, st, data[:300]))
        us = None
        for _ in range(50):
            lines = open(srv.log.name).read().splitlines()[lines_before:]
            hits = [ln for ln in lines if '"request"' in ln and '"path":"%s' % prefix in ln]
            if hits:
                us = int(re.search(r'"us":(\d+)', hits[-1]).group(1))
                break
            time.sleep(0.02)
        server.append(us / 1e3 if us is not None else float("nan"))
        wall.append(ms)
    return statistics.median(server), statistics.median(wall), data


def backend(binary, build, kind, n, runs):
    tmp = tempfile.mkdtemp(prefix="liaison-search-bench-")
    data = os.path.join(tmp, "data")
    pg_admin = os.environ.get("SEARCH_PG_URL") or os.environ.get("LIAISON_TEST_PG")
    pgdb = None
    extra = []
    reuse = os.environ.get("SEARCH_REUSE_" + kind.upper())
    if kind == "pg" and not reuse:
        if not pg_admin:
            print("\n== PostgreSQL: skipped (SEARCH_PG_URL and LIAISON_TEST_PG are unset)")
            return
        pgdb = "liaison_search_bench_" + os.urandom(4).hex()
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", pg_admin, "-c",
                        "CREATE DATABASE %s" % pgdb], check=True)
        u = urllib.parse.urlsplit(pg_admin)
        store = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + pgdb, u.query, ""))
        extra = ["--store", store]
    srv = None
    try:
        print("\n== %s: %d objects (load %s)" % ("PostgreSQL" if kind == "pg" else "SQLite", n, load()))
        if reuse:
            data = reuse
            admin = cli(binary, "token", "issue", "--data", data, "--admin").splitlines()[-1].strip()
        else:
            admin = cli(binary, "init", "--data", data, *extra).splitlines()[-1].strip()
            for c in ("big", "desk"):
                cli(binary, "collection", "add", "--data", data, "--title", c, "--alias", c)
            cli(binary, "partner", "add", "--data", data, "--name", "G", "--clearance", "green")
            for c in ("big", "desk"):
                cli(binary, "grant", "--data", data, "--collection", c, "--partner", "G", "--read")
            where = store if kind == "pg" else os.path.join(data, "liaison.db")
            t0 = time.time()
            out = cli(os.path.join(build, "bench_search_load"), "--store", where, "--alias", "big",
                      "-n", str(n))
            print("load: %s (%.0f s, load %s)" % (out, time.time() - t0, load()))
            if kind == "pg":
                t0 = time.time()
                subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", store, "-c", "ANALYZE"],
                               check=True)
                print("ANALYZE: %.1f s" % (time.time() - t0))
        partner = cli(binary, "token", "issue", "--data", data, "--partner", "G").split()[-1]
        srv = Server(binary, data)
        for c in ("big", "desk"):  # again when reused: stored once, "existed" after
            st, b, _ = srv.request("POST", "/taxii2/default/collections/%s/objects/" % c, admin,
                                   {"objects": OURS})
            if st != 202:
                raise SystemExit("search_bench: POST answered %d: %s" % (st, b[:300]))
        print("load before the queries: %s; %d runs each, medians" % (load(), runs))
        print("%-46s %-7s %9s %9s %8s %8s %s" % ("query", "who", "server", "wall", "/base", "results",
                                                "facet counts (type: total)"))
        base = {}
        for who, tok in (("admin", admin), ("partner", partner)):
            path = "/taxii2/default/collections/big/objects/?limit=50"
            s_ms, w_ms, _ = measure(srv, tok, path, "/taxii2/default/collections/big/objects", runs)
            base[who] = s_ms
            print("%-46s %-7s %7.2fms %7.2fms %8s %8s" % ("baseline: first page of big, limit=50",
                                                          who, s_ms, w_ms, "1", "50"))
        for label, q in QUERIES:
            for who, tok in (("admin", admin), ("partner", partner)):
                path = "/liaison/search?" + urllib.parse.urlencode(dict(q, limit="50"))
                s_ms, w_ms, body = measure(srv, tok, path, "/liaison/search", runs)
                j = json.loads(body)
                total = sum(f["count"] for f in j.get("facets", {}).get("type", []))
                print("%-46s %-7s %7.2fms %7.2fms %8.1f %8d %d" % (
                    label, who, s_ms, w_ms, s_ms / base[who], len(j["results"]), total))
        print("load after: %s" % load())
    finally:
        if srv:
            srv.stop()
        if os.environ.get("SEARCH_KEEP") == "1" and not reuse:
            print("kept %s%s" % (tmp, " and database " + pgdb if pgdb else ""))
        else:  # a reused directory is the caller's; tmp was not used
            shutil.rmtree(tmp, ignore_errors=True)
            if pgdb:
                subprocess.run(["psql", "-q", pg_admin, "-c",
                                "DROP DATABASE IF EXISTS %s WITH (FORCE)" % pgdb])


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: search_bench.py BUILD_DIR [N]")
    build = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    runs = int(os.environ.get("SEARCH_RUNS", "7"))
    binary = os.path.join(build, "liaison")
    print("search bench: %d objects, %d runs, %d cores, load %s, commit %s" % (
        n, runs, os.cpu_count(), load(),
        subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True).stdout.strip()))
    for kind in os.environ.get("SEARCH_BACKENDS", "sqlite pg").split():
        backend(binary, build, kind, n, runs)


if __name__ == "__main__":
    main()
