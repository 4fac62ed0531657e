"""A hostile network: every shape the server must refuse, bound or outlast (docs/security.md).

Framing: Content-Length with Transfer-Encoding, a repeated or differing Content-Length, a folded
header, an unknown transfer coding: each answered (400, 501) with a TAXII error and the
connection closed, and the request smuggled after it never answered. libmicrohttpd's own
refusals (414, 431) come as TAXII errors with a media type. Bodies: one over
max_content_length is read and thrown away, then answered 413 (a client that sends the whole
body first, as Python's urllib does, sees the answer); a chunked one too; one announcing more
than max_discard_length is answered at once. Deadlines: a trickled head is closed at
header_timeout, a trickled body at body_timeout, whatever the rate of bytes. Connections:
per_ip_connections holds for one address while another is served; reserved_connections keep
slots for an address that authenticated while unauthenticated ones hold all the rest.
Credentials: checked before a body is kept (500 unauthenticated connections sending large
bodies leave the server's memory where it was); failed authentications throttled per address
(429, Retry-After, /metrics). Load: LoadTest, 2,000 idle and 1,000 trickling connections from
one address while another address's GETs are served without error (bench/hostile measures the
latency precisely).

Only loopback is used; 127.0.0.2 and up act as other addresses (Linux routes all of 127/8).
"""
import http.client
import json
import os
import re
import resource
import select
import socket
import threading
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import ROOT, TAXII, DataDir, Server, TaxiiCase, media_type, sdo

OBJECTS = ROOT + "collections/h/objects/"


