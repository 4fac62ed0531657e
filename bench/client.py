#!/usr/bin/env python3
"""HTTP side of the liaison benchmark (standard library only, one keep-alive
connection, so that per-request overhead stays small next to 1,000-object
bodies).

  client.py ingest  URL TOKEN ALIAS DIR           POST every DIR/bundle-*.json
  client.py posters URL TOKEN ALIAS DIR K         the same from K clients at once (a thread
                                                  and a connection each, every K-th file)
  client.py page    URL TOKEN ALIAS LIMIT [MAX]   follow next tokens to the end
  client.py first   URL TOKEN ALIAS LIMIT REPEAT  time the first page REPEAT times
  client.py oneid   URL TOKEN ALIAS               print "PATH BODY_BYTES" of a small GET
  client.py freeport                              print a free loopback port

URL is http://127.0.0.1:PORT. Every command prints one line of key=value
figures; timings cover sending the request and reading the whole body.
"""
import glob
import http.client
import json
import os
import re
import socket
import statistics
import sys
import time
import urllib.parse

MEDIA = "application/taxii+json;version=2.1"
NEXT_RE = re.compile(rb'"next":"([^"]+)"')
MORE_RE = re.compile(rb'^\{"more":(true|false)')


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)


def headers(token, post=False):
    h = {"Authorization": "Bearer " + token, "Accept": MEDIA}
    if post:
        h["Content-Type"] = MEDIA
    return h


def pct(values, p):
    s = sorted(values)
    if not s:
        return 0.0
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def objects_path(alias):
    return "/taxii2/default/collections/%s/objects/" % alias


def get(conn, path, token):
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers(token))
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        sys.exit("GET %s: HTTP %d %s" % (path, r.status, body[:300]))
    return body, dt


def ingest(url, token, alias, d):
    files = sorted(glob.glob(os.path.join(d, "bundle-*.json")))
    conn = connect(url)
    path = objects_path(alias)
    lat, total, stored = [], 0, 0
    t_all = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            body = fh.read()
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers(token, post=True))
        r = conn.getresponse()
        answer = r.read()
        lat.append(time.perf_counter() - t0)
        if r.status != 202:
            sys.exit("POST %s: HTTP %d %s" % (f, r.status, answer[:300]))
        st = json.loads(answer)
        total += st["total_count"]
        stored += st["success_count"]
        if st["failure_count"]:
            sys.exit("POST %s: refused %s" % (f, st["failures"][:3]))
    wall = time.perf_counter() - t_all
    print("objects=%d stored=%d requests=%d seconds=%.3f objects_per_s=%.0f post_p50_ms=%.1f "
          "post_p99_ms=%.1f" % (total, stored, len(files), wall, total / wall,
                                 pct(lat, 50) * 1e3, pct(lat, 99) * 1e3))


def posters(url, token, alias, d, k):
    import threading
    files = sorted(glob.glob(os.path.join(d, "bundle-*.json")))
    bodies = []
    for f in files:
        with open(f, "rb") as fh:
            bodies.append(fh.read())
    totals, errors = [0] * k, []

    def post_every(i):
        conn = connect(url)
        for body in bodies[i::k]:
            conn.request("POST", objects_path(alias), body=body, headers=headers(token, post=True))
            r = conn.getresponse()
            answer = r.read()
            if r.status != 202:
                errors.append("HTTP %d %s" % (r.status, answer[:300]))
                return
            totals[i] += int(re.search(rb'"success_count":(\d+)', answer).group(1))

    threads = [threading.Thread(target=post_every, args=(i,)) for i in range(k)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        sys.exit("POST: %s" % errors[0])
    print("objects=%d posters=%d seconds=%.3f objects_per_s=%.0f" % (
        sum(totals), k, wall, sum(totals) / wall))


def page(url, token, alias, limit, max_pages):
    conn = connect(url)
    base = objects_path(alias) + "?limit=%d" % limit
    path, lat, n_obj, pages = base, [], 0, 0
    t_all = time.perf_counter()
    while pages < max_pages:
        body, dt = get(conn, path, token)
        lat.append(dt)
        pages += 1
        n_obj += body.count(b'{"type":"')
        m = MORE_RE.match(body)
        if not m or m.group(1) == b"false":
            break
        nxt = NEXT_RE.search(body, 0, 4096)
        if not nxt:
            sys.exit("page %d: more is true but there is no next token" % pages)
        path = base + "&next=" + urllib.parse.quote(nxt.group(1).decode(), safe="")
    wall = time.perf_counter() - t_all
    print("pages=%d objects=%d seconds=%.3f pages_per_s=%.1f objects_per_s=%.0f p50_ms=%.2f "
          "p99_ms=%.2f max_ms=%.2f" % (pages, n_obj, wall, pages / wall, n_obj / wall,
                                       pct(lat, 50) * 1e3, pct(lat, 99) * 1e3, max(lat) * 1e3))


def first(url, token, alias, limit, repeat):
    conn = connect(url)
    path = objects_path(alias) + "?limit=%d" % limit
    get(conn, path, token)  # warm-up, not counted
    lat, n = [], 0
    for _ in range(repeat):
        body, dt = get(conn, path, token)
        lat.append(dt)
        n = body.count(b'{"type":"')
    print("objects=%d repeat=%d median_ms=%.2f p90_ms=%.2f min_ms=%.2f" % (
        n, repeat, statistics.median(lat) * 1e3, pct(lat, 90) * 1e3, min(lat) * 1e3))


def oneid(url, token, alias):
    conn = connect(url)
    body, _ = get(conn, objects_path(alias) + "?limit=1", token)
    oid = json.loads(body)["objects"][0]["id"]
    path = objects_path(alias) + oid + "/"
    body, _ = get(conn, path, token)
    print("%s %d" % (path, len(body)))


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def main(a):
    if a[:1] == ["ingest"] and len(a) == 5:
        return ingest(a[1], a[2], a[3], a[4])
    if a[:1] == ["posters"] and len(a) == 6:
        return posters(a[1], a[2], a[3], a[4], int(a[5]))
    if a[:1] == ["page"] and len(a) in (5, 6):
        return page(a[1], a[2], a[3], int(a[4]), int(a[5]) if len(a) == 6 else 10**9)
    if a[:1] == ["first"] and len(a) == 6:
        return first(a[1], a[2], a[3], int(a[4]), int(a[5]))
    if a[:1] == ["oneid"] and len(a) == 4:
        return oneid(a[1], a[2], a[3])
    if a == ["freeport"]:
        return freeport()
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
