"""The installed package, used by a project outside the source tree (tests/consumer).

Run by CTest as (see tests/CMakeLists.txt)::

    python3 test_consumer.py <path-to-cppftpd> <build-dir> <consumer-source-dir> <cmake> <c++>

Once per run it installs the already-built project into a temporary prefix
(``cmake --install <build-dir> --prefix <tmp>/prefix``), configures tests/consumer against
that prefix alone (``find_package(cppftpd)`` -> ``cppftpd::cppftpd``) with the same cmake
and compiler, and builds it.  The tests then run the consumer (two users, one with a
per-directory permission override) on port 0 and check it with Python's ftplib.  Every
step has a deadline; the build steps' output is shown when one fails.
"""

import ftplib
import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import ftpd_fixture as fx
import test_examples as ex

INSTALL_TIMEOUT = 60.0
CONFIGURE_TIMEOUT = 60.0
BUILD_TIMEOUT = 120.0

BUILD_DIR = None        # the cppftpd build tree to install
CONSUMER_SOURCE = None  # tests/consumer
CMAKE = None            # the cmake that built BUILD_DIR
CXX = None              # the compiler that built it


def run_step(name, argv, timeout):
    """Run one build step (bounded); raise AssertionError with its output if it fails."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        output = (e.output or b"").decode("utf-8", "replace")
        raise AssertionError("%s did not finish within %.0f s: %s\n%s"
                             % (name, timeout, " ".join(argv), output))
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        raise AssertionError("%s failed (exit status %d): %s\n%s"
                             % (name, done.returncode, " ".join(argv), output))
    return output


class ConsumerTest(ex.ExampleTestCase):
    """The consumer built against the installed package: alice (elr, plus elradfmw in
    /uploads and below) and bob (elradfmwMT)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = tempfile.mkdtemp(prefix="cppftpd-consumer-")
        try:
            cls.prefix = os.path.join(cls.work, "prefix")
            cls.consumer_build = os.path.join(cls.work, "consumer-build")
            run_step("install", [CMAKE, "--install", BUILD_DIR, "--prefix", cls.prefix],
                     INSTALL_TIMEOUT)
            # Only the temporary prefix may provide cppftpd: no user package registry, and
            # the cache is checked below.
            run_step("configure", [CMAKE, "-S", CONSUMER_SOURCE, "-B", cls.consumer_build,
                                   "-DCMAKE_PREFIX_PATH=" + cls.prefix,
                                   "-DCMAKE_CXX_COMPILER=" + CXX,
                                   "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"],
                     CONFIGURE_TIMEOUT)
            run_step("build", [CMAKE, "--build", cls.consumer_build, "-j2"], BUILD_TIMEOUT)
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise
        cls.binary = os.path.join(cls.consumer_build, "consumer")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.alice_home = self.make_dir()
        self.bob_home = self.make_dir()
        os.makedirs(os.path.join(self.alice_home, "uploads", "deeper"))
        fx.write_file(os.path.join(self.alice_home, "readme.txt"), b"read me\n")
        self.server = self.spawn([self.binary, self.alice_home, self.bob_home, "0"]).start()

    def store(self, ftp, path, data):
        ftp.storbinary("STOR " + path, io.BytesIO(data))

    def test_built_against_the_installed_package(self):
        cache = fx.read_file(os.path.join(self.consumer_build, "CMakeCache.txt")).decode()
        config_dir = os.path.join(self.prefix, "lib", "cmake", "cppftpd")
        self.assertIn("cppftpd_DIR:PATH=" + config_dir + "\n", cache)
        for relative in ("include/cppftpd/cppftpd.hpp", "lib/libcppftpd.a",
                         "lib/cmake/cppftpd/cppftpdConfigVersion.cmake",
                         "lib/pkgconfig/cppftpd.pc", "bin/cppftpd"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, relative)), relative)
        # Every public header is installed.
        source_headers = os.path.join(os.path.dirname(CONSUMER_SOURCE), os.pardir, "include",
                                      "cppftpd", "*.hpp")
        installed_headers = os.path.join(self.prefix, "include", "cppftpd", "*.hpp")
        public = sorted(map(os.path.basename, glob.glob(source_headers)))
        self.assertIn("cppftpd.hpp", public)
        self.assertEqual(public, sorted(map(os.path.basename, glob.glob(installed_headers))))
        self.assert_stops_cleanly(self.server)

    def test_alice_writes_only_in_uploads(self):
        ftp = self.connect(self.server, "alice", "alice-pw")
        # Her own letters ("elr") everywhere else.
        self.assertEqual(sorted(ftp.nlst()), ["readme.txt", "uploads"])
        self.assertEqual(ex.retrieve(ftp, "RETR readme.txt"), b"read me\n")
        self.assert_refused(lambda: self.store(ftp, "/top.txt", b"no"))
        self.assert_refused(lambda: ftp.mkd("/newdir"))
        self.assert_refused(lambda: ftp.delete("/readme.txt"))
        # The override: "/uploads" and its entries...
        self.store(ftp, "/uploads/a.txt", b"in uploads")
        # ...and, being recursive, everything below it.
        self.store(ftp, "/uploads/deeper/b.txt", b"deeper")
        ftp.cwd("/uploads/deeper")
        ftp.mkd("deepest")
        self.store(ftp, "deepest/c.txt", b"deepest")
        ftp.rename("deepest/c.txt", "deepest/d.txt")
        ftp.delete("/uploads/a.txt")
        self.assertEqual(fx.tree_digest(self.alice_home), {
            "readme.txt": fx.sha256_bytes(b"read me\n"),
            "uploads": "<dir>",
            "uploads/deeper": "<dir>",
            "uploads/deeper/b.txt": fx.sha256_bytes(b"deeper"),
            "uploads/deeper/deepest": "<dir>",
            "uploads/deeper/deepest/d.txt": fx.sha256_bytes(b"deepest"),
        })
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_bob_writes_everywhere(self):
        ftp = self.connect(self.server, "bob", "bob-pw")
        self.store(ftp, "/top.txt", b"bob at the top")
        ftp.mkd("/a")
        ftp.mkd("/a/b")
        self.store(ftp, "/a/b/c.txt", b"bob below")
        ftp.sendcmd("SITE CHMOD 640 /a/b/c.txt")
        ftp.sendcmd("MFMT 20200102030405 /top.txt")
        self.assertEqual(fx.read_file(os.path.join(self.bob_home, "top.txt")), b"bob at the top")
        self.assertEqual(fx.read_file(os.path.join(self.bob_home, "a", "b", "c.txt")),
                         b"bob below")
        self.assertEqual(os.stat(os.path.join(self.bob_home, "a", "b", "c.txt")).st_mode & 0o777,
                         0o640)
        # bob's home is his own: alice's files are not in it.
        self.assertNotIn("readme.txt", ftp.nlst("/"))
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_pkg_config_builds_and_runs_the_consumer(self):
        # The same program, built with pkg-config's flags against the same prefix
        # (the .pc file is relocatable: its prefix is relative to itself).
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(self.prefix, "lib", "pkgconfig"))
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "--static", "cppftpd"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, timeout=30, check=True)
        self.assertIn("-I" + os.path.join(self.prefix, "lib", "pkgconfig", "..", "..", "include"),
                      flags.stdout.decode())
        binary = os.path.join(self.work, "consumer-pkg-config")
        run_step("pkg-config build",
                 [CXX, "-std=c++20", os.path.join(CONSUMER_SOURCE, "main.cpp"), "-o", binary]
                 + flags.stdout.decode().split(), timeout=240)
        server = self.spawn([binary, self.make_dir(), self.make_dir(), "0"]).start()
        ftp = self.connect(server, "bob", "bob-pw")
        self.assertEqual(ftp.pwd(), "/")
        ftp.quit()
        self.assert_stops_cleanly(server)
        self.assert_stops_cleanly(self.server)

    def test_wrong_password(self):
        self.assert_login_refused(self.server, "alice", "wrong")
        self.assert_login_refused(self.server, "bob", "alice-pw")
        self.assert_login_refused(self.server, "anonymous", "guest@example.com")
        self.assert_stops_cleanly(self.server)


def main():
    global BUILD_DIR, CONSUMER_SOURCE, CMAKE, CXX
    if len(sys.argv) < 6 or any(a.startswith("-") for a in sys.argv[1:6]):
        sys.stderr.write("usage: %s <path-to-cppftpd> <build-dir> <consumer-source-dir> <cmake> "
                         "<c++-compiler> [unittest options]\n" % sys.argv[0])
        sys.exit(2)
    sys.argv.pop(1)  # the cppftpd binary: installed from the build dir instead
    BUILD_DIR, CONSUMER_SOURCE, CMAKE, CXX = (os.path.abspath(sys.argv.pop(1))
                                              for _ in range(4))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
