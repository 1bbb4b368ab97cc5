#!/usr/bin/env python3
"""[stats] web_config, the way a fleet's Prometheus reaches the endpoint:
certificates made here with openssl (a CA, the server's for 127.0.0.1, a
client's, and a client's from another CA), bcrypt hashes from crypt(3).

- bad files are config errors naming the file and the line (esmtp-milter -n);
- HTTPS with basic authentication, with curl: the right password is
  served, a wrong or missing one gets 401, plain HTTP gets nothing, the
  file's headers are on every response;
- RequireAndVerifyClientCert, with curl: no certificate or one from
  another authority gets 403, the CA's client gets the metrics;
- the real Prometheus scrapes over HTTPS with basic authentication (the
  target up, a counter read), and a job with a wrong password is down
  with 401;
- esmtp-milter-stats as the fleet's HTTPS client (CA file, password
  file, client certificate), never printing a secret;
- as strict as the exporters: a certificate meant for servers only is no
  client certificate; an unknown user costs the bcrypt a known one costs;
  a flood of wrong passwords never keeps a scrape that passed before
  waiting; a scrape behind 300 idle connections is answered within the
  idle deadline; the page has a Content-Security-Policy, a 405 an Allow.

usage: web.py DAEMON PROMETHEUS_DIR WORKDIR REPORT_TOOL

Every process started here is stopped by its own pid at the end.
"""
import base64
import ctypes
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests/milter"))
sys.path.insert(0, HERE)
import rawmilter  # noqa: E402
from fleet import free_port, stop_all, wait_for  # noqa: E402

DAEMON, PROM, WORK, REPORT = (os.path.abspath(a) for a in sys.argv[1:5])
started, passed, failed = [], [], []


def check(name, fn):
    try:
        fn()
        passed.append(name)
        print("PASS: web: " + name)
    except AssertionError as e:
        failed.append(name)
        print("FAIL: web: %s\n    %s" % (name, e))


