#!/usr/bin/env python3
"""Python's ftplib against cppftpd, over IPv4 (127.0.0.1) and IPv6 (::1), each in passive
and active mode.

usage: python3 tests/interop/test_ftplib.py <path-to-cppftpd>
"""

import calendar
import ftplib
import hashlib
import io
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

USER = "user"
PASSWORD = "secret-pass"
TIMEOUT = 10  # seconds, for every socket operation of ftplib

MIB = 1024 * 1024


class FtplibCases:
    """The test methods; combined below with an address family and a data connection mode."""

    host = None
    passive = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_class_server(["-w", "-u", USER, "-P", PASSWORD])

    def connect(self, login=True):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        ftp.connect(self.host, self.server.port)
        self.addCleanup(ftp.close)
        if login:
            ftp.login(USER, PASSWORD)
            ftp.set_pasv(self.passive)
        return ftp

    def setUp(self):
        super().setUp()
        self.ftp = self.connect()
        # A directory of its own for every test, so tests share nothing on the server.
        self.dir_name = self.id().rsplit(".", 1)[-1]
        self.dir = self.server.path(self.dir_name)
        os.mkdir(self.dir)
        self.ftp.cwd("/" + self.dir_name)

    def retrieve(self, command, rest=None, ftp=None):
        chunks = []
        (ftp or self.ftp).retrbinary(command, chunks.append, rest=rest)
        return b"".join(chunks)

    def store(self, name, data):
        self.ftp.storbinary("STOR " + name, io.BytesIO(data))

    # -- session basics -------------------------------------------------------------

    def test_welcome_and_login(self):
        ftp = self.connect(login=False)
        self.assertTrue(ftp.getwelcome().startswith("220"), ftp.getwelcome())
        self.assertTrue(ftp.login(USER, PASSWORD).startswith("230"))
        self.assertEqual(ftp.pwd(), "/")

    def test_wrong_password(self):
        ftp = self.connect(login=False)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login(USER, "not-the-password")
        self.assertTrue(str(caught.exception).startswith("530"), str(caught.exception))

    def test_unknown_user(self):
        ftp = self.connect(login=False)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login("nobody", PASSWORD)
        self.assertTrue(str(caught.exception).startswith("530"), str(caught.exception))

    def test_pwd_cwd(self):
        ftp = self.ftp
        self.assertEqual(ftp.pwd(), "/" + self.dir_name)
        os.makedirs(os.path.join(self.dir, "a", "b"))
        ftp.cwd("a/b")
        self.assertEqual(ftp.pwd(), "/%s/a/b" % self.dir_name)
        ftp.cwd("..")
        self.assertEqual(ftp.pwd(), "/%s/a" % self.dir_name)
        ftp.voidcmd("CDUP")
        self.assertEqual(ftp.pwd(), "/" + self.dir_name)
        ftp.cwd("/")
        self.assertEqual(ftp.pwd(), "/")
        ftp.cwd("..")  # cannot leave the root
        self.assertEqual(ftp.pwd(), "/")
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.cwd("/no/such/dir")
        self.assertTrue(str(caught.exception).startswith("550"))

    def test_mkd_rmd(self):
        ftp = self.ftp
        self.assertEqual(ftp.mkd("new dir"), "/%s/new dir" % self.dir_name)
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "new dir")))
        self.assertEqual(ftp.mkd("/%s/ünï" % self.dir_name), "/%s/ünï" % self.dir_name)
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "ünï")))
        with self.assertRaises(ftplib.error_perm):
            ftp.mkd("new dir")  # exists
        ftp.rmd("new dir")
        ftp.rmd("ünï")
        self.assertEqual(os.listdir(self.dir), [])
        with self.assertRaises(ftplib.error_perm):
            ftp.rmd("new dir")  # gone

    # -- transfers -------------------------------------------------------------------

    def test_stor_retr_binary(self):
        data = os.urandom(3 * MIB + 11)
        self.store("blob.bin", data)
        on_disk = fx.read_file(os.path.join(self.dir, "blob.bin"))
        self.assertEqual(hashlib.sha256(on_disk).hexdigest(), hashlib.sha256(data).hexdigest())
        back = self.retrieve("RETR blob.bin")
        self.assertEqual(len(back), len(data))
        self.assertEqual(hashlib.sha256(back).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_binary_keeps_line_endings(self):
        data = b"a\r\nb\nc\r\n\r\x00\xff"
        self.store("crlf.bin", data)
        self.assertEqual(fx.read_file(os.path.join(self.dir, "crlf.bin")), data)
        self.assertEqual(self.retrieve("RETR crlf.bin"), data)

    def test_empty_file(self):
        self.store("empty", b"")
        self.assertEqual(fx.read_file(os.path.join(self.dir, "empty")), b"")
        self.assertEqual(self.retrieve("RETR empty"), b"")

    def test_retr_missing_file(self):
        with self.assertRaises(ftplib.error_perm) as caught:
            self.retrieve("RETR no-such-file")
        self.assertTrue(str(caught.exception).startswith("550"))
        self.ftp.voidcmd("NOOP")

    def test_storlines_ascii(self):
        self.ftp.storlines("STOR lines.txt", io.BytesIO(b"a\nb\n"))
        self.assertEqual(fx.read_file(os.path.join(self.dir, "lines.txt")), b"a\nb\n")
        self.ftp.storlines("STOR crlf.txt", io.BytesIO(b"first\r\nsecond\r\n\r\nlast\n"))
        self.assertEqual(fx.read_file(os.path.join(self.dir, "crlf.txt")),
                         b"first\nsecond\n\nlast\n")

    def test_retrlines_ascii(self):
        fx.write_file(os.path.join(self.dir, "unix.txt"), b"x\ny\n\nz\n")
        lines = []
        self.ftp.retrlines("RETR unix.txt", lines.append)
        self.assertEqual(lines, ["x", "y", "", "z"])
        # On the wire, ASCII mode has CRLF line ends (RFC 959 3.1.1.1).
        self.ftp.voidcmd("TYPE A")
        with self.ftp.transfercmd("RETR unix.txt") as conn:
            raw = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                raw += chunk
        self.ftp.voidresp()
        self.assertEqual(raw, b"x\r\ny\r\n\r\nz\r\n")

    def test_ascii_large_round_trip(self):
        text = b"".join(b"line %d with some text\n" % i for i in range(100_000))
        self.ftp.storlines("STOR big.txt", io.BytesIO(text))
        self.assertEqual(fx.read_file(os.path.join(self.dir, "big.txt")), text)
        lines = []
        self.ftp.retrlines("RETR big.txt", lines.append)
        self.assertEqual(len(lines), 100_000)
        self.assertEqual(("\n".join(lines) + "\n").encode(), text)

    def test_rest_resume_download(self):
        data = os.urandom(MIB + 1)
        fx.write_file(os.path.join(self.dir, "resume.bin"), data)
        for offset in (0, 1, 123_456, len(data) - 1, len(data)):
            self.assertEqual(self.retrieve("RETR resume.bin", rest=offset), data[offset:],
                             "offset %d" % offset)

    def test_rest_resume_upload(self):
        data = os.urandom(500_000)
        fx.write_file(os.path.join(self.dir, "up.bin"), data[:200_000])
        self.ftp.storbinary("STOR up.bin", io.BytesIO(data[200_000:]), rest=200_000)
        self.assertEqual(fx.sha256_file(os.path.join(self.dir, "up.bin")), fx.sha256_bytes(data))

    def test_appe(self):
        fx.write_file(os.path.join(self.dir, "log.txt"), b"one\n")
        self.ftp.storbinary("APPE log.txt", io.BytesIO(b"two\n"))
        self.assertEqual(fx.read_file(os.path.join(self.dir, "log.txt")), b"one\ntwo\n")

    def test_abort_during_large_retr(self):
        big = os.path.join(self.dir, "huge.bin")
        with open(big, "wb") as f:
            f.truncate(512 * MIB)  # sparse: costs no disk
        ftp = self.ftp
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR huge.bin")
        received = 0
        while received < MIB:
            chunk = conn.recv(65536)
            self.assertTrue(chunk, "data connection closed early")
            received += len(chunk)
        reply = ftp.abort()
        self.assertIn(reply[:3], ("426", "225", "226"), reply)
        conn.close()
        if reply.startswith("426"):
            # RFC 959 4.1.3: 426 for the aborted transfer, then 226 for the ABOR.
            final = ftp.voidresp()
            self.assertIn(final[:3], ("225", "226"), final)
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertEqual(ftp.pwd(), "/" + self.dir_name)
        # And a whole transfer still works on the same session.
        fx.write_file(os.path.join(self.dir, "small.bin"), b"after abort")
        self.assertEqual(self.retrieve("RETR small.bin"), b"after abort")

    def test_abort_from_retrbinary_callback(self):
        # The usual ftplib idiom: abort() from inside the retrbinary callback, then leave
        # retrbinary by raising.
        with open(os.path.join(self.dir, "huge.bin"), "wb") as f:
            f.truncate(512 * MIB)
        ftp = self.ftp
        received = [0]
        replies = []

        class Stop(Exception):
            pass

        def callback(chunk):
            received[0] += len(chunk)
            if received[0] >= MIB:
                replies.append(ftp.abort())
                raise Stop

        with self.assertRaises(Stop):
            ftp.retrbinary("RETR huge.bin", callback)
        self.assertEqual(len(replies), 1)
        self.assertIn(replies[0][:3], ("426", "225", "226"), replies[0])
        if replies[0].startswith("426"):
            self.assertIn(ftp.voidresp()[:3], ("225", "226"))
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertLess(received[0], 512 * MIB)

    def test_abort_without_transfer(self):
        reply = self.ftp.abort()
        self.assertIn(reply[:3], ("225", "226"), reply)
        self.assertTrue(self.ftp.voidcmd("NOOP").startswith("200"))

    def test_control_channel_during_transfer(self):
        # The control connection stays readable while a transfer runs: STAT and NOOP are
        # answered mid-transfer, then ABOR ends it.
        with open(os.path.join(self.dir, "huge.bin"), "wb") as f:
            f.truncate(512 * MIB)
        ftp = self.ftp
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR huge.bin")
        self.addCleanup(conn.close)
        self.assertTrue(conn.recv(65536))
        status = ftp.sendcmd("STAT")
        self.assertTrue(status.startswith("211") or status.startswith("213"), status)
        self.assertIn("huge.bin", status)
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        reply = ftp.abort()
        conn.close()
        if reply.startswith("426"):
            ftp.voidresp()
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))

    def test_client_closes_data_connection_early(self):
        data = os.urandom(32 * MIB)
        fx.write_file(os.path.join(self.dir, "early.bin"), data)
        ftp = self.ftp
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR early.bin")
        self.assertTrue(conn.recv(1000))
        conn.close()
        with self.assertRaises(ftplib.error_temp) as caught:  # 426: transfer aborted
            ftp.voidresp()
        self.assertTrue(str(caught.exception).startswith("426"), str(caught.exception))
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertEqual(self.retrieve("RETR early.bin", rest=len(data) - 10), data[-10:])

    def test_stou(self):
        ftp = self.ftp
        ftp.voidcmd("TYPE I")
        replies = []
        getresp = ftp.getresp

        def recording_getresp():
            reply = getresp()
            replies.append(reply)
            return reply

        ftp.getresp = recording_getresp
        stored = {}
        for payload in (b"first unique", b"second unique"):
            replies.clear()
            conn, _ = ftp.ntransfercmd("STOU")
            with conn:
                conn.sendall(payload)
            self.assertTrue(ftp.voidresp().startswith("226"))
            preliminary = [r for r in replies if r[:3] in ("125", "150")]
            self.assertEqual(len(preliminary), 1, replies)
            # RFC 1123 4.1.2.9: the preliminary reply names the file: "150 FILE: name".
            match = re.search(r"FILE: (.+)$", preliminary[0])
            self.assertIsNotNone(match, preliminary[0])
            stored[os.path.basename(match.group(1))] = payload
        self.assertEqual(len(stored), 2, "STOU reused a name: %s" % stored)
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(stored))
        for name, payload in stored.items():
            self.assertEqual(fx.read_file(os.path.join(self.dir, name)), payload)

    def test_paths_stay_inside_root(self):
        secret_dir = tempfile.mkdtemp(prefix="cppftpd-outside-")
        self.addCleanup(shutil.rmtree, secret_dir, True)
        fx.write_file(os.path.join(secret_dir, "secret"), b"do not serve")
        os.symlink(secret_dir, os.path.join(self.dir, "escape-dir"))
        os.symlink(os.path.join(secret_dir, "secret"), os.path.join(self.dir, "escape-file"))
        ftp = self.ftp
        ftp.voidcmd("TYPE I")
        for command in ("RETR escape-file", "RETR escape-dir/secret",
                        "RETR ../../../../%s/secret" % secret_dir.lstrip("/"),
                        "RETR /../../../../%s/secret" % secret_dir.lstrip("/")):
            with self.assertRaises(ftplib.error_perm, msg=command):
                self.retrieve(command)
        with self.assertRaises(ftplib.error_perm):
            ftp.cwd("escape-dir")
        with self.assertRaises(ftplib.error_perm):
            self.store("escape-dir/planted", b"x")
        self.assertEqual(os.listdir(secret_dir), ["secret"])
        ftp.cwd("../../../..")
        self.assertEqual(ftp.pwd(), "/")

    # -- listings --------------------------------------------------------------------

    def test_nlst(self):
        for name in ("one", "two words", "ünïcödé", "日本"):
            fx.write_file(os.path.join(self.dir, name), b"x")
        os.mkdir(os.path.join(self.dir, "sub"))
        self.assertEqual(sorted(self.ftp.nlst()),
                         sorted(["one", "two words", "ünïcödé", "日本", "sub"]))
        os.mkdir(os.path.join(self.dir, "empty"))
        self.assertEqual(self.ftp.nlst("empty"), [])

    def test_nlst_glob(self):
        for name in ("a.txt", "b.txt", "c.bin"):
            fx.write_file(os.path.join(self.dir, name), b"x")
        self.assertEqual(sorted(self.ftp.nlst("*.txt")), ["a.txt", "b.txt"])

    def test_list_with_ls_options(self):
        # Many clients send "LIST -la" / "LIST -a"; the options must not be taken as a path.
        fx.write_file(os.path.join(self.dir, "opt.txt"), b"x")
        for command in ("LIST -la", "LIST -a", "LIST -l"):
            lines = []
            self.ftp.retrlines(command, lines.append)
            names = [line.split(None, 8)[8] for line in lines]
            self.assertIn("opt.txt", names, command)

    def test_list(self):
        fx.write_file(os.path.join(self.dir, "seven.b"), b"1234567")
        os.mkdir(os.path.join(self.dir, "d"))
        lines = []
        self.ftp.retrlines("LIST", lines.append)
        self.assertEqual(len(lines), 2, lines)
        by_name = {line.split(None, 8)[8]: line.split(None, 8) for line in lines}
        self.assertEqual(set(by_name), {"seven.b", "d"})
        self.assertTrue(by_name["d"][0].startswith("d"))
        self.assertEqual(by_name["seven.b"][4], "7")

    def test_mlsd(self):
        path = os.path.join(self.dir, "data.bin")
        fx.write_file(path, b"z" * 1234)
        os.chmod(path, 0o640)
        os.utime(path, (1_000_000_000, 1_000_000_000))
        os.mkdir(os.path.join(self.dir, "subdir"))
        facts = ["type", "size", "modify", "perm", "unix.mode"]
        entries = {name: f for name, f in self.ftp.mlsd(facts=facts)}
        entries = {name: f for name, f in entries.items() if f.get("type") not in ("cdir", "pdir")}
        self.assertEqual(set(entries), {"data.bin", "subdir"})
        f = entries["data.bin"]
        self.assertEqual(f["type"], "file")
        self.assertEqual(f["size"], "1234")
        self.assertEqual(f["modify"][:14], "20010909014640")
        self.assertEqual(int(f["unix.mode"], 8), 0o640)
        for letter in "radfw":  # -w grants read, append, delete, rename, write on a file
            self.assertIn(letter, f["perm"])
        d = entries["subdir"]
        self.assertEqual(d["type"], "dir")
        for letter in "elcmdf":  # enter, list, create, make dir, delete, rename
            self.assertIn(letter, d["perm"])
        st = os.stat(os.path.join(self.dir, "subdir"))
        self.assertEqual(int(d["unix.mode"], 8), stat.S_IMODE(st.st_mode))
        self.assertEqual(d["modify"][:14], time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)))

    def test_mlst(self):
        fx.write_file(os.path.join(self.dir, "one.txt"), b"abc")
        reply = self.ftp.sendcmd("MLST one.txt")
        lines = reply.splitlines()
        self.assertTrue(lines[0].startswith("250-"), reply)
        self.assertTrue(lines[-1].startswith("250"), reply)
        entry = [line for line in lines[1:-1]]
        self.assertEqual(len(entry), 1, reply)
        self.assertTrue(entry[0].startswith(" "), reply)  # RFC 3659 7.2: one leading space
        facts_text, _, name = entry[0][1:].partition(" ")
        self.assertTrue(name.endswith("one.txt"), reply)
        facts = dict(f.split("=", 1) for f in facts_text.rstrip(";").split(";"))
        self.assertEqual(facts["type"].lower(), "file")
        self.assertEqual(facts["size"], "3")

    # -- file management -------------------------------------------------------------------

    def test_size(self):
        fx.write_file(os.path.join(self.dir, "sized"), b"q" * 98765)
        self.ftp.voidcmd("TYPE I")
        self.assertEqual(self.ftp.size("sized"), 98765)
        with self.assertRaises(ftplib.error_perm):
            self.ftp.size("missing")

    def test_rename(self):
        fx.write_file(os.path.join(self.dir, "before"), b"r")
        os.mkdir(os.path.join(self.dir, "into"))
        self.ftp.rename("before", "into/after ü")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "before")))
        self.assertEqual(fx.read_file(os.path.join(self.dir, "into", "after ü")), b"r")
        with self.assertRaises(ftplib.error_perm):
            self.ftp.rename("before", "again")

    def test_rnto_without_rnfr(self):
        with self.assertRaises(ftplib.error_perm) as caught:
            self.ftp.sendcmd("RNTO somewhere")
        self.assertTrue(str(caught.exception).startswith("503"), str(caught.exception))

    def test_delete(self):
        fx.write_file(os.path.join(self.dir, "victim"), b"v")
        self.ftp.delete("victim")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "victim")))
        with self.assertRaises(ftplib.error_perm):
            self.ftp.delete("victim")

    def test_mdtm(self):
        path = os.path.join(self.dir, "dated")
        fx.write_file(path, b"d")
        os.utime(path, (1_000_000_000, 1_000_000_000))
        self.assertEqual(self.ftp.sendcmd("MDTM dated"), "213 20010909014640")
        with self.assertRaises(ftplib.error_perm) as caught:
            self.ftp.sendcmd("MDTM missing")
        self.assertTrue(str(caught.exception).startswith("550"))

    def test_mfmt(self):
        path = os.path.join(self.dir, "touched")
        fx.write_file(path, b"t")
        reply = self.ftp.sendcmd("MFMT 20200102030405 touched")
        self.assertTrue(reply.startswith("213"), reply)
        self.assertIn("20200102030405", reply)
        expected = calendar.timegm((2020, 1, 2, 3, 4, 5, 0, 0, 0))
        self.assertEqual(int(os.stat(path).st_mtime), expected)
        self.assertEqual(self.ftp.sendcmd("MDTM touched"), "213 20200102030405")
        with self.assertRaises(ftplib.error_perm):
            self.ftp.sendcmd("MFMT notatime touched")

    def test_site_chmod(self):
        path = os.path.join(self.dir, "private")
        fx.write_file(path, b"p")
        os.chmod(path, 0o644)
        reply = self.ftp.sendcmd("SITE CHMOD 600 private")
        self.assertTrue(reply.startswith("200"), reply)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with self.assertRaises(ftplib.error_perm):
            self.ftp.sendcmd("SITE CHMOD 999 private")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    # -- FEAT, HELP, misc ----------------------------------------------------------------

    def test_feat(self):
        reply = self.ftp.sendcmd("FEAT")
        lines = reply.splitlines()
        self.assertTrue(lines[0].startswith("211-"), reply)
        self.assertTrue(lines[-1].startswith("211 "), reply)
        features = [line for line in lines[1:-1]]
        for line in features:
            self.assertTrue(line.startswith(" "), "RFC 2389 3.2: feature lines start with a space: %r"
                            % line)
        names = {line.strip().split(" ", 1)[0].upper(): line.strip() for line in features}
        for name in ("UTF8", "MDTM", "SIZE", "REST", "MLST", "EPSV", "EPRT", "MFMT", "TVFS"):
            self.assertIn(name, names, reply)
        self.assertEqual(names["REST"].upper(), "REST STREAM")
        mlst = names["MLST"]
        for fact in ("type", "size", "modify", "perm", "unix.mode"):
            self.assertRegex(mlst, r"(?i)\b%s\*?;" % re.escape(fact))

    def test_syst_and_help(self):
        self.assertTrue(self.ftp.sendcmd("SYST").startswith("215"))
        self.assertTrue(self.ftp.sendcmd("HELP").startswith("214"))
        self.assertTrue(self.ftp.sendcmd("HELP RETR").startswith("214"))

    def test_unknown_command(self):
        with self.assertRaises(ftplib.error_perm) as caught:
            self.ftp.sendcmd("XYZZY")
        self.assertTrue(str(caught.exception).startswith("500"), str(caught.exception))
        self.ftp.voidcmd("NOOP")

    def test_quit(self):
        self.assertTrue(self.ftp.quit().startswith("221"))


class IPv4PassiveTest(FtplibCases, fx.ServerTestCase):
    host = "127.0.0.1"
    passive = True


class IPv4ActiveTest(FtplibCases, fx.ServerTestCase):
    host = "127.0.0.1"
    passive = False


@unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
class IPv6PassiveTest(FtplibCases, fx.ServerTestCase):
    host = "::1"
    passive = True


@unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
class IPv6ActiveTest(FtplibCases, fx.ServerTestCase):
    host = "::1"
    passive = False


if __name__ == "__main__":
    fx.main()
