#!/usr/bin/env python3
"""What storing rows clustered by visibility would buy partner paging, and cost.

  layout_experiment.py [N] [ROUNDS]

Not part of `make bench`: a record of the layout experiment in bench/RESULTS.md
(run 7), in Python's sqlite3, outside liaison. N rows (20,000) of ~1.1 KB of
JSON in one collection, in five visibility classes the way policy_bench.py's
strict mix has them (REL TO US, REL TO Other, GREEN, AMBER, RED); a partner
sees classes 0, 2 and 3. Three layouts:
  plain     the store's: one table keyed by date_added, the page index
            (coll, date_added, cls); rows of all classes interleaved
  json      the text moved to a second table keyed class << 40 | sequence,
            so that each class's text is contiguous; pages join it
  table     the object table itself keyed class << 40 | sequence, with a
            unique index on date_added
Prints, per layout: file size, insert rows/s, and pages of 1,000 as admin and
as partner (through the page index, as liaison reads them): best and median
rows/s over ROUNDS (15) alternating rounds, and the partner/admin ratios.
"""
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time

PAD = ("Recruitment cell dismantled; members linked to a regional network. " * 8)[:560]


def build(path, layout, n):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    if layout == "table":
        db.execute("CREATE TABLE object(rk INTEGER PRIMARY KEY, date_added INT NOT NULL,"
                   " coll INT, cls INT, jk INT, json TEXT)")
        db.execute("CREATE UNIQUE INDEX object_added ON object(date_added)")
    else:
        db.execute("CREATE TABLE object(date_added INTEGER PRIMARY KEY, coll INT, cls INT,"
                   " jk INT, json TEXT)")
    if layout == "json":
        db.execute("CREATE TABLE body(k INTEGER PRIMARY KEY, json TEXT)")
    db.execute("CREATE INDEX object_page ON object(coll, date_added, cls)")
    rnd = random.Random(7)
    rows = []
    for i in range(n):
        k = i % 3
        cls = 0 if k == 0 else 1 if k == 1 else 2 + (i // 3) % 3
        js = ('{"type":"indicator","id":"indicator--%032x","name":"indicator %d",'
              '"description":"%s","pattern":"[ipv4-addr:value = \'10.0.0.%d\']","x":"%s"}'
              % (rnd.getrandbits(128), i, PAD, i & 255, "x" * 300))
        rows.append((i + 1, cls, js))
    seq = {}
    t0 = time.perf_counter()
    db.execute("BEGIN")
    for i, (added, cls, js) in enumerate(rows):
        seq[cls] = seq.get(cls, 0) + 1
        key = (cls << 40) | seq[cls]
        if layout == "plain":
            db.execute("INSERT INTO object VALUES(?,1,?,0,?)", (added, cls, js))
        elif layout == "json":
            db.execute("INSERT INTO object VALUES(?,1,?,?,NULL)", (added, cls, key))
            db.execute("INSERT INTO body VALUES(?,?)", (key, js))
        else:
            db.execute("INSERT INTO object VALUES(?,?,1,?,0,?)", (key, added, cls, js))
        if i % 1000 == 999:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    rate = n / (time.perf_counter() - t0)
    db.close()
    return os.path.getsize(path), rate


def page_sql(layout, partner):
    pred = " AND cls IN (0,2,3)" if partner else ""
    inner = ("SELECT date_added, %s FROM object INDEXED BY object_page WHERE coll = 1"
             " AND date_added > ?%s ORDER BY date_added LIMIT 1000"
             % ("jk" if layout == "json" else "json", pred))
    if layout == "json":
        return ("SELECT sum(length(b.json)), count(*), max(o.date_added) FROM (%s) o"
                " JOIN body b ON b.k = o.jk" % inner)
    return "SELECT sum(length(json)), count(*), max(date_added) FROM (%s)" % inner


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    tmp = tempfile.mkdtemp(prefix="liaison-layout-")
    layouts = ("plain", "json", "table")
    conns = {}
    for layout in layouts:
        path = os.path.join(tmp, layout + ".db")
        size, rate = build(path, layout, n)
        print("%-6s file %6.1f MB  insert %7.0f rows/s" % (layout, size / 1e6, rate))
        conns[layout] = sqlite3.connect(path)
        conns[layout].execute("PRAGMA cache_size=-8000")  # liaison's
    res = {}
    for _ in range(rounds):
        for layout in layouts:
            for partner in (False, True):
                sql = page_sql(layout, partner)
                t0 = time.perf_counter()
                after, rows = 0, 0
                while True:
                    _, got, last = conns[layout].execute(sql, (after,)).fetchone()
                    if not got:
                        break
                    rows += got
                    after = last
                res.setdefault((layout, partner), []).append(rows / (time.perf_counter() - t0))
    for layout in layouts:
        a, p = res[(layout, False)], res[(layout, True)]
        print("%-6s admin best %7.0f med %7.0f | partner best %7.0f med %7.0f rows/s |"
              " ratio best %.2f med %.2f"
              % (layout, max(a), statistics.median(a), max(p), statistics.median(p),
                 max(p) / max(a), statistics.median(p) / statistics.median(a)))
    for c in conns.values():
        c.close()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
