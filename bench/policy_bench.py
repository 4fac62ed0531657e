#!/usr/bin/env python3
"""Need-to-know and audit costs (issue: partners and need-to-know).

  policy_bench.py LIAISON_BIN [N]

Makes a fresh data directory and server (loopback, free port, stopped at the
end), two partners (US: clearance amber; Other), N objects of ~800 bytes with
the issue's realistic policy (POLICY_MIX=issue, the default): REL TO on a third
of the objects (half of them REL TO US, half REL TO Other, all TLP GREEN), the
other two thirds TLP GREEN, AMBER and RED in equal parts; US may see 11/18 of
the objects. POLICY_MIX=strict is the harder mix measured before run 7: a
third REL TO US, a third REL TO Other, a third GREEN/AMBER/RED (US sees 5/9,
and two thirds of all objects carry REL TO). Measures, in the same run:
  - ingest objects/s, and the share of ingest time spent appending audit
    entries (from /metrics: liaison_audit_seconds_total)
  - paging with limit=1000 as the admin and as the US partner (whose every
    page is filtered in SQL and recorded in the audit log before it is sent):
    objects/s and pages/s, and the partner/admin ratio. Admin and partner walks
    come in rounds (POLICY_ROUNDS, 32: the machine is noisy, and 5 rounds gave
    best-of ratios from 0.63 to 0.93 for one build), the admin first in one
    round, the partner first in the next: the second walk of a round costs
    this Python client ~0.5 us more per object (its own work, not the
    server's: bench/RESULTS.md, run 8), and until run 8 the partner always
    came second; and each walk starts after a full collection of the client's
    heap (see below). The target is judged on the median of the rounds' own ratios
    (each partner walk against the admin walk beside it, which met the same
    load); the ratio of the best of each and of the medians are printed beside.
    Pages after the first of each walk are made ahead while the client reads
    the one before (docs/architecture.md, "Read-ahead"), for both; the
    read-ahead counters are printed at the end.
POLICY_COLLECT=0 leaves out the collection before each walk (to see what it
removes: the count of full collections inside each principal's walks is
printed either way). POLICY_SET="key=value ..." passes settings to the server (readahead_bytes=0
turns read-ahead off, for a comparison). POLICY_STORE=postgres://... runs the same against that (empty) PostgreSQL
database instead of the embedded SQLite store (and runs ANALYZE, with psql,
after the ingest, as autovacuum would within a minute: docs/scale-out.md).
Prints key=value lines and a summary with the targets (partner >= 0.90 of
admin; audit < 10% of ingest).
"""
import gc
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

