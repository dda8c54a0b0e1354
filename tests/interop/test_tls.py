#!/usr/bin/env python3
"""FTPS with real clients: curl (explicit --ssl-reqd and implicit ftps://), lftp mirroring
a tree both ways over ssl-force, Python's ftplib.FTP_TLS with prot_p() for every data
command, and openssl s_client checking the protocol floor.

usage: python3 tests/interop/test_tls.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

USER = "user"
PASSWORD = "pass"
CLIENT_MAX_TIME = 30

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
OPENSSL = shutil.which("openssl")

_IMPLICIT_LINE = r"implicit on port (\d+)"


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed
    return ctx


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS whose data connections resume the control connection's TLS session.

    With --tls-require-session-reuse (vsftpd's require_ssl_reuse), or once a data connection
    of the control connection has resumed, cppftpd refuses a PROT P data connection that
    does not: this is what ftplib users pass then.
    """

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size


def make_certificate(directory):
    """A self-signed certificate and key made by the openssl command, and its SHA-256
    fingerprint as openssl prints it."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    fx.run_client([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                  check=True)
    out = fx.run_client([OPENSSL, "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                        check=True).stdout.decode()
    return cert, key, out.strip().split("=", 1)[1]


@unittest.skipUnless(CURL and LFTP and OPENSSL, "curl, lftp and openssl are needed")
class TlsClients(fx.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="cppftpd-tls-cert-")
        cls.cert, cls.key, cls.fingerprint = make_certificate(cls.certdir)
        cls.server = cls.start_class_server(
            ["-w", "-u", USER, "-P", PASSWORD, "--tls", "--certfile", cls.cert, "--keyfile", cls.key,
             "--tls-implicit-port", "0"])
        found = cls.server.wait_for_log(_IMPLICIT_LINE)
        cls.implicit_port = int(found.group(1))
        cls.big = os.urandom(3 * 1024 * 1024 + 17)
        fx.write_file(cls.server.path("big.bin"), cls.big)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.certdir, True)

    def setUp(self):
        self.local = tempfile.mkdtemp(prefix="cppftpd-tls-client-")
        self.addCleanup(shutil.rmtree, self.local, True)

    def curl(self, *args):
        cmd = [CURL, "--silent", "--show-error", "--max-time", str(CLIENT_MAX_TIME),
               "--insecure", "--user", "%s:%s" % (USER, PASSWORD)] + list(args)
        result = fx.run_client(cmd, timeout=CLIENT_MAX_TIME + 10)
        self.assertEqual(result.returncode, 0, result.stderr.decode("utf-8", "replace"))
        return result

    def test_logs_the_certificate_fingerprint(self):
        self.assertIn(self.fingerprint, self.server.log())

    def test_curl_explicit_upload_and_download(self):
        url = "ftp://127.0.0.1:%d/" % self.server.port
        src = os.path.join(self.local, "src.bin")
        fx.write_file(src, self.big)
        self.curl("--ssl-reqd", "-T", src, url + "curl-up.bin")
        self.assertEqual(fx.sha256_file(self.server.path("curl-up.bin")), fx.sha256_bytes(self.big))
        out = os.path.join(self.local, "down.bin")
        self.curl("--ssl-reqd", "-o", out, url + "big.bin")
        self.assertEqual(fx.sha256_file(out), fx.sha256_bytes(self.big))
        listing = self.curl("--ssl-reqd", "--list-only", url).stdout.decode()
        self.assertIn("big.bin", listing.split())
        # Logged as protected on both channels.
        self.assertTrue(self.server.wait_for_log(r"TLS on the control connection: TLSv1\.[23]"))

    def test_curl_implicit_upload_and_download(self):
        url = "ftps://127.0.0.1:%d/" % self.implicit_port
        src = os.path.join(self.local, "src.bin")
        fx.write_file(src, self.big[:500000])
        self.curl("-T", src, url + "implicit-up.bin")
        self.assertEqual(fx.read_file(self.server.path("implicit-up.bin")), self.big[:500000])
        out = os.path.join(self.local, "down.bin")
        self.curl("-o", out, url + "big.bin")
        self.assertEqual(fx.sha256_file(out), fx.sha256_bytes(self.big))

    def test_lftp_mirrors_a_tree_both_ways(self):
        tree = os.path.join(self.local, "tree")
        for rel, size in (("a.txt", 10), ("sub/b.bin", 200000), ("sub/deeper/c.bin", 70000),
                          ("empty.txt", 0)):
            fx.write_file(os.path.join(tree, rel), os.urandom(size))
        settings = ("set ftp:ssl-force true; set ftp:ssl-protect-data true; "
                    "set ssl:verify-certificate no; set net:max-retries 1; set net:timeout 10; "
                    "set cmd:fail-exit true; ")
        login = "open -u %s,%s ftp://127.0.0.1:%d; " % (USER, PASSWORD, self.server.port)
        up = fx.run_client([LFTP, "-c", settings + login + "mirror -R %s /mirror" % tree],
                           timeout=CLIENT_MAX_TIME)
        self.assertEqual(up.returncode, 0, up.stderr.decode("utf-8", "replace"))
        self.assertEqual(fx.tree_digest(self.server.path("mirror")), fx.tree_digest(tree))
        back = os.path.join(self.local, "back")
        down = fx.run_client([LFTP, "-c", settings + login + "mirror /mirror %s" % back],
                             timeout=CLIENT_MAX_TIME)
        self.assertEqual(down.returncode, 0, down.stderr.decode("utf-8", "replace"))
        self.assertEqual(fx.tree_digest(back), fx.tree_digest(tree))

    def ftplib_session(self, cls=ResumingFTP_TLS):
        ftp = cls(context=client_context(), timeout=CLIENT_MAX_TIME)
        ftp.connect("127.0.0.1", self.server.port)
        ftp.login(USER, PASSWORD)  # FTP_TLS.login sends AUTH TLS first
        ftp.prot_p()
        self.addCleanup(ftp.close)
        return ftp

    def test_ftplib_prot_p_every_data_command(self):
        ftp = self.ftplib_session()
        ftp.mkd("py")
        ftp.cwd("py")
        ftp.storbinary("STOR one.bin", io.BytesIO(self.big))
        ftp.storbinary("APPE one.bin", io.BytesIO(b"tail"))
        self.assertEqual(ftp.size("one.bin"), len(self.big) + 4)
        got = io.BytesIO()
        ftp.retrbinary("RETR one.bin", got.write)
        self.assertEqual(fx.sha256_bytes(got.getvalue()), fx.sha256_bytes(self.big + b"tail"))
        got = io.BytesIO()
        ftp.retrbinary("RETR one.bin", got.write, rest=len(self.big))
        self.assertEqual(got.getvalue(), b"tail")
        ftp.storlines("STOR lines.txt", io.BytesIO(b"one\ntwo\n"))
        lines = []
        ftp.retrlines("RETR lines.txt", lines.append)
        self.assertEqual(lines, ["one", "two"])
        conn = ftp.transfercmd("STOU")
        conn.sendall(b"unique")
        conn.unwrap()
        conn.close()
        self.assertTrue(ftp.voidresp().startswith("226"))
        self.assertEqual(sorted(ftp.nlst()), ["ftpd", "lines.txt", "one.bin"])
        listing = []
        ftp.retrlines("LIST", listing.append)
        self.assertTrue(any(line.endswith(" one.bin") for line in listing), listing)
        facts = dict(ftp.mlsd())
        self.assertEqual(facts["one.bin"]["size"], str(len(self.big) + 4))

    def test_stock_ftplib_transfers_by_default(self):
        # Python's ftplib never resumes the control connection's TLS session on a data
        # connection: by default (as pyftpdlib) that is accepted.
        ftp = self.ftplib_session(cls=ftplib.FTP_TLS)
        self.assertIn("big.bin", ftp.nlst())
        received = bytearray()
        ftp.retrbinary("RETR big.bin", received.extend)
        self.assertEqual(bytes(received), self.big)
        ftp.mkd("stock")
        ftp.storbinary("STOR stock/stock.bin", io.BytesIO(b"stock ftplib"))
        self.assertEqual(fx.read_file(self.server.path("stock/stock.bin")), b"stock ftplib")
        self.assertEqual(ftp.nlst("stock"), ["stock.bin"])
        ftp.quit()

    def s_client(self, *args):
        return fx.run_client([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % self.server.port,
                              "-starttls", "ftp"] + list(args), timeout=CLIENT_MAX_TIME)

    def test_openssl_refuses_tls10_and_tls11(self):
        for version in ("-tls1", "-tls1_1"):
            # SECLEVEL=0 lets this client really offer the old version.
            result = self.s_client(version, "-cipher", "DEFAULT@SECLEVEL=0")
            out = result.stdout.decode("utf-8", "replace")
            self.assertNotEqual(result.returncode, 0, out)
            self.assertNotRegex(out, r"Protocol\s*:\s*TLSv1(\.1)?\s*$")
        for version, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            result = self.s_client(version)
            out = result.stdout.decode("utf-8", "replace")
            self.assertRegex(out, r"(Protocol\s*:\s*|New, )%s" % re.escape(name))


@unittest.skipUnless(CURL, "curl is needed")
class TlsPolicies(fx.ServerTestCase):
    def test_control_required_refuses_clear_logins(self):
        server = self.start_server(["-u", USER, "-P", PASSWORD, "--tls", "--tls-control-required"])
        fx.write_file(server.path("f.txt"), b"x")
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=CLIENT_MAX_TIME)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login(USER, PASSWORD)
        self.assertTrue(str(caught.exception).startswith("530"), caught.exception)
        ftp.close()
        secure = ResumingFTP_TLS(context=client_context(), timeout=CLIENT_MAX_TIME)
        secure.connect("127.0.0.1", server.port)
        secure.login(USER, PASSWORD)
        secure.prot_p()
        self.assertEqual(secure.nlst(), ["f.txt"])
        secure.quit()

    def test_data_required_refuses_clear_transfers(self):
        server = self.start_server(["-u", USER, "-P", PASSWORD, "--tls", "--tls-data-required"])
        ftp = ResumingFTP_TLS(context=client_context(), timeout=CLIENT_MAX_TIME)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(USER, PASSWORD)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.nlst()
        self.assertTrue(str(caught.exception).startswith("521"), caught.exception)
        ftp.prot_p()
        self.assertEqual(ftp.nlst(), [])
        ftp.quit()

    def test_no_session_reuse_switch_serves_plain_ftplib(self):
        # The old switch, now the default, is still accepted.
        server = self.start_server(["-u", USER, "-P", PASSWORD, "--tls", "--tls-no-session-reuse"])
        fx.write_file(server.path("f.txt"), b"x")
        ftp = ftplib.FTP_TLS(context=client_context(), timeout=CLIENT_MAX_TIME)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(USER, PASSWORD)
        ftp.prot_p()
        self.assertEqual(ftp.nlst(), ["f.txt"])
        ftp.quit()

    def test_require_session_reuse_refuses_plain_ftplib(self):
        server = self.start_server(["-u", USER, "-P", PASSWORD, "--tls",
                                    "--tls-require-session-reuse"])
        fx.write_file(server.path("f.txt"), b"x")
        ftp = ftplib.FTP_TLS(context=client_context(), timeout=CLIENT_MAX_TIME)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(USER, PASSWORD)
        ftp.prot_p()
        with self.assertRaises((ftplib.error_perm, ssl.SSLError, OSError)):
            ftp.nlst()
        self.assertTrue(server.wait_for_log(r"not resumed from the control connection"))
        # A client that resumes is served, on the same server.
        resuming = ResumingFTP_TLS(context=client_context(), timeout=CLIENT_MAX_TIME)
        resuming.connect("127.0.0.1", server.port)
        resuming.login(USER, PASSWORD)
        resuming.prot_p()
        self.assertEqual(resuming.nlst(), ["f.txt"])
        resuming.quit()

    def test_session_reuse_switches_contradict(self):
        result = subprocess.run([fx.binary(), "-p", "0", "--allow-root", "--tls",
                                 "--tls-no-session-reuse", "--tls-require-session-reuse"],
                                stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=CLIENT_MAX_TIME)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"contradict", result.stderr)

    def test_tls_options_without_tls_are_refused(self):
        for args in (["--certfile", "/nonexistent.pem"], ["--tls-control-required"],
                     ["--tls-implicit-port", "0"]):
            result = subprocess.run([fx.binary(), "-p", "0"] + args, stdin=subprocess.DEVNULL,
                                    capture_output=True, timeout=CLIENT_MAX_TIME)
            self.assertEqual(result.returncode, 1, args)
            self.assertIn(b"need --tls", result.stderr)

    def test_unreadable_certificate_is_a_clear_error(self):
        result = subprocess.run([fx.binary(), "-p", "0", "--tls", "--certfile", "/nonexistent.pem"],
                                stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=CLIENT_MAX_TIME)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"/nonexistent.pem", result.stderr)


if __name__ == "__main__":
    fx.main()