def connect(port, src="127.0.0.1", timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_all(s, wait=10.0):
    """Everything s receives until the server closes it (or wait passes: then None)."""
    s.settimeout(wait)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return out
            out += d
    except socket.timeout:
        return None
    except ConnectionResetError:
        return out


def parse_responses(data):
    """The (status, headers, body) of each HTTP response in data, in order."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def metric(server, name):
    st, _, body = server.request("GET", "/metrics")
    assert st == 200, body
    total = 0.0
    for ln in body.decode().splitlines():
        if ln.startswith(name + " ") or ln.startswith(name + "{"):
            total += float(ln.rsplit(" ", 1)[1])
    return total


SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


class HostileCase(TaxiiCase):
    sets = ()

    @classmethod
    def setUpClass(cls):
        cls.data = DataDir()
        cls.data.collection("Hostile", alias="h")
        cls.server = Server(cls.data, sets=list(cls.sets)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.data.cleanup()

    def auth(self):
        return b"Authorization: Bearer " + self.data.admin.encode() + b"\r\n"

    def assertRefusedAlone(self, raw, status, contains):
        """raw gets exactly one answer, a TAXII error with status, then the connection closes."""
        s = connect(self.server.port)
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = read_all(s)
        s.close()
        self.assertIsNotNone(got, "the connection was left open")
        answers = parse_responses(got)
        self.assertEqual([a[0] for a in answers], [status], got[:600])
        st, hd, body = answers[0]
        self.assertEqual(hd.get("content-type", "").replace(" ", ""), TAXII)
        j = json.loads(body)
        self.assertEqual(j["http_status"], str(status))
        self.assertIn(contains.lower(), j["description"].lower())
        self.assertEqual(hd.get("connection", "").lower(), "close")


class FramingTest(HostileCase):
    def test_content_length_with_transfer_encoding(self):
        for head in (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                     b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"):
            with self.subTest(head):
                self.assertRefusedAlone(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                                        self.auth() + head + b"\r\n0\r\n\r\n" + SMUGGLED,
                                        400, "both given")

    def test_repeated_content_length(self):
        for lengths in ((b"5", b"5"), (b"5", b"40"), (b"40", b"5")):
            with self.subTest(lengths):
                head = b"".join(b"Content-Length: " + n + b"\r\n" for n in lengths)
                self.assertRefusedAlone(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                                        self.auth() + head + b"\r\n{}   " + SMUGGLED,
                                        400, "more than once")

    def test_obsolete_line_folding(self):
        for fold in (b"X-Note: a\r\n b\r\n", b"X-Note: a\r\n\tb\r\n",
                     b"Transfer-Encoding:\r\n chunked\r\n"):
            with self.subTest(fold):
                self.assertRefusedAlone(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fold + b"\r\n" +
                                        SMUGGLED, 400, "folded")

    def test_unknown_transfer_coding(self):
        for coding in (b"gzip", b"chunked, gzip", b"identity", b"gzip, chunked"):
            with self.subTest(coding):
                self.assertRefusedAlone(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                                        self.auth() + b"Transfer-Encoding: " + coding +
                                        b"\r\n\r\n0\r\n\r\n" + SMUGGLED, 501, "chunked")

    def test_repeated_transfer_encoding(self):
        self.assertRefusedAlone(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                                self.auth() + b"Transfer-Encoding: chunked\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                                400, "more than once")

    def test_plain_requests_still_pipeline(self):
        """The checks refuse only the shapes above: two plain pipelined requests both get
        their answer on one connection."""
        s = connect(self.server.port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([a[0] for a in parse_responses(read_all(s))], [200, 200])
        s.close()

    def test_uri_and_headers_too_long_are_taxii_errors(self):
        """libmicrohttpd answers these itself; its fixed HTML must not reach the client."""
        self.assertRefusedAlone(b"GET /taxii2/" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                                414, "request line")
        self.assertRefusedAlone(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 +
                                b"\r\n\r\n", 431, "headers")
        self.assertRefusedAlone(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n" +
                                b"".join(b"X-%d: v\r\n" % i for i in range(3000)) + b"\r\n",
                                431, "headers")


class BodiesTest(HostileCase):
    sets = ("max_content_length=65536", "max_discard_length=1048576")

    def test_urllib_sees_413(self):
        """urllib sends the whole body before reading: it must get the 413, not a reset."""
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.server.port, OBJECTS), data=b"x" * 600000,
            method="POST", headers={"Authorization": "Bearer " + self.data.admin,
                                    "Content-Type": TAXII, "Accept": TAXII})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(cm.exception.code, 413)
        self.assertEqual(media_type(cm.exception.headers), TAXII)
        j = json.loads(cm.exception.read())
        self.assertIn("max_content_length", j["description"])

    def test_urllib_without_credentials_sees_401(self):
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.server.port, OBJECTS), data=b"x" * 60000,
            method="POST", headers={"Authorization": "Bearer nope", "Content-Type": TAXII})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(cm.exception.code, 401)
        self.assertEqual(cm.exception.headers.get("Connection"), "close")

    def test_chunked_past_the_limit(self):
        """A chunked body past max_content_length: read to its end, 413, closed; what follows
        it is not read as a request."""
        chunk = b"y" * 16384
        body = b"".join(b"4000\r\n" + chunk + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"
        self.assertRefusedAlone(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                                self.auth() + b"Content-Type: " + TAXII.encode() +
                                b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body + SMUGGLED,
                                413, "max_content_length")

    def test_chunked_without_end_is_cut_off(self):
        """One that never ends is closed once max_discard_length bytes were thrown away
        (libmicrohttpd 0.9.75 cannot answer in the middle of a body)."""
        s = connect(self.server.port)
        s.sendall(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" + self.auth() +
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b"z" * 16384 + b"\r\n"
        closed = False
        for _ in range(200):  # 3.2 MiB, three times the bound
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        if not closed:
            self.assertEqual(read_all(s, wait=10), b"", "still open past max_discard_length")
        s.close()

    def test_announced_past_discard_bound_answered_at_once(self):
        s = connect(self.server.port)
        s.sendall(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" + self.auth() +
                  b"Content-Length: 2000000\r\n\r\n")  # no body sent at all
        answers = parse_responses(read_all(s))
        self.assertEqual([a[0] for a in answers], [413])
        s.close()

    def test_expect_continue_answered_before_the_body(self):
        s = connect(self.server.port)
        s.sendall(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x"
                  b"\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
        got = read_all(s)
        self.assertNotIn(b"100 Continue", got)
        self.assertEqual([a[0] for a in parse_responses(got)], [401])
        s.close()

    def test_within_limits_still_stored(self):
        st, _, j = self.server.post_objects("h", [sdo("malware")])
        self.assertEqual((st, j["success_count"]), (202, 1))
        st, _, body = self.server.request("POST", OBJECTS, body={"objects": [sdo("malware")]},
                                          chunked=True)
        self.assertEqual(st, 202, body)


class DeadlineTest(HostileCase):
    sets = ("header_timeout=2", "body_timeout=3", "connection_timeout=30")

    def trickle(self, first, byte, limit):
        """Sends first, then byte every 0.5 s; seconds until the server closes (or None)."""
        s = connect(self.server.port)
        s.sendall(first)
        t0 = time.time()
        s.settimeout(0.5)
        try:
            while time.time() - t0 < limit:
                try:
                    s.sendall(byte)
                except (BrokenPipeError, ConnectionResetError):
                    return time.time() - t0
                try:
                    if s.recv(4096) == b"":
                        return time.time() - t0
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    return time.time() - t0
            return None
        finally:
            s.close()

    def test_trickled_head_closed(self):
        took = self.trickle(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a", 15)
        self.assertIsNotNone(took, "a head trickled for 15 s was never closed")
        self.assertLess(took, 10)
        self.assertGreater(metric(self.server, "liaison_connections_closed_late_total"), 0)

    def test_trickled_body_closed(self):
        took = self.trickle(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\n" +
                            self.auth() + b"Content-Length: 100000\r\n\r\n", b"{", 15)
        self.assertIsNotNone(took, "a body trickled for 15 s was never closed")
        self.assertLess(took, 10)

    def test_idle_keep_alive_then_request_in_time(self):
        """A connection that asks in time is answered, twice, the second after a pause."""
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        for _ in range(2):
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            time.sleep(1)
        c.close()


class ConnectionsTest(TaxiiCase):
    def server(self, *sets):
        d = DataDir()
        self.addCleanup(d.cleanup)
        s = Server(d, sets=list(sets)).start()
        self.addCleanup(s.stop)
        return d, s

    def held(self, port, src, n):
        out = []
        for _ in range(n):
            s = connect(port, src)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
            out.append(s)
            self.addCleanup(s.close)
        return out

    def refused(self, s):
        """True when the server closed s without answering. A refusal returns at once; the
        wait is long so that a loaded machine (ASan, two cores) is not read as "kept"."""
        got = read_all(s, wait=15)
        return got == b""

    def get(self, s, src, token=None):
        c = connect(s.port, src)
        h = b"Authorization: Bearer " + token.encode() + b"\r\n" if token else b""
        try:
            c.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n" + h + b"Connection: close\r\n\r\n")
            got = read_all(c)
        except (BrokenPipeError, ConnectionResetError):
            got = b""
        c.close()
        answers = parse_responses(got or b"")
        return answers[0][0] if answers else None

    def closed_without_answer(self, socks, wait=15.0, settle=1.0):
        """The sockets of socks the server closed without answering: waits up to wait for a
        first one, then settle more for any other."""
        closed, answered = [], []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            open_ = [c for c in socks if c not in closed and c not in answered]
            ready, _, _ = select.select(open_, [], [], 0.2)
            for c in ready:
                try:
                    got = c.recv(65536)
                except ConnectionResetError:
                    got = b""
                (closed if got == b"" else answered).append(c)
            if closed and deadline > time.monotonic() + settle:
                deadline = time.monotonic() + settle
        return closed, answered

    def test_per_address_limit_on_by_default(self):
        d, s = self.server("header_timeout=30")
        first = self.held(s.port, "127.0.0.1", 64)
        time.sleep(0.3)
        extra = self.held(s.port, "127.0.0.1", 1)
        # Which one of the 65 is refused depends on the order the server's threads accept
        # them in (a loaded machine may take the 65th before the 64th): exactly one is.
        closed, answered = self.closed_without_answer(first + extra)
        self.assertEqual((len(closed), answered), (1, []),
                         "65 connections from one address: one is refused, 64 are kept")
        self.assertEqual(self.get(s, "127.0.0.2", d.admin), 200, "another address is served")

    def test_reserved_slots_for_authenticated_addresses(self):
        d, s = self.server("max_connections=24", "reserved_connections=8",
                           "per_ip_connections=4", "header_timeout=30")
        self.assertEqual(self.get(s, "127.0.0.2", d.admin), 200)  # 127.0.0.2 is now trusted
        s.request("GET", ROOT)  # and 127.0.0.1, where the harness reads /metrics from
        for i in range(4):  # 16 untrusted connections: the whole unauthenticated share
            self.held(s.port, "127.0.0.%d" % (10 + i), 4)
        time.sleep(0.3)
        late = self.held(s.port, "127.0.0.20", 1)[0]
        self.assertTrue(self.refused(late), "an unauthenticated address got a reserved slot")
        self.assertEqual(self.get(s, "127.0.0.2", d.admin), 200,
                         "the authenticated address was not served")
        self.assertGreaterEqual(metric(s, "liaison_connections_refused_total"), 1)


class AuthThrottleTest(HostileCase):
    sets = ("auth_failure_rate=30", "auth_failure_burst=5")

    def req(self, token, src):
        c = connect(self.server.port, src)
        try:
            c.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      token.encode() + b"\r\nConnection: close\r\n\r\n")
            return parse_responses(read_all(c))[0]
        finally:
            c.close()

    def test_failures_throttled_per_address(self):
        before = metric(self.server, "liaison_auth_throttled_total")
        codes = [self.req("guess%d" % i, "127.0.0.5")[0] for i in range(5)]
        self.assertEqual(codes, [401] * 5)
        st, hd, body = self.req("guess-more", "127.0.0.5")
        self.assertEqual(st, 429)
        self.assertGreaterEqual(int(hd["retry-after"]), 1)
        self.assertIn("failed authentications", json.loads(body)["description"])
        # the right secret from that address waits too: no answer tells a guess from the truth
        self.assertEqual(self.req(self.data.admin, "127.0.0.5")[0], 429)
        # another address is not affected
        self.assertEqual(self.req(self.data.admin, "127.0.0.6")[0], 200)
        self.assertEqual(self.req("nope", "127.0.0.6")[0], 401)
        self.assertGreater(metric(self.server, "liaison_auth_throttled_total"), before)
        self.assertGreaterEqual(metric(self.server, "liaison_auth_failures_total"), 6)
        time.sleep(int(hd["retry-after"]) + 0.5)
        self.assertEqual(self.req(self.data.admin, "127.0.0.5")[0], 200)

    def test_bodies_of_throttled_requests_are_not_kept(self):
        for i in range(6):
            self.req("guess%d" % i, "127.0.0.7")
        c = connect(self.server.port, "127.0.0.7")
        c.sendall(b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + self.data.admin.encode() + b"\r\nContent-Length: 10\r\n\r\n0123456789")
        self.assertEqual(parse_responses(read_all(c))[0][0], 429)
        c.close()


class UnauthenticatedBodiesTest(HostileCase):
    """500 connections without credentials, each announcing a 9 MiB body and sending 1 MiB of
    it: nothing of them is kept (the credentials are checked when the head is in), so the
    server's resident memory stays under 100 MB (before: it grew by each body sent)."""
    sets = ("max_connections=1000", "per_ip_connections=0", "reserved_connections=0",
            "header_timeout=60", "body_timeout=60", "threads=2")

    def test_memory_stays_low(self):
        pid = self.server.proc.pid
        base = rss_kb(pid)
        head = (b"POST " + OBJECTS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " +
                TAXII.encode() + b"\r\nContent-Length: %d\r\n\r\n" % (9 * 1024 * 1024))
        part = b"[" * (1024 * 1024)
        socks = []
        lock = threading.Lock()

        def one(n):
            for _ in range(n):
                s = connect(self.server.port, timeout=30)
                s.sendall(head)
                try:
                    s.sendall(part)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                with lock:
                    socks.append(s)

        threads = [threading.Thread(target=one, args=(50,)) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1)
        peak = rss_kb(pid)
        for s in socks:
            s.close()
        self.assertEqual(len(socks), 500)
        print("RSS: %d MB at rest, %d MB with 500 connections holding 1 MiB each sent"
              % (base // 1024, peak // 1024))
        self.assertLess(peak, 100 * 1024, "resident memory %d MB" % (peak // 1024))
        self.assertGreater(metric(self.server, "liaison_discarded_bytes_total"), 400 * 1024 * 1024)


class Flood:
    """From 127.0.0.1: `idle` connections that send nothing and `trickling` ones that send a byte
    every 2 s; whatever the server closes comes back, up to 500 connections a second. A
    thread; stop() ends it and closes every socket. bench/hostile uses it too."""

    def __init__(self, port, idle=2000, trickling=1000):
        self.port, self.n_idle, self.n_trickle = port, idle, trickling
        self.opened = self.closed = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(30)

    def open(self, group):
        sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sk.setblocking(False)
        sk.bind(("127.0.0.1", 0))
        sk.connect_ex(("127.0.0.1", self.port))
        self.opened += 1
        group.append(sk)

    def run(self):
        idle, trickle = [], []
        for _ in range(self.n_idle):
            self.open(idle)
        for _ in range(self.n_trickle):
            self.open(trickle)
        rnd = 0
        while not self.stopping.wait(1.0):
            rnd += 1
            for group, sends in ((trickle, rnd % 2 == 0), (idle, False)):
                keep = []
                for sk in group:
                    try:
                        if sends:
                            sk.send(b"G" if rnd == 2 else b"X")
                        elif sk.recv(1, socket.MSG_PEEK) == b"":
                            raise ConnectionResetError
                        keep.append(sk)
                    except BlockingIOError:
                        keep.append(sk)
                    except OSError:
                        self.closed += 1
                        sk.close()
                group[:] = keep
            for _ in range(min(500, self.n_idle + self.n_trickle - len(trickle) - len(idle))):
                self.open(trickle if len(trickle) < self.n_trickle else idle)
        for sk in trickle + idle:
            sk.close()


def timed_gets(port, token, seconds, src="127.0.0.2", path=OBJECTS + "?limit=10"):
    """GETs from src for seconds, on a kept connection renewed every 20 requests; returns (sorted
    latencies in ms, errors)."""
    lat, errors = [], []
    conn = None
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        i += 1
        try:
            if conn is None or i % 20 == 0:  # new connections too, not only kept ones
                if conn:
                    conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                                  source_address=(src, 0))
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": "Bearer " + token,
                                               "Accept": TAXII})
            r = conn.getresponse()
            r.read()
            lat.append((time.perf_counter() - t0) * 1000)
            if r.status != 200:
                errors.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
            conn = None
        time.sleep(0.01)
    if conn:
        conn.close()
    return sorted(lat), errors


def percentile(lat, q):
    return lat[min(len(lat) - 1, int(len(lat) * q))] if lat else float("inf")


class LoadTest(TaxiiCase):
    """2,000 idle and 1,000 trickling connections from 127.0.0.1 while 127.0.0.2 reads.

    Defaults except header_timeout (5 s, so that trickling connections are cut and come back
    during the test). Pass/fail: every GET of the other address answered 200, the server's
    resident memory under 200 MB (the documented bound, docs/security.md), and its log not
    flooded (libmicrohttpd's line per refused connection is throttled). Its p99 latency is
    printed here and measured in a release build by bench/hostile; the issue's bound (50 ms) is
    asserted with a margin for a loaded 2-core machine under ASan: p99 under 250 ms."""

    ATTACK_SECONDS = 12

    def test_other_address_served_under_attack(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 3300:
            self.skipTest("needs 3,300 file descriptors (hard limit %d)" % hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Hostile", alias="h")
        s = Server(d, sets=["header_timeout=5"]).start()
        self.addCleanup(s.stop)
        st, _, j = s.post_objects("h", [sdo("malware") for _ in range(20)])
        self.assertEqual(st, 202)
        t0 = time.time()
        flood = Flood(s.port).start()
        time.sleep(2)  # the flood is in place
        lat, errors = timed_gets(s.port, d.admin, self.ATTACK_SECONDS)
        rss = rss_kb(s.proc.pid)
        flood.stop()
        s.stop()
        # libmicrohttpd writes a line per refused connection: the log must not take a flood's
        # rate (at most 20 at once and 5 a second, http/server.c)
        warned = sum(1 for ln in s.stderr_text.splitlines() if '"event":"http"' in ln)
        self.assertLessEqual(warned, 20 + 5 * (time.time() - t0 + 1), "log lines: %d" % warned)
        p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
        print("under attack: %d GETs, p50 %.1f ms, p99 %.1f ms, %d errors; attacker opened %d "
              "connections, %d closed by the server; server RSS %d MB"
              % (len(lat), p50, p99, len(errors), flood.opened, flood.closed, rss // 1024))
        self.assertEqual(errors[:5], [], "%d errors" % len(errors))
        self.assertGreater(len(lat), 100)
        self.assertGreater(flood.closed, 2000, "the per-address limit did not hold")
        self.assertLess(rss, 200 * 1024)
        self.assertLess(p99, 250)


if __name__ == "__main__":
    harness.main()