MEDIA = "application/taxii+json;version=2.1"
ROUNDS = int(os.environ.get("POLICY_ROUNDS", "32"))
MIX = os.environ.get("POLICY_MIX", "issue")
SETS = os.environ.get("POLICY_SET", "").split()  # extra server settings: readahead_bytes=0
COLLECT = os.environ.get("POLICY_COLLECT", "1") != "0"  # gc.collect() before each walk
TLP = {"green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
       "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
       "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
REL = "extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d"


def cli(binary, *args):
    return subprocess.run([binary] + list(args), check=True, capture_output=True, text=True).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def request(conn, method, path, token, body=None):
    h = {"Authorization": "Bearer " + token, "Accept": MEDIA}
    if body is not None:
        h["Content-Type"] = MEDIA
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


def metric(conn, token, name):
    st, body = request(conn, "GET", "/metrics", token)
    m = re.search(rb"^" + name.encode() + rb" ([0-9.e+-]+)$", body, re.M)
    return float(m.group(1)) if m else 0.0


def page_all(conn, token, alias, pid=None):
    """Pages through alias; returns (seconds, pages, objects, seconds waiting for answers,
    server CPU seconds (when pid is given), seconds waiting for the first page)."""
    nxt, pages, objs, waited, first = None, 0, 0, 0.0, 0.0
    cpu0 = server_cpu(pid)
    t0 = time.perf_counter()
    while True:
        path = "/taxii2/default/collections/%s/objects/?limit=1000" % alias
        if nxt:
            path += "&next=" + nxt
        w0 = time.perf_counter()
        st, body = request(conn, "GET", path, token)
        waited += time.perf_counter() - w0
        if not nxt:
            first = time.perf_counter() - w0
        assert st == 200, (st, body[:200])
        j = json.loads(body)
        pages += 1
        objs += len(j.get("objects", []))
        if not j["more"]:
            break
        nxt = j["next"]
    return time.perf_counter() - t0, pages, objs, waited, server_cpu(pid) - cpu0, first


def server_cpu(pid):
    if not pid:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    if MIX not in ("issue", "strict"):
        sys.exit("policy_bench: POLICY_MIX is issue or strict")
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    tmp = tempfile.mkdtemp(prefix="liaison-policy-bench-")
    proc = None
    try:
        data = os.path.join(tmp, "data")
        store = os.environ.get("POLICY_STORE")  # a PostgreSQL URL (an empty database)
        admin = cli(binary, "init", "--data", data,
                    *(["--store", store] if store else [])).strip().splitlines()[-1]
        cli(binary, "collection", "add", "--data", data, "--title", "bench", "--alias", "b")
        us = cli(binary, "partner", "add", "--data", data, "--name", "US", "--clearance", "amber").strip()
        other = cli(binary, "partner", "add", "--data", data, "--name", "Other").strip()
        cli(binary, "grant", "--data", data, "--collection", "b", "--partner", "US", "--read")
        us_tok = cli(binary, "token", "issue", "--data", data, "--partner", "US").split()[-1]
        port = free_port()
        proc = subprocess.Popen([binary, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port,
                                 "--set", "rate_limit=0"] +
                                [a for kv in SETS for a in ("--set", kv)], stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        rel = {}
        for name, ident in (("us", us), ("other", other)):
            rel[name] = {"type": "marking-definition", "spec_version": "2.1",
                         "id": "marking-definition--%s" % uuid.uuid4(),
                         "created": "2024-01-01T00:00:00.000Z", "name": "REL TO " + name,
                         "extensions": {REL: {"extension_type": "property-extension", "rel_to": [ident]}}}
        request(conn, "POST", "/taxii2/default/collections/b/objects/", admin,
                json.dumps({"objects": list(rel.values())}).encode())
        pad = "Recruitment cell dismantled; members linked to a regional network. " * 8
        bundles = []
        for start in range(0, n, 1000):
            objs = []
            for i in range(start, min(n, start + 1000)):
                if MIX == "strict":
                    k = i % 3
                    marks = ([rel["us"]["id"], TLP["green"]] if k == 0 else
                             [rel["other"]["id"], TLP["green"]] if k == 1 else
                             [TLP[("green", "amber", "red")[(i // 3) % 3]]])
                else:  # the issue's: REL TO on one object in three (i % 6 in 0, 3)
                    k = i % 6
                    marks = ([rel["us"]["id"], TLP["green"]] if k == 0 else
                             [rel["other"]["id"], TLP["green"]] if k == 3 else
                             [TLP[("green", "amber", "red")[(i // 6 * 4 + k - 1 - (k > 3)) % 3]]])
                objs.append({"type": "indicator", "spec_version": "2.1",
                             "id": "indicator--%s" % uuid.uuid4(),
                             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                             "name": "indicator %d" % i, "description": pad[:560],
                             "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                             "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
                             "object_marking_refs": marks})
            bundles.append(json.dumps({"objects": objs}).encode())
        a0 = metric(conn, admin, "liaison_audit_seconds_total")
        t0 = time.perf_counter()
        for body in bundles:
            st, b = request(conn, "POST", "/taxii2/default/collections/b/objects/", admin, body)
            assert st == 202, b[:200]
        ingest_s = time.perf_counter() - t0
        audit_ingest = metric(conn, admin, "liaison_audit_seconds_total") - a0
        if store:  # what autovacuum does within a minute: pages are planned on statistics
            subprocess.run(["psql", "-X", "-q", store, "-c", "ANALYZE"], check=True)
        print("mix %s store %s" % (MIX, "postgresql" if store else "sqlite"))
        print("ingest objects=%d seconds=%.3f objects_per_s=%.0f audit_seconds=%.4f audit_share=%.4f"
              % (n, ingest_s, n / ingest_s, audit_ingest, audit_ingest / ingest_s))
        # Admin and partner walks alternate, so that whatever else the machine (or the
        # server's background checkpoint) does at the time weighs on both; and which comes
        # first alternates too (see above).
        runs = {"admin": [], "partner": []}
        # Full collections of this client's heap during each principal's walks.
        walking, full = [None], {"admin": 0, "partner": 0}

        def count_full(phase, info):
            if phase == "start" and info["generation"] == 2 and walking[0]:
                full[walking[0]] += 1
        gc.callbacks.append(count_full)
        for r in range(ROUNDS):
            order = (("admin", admin), ("partner", us_tok))
            for who, tok in (order if r % 2 == 0 else order[::-1]):
                # Each walk starts from the same heap: left to itself, Python's cyclic
                # collector ran its full collections inside partner walks only (15 in 30
                # rounds, none in admin walks: +0.5 us per object of this client's time,
                # bench/RESULTS.md, run 8). Collecting before each walk, untimed, keeps the
                # collector on and out of the comparison.
                if COLLECT:
                    gc.collect()
                walking[0] = who
                runs[who].append(page_all(conn, tok, "b", proc.pid))
                walking[0] = None
        best = {}
        for who in ("admin", "partner"):
            secs, pages, objs = min(runs[who])[:3]
            best[who] = (objs / secs, pages / secs, objs, pages)
            print("paging %s objects=%d pages=%d objects_per_s=%.0f pages_per_s=%.1f (best of %d;"
                  " median %.0f objects/s)"
                  % (who, objs, pages, objs / secs, pages / secs, ROUNDS,
                     objs / sorted(r[0] for r in runs[who])[ROUNDS // 2]))
            # Where a walk's time goes, per object (medians): waiting for answers (server work,
            # and transfer), the client's own work (JSON parsing), and the server's CPU.
            mid = lambda k: sorted(r[k] for r in runs[who])[ROUNDS // 2] / objs * 1e6
            print("  per object, medians: waiting %.2f us, client %.2f us, server CPU %.2f us"
                  % (mid(3), sorted(r[0] - r[3] for r in runs[who])[ROUNDS // 2] / objs * 1e6,
                     mid(4)))
            # The first page of a walk has no page before it to be made during: it is made
            # when asked. The others (of 1,000 objects) are made ahead.
            print("  first page %.2f ms, later pages %.2f ms (medians)"
                  % (statistics.median(r[5] for r in runs[who]) * 1e3,
                     statistics.median((r[3] - r[5]) / (r[1] - 1) for r in runs[who]) * 1e3))
        ratio = best["partner"][0] / best["admin"][0]
        page_ratio = best["partner"][1] / best["admin"][1]
        share = audit_ingest / ingest_s
        med = {who: sorted(r[2] / r[0] for r in runs[who])[ROUNDS // 2] for who in runs}
        # Round by round: each partner walk against the admin walk beside it, which met the
        # same load on the machine; the median of those ratios is what the target is judged
        # on. The best of each is printed too, but one lucky admin walk moves it: 0.80 to
        # 1.01 in three runs of one build whose paired medians were 0.92 to 0.95
        # (bench/RESULTS.md, run 8).
        paired = [(p[2] / p[0]) / (a[2] / a[0]) for a, p in zip(runs["admin"], runs["partner"])]
        pm = statistics.median(paired)
        print("\nsummary")
        print("  partner/admin paging, paired:    %.3f  (median of %d rounds' ratios; target >= 0.90: %s)"
              % (pm, ROUNDS, "PASS" if pm >= 0.9 else "MISS"))
        print("  partner/admin paging, objects/s: %.3f  (best of %d each)" % (ratio, ROUNDS))
        print("  partner/admin paging, pages/s:   %.3f" % page_ratio)
        print("  partner/admin paging, medians:   %.3f" % (med["partner"] / med["admin"]))
        print("  client full collections in walks, admin/partner: %d/%d%s"
              % (full["admin"], full["partner"], "" if COLLECT else " (POLICY_COLLECT=0)"))
        print("  read-ahead pages made/sent/discarded: %d/%d/%d"
              % tuple(metric(conn, admin, "liaison_readahead_%s_total" % k)
                      for k in ("made", "sent", "discarded")))
        print("  audit share of ingest time:      %.4f  (target < 0.10: %s)" % (share, "PASS" if share < 0.1 else "MISS"))
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
