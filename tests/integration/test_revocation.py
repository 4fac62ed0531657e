"""Side door 1 of issue 27: what a principal loses, its open event streams and its webhooks
lose at once.

For each of token revoke, token expiry, grant revoke, partner disable and sharing-group
membership removal, a partner holds an event stream open across the change, and its watch
(made over the API with that token) has a webhook. After the change, an object the watch
selects (and which the partner could read before) is stored: the stream ends without
delivering it, the webhook does not receive it, and no disclosure of it to that partner is on
record. The test waits for events (the end of the stream; an administrator's watch on the same
objects as a barrier: once its webhook has the object, the partner's watch has been matched
too), not for a time.
"""
import http.client
import http.server
import json
import os
import socket
import threading
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


class Receiver:
    """Records webhook bodies by path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.got.append((self.path, json.loads(body)))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def ids(self, path):
        with self.lock:
            return [b["id"] for p, b in self.got if p == path]

    def wait_for(self, path, oid, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if oid in self.ids(path):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.httpd.shutdown()


class StreamsEndOnRevocation(TaxiiCase):
    @classmethod
    def setUpClass(cls):
        d = cls.d = harness.DataDir()
        cls.coll = d.collection("Intel", "intel")
        cls.group = run_cli("group", "add", "--data", d.path, "--name", "Circle").stdout.strip()
        cls.hooks = Receiver()
        run_cli("watch", "add", "--data", d.path, "--name", "barrier", "--type", "threat-actor",
                "--name-like", "cell", "--webhook", cls.hooks.url("/barrier"))
        cls.s = harness.Server(d, sets=["watch_poll_ms=100", "watch_keepalive=5",
                                        "sse_recheck_ms=200", "watch_webhook_retry_ms=100"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.hooks.stop()
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
                                                   "name_like": "cell",
                                                   "webhook": self.hooks.url("/" + name)}))
        self.assertEqual(st, 201, b)
        self.watch = json.loads(b)["id"]
        return tok

    def hook_state(self, name):
        """(events, given up) of the partner's watch."""
        out = json.loads(run_cli("watch", "list", "--data", self.d.path, "--partner", name,
                                 "--json").stdout)
        w = [w for w in out if w["id"] == self.watch][0]
        return w["events"], w["failed_deliveries"]

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
                self.assertTrue(self.hooks.wait_for("/" + name, before["id"]), name)
            events_before, _ = self.hook_state(name)
            change(tok)
            after = self.post(name)
            events = stream.read_to_end()
            self.assertIsNotNone(events, "%s: the stream did not end" % name)
            self.assertNotIn(after["id"], [e["id"] for e in events], name)
        finally:
            stream.close()
        # The webhook: the barrier has the object, so the partner's watch was matched; an event
        # recorded for it (the token cases: the partner could still see the object) is given up.
        self.assertTrue(self.hooks.wait_for("/barrier", after["id"]), name)
        deadline = time.time() + 20
        while time.time() < deadline:
            events, failed = self.hook_state(name)
            if events == events_before or failed >= 1:
                break
            time.sleep(0.1)
        self.assertTrue(events == events_before or failed >= 1, (name, events, failed))
        self.assertNotIn(after["id"], self.hooks.ids("/" + name), name)
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
