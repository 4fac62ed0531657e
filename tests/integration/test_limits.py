"""Limits: each configuration limit not already crossed elsewhere is crossed here and gets
its documented answer (docs/configuration.md, docs/security.md).

Crossed elsewhere: max_content_length, max_json_depth, max_string_length,
max_objects_per_bundle and max_filter_values (test_bad_input.py); rate_limit/rate_burst
for partners (test_partners.RateLimitTest). Here: max_page_size and default_page_size,
max_response, request_memory, max_connections, per_ip_connections, connection_timeout,
and rate_limit for a local token with recovery after Retry-After.
"""
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DataDir, Server, TaxiiCase, ROOT, main, sdo  # noqa: E402

OBJECTS = ROOT + "collections/lim/objects/"


def idle_socket(port):
    """A connection that has sent half a request head and waits."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return s


def closed_by_server(s, wait=5.0):
    """True when the server closes s (EOF or reset) within wait seconds without answering."""
    s.settimeout(wait)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def not_served(s, wait=2.0):
    """True when s gets no answer within wait seconds (closed, reset or left waiting)."""
    s.settimeout(wait)
    try:
        return s.recv(4096) == b""
    except (ConnectionResetError, socket.timeout):
        return True


class Limits(TaxiiCase):
    def server(self, *sets):
        d = DataDir()
        self.addCleanup(d.cleanup)
        d.collection("Limits", alias="lim")
        s = Server(d, sets=list(sets)).start()
        self.addCleanup(s.stop)
        return s

    def test_page_size(self):
        s = self.server("max_page_size=5", "default_page_size=3")
        st, _, j = s.post_objects("lim", [sdo("malware") for _ in range(12)])
        self.assertEqual((st, j["success_count"]), (202, 12))
        j = self.assertOk(s.request("GET", OBJECTS))
        self.assertEqual((len(j["objects"]), j["more"]), (3, True), "default_page_size")
        j = self.assertOk(s.request("GET", OBJECTS + "?limit=1000"))
        self.assertEqual((len(j["objects"]), j["more"]), (5, True), "a larger limit is lowered")
        j = self.assertOk(s.request("GET", ROOT + "collections/lim/manifest/?limit=1000"))
        self.assertEqual(len(j["objects"]), 5)
        self.assertEqual(len(s.objects_all("lim", limit=1000)), 12, "next reaches every page")

    def test_max_response_and_request_memory(self):
        s = self.server("max_response=65536", "request_memory=1048576")
        for _ in range(5):
            st, _, j = s.post_objects("lim", [sdo("malware", description="x" * 2000) for _ in range(20)])
            self.assertEqual(st, 202, j)
        before = s.manifest_all("lim")
        self.assertTaxiiError(s.request("GET", OBJECTS + "?limit=1000"), 413, "smaller limit")
        self.assertOk(s.request("GET", OBJECTS + "?limit=5"))
        # a bundle whose processing needs more than request_memory (600 names of 2,000
        # characters to index for search): 413, nothing stored
        big = [sdo("malware", name="y" * 2000) for _ in range(600)]
        self.assertTaxiiError(s.request("POST", OBJECTS, body={"objects": big}), 413, "request_memory")
        self.assertEqual(s.manifest_all("lim"), before)

    def test_max_connections(self):
        # reserved_connections=0: every slot open to every address (test_hostile.py covers the
        # reserved ones)
        s = self.server("max_connections=4", "threads=1", "connection_timeout=30",
                        "reserved_connections=0")
        held = [idle_socket(s.port) for _ in range(4)]
        try:
            time.sleep(0.3)
            extra = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            try:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            # libmicrohttpd stops accepting at the limit: the extra connection waits in the
            # listen queue, unserved, until a slot frees
            self.assertTrue(not_served(extra), "connection 5 of 4 was served")
        finally:
            for h in held:
                h.close()
        extra.settimeout(10)
        self.assertTrue(extra.recv(4096).startswith(b"HTTP/1.1 200"), "the queued connection was lost")
        extra.close()
        self.assertEqual(s.request("GET", "/healthz", auth=False)[0], 200, "served again once freed")

    def test_per_ip_connections(self):
        s = self.server("per_ip_connections=2", "threads=1")
        time.sleep(0.5)  # let the server see the start-up probe's connection close
        held = [idle_socket(s.port) for _ in range(2)]
        try:
            time.sleep(0.3)
            extra = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            try:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.assertTrue(not_served(extra), "a third connection from one address was served")
            extra.close()
        finally:
            for h in held:
                h.close()
        time.sleep(0.3)
        self.assertEqual(s.request("GET", "/healthz", auth=False)[0], 200)

    def test_connection_timeout(self):
        s = self.server("connection_timeout=1")
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        slow = idle_socket(s.port)  # a slow-loris head that never ends
        t0 = time.time()
        self.assertTrue(closed_by_server(idle, wait=8), "an idle connection stayed open")
        self.assertTrue(closed_by_server(slow, wait=8), "an unfinished request head stayed open")
        self.assertLess(time.time() - t0, 8)
        idle.close()
        slow.close()

    def test_rate_limit_local_token(self):
        s = self.server("rate_limit=2", "rate_burst=3")
        codes = [s.request("GET", ROOT + "collections/")[0] for _ in range(8)]
        self.assertEqual(codes[:3], [200] * 3)
        self.assertIn(429, codes)
        r = s.request("GET", ROOT + "collections/")
        j = self.assertTaxiiError(r, 429, "rate limit")
        wait = int(r[1].get("Retry-After"))
        self.assertGreaterEqual(wait, 1)
        self.assertIn("2 requests per second", j["description"])
        time.sleep(wait + 0.2)
        self.assertOk(s.request("GET", ROOT + "collections/"), 200)
        # /healthz needs no credentials and is not counted
        self.assertEqual(s.request("GET", "/healthz", auth=False)[0], 200)


if __name__ == "__main__":
    main()
