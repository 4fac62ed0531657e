"""Crash safety: `liaison serve` killed with SIGKILL in the middle of concurrent ingest,
twenty times over, loses nothing it acknowledged and shows nothing half-written.

Each cycle starts the server on the same data directory, runs several writer threads
posting small bundles (three objects each: malware, threat-actor and a relationship
between them, one transaction per bundle), kills the server with SIGKILL at a random
moment, and then, before any restart:
  - `PRAGMA integrity_check` on DIR/liaison.db is "ok" (python sqlite3, which also
    recovers the WAL the dead server left);
  - `liaison audit verify` says the hash chain is intact;
and after restarting:
  - every object version a status said `success` for is there (manifest, all versions);
  - every bundle is there whole or not at all (nothing half-applied, invariant 4);
  - every stored object reads back as complete JSON with its own id (nothing half-written).

CRASH_CYCLES (default 20) sets the number of cycles.
"""
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DataDir, Server, TaxiiCase, ROOT, main, run_cli, sdo  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "20"))
WRITERS = 4
TS = "2024-03-01T00:00:00.000Z"


def bundle():
    ta = sdo("threat-actor")
    mw = sdo("malware")
    rel = {"type": "relationship", "spec_version": "2.1", "id": "relationship--%s" % uuid.uuid4(),
           "created": TS, "modified": TS, "relationship_type": "uses",
           "source_ref": ta["id"], "target_ref": mw["id"]}
    return [ta, mw, rel]


class Writers:
    """Threads posting bundles until the server dies; records what was acknowledged."""

    def __init__(self, server, coll):
        self.server = server
        self.coll = coll
        self.lock = threading.Lock()
        self.acked = set()  # (id, version) a status said success for
        self.bundles = []   # [(id, version), ...] for every bundle sent (acknowledged or not)
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(WRITERS)]

    def run(self):
        while not self.stop.is_set():
            objs = bundle()
            keys = [(o["id"], o["modified"]) for o in objs]
            with self.lock:
                self.bundles.append(keys)
            try:
                st, _, j = self.server.post_objects(self.coll, objs, timeout=10)
            except Exception:  # the server was killed: connection refused or reset
                if self.stop.is_set() or self.server.proc.poll() is not None:
                    return
                time.sleep(0.01)
                continue
            if st != 202:
                with self.lock:
                    self.errors.append((st, j))
                continue
            with self.lock:
                for s in j.get("successes", []):
                    self.acked.add((s["id"], s["version"]))
                if j.get("failure_count"):
                    self.errors.append((st, j))

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


class CrashTest(TaxiiCase):
    def test_sigkill_during_ingest(self):
        d = DataDir()
        self.addCleanup(d.cleanup)
        coll = d.collection("Crash", alias="crash")
        db = os.path.join(d.path, "liaison.db")
        rng = random.Random(int(os.environ.get("CRASH_SEED", str(int(time.time())))))
        acked, bundles = set(), []
        kills = 0
        for cycle in range(CYCLES):
            s = Server(d).start()
            w = Writers(s, "crash")
            w.start()
            # kill while writes are flowing: after the cycle's first acknowledgement (a server
            # under valgrind takes seconds for it), then at a random moment
            deadline = time.time() + 120
            while not w.acked and not w.errors and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.0))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            kills += 1
            w.join()
            s.errlog.seek(0)
            err = s.errlog.read().decode("utf-8", "replace")
            s.errlog.close()
            s.proc = None
            for mark in harness.SANITIZER_MARKS:
                self.assertNotIn(mark, err, err[-5000:])
            self.assertEqual(w.errors, [], "refusals while posting valid bundles")
            acked |= w.acked
            bundles += w.bundles

            con = sqlite3.connect(db)
            try:
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)],
                                 "cycle %d" % cycle)
            finally:
                con.close()
            run_cli("audit", "verify", "--data", d.path)

            s = Server(d).start()
            try:
                present = {(e["id"], e["version"]) for e in s.manifest_all("crash")}
                missing = acked - present
                self.assertFalse(missing, "cycle %d: %d acknowledged versions lost, e.g. %s" %
                                 (cycle, len(missing), sorted(missing)[:3]))
                for keys in bundles:
                    there = [k in present for k in keys]
                    self.assertIn(there, ([True] * 3, [False] * 3),
                                  "cycle %d: a bundle is partly stored: %s" % (cycle, keys))
                if cycle % 5 == 4 or cycle == CYCLES - 1:
                    objs = s.objects_all("crash", {"match[version]": "all"})
                    self.assertEqual(len(objs), len(present))
                    for o in objs:
                        self.assertIn((o["id"], o["modified"]), present)
            finally:
                s.stop()
        print("\ncrash: %d cycles, %d SIGKILLs, %d bundles sent, %d object versions acknowledged "
              "and found, %d stored in all" % (CYCLES, kills, len(bundles), len(acked), len(present)))
        self.assertGreater(len(acked), 0)


if __name__ == "__main__":
    main()
