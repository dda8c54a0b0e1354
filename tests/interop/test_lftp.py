#!/usr/bin/env python3
"""lftp against cppftpd: mirror both ways (binary, nested, UTF-8 names), ls/cls, rm, mkdir,
mv, get -c, and active mode.

usage: python3 tests/interop/test_lftp.py <path-to-cppftpd>
"""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

USER = "user"
PASSWORD = "pass"
LFTP = shutil.which("lftp")
LFTP_TIMEOUT = 60  # seconds for one lftp run

MIB = 1024 * 1024


def lq(text):
    """Quote one argument for an lftp command line."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_tree(root, big=True):
    """A tree of binary files, nested directories and UTF-8 names; returns it as
    {relative path: bytes or None for a directory}."""
    files = {
        "héllo wörld.txt": "bonjour, ça va?\nwie geht's\n".encode("utf-8"),
        "日本語.bin": os.urandom(1024),
        "emoji-😀.dat": os.urandom(10_000),
        "a name with spaces.bin": os.urandom(3_333),
        "empty.bin": b"",
        "nested/deeper/deepest/file.bin": os.urandom(70_000),
        "nested/ünïcödé dir/ファイル.txt": "テキスト\n".encode("utf-8"),
        "nested/empty-too.bin": b"",
    }
    if big:
        files["big-5MiB.bin"] = os.urandom(5 * MIB)
    for rel, data in files.items():
        fx.write_file(os.path.join(root, rel), data)
    os.makedirs(os.path.join(root, "empty-dir"), exist_ok=True)
    os.makedirs(os.path.join(root, "nested", "empty dir é"), exist_ok=True)
    return files


@unittest.skipIf(LFTP is None, "lftp is not installed")
class LftpTest(fx.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # -D: the command log shows which data connection modes the client used.
        cls.server = cls.start_class_server(["-w", "-u", USER, "-P", PASSWORD, "-D"])
        cls.home = tempfile.mkdtemp(prefix="cppftpd-lftp-home-")
        cls.env = dict(os.environ, HOME=cls.home, LC_ALL="C.UTF-8", LANG="C.UTF-8")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.local = tempfile.mkdtemp(prefix="cppftpd-lftp-")
        self.addCleanup(shutil.rmtree, self.local, True)

    def lftp(self, commands, passive=True, host="127.0.0.1", check=True):
        script = "; ".join([
            "set ftp:ssl-allow no",
            "set net:max-retries 1",
            "set net:timeout 10",
            "set net:reconnect-interval-base 1",
            "set cmd:fail-exit yes",
            "set xfer:clobber on",
            "set file:charset UTF-8",
            "set ftp:passive-mode %s" % ("on" if passive else "off"),
            "open -u %s,%s -p %d %s" % (USER, PASSWORD, self.server.port, host),
        ] + list(commands))
        result = fx.run_client([LFTP, "-c", script], timeout=LFTP_TIMEOUT, env=self.env, cwd=self.local)
        if check:
            self.assertEqual(result.returncode, 0,
                             "lftp failed (exit %d)\nscript: %s\nstdout:\n%s\nstderr:\n%s"
                             % (result.returncode, script, result.stdout.decode("utf-8", "replace"),
                                result.stderr.decode("utf-8", "replace")))
        return result

    def commands_since(self, mark):
        """Verbs the server received after log line number ``mark`` (from -D "<- VERB")."""
        verbs = []
        for line in self.server.log_lines()[mark:]:
            _, sep, rest = line.partition("] <- ")
            if sep:
                verbs.append(rest.split(" ", 1)[0].upper())
        return verbs

    def assert_active_only(self, mark):
        verbs = self.commands_since(mark)
        self.assertTrue({"PORT", "EPRT"} & set(verbs), verbs)
        self.assertFalse({"PASV", "EPSV"} & set(verbs), verbs)

    def assert_passive_only(self, mark):
        verbs = self.commands_since(mark)
        self.assertTrue({"PASV", "EPSV"} & set(verbs), verbs)
        self.assertFalse({"PORT", "EPRT"} & set(verbs), verbs)

    def assert_same_tree(self, left, right):
        a = fx.tree_digest(left)
        b = fx.tree_digest(right)
        self.assertEqual(sorted(set(a) - set(b)), [], "only in %s" % left)
        self.assertEqual(sorted(set(b) - set(a)), [], "only in %s" % right)
        self.assertEqual(a, b)

    # -- mirror --------------------------------------------------------------------

    def test_mirror_down(self):
        src = self.server.path("mirror-down")
        make_tree(src)
        dst = os.path.join(self.local, "copy")
        mark = len(self.server.log_lines())
        self.lftp(["mirror %s %s" % (lq("/mirror-down"), lq(dst))])
        self.assert_passive_only(mark)
        self.assert_same_tree(src, dst)

    def test_mirror_up(self):
        src = os.path.join(self.local, "tree")
        make_tree(src)
        self.lftp(["mirror -R %s %s" % (lq(src), lq("/mirror-up"))])
        self.assert_same_tree(src, self.server.path("mirror-up"))

    def test_mirror_active_mode(self):
        src = self.server.path("mirror-active")
        make_tree(src)
        dst = os.path.join(self.local, "copy")
        mark = len(self.server.log_lines())
        self.lftp(["mirror %s %s" % (lq("/mirror-active"), lq(dst))], passive=False)
        self.assert_active_only(mark)
        self.assert_same_tree(src, dst)
        up = os.path.join(self.local, "up")
        make_tree(up, big=False)
        mark = len(self.server.log_lines())
        self.lftp(["mirror -R %s %s" % (lq(up), lq("/mirror-active-up"))], passive=False)
        self.assert_active_only(mark)
        self.assert_same_tree(up, self.server.path("mirror-active-up"))

    @unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
    def test_mirror_ipv6(self):
        src = os.path.join(self.local, "tree")
        make_tree(src, big=False)
        mark = len(self.server.log_lines())
        self.lftp(["mirror -R %s %s" % (lq(src), lq("/mirror-v6"))], host="::1")
        self.assert_passive_only(mark)
        self.assert_same_tree(src, self.server.path("mirror-v6"))
        back = os.path.join(self.local, "back")
        mark = len(self.server.log_lines())
        self.lftp(["mirror %s %s" % (lq("/mirror-v6"), lq(back))], host="::1")
        self.assert_passive_only(mark)
        self.assert_same_tree(src, back)
        # Passive only here: toward a loopback peer lftp leaves its data socket unbound
        # (see ftp:bind-data-socket) and announces "EPRT |2|::|port|"; the server reads
        # the unspecified address as the client's own. IPv6 active mode is covered by
        # test_curl.py and test_ftplib.py.

    def test_mirror_down_keeps_modification_times(self):
        src = self.server.path("mirror-times")
        fx.write_file(os.path.join(src, "old.txt"), b"old\n")
        fx.write_file(os.path.join(src, "sub", "older.bin"), b"older")
        os.utime(os.path.join(src, "old.txt"), (1_000_000_000, 1_000_000_000))
        os.utime(os.path.join(src, "sub", "older.bin"), (900_000_000, 900_000_000))
        dst = os.path.join(self.local, "copy")
        self.lftp(["mirror %s %s" % (lq("/mirror-times"), lq(dst))])
        self.assertEqual(int(os.stat(os.path.join(dst, "old.txt")).st_mtime), 1_000_000_000)
        self.assertEqual(int(os.stat(os.path.join(dst, "sub", "older.bin")).st_mtime), 900_000_000)

    def test_mirror_up_keeps_modification_times(self):
        src = os.path.join(self.local, "tree")
        fx.write_file(os.path.join(src, "old.txt"), b"old\n")
        os.utime(os.path.join(src, "old.txt"), (1_000_000_000, 1_000_000_000))
        self.lftp(["mirror -R %s %s" % (lq(src), lq("/mirror-times-up"))])
        self.assertEqual(int(os.stat(self.server.path("mirror-times-up", "old.txt")).st_mtime),
                         1_000_000_000)

    # -- listings ------------------------------------------------------------------

    def _listing_dir(self, name):
        root = self.server.path(name)
        fx.write_file(os.path.join(root, "twelve bytes"), b"0123456789ab")
        fx.write_file(os.path.join(root, "ünï.bin"), b"")
        os.makedirs(os.path.join(root, "subdir"))
        return root

    def test_ls(self):
        self._listing_dir("ls-dir")
        out = self.lftp(["ls %s" % lq("/ls-dir")]).stdout.decode("utf-8")
        lines = [line for line in out.splitlines() if line.strip()]
        self.assertEqual(len(lines), 3, out)
        by_name = {}
        for line in lines:
            fields = line.split(None, 8)
            by_name[fields[8]] = fields
        self.assertEqual(set(by_name), {"twelve bytes", "ünï.bin", "subdir"})
        self.assertTrue(by_name["subdir"][0].startswith("d"))
        self.assertTrue(by_name["twelve bytes"][0].startswith("-"))
        self.assertEqual(by_name["twelve bytes"][4], "12")

    def test_cls_long(self):
        self._listing_dir("cls-dir")
        out = self.lftp(["cls -l %s" % lq("/cls-dir/")]).stdout.decode("utf-8")
        lines = [line for line in out.splitlines() if line.strip()]
        self.assertEqual(len(lines), 3, out)
        joined = "\n".join(lines)
        self.assertIn("twelve bytes", joined)
        self.assertIn("ünï.bin", joined)
        self.assertIn("subdir/", joined)  # cls marks directories with a slash
        twelve = [line for line in lines if "twelve bytes" in line][0]
        self.assertIn(" 12 ", twelve)

    def test_cls_names(self):
        self._listing_dir("cls-names")
        out = self.lftp(["cls -1 %s" % lq("/cls-names/")]).stdout.decode("utf-8")
        names = sorted(os.path.basename(line.rstrip("/")) for line in out.splitlines() if line.strip())
        self.assertEqual(names, sorted(["twelve bytes", "ünï.bin", "subdir"]))

    # -- file management --------------------------------------------------------------

    def test_mkdir(self):
        self.lftp(["mkdir %s" % lq("/made here"), "mkdir -p %s" % lq("/made/deep/ér/er")])
        self.assertTrue(os.path.isdir(self.server.path("made here")))
        self.assertTrue(os.path.isdir(self.server.path("made", "deep", "ér", "er")))

    def test_rm(self):
        fx.write_file(self.server.path("rm-dir", "gone.txt"), b"x")
        fx.write_file(self.server.path("rm-dir", "stays.txt"), b"y")
        fx.write_file(self.server.path("rm-dir", "tree", "a", "b.txt"), b"z")
        self.lftp(["rm %s" % lq("/rm-dir/gone.txt"), "rm -r %s" % lq("/rm-dir/tree")])
        self.assertFalse(os.path.exists(self.server.path("rm-dir", "gone.txt")))
        self.assertFalse(os.path.exists(self.server.path("rm-dir", "tree")))
        self.assertTrue(os.path.exists(self.server.path("rm-dir", "stays.txt")))

    def test_rm_missing_fails(self):
        result = self.lftp(["rm /no-such-file"], check=False)
        self.assertNotEqual(result.returncode, 0)

    def test_mv(self):
        fx.write_file(self.server.path("mv-src.txt"), b"moving")
        os.makedirs(self.server.path("mv-target"))
        self.lftp(["mv /mv-src.txt %s" % lq("/mv-target/renamed ü.txt")])
        self.assertFalse(os.path.exists(self.server.path("mv-src.txt")))
        self.assertEqual(fx.read_file(self.server.path("mv-target", "renamed ü.txt")), b"moving")

    def test_get_resume(self):
        data = os.urandom(2 * MIB + 17)
        fx.write_file(self.server.path("resume.bin"), data)
        local = os.path.join(self.local, "resume.bin")
        fx.write_file(local, data[:MIB - 5])
        self.lftp(["get -c /resume.bin -o %s" % lq(local)])
        self.assertEqual(fx.sha256_file(local), fx.sha256_bytes(data))

    def test_put_resume(self):
        data = os.urandom(MIB + 3)
        fx.write_file(self.server.path("put-resume.bin"), data[:300_000])
        local = os.path.join(self.local, "put-resume.bin")
        fx.write_file(local, data)
        self.lftp(["put -c %s -o /put-resume.bin" % lq(local)])
        self.assertEqual(fx.sha256_file(self.server.path("put-resume.bin")), fx.sha256_bytes(data))

    def test_put_get_active(self):
        data = os.urandom(MIB)
        local = os.path.join(self.local, "active.bin")
        fx.write_file(local, data)
        back = os.path.join(self.local, "active-back.bin")
        mark = len(self.server.log_lines())
        self.lftp(["put %s -o /active.bin" % lq(local), "get /active.bin -o %s" % lq(back)],
                  passive=False)
        self.assert_active_only(mark)
        self.assertEqual(fx.read_file(self.server.path("active.bin")), data)
        self.assertEqual(fx.read_file(back), data)

    def test_pget_segmented(self):
        # pget: several connections, each RETR from its own REST offset, each closing its
        # data connection (ABOR) when its segment is done.
        data = os.urandom(32 * MIB + 99)
        fx.write_file(self.server.path("pget.bin"), data)
        local = os.path.join(self.local, "pget.bin")
        mark = len(self.server.log_lines())
        # Loopback is so fast that one connection would finish before the others start;
        # a per-connection rate limit (and a file larger than the socket buffers) makes
        # the segments overlap.
        self.lftp(["set net:limit-rate 8M", "set pget:min-chunk-size 256k",
                   "pget -n 4 /pget.bin -o %s" % lq(local)])
        self.assertEqual(fx.sha256_file(local), fx.sha256_bytes(data))
        self.assertIn("REST", self.commands_since(mark))

    def test_parallel_mirror(self):
        src = self.server.path("mirror-parallel")
        make_tree(src)
        dst = os.path.join(self.local, "copy")
        self.lftp(["mirror --parallel=4 %s %s" % (lq("/mirror-parallel"), lq(dst))])
        self.assert_same_tree(src, dst)
        up = os.path.join(self.local, "up")
        make_tree(up)
        self.lftp(["mirror -R --parallel=4 %s %s" % (lq(up), lq("/mirror-parallel-up"))])
        self.assert_same_tree(up, self.server.path("mirror-parallel-up"))

    def test_mirror_twice_transfers_nothing_new(self):
        # The second run compares sizes and times from MLSD and must find nothing to copy.
        src = self.server.path("mirror-again")
        make_tree(src, big=False)
        dst = os.path.join(self.local, "copy")
        self.lftp(["mirror %s %s" % (lq("/mirror-again"), lq(dst))])
        mark = len(self.server.log_lines())
        self.lftp(["mirror %s %s" % (lq("/mirror-again"), lq(dst))])
        self.assertNotIn("RETR", self.commands_since(mark))
        self.assert_same_tree(src, dst)

    def test_chmod(self):
        path = self.server.path("chmod-me.txt")
        fx.write_file(path, b"x")
        os.chmod(path, 0o644)
        self.lftp(["chmod 600 /chmod-me.txt"])
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_cat_and_glob(self):
        fx.write_file(self.server.path("glob", "one.txt"), "première\n".encode("utf-8"))
        fx.write_file(self.server.path("glob", "two.txt"), b"second\n")
        fx.write_file(self.server.path("glob", "three.bin"), b"\x00")
        out = self.lftp(["cat /glob/one.txt"]).stdout
        self.assertEqual(out, "première\n".encode("utf-8"))
        out = self.lftp(["cd /glob", "glob echo *.txt"]).stdout.decode("utf-8")
        self.assertEqual(sorted(out.split()), ["one.txt", "two.txt"])

    def test_mget_mput(self):
        for name in ("m1.dat", "m2.dat", "skip.txt"):
            fx.write_file(self.server.path("mget", name), name.encode())
        down = os.path.join(self.local, "down")
        os.mkdir(down)
        self.lftp(["cd /mget", "lcd %s" % lq(down), "mget *.dat"])
        self.assertEqual(sorted(os.listdir(down)), ["m1.dat", "m2.dat"])
        self.assertEqual(fx.read_file(os.path.join(down, "m2.dat")), b"m2.dat")
        up = os.path.join(self.local, "up")
        for name in ("p1 é.bin", "p2.bin"):
            fx.write_file(os.path.join(up, name), os.urandom(1000))
        self.lftp(["mkdir /mput", "cd /mput", "lcd %s" % lq(up), "mput *.bin"])
        self.assert_same_tree(up, self.server.path("mput"))

    def test_rmdir_and_mirror_delete(self):
        os.makedirs(self.server.path("rmdir-me"))
        self.lftp(["rmdir /rmdir-me"])
        self.assertFalse(os.path.exists(self.server.path("rmdir-me")))
        # mirror -R --delete removes on the server what is gone locally.
        src = os.path.join(self.local, "tree")
        make_tree(src, big=False)
        self.lftp(["mirror -R %s %s" % (lq(src), lq("/mirror-delete"))])
        shutil.rmtree(os.path.join(src, "nested"))
        os.remove(os.path.join(src, "日本語.bin"))
        self.lftp(["mirror -R --delete %s %s" % (lq(src), lq("/mirror-delete"))])
        self.assert_same_tree(src, self.server.path("mirror-delete"))


if __name__ == "__main__":
    fx.main()
