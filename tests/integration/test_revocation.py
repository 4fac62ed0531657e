"""Side door 1 of issue 27: what a principal loses, its open event streams lose at once.

For each of token revoke, token expiry, grant revoke, partner disable and sharing-group
membership removal, a partner holds an event stream open across the change. After it, an
object its watch selects (and which it could read before the change) is stored: the stream
ends without delivering it, and no disclosure of it to that partner is on record. (The server
wakes every stream every sse_recheck_ms; the test waits for the end of the stream, not for a
time.)
"""
import http.client
import json
import socket
import time
import uuid

import harness
from harness import TaxiiCase, run_cli, sdo

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


class Stream:
    def __init__(self, server, token, timeout=20):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        self.conn.request("GET", "/liaison/events", headers={
            "Authorization": "Bearer " + token, "Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()

    def read_to_end(self, timeout=20):
        """Every event (as data dicts) until the server ends the stream; None on timeout."""
        events = []
        deadline = time.time() + timeout
        ev = {}
        while time.time() < deadline:
            self.conn.sock.settimeout(max(0.1, deadline - time.time()))
            try:
                line = self.resp.readline()
            except (socket.timeout, TimeoutError):
                return None
            if not line:
                return events
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                continue
            if line == "":
                if "data" in ev:
                    events.append(json.loads(ev["data"]))
                ev = {}
                continue
            k, _, v = line.partition(":")
            ev[k] = v.lstrip(" ")
        return None

    def first_event(self, timeout=20):
        ev = {}
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.conn.sock.settimeout(max(0.1, deadline - time.time()))
            line = self.resp.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line == "" and "data" in ev:
                return json.loads(ev["data"])
            if line and not line.startswith(":"):
                k, _, v = line.partition(":")
                ev[k] = v.lstrip(" ")
        return None

    def close(self):
        self.conn.close()


class StreamsEndOnRevocation(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        cls.coll = d.collection("Intel", "intel")
        cls.group = run_cli("group", "add", "--data", d.path, "--name", "Circle").stdout.strip()
        cls.s = harness.Server(d, sets=["watch_poll_ms=100", "watch_keepalive=5",
                                        "sse_recheck_ms=200"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.d.cleanup()

    def partner(self, name, expires=None):
        d = self.d.path
        run_cli("partner", "add", "--data", d, "--name", name, "--clearance", "amber")
        run_cli("grant", "--data", d, "--collection", "intel", "--partner", name, "--read")
        run_cli("group", "member", "add", "--data", d, "--group", self.group, "--partner", name)
        args = ["token", "issue", "--data", d, "--partner", name]
        if expires:
            args += ["--expires", expires]
        out = run_cli(*args).stdout.split()
        tok = out[-1]
        st, _, b = self.s.request("POST", "/liaison/watches", token=tok, content_type="application/json",
                                  body=json.dumps({"name": "cells", "types": ["threat-actor"],
                                                   "name_like": "cell"}))
        self.assertEqual(st, 201, b)
        return tok

    def post(self, name):
        o = sdo("threat-actor", name="%s cell %s" % (name, uuid.uuid4().hex[:6]),
                object_marking_refs=[self.group, GREEN])
        st, _, j = self.s.post_objects("intel", [o])
        self.assertEqual(j["failure_count"], 0, j)
        return o

    def check(self, name, change, expires=None):
        tok = self.partner(name, expires)
        stream = Stream(self.s, tok)
        self.assertEqual(stream.resp.status, 200)
        try:
            if not expires:
                before = self.post(name)  # the stream works: it delivers what P may see
                ev = stream.first_event()
                self.assertEqual(ev and ev["id"], before["id"], name)
            change(tok)
            after = self.post(name)
            events = stream.read_to_end()
            self.assertIsNotNone(events, "%s: the stream did not end" % name)
            self.assertNotIn(after["id"], [e["id"] for e in events], name)
        finally:
            stream.close()
        log = run_cli("audit", "show", "--data", self.d.path, "--partner", name).stdout
        self.assertNotIn(after["id"], log, name)
        # The partner's token opens no new stream that would deliver it either.
        st, _, _ = self.s.request("GET", "/liaison/events", token=tok,
                                  headers={"Accept": "text/event-stream"}, timeout=5) \
            if change.__name__ in ("revoke_token", "disable", "expire") else (401, None, None)
        self.assertEqual(st, 401, name)

    def test_token_revoke(self):
        def revoke_token(tok):
            run_cli("token", "revoke", "--data", self.d.path, tok.split(".")[0])
        self.check("Revoked", revoke_token)

    def test_token_expiry(self):
        def expire(tok):
            time.sleep(4.5)  # the token was issued for 4 s: let it run out
        self.check("Expired", expire, expires="4s")

    def test_grant_revoke(self):
        def grant(tok):
            run_cli("revoke", "--data", self.d.path, "--collection", "intel", "--partner", "Ungranted")
        self.check("Ungranted", grant)

    def test_partner_disable(self):
        def disable(tok):
            run_cli("partner", "disable", "--data", self.d.path, "Disabled")
        self.check("Disabled", disable)

    def test_group_member_remove(self):
        def remove(tok):
            run_cli("group", "member", "remove", "--data", self.d.path, "--group", self.group,
                    "--partner", "Removed")
        self.check("Removed", remove)


if __name__ == "__main__":
    harness.main()