def openssl(*args):
    subprocess.run(["openssl"] + list(args), cwd=WORK, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certificates():
    """Certificates as strict verifiers want them (Python 3.13 checks with
    X509_STRICT: a CA with keyUsage, leaves with key identifiers)."""
    for ca in ("ca", "rogue"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "2", "-subj", "/CN=%s test CA" % ca,
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", ca + ".key", "-out", ca + ".crt")
    for name, ca, ext in (("server", "ca", "subjectAltName=IP:127.0.0.1"),
                          ("client", "ca", "extendedKeyUsage=clientAuth"),
                          ("stranger", "rogue", "extendedKeyUsage=clientAuth"),
                          ("serveronly", "ca", "extendedKeyUsage=serverAuth")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=" + name, "-keyout", name + ".key", "-out", name + ".csr")
        with open(os.path.join(WORK, name + ".ext"), "w") as f:
            f.write(ext + "\nkeyUsage=critical,digitalSignature\n"
                    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt")


# bcrypt hashes from the system's libcrypt, as the daemon checks them
# (Python 3.13, Debian 13's, has no crypt module any more)
LIBCRYPT = ctypes.CDLL("libcrypt.so.1")
LIBCRYPT.crypt.restype = ctypes.c_char_p
LIBCRYPT.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
LIBCRYPT.crypt_gensalt.restype = ctypes.c_char_p
LIBCRYPT.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]


def bcrypt(password, cost=5):
    salt = LIBCRYPT.crypt_gensalt(b"$2b$", cost, None, 0)
    return LIBCRYPT.crypt(password.encode(), salt).decode()


def get(port, user=None, password=None, path="/metrics", method="GET", timeout=20):
    """One HTTPS request on a connection of its own: status, headers, seconds."""
    ctx = ssl.create_default_context(cafile=os.path.join(WORK, "ca.crt"))
    start = time.monotonic()
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
    try:
        c.request(method, path, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status, dict(r.getheaders()), time.monotonic() - start
    finally:
        c.close()


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def conf_for(name, port, web):
    return write(name + ".conf", "[milter]\ntrusted_networks =\n[stats]\nlisten = 127.0.0.1:%d\n"
                 "web_config = %s\n" % (port, web))


def daemon(name, web):
    port = free_port()
    conf = conf_for(name, port, web)
    sock = os.path.join(WORK, name + ".sock")
    p = subprocess.Popen([DAEMON, "-f", "-c", conf, "-p", "unix:" + sock],
                         stderr=open(os.path.join(WORK, name + ".log"), "wb"))
    started.append(p)
    wait_for(lambda: os.path.exists(sock), name + "'s socket")
    rawmilter.session(sock, qid=b"W1")
    return port


def curl(port, *args, scheme="https"):
    """HTTP status (0: no HTTP answer at all) and the headers and body."""
    r = subprocess.run(["curl", "-sS", "-i", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}",
                        "--cacert", os.path.join(WORK, "ca.crt")] + list(args)
                       + ["%s://127.0.0.1:%d/metrics" % (scheme, port)],
                       capture_output=True, text=True)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


def bad_files():
    cases = [
        ("tls_config:\n  cert_file: server.crt\n", 'bad1.yml:1: unknown key "tls_config"'),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n",
         "bad2.yml:3: key_file: "),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
         "  client_auth_type: RequireAndVerifyClientCert\n",
         "bad3.yml:1: tls_server_config: RequireAndVerifyClientCert needs client_ca_file"),
        ("basic_auth_users:\n  prometheus: plaintext\n",
         'bad4.yml:2: basic_auth_users: the password of "prometheus" is not a bcrypt hash'),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
         "  min_version: TLS14\n", "bad5.yml:4: min_version: not TLS10, TLS11, TLS12 or TLS13"),
        ("http_server_config:\n  headers:\n    Server: x\n",
         'bad6.yml:3: headers: "Server" is not one of'),
        ("basic_auth_users: [a, b\n", "bad7.yml:"),
        ("tls_server_config:\n  cert_file: server.key\n  key_file: server.crt\n",
         "bad8.yml:"),
        # a crypt(3) hash, but not bcrypt
        ("basic_auth_users:\n  prometheus: $1$abcdefgh$0123456789abcdefghijkl\n",
         'bad9.yml:2: basic_auth_users: the password of "prometheus" is not a bcrypt hash'),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
         "  min_version: TLS13\n  max_version: TLS12\n",
         "bad10.yml:1: tls_server_config: min_version is above max_version"),
    ]
    for i, (text, want) in enumerate(cases, 1):
        web = write("bad%d.yml" % i, text)
        conf = conf_for("bad%d" % i, free_port(), web)
        r = subprocess.run([DAEMON, "-n", "-c", conf], capture_output=True, text=True)
        assert r.returncode == 78, (text, r.returncode, r.stdout, r.stderr)
        assert want in r.stderr, "%r: %r not in %r" % (text, want, r.stderr)
        assert "[stats] web_config:" in r.stderr, r.stderr


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    try:
        make_certificates()
        check("a bad file is a config error naming the file and the line", bad_files)
        users = "basic_auth_users:\n  prometheus: %s\n" % bcrypt("s3cret pass")
        tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: %s\n" % os.path.join(
            WORK, "server.key")
        headers = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
        auth_port = daemon("auth", write("auth.yml", tls + headers + users))
        verify_port = daemon("verify", write("verify.yml", tls + (
            "  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n")))

        def basic_auth():
            code, out = curl(auth_port, "-u", "prometheus:s3cret pass")
            assert code == 200 and "esmtp_milter_transactions_total 1" in out, (code, out[:300])
            assert "X-Frame-Options: deny" in out, out[:300]
            code, out = curl(auth_port, "-u", "prometheus:wrong")
            assert code == 401, (code, out[:300])
            code, out = curl(auth_port)
            assert code == 401 and 'WWW-Authenticate: Basic realm="esmtp-milter"' in out, out[:300]
            code, out = curl(auth_port, "-u", "prometheus:s3cret pass", scheme="http")
            assert code == 0, "plain HTTP answered: %d %s" % (code, out[:300])
        check("HTTPS and basic authentication with curl", basic_auth)

        def client_certs():
            code, _ = curl(verify_port)
            assert code in (0, 403), code
            code, _ = curl(verify_port, "--cert", os.path.join(WORK, "stranger.crt"),
                           "--key", os.path.join(WORK, "stranger.key"))
            assert code in (0, 403), code
            code, out = curl(verify_port, "--cert", os.path.join(WORK, "client.crt"),
                             "--key", os.path.join(WORK, "client.key"))
            assert code == 200 and "esmtp_milter_transactions_total 1" in out, (code, out[:300])
            # the CA's, but for servers only (extendedKeyUsage serverAuth)
            code, out = curl(verify_port, "--cert", os.path.join(WORK, "serveronly.crt"),
                             "--key", os.path.join(WORK, "serveronly.key"))
            assert code in (0, 403), "a server's certificate opened the endpoint: %d" % code
        check("a client certificate required, and verified, when the file says so; "
              "a certificate meant for servers only is none", client_certs)

        # cost 10, as htpasswd -B makes them
        slow_port = daemon("slow", write("slow.yml", tls + "basic_auth_users:\n  prometheus: %s\n"
                                         % bcrypt("s3cret pass", 10)))

        def unknown_users_cost_the_same():
            get(slow_port, "prometheus", "s3cret pass")
            known = [get(slow_port, "prometheus", "wrong%d" % i)[2] for i in range(7)]
            unknown = [get(slow_port, "nobody%d" % i, "wrong")[2] for i in range(7)]
            assert all(get(slow_port, "nobody", "x")[0] == 401 for _ in range(2))
            k, u = statistics.median(known), statistics.median(unknown)
            print("figure: a wrong password for a known user %.1f ms, for an unknown one %.1f ms"
                  % (k * 1000, u * 1000), flush=True)
            assert u > 0.5 * k, "unknown users answered faster: %.1f against %.1f ms" % (
                u * 1000, k * 1000)
        check("an unknown user costs the bcrypt a known one costs", unknown_users_cost_the_same)

        def flood_of_wrong_passwords():
            status, _, _ = get(slow_port, "prometheus", "s3cret pass")
            assert status == 200, status
            stop = threading.Event()

            def attacker(i):
                while not stop.is_set():
                    try:
                        get(slow_port, "prometheus", "guess%d" % i, timeout=30)
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.05)
            threads = [threading.Thread(target=attacker, args=(i,)) for i in range(150)]
            for t in threads:
                t.start()
            try:
                time.sleep(2)
                waits = []
                for _ in range(5):
                    status, _, took = get(slow_port, "prometheus", "s3cret pass")
                    assert status == 200, status
                    waits.append(took)
                    time.sleep(0.3)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            print("figure: scrapes beside 150 connections sending wrong passwords: %s s"
                  % ", ".join("%.2f" % w for w in waits), flush=True)
            assert max(waits) < 2, "a scrape waited %.1f s" % max(waits)
        check("a flood of wrong passwords never keeps a scrape that passed before waiting",
              flood_of_wrong_passwords)

        def idle_connections():
            stop = threading.Event()
            held = []

            def hold():
                # 300 connections that say nothing, reopened when closed
                socks = []
                while not stop.is_set():
                    while len(socks) < 300 and not stop.is_set():
                        try:
                            socks.append(socket.create_connection(("127.0.0.1", auth_port), 5))
                        except OSError:
                            time.sleep(0.01)
                    for s in list(socks):
                        s.setblocking(False)
                        try:
                            if s.recv(1) == b"":
                                raise OSError
                        except BlockingIOError:
                            continue
                        except OSError:
                            pass
                        socks.remove(s)
                        s.close()
                    time.sleep(0.05)
                held.extend(socks)
            t = threading.Thread(target=hold)
            t.start()
            try:
                # the first right behind the idle ones, whose deadline is
                # 5 s away: without shedding it waits for that deadline
                time.sleep(0.5)
                waits = []
                for _ in range(5):
                    status, _, took = get(auth_port, "prometheus", "s3cret pass")
                    assert status == 200, status
                    waits.append(took)
                    time.sleep(1)
            finally:
                stop.set()
                t.join()
                for s in held:
                    s.close()
            print("figure: scrapes behind 300 idle connections: %s s"
                  % ", ".join("%.2f" % w for w in waits), flush=True)
            # the idle deadline is 5 s; shedding under pressure frees a
            # slot within about 1.5 s
            assert max(waits) < 3, "a scrape waited %.1f s for idle connections" % max(waits)
        check("a scrape behind 300 idle connections is answered within the idle deadline",
              idle_connections)

        def page_headers():
            status, headers, _ = get(auth_port, "prometheus", "s3cret pass", path="/")
            assert status == 200, status
            csp = headers.get("Content-Security-Policy", "")
            assert "default-src 'none'" in csp and "script-src" not in csp, headers
            status, headers, _ = get(auth_port, "prometheus", "s3cret pass", method="POST")
            assert status == 405 and headers.get("Allow") == "GET, HEAD", (status, headers)
        check("the page carries a Content-Security-Policy; a 405 says what is allowed",
              page_headers)

        def library_messages_logged():
            # the idle connections above ended in the middle of their TLS
            # handshakes: libmicrohttpd said so, through the daemon's log
            with open(os.path.join(WORK, "auth.log"), errors="replace") as f:
                lines = f.read().splitlines()
            mine = [l for l in lines if ": statistics listener: " in l]
            assert mine and all(re.match(r"\d{4}-\d\d-\d\dT\S+ esmtp-milter\[\d+\]: \w+: ", l)
                                for l in mine), lines[-20:]
            stray = [l for l in lines if l.startswith("Error:") or "MHD_OPTION" in l]
            assert not stray, stray[:5]
            assert len(mine) <= 100, "%d lines: not rate-limited" % len(mine)
        check("libmicrohttpd's messages reach the daemon's log in its grammar, rate-limited",
              library_messages_logged)

        password_file = write("password", "s3cret pass\n")
        wrong_file = write("wrong-password", "guessed-wrong\n")
        ca = os.path.join(WORK, "ca.crt")

        def report(*args):
            r = subprocess.run([REPORT] + list(args), capture_output=True, text=True)
            assert "s3cret" not in r.stdout + r.stderr, "a secret printed: %r" % (r.stdout + r.stderr)
            assert "guessed-wrong" not in r.stdout + r.stderr, "a secret printed: %r" % r.stderr
            return r

        def report_client():
            url = "https://127.0.0.1:%d" % auth_port
            r = report("--url", url, "--ca-file", ca, "--user", "prometheus",
                       "--password-file", password_file)
            assert r.returncode == 0 and "transactions" in r.stdout, (r.returncode, r.stderr)
            # the password in a URL works and is never shown, in errors or
            # in the Instances section
            inline = "https://prometheus:s3cret%%20pass@127.0.0.1:%d" % auth_port
            r = report("--url", inline, "--url", url, "--ca-file", ca, "--user",
                       "prometheus", "--password-file", password_file)
            assert r.returncode == 0 and "Instances" in r.stdout, (r.returncode, r.stderr)
            assert r.stdout.count("https://127.0.0.1:%d" % auth_port) == 2, r.stdout
            r = report("--url", url, "--ca-file", ca, "--user", "prometheus",
                       "--password-file", wrong_file)
            assert r.returncode == 77 and "user name or password was refused (HTTP 401)" in r.stderr, \
                (r.returncode, r.stderr)
            r = report("--url", url, "--ca-file", ca)
            assert r.returncode == 77 and "wants a user name and password" in r.stderr, r.stderr
            r = report("--url", "https://prometheus:guessed-wrong@127.0.0.1:%d" % auth_port,
                       "--ca-file", ca)
            assert r.returncode == 77 and "refused" in r.stderr, r.stderr
            r = report("--url", url, "--user", "prometheus", "--password-file", password_file)
            assert r.returncode == 77 and "certificate is not trusted" in r.stderr, r.stderr
            r = report("--url", url, "--user", "prometheus")
            assert r.returncode == 64 and "go together" in r.stderr, r.stderr
        check("esmtp-milter-stats reads the endpoint over HTTPS with a CA file and a "
              "password file; a wrong password and an untrusted certificate each said, "
              "no secret printed", report_client)

        def report_client_cert():
            url = "https://127.0.0.1:%d" % verify_port
            r = report("--url", url, "--ca-file", ca, "--cert", os.path.join(WORK, "client.crt"),
                       "--key", os.path.join(WORK, "client.key"))
            assert r.returncode == 0 and "transactions" in r.stdout, (r.returncode, r.stderr)
            r = report("--url", url, "--ca-file", ca, "--cert", os.path.join(WORK, "stranger.crt"),
                       "--key", os.path.join(WORK, "stranger.key"))
            assert r.returncode in (69, 77) and "certificate" in r.stderr, r.stderr
            r = report("--url", url, "--ca-file", ca)
            assert r.returncode in (69, 77) and "certificate" in r.stderr, r.stderr
        check("esmtp-milter-stats with a client certificate", report_client_cert)

        port = free_port()
        conf = write("prometheus.yml", """\
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tls-auth
    scheme: https
    tls_config:
      ca_file: {w}/ca.crt
    basic_auth:
      username: prometheus
      password: s3cret pass
    static_configs:
      - targets: ['127.0.0.1:{p}']
  - job_name: wrong-password
    scheme: https
    tls_config:
      ca_file: {w}/ca.crt
    basic_auth:
      username: prometheus
      password: guessed
    static_configs:
      - targets: ['127.0.0.1:{p}']
""".format(w=WORK, p=auth_port))
        prom = subprocess.Popen(
            [os.path.join(PROM, "root/usr/bin/prometheus"), "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(WORK, "data"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, "prometheus.log"), "wb"))
        started.append(prom)

        def targets():
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % port,
                                        timeout=5) as r:
                return {t["labels"]["job"]: t
                        for t in json.loads(r.read())["data"]["activeTargets"]}

        def prometheus():
            wait_for(lambda: {j: t["health"] for j, t in targets().items()}
                     == {"tls-auth": "up", "wrong-password": "down"}, "the scrapes", 30)
            t = targets()
            assert "401" in t["wrong-password"]["lastError"], t["wrong-password"]
            url = ("http://127.0.0.1:%d/api/v1/query?query=esmtp_milter_transactions_total"
                   "%%7Bjob%%3D%%22tls-auth%%22%%7D" % port)
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.loads(r.read())["data"]["result"]
            assert res and res[0]["value"][1] == "1", res
        check("the real Prometheus scrapes over HTTPS with basic authentication; "
              "a wrong password is refused with 401", prometheus)
    finally:
        stop_all(started)
    print("web: %d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
