#!/usr/bin/env python3
"""Cost of authenticating by TLS client certificate (docs/tls.md).

  tls_cert_bench.py LIAISON_BIN [REQUESTS]

Makes a data directory with a self-signed server certificate (init --tls), a
partner CA and a partner tied to a client certificate (certtool, as
tests/integration/test_tls.py does), serves it on a free loopback port, and
times REQUESTS (2,000) GETs of a collection resource on one keep-alive HTTPS
connection: as the partner, by its client certificate, and as the
administrator, by bearer token, three rounds each. Prints microseconds per
request; the difference is what the certificate costs. The server is stopped
and the directory removed at the end.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    os.environ["LIAISON_BIN"] = os.path.abspath(sys.argv[1])
    os.environ.setdefault("LIAISON_SHARED", os.path.join(HERE, "..", "..", "shared"))
    os.environ.setdefault("LIAISON_SOURCE", os.path.join(HERE, ".."))
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    import harness  # noqa: E402  (reads LIAISON_BIN when imported)
    import test_tls  # noqa: E402
    from harness import ROOT, run_cli
    if not test_tls.CERTTOOL:
        sys.exit("tls_cert_bench: certtool (gnutls-bin) is not installed")
    data = test_tls.TlsDataDir()
    server = None
    try:
        d = data.path
        pki = test_tls.Pki(data.tmp)
        cert = pki.client("us", "US liaison", "US Agency")
        data.collection("Shared", "shared")
        run_cli("partner", "add", "--data", d, "--name", "US", "--clearance", "green")
        run_cli("partner", "cert", "--data", d, "--partner", "US", "--fingerprint",
                test_tls.sha256_of_pem(cert[0]))
        run_cli("grant", "--data", d, "--collection", "shared", "--partner", "US", "--read")
        server = test_tls.TlsServer(data, sets=["tls_client_ca=" + pki.ca[0]]).start()
        best = {}
        for _ in range(3):
            for who in ("certificate", "token"):
                conn = server.connection(client_cert=cert if who == "certificate" else None)
                h = {"Accept": harness.TAXII}
                if who == "token":
                    h["Authorization"] = "Bearer " + data.admin
                t0 = time.perf_counter()
                for _ in range(n):
                    conn.request("GET", ROOT + "collections/shared/", headers=h)
                    r = conn.getresponse()
                    body = r.read()
                    assert r.status == 200, (who, r.status, body)
                us = (time.perf_counter() - t0) / n * 1e6
                conn.close()
                print("%-11s %.1f us/request" % (who, us))
                best[who] = min(best.get(who, us), us)
        print("best: certificate %.1f us, token %.1f us, ratio %.2f"
              % (best["certificate"], best["token"], best["certificate"] / best["token"]))
    finally:
        if server:
            server.stop()
        data.cleanup()


if __name__ == "__main__":
    main()
