#!/usr/bin/env python3
"""The server's work for a partner's and an administrator's walk, counted in instructions.

  policy_work.py LIAISON_BIN [N] [WALKS]

policy_bench.py judges partner/admin paging on wall-clock time, which a machine shared with
other jobs makes noisy (bench/RESULTS.md: ratios from 0.72 to 1.01 for one build in one
hour). This counts what the server executes instead, which load does not change: the same
data as policy_bench (N objects, default 5000, the issue's policy mix), ingested by a plain
server; then the server again under valgrind's callgrind (all threads: request workers,
read-ahead, checkpoints), counters zeroed once it is up, WALKS walks (default 3) of
limit=1000 pages by one principal, and the counters dumped: instructions per object walked,
for the admin and for the partner US, and their ratio. Compare two builds by running it on
each; it takes a few minutes (valgrind runs the server ~50 times slower).
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_bench as pb  # noqa: E402  (its data and requests, unchanged)


def start(binary, data, port, under=()):
    proc = subprocess.Popen(list(under) + [binary, "serve", "--data", data, "--listen",
                                           "127.0.0.1:%d" % port, "--set", "rate_limit=0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data)
    for _ in range(1200):
        try:
            c = pb.http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("policy_work: the server did not start")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=600)


def total_ir(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise SystemExit("policy_work: no totals in " + path)


def main():
    binary = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    walks = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tmp = tempfile.mkdtemp(prefix="liaison-policy-work-")
    try:
        data = os.path.join(tmp, "data")
        admin = pb.cli(binary, "init", "--data", data).strip().splitlines()[-1]
        pb.cli(binary, "collection", "add", "--data", data, "--title", "bench", "--alias", "b")
        us = pb.cli(binary, "partner", "add", "--data", data, "--name", "US", "--clearance",
                    "amber").strip()
        other = pb.cli(binary, "partner", "add", "--data", data, "--name", "Other").strip()
        pb.cli(binary, "grant", "--data", data, "--collection", "b", "--partner", "US", "--read")
        us_tok = pb.cli(binary, "token", "issue", "--data", data, "--partner", "US").split()[-1]
        port = pb.free_port()
        proc = start(binary, data, port)
        conn = pb.http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        rel = {name: {"type": "marking-definition", "spec_version": "2.1",
                      "id": "marking-definition--%s" % pb.uuid.uuid4(),
                      "created": "2024-01-01T00:00:00.000Z", "name": "REL TO " + name,
                      "extensions": {pb.REL: {"extension_type": "property-extension",
                                              "rel_to": [ident]}}}
               for name, ident in (("us", us), ("other", other))}
        pb.request(conn, "POST", "/taxii2/default/collections/b/objects/", admin,
                   json.dumps({"objects": list(rel.values())}).encode())
        for start_i in range(0, n, 1000):
            objs = []
            for i in range(start_i, min(n, start_i + 1000)):
                k = i % 6  # policy_bench's "issue" mix
                marks = ([rel["us"]["id"], pb.TLP["green"]] if k == 0 else
                         [rel["other"]["id"], pb.TLP["green"]] if k == 3 else
                         [pb.TLP[("green", "amber", "red")[(i // 6 * 4 + k - 1 - (k > 3)) % 3]]])
                objs.append({"type": "indicator", "spec_version": "2.1",
                             "id": "indicator--%s" % pb.uuid.uuid4(),
                             "created": "2024-01-01T00:00:00.000Z",
                             "modified": "2024-01-01T00:00:00.000Z", "name": "indicator %d" % i,
                             "description": ("Recruitment cell dismantled. " * 20)[:560],
                             "pattern": "[ipv4-addr:value = '10.%d.%d.%d']"
                             % (i >> 16 & 255, i >> 8 & 255, i & 255),
                             "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
                             "object_marking_refs": marks})
            st, b = pb.request(conn, "POST", "/taxii2/default/collections/b/objects/", admin,
                               json.dumps({"objects": objs}).encode())
            assert st == 202, b[:200]
        conn.close()
        stop(proc)
        per = {}
        for who, tok in (("admin", admin), ("partner", us_tok)):
            for f in glob.glob(os.path.join(data, "callgrind.out.*")):
                os.unlink(f)
            port = pb.free_port()
            proc = start(binary, data, port, ("valgrind", "--tool=callgrind",
                                               "--callgrind-out-file=callgrind.out.%p"))
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                           capture_output=True, cwd=data)
            conn = pb.http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            objects = 0
            for _ in range(walks):
                objects += pb.page_all(conn, tok, "b")[2]
            conn.close()
            subprocess.run(["callgrind_control", "--dump=walks", str(proc.pid)], check=True,
                           capture_output=True, cwd=data)
            dumps = sorted(glob.glob(os.path.join(data, "callgrind.out.%d.*" % proc.pid)))
            ir = total_ir(dumps[-1])
            stop(proc)
            per[who] = ir / objects
            print("%s: %d walks, %d objects, %d instructions, %.0f per object"
                  % (who, walks, objects, ir, per[who]))
        print("partner/admin instructions per object: %.3f" % (per["partner"] / per["admin"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
