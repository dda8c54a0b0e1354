#!/usr/bin/env python3
"""curl against cppftpd: a writable server with a user, and an anonymous read-only one.

usage: python3 tests/interop/test_curl.py <path-to-cppftpd>
"""

import os
import shutil
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

USER = "user"
PASSWORD = "pass"
CURL_MAX_TIME = 20  # seconds, passed to curl --max-time

CURL = shutil.which("curl")


def quote(name):
    return urllib.parse.quote(name, safe="/")


class CurlBase(fx.ServerTestCase):
    credentials = None  # "user:pass" or None for curl's anonymous default

    def setUp(self):
        self.local = tempfile.mkdtemp(prefix="cppftpd-curl-")
        self.addCleanup(shutil.rmtree, self.local, True)

    def curl(self, *args, credentials=True):
        cmd = [CURL, "--silent", "--show-error", "--verbose", "--max-time", str(CURL_MAX_TIME)]
        if credentials and self.credentials:
            cmd += ["--user", self.credentials]
        cmd += list(args)
        return fx.run_client(cmd, timeout=CURL_MAX_TIME + 10)

    def assert_curl_ok(self, result):
        self.assertEqual(result.returncode, 0,
                         "curl failed (exit %d):\n%s" % (result.returncode,
                                                         result.stderr.decode("utf-8", "replace")))

    def assert_curl_failed(self, result):
        self.assertNotEqual(result.returncode, 0,
                            "curl unexpectedly succeeded:\n%s" % result.stderr.decode("utf-8", "replace"))

    def sent_commands(self, result):
        """The FTP commands curl sent, from its --verbose trace ("> VERB ...")."""
        commands = []
        for line in result.stderr.decode("utf-8", "replace").splitlines():
            if line.startswith("> "):
                commands.append(line[2:].split(" ", 1)[0].upper())
        return commands

    def local_path(self, name):
        return os.path.join(self.local, name)


@unittest.skipIf(CURL is None, "curl is not installed")
class CurlWritableUserTest(CurlBase):
    """-w -u user -P pass."""

    credentials = "%s:%s" % (USER, PASSWORD)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_class_server(["-w", "-u", USER, "-P", PASSWORD])

    def url(self, path="", host="127.0.0.1"):
        return self.server.url(path, host=host)

    # -- transfers -----------------------------------------------------------------

    def test_upload(self):
        data = os.urandom(200_000)
        src = self.local_path("up.bin")
        fx.write_file(src, data)
        self.assert_curl_ok(self.curl("-T", src, self.url("upload.bin")))
        self.assertEqual(fx.sha256_file(self.server.path("upload.bin")), fx.sha256_bytes(data))

    def test_download(self):
        data = os.urandom(1_000_003)
        fx.write_file(self.server.path("download.bin"), data)
        dst = self.local_path("down.bin")
        self.assert_curl_ok(self.curl("-o", dst, self.url("download.bin")))
        got = fx.read_file(dst)
        self.assertEqual(len(got), len(data))
        self.assertEqual(got, data)
        self.assertEqual(fx.sha256_file(dst), fx.sha256_bytes(data))

    def test_download_empty_file(self):
        fx.write_file(self.server.path("empty.bin"), b"")
        dst = self.local_path("empty.bin")
        self.assert_curl_ok(self.curl("-o", dst, self.url("empty.bin")))
        self.assertEqual(fx.read_file(dst), b"")

    def test_download_missing_file_fails(self):
        result = self.curl("-o", self.local_path("x"), self.url("no-such-file"))
        self.assertEqual(result.returncode, 78, result.stderr)  # CURLE_REMOTE_FILE_NOT_FOUND

    # -- listings --------------------------------------------------------------------

    def test_list_directory(self):
        os.makedirs(self.server.path("listdir", "sub"))
        fx.write_file(self.server.path("listdir", "a.txt"), b"12345")
        fx.write_file(self.server.path("listdir", "b.bin"), b"")
        result = self.curl(self.url("listdir/"))
        self.assert_curl_ok(result)
        self.assertIn("LIST", self.sent_commands(result))
        lines = result.stdout.decode("utf-8").splitlines()
        self.assertEqual(len(lines), 3, lines)
        by_name = {line.split()[-1]: line for line in lines}
        self.assertEqual(set(by_name), {"a.txt", "b.bin", "sub"})
        self.assertTrue(by_name["sub"].startswith("d"), by_name["sub"])
        self.assertTrue(by_name["a.txt"].startswith("-"), by_name["a.txt"])
        self.assertEqual(by_name["a.txt"].split()[4], "5")  # size column of ls -l

    def test_list_only(self):
        os.makedirs(self.server.path("nlstdir", "inner"))
        fx.write_file(self.server.path("nlstdir", "one"), b"1")
        fx.write_file(self.server.path("nlstdir", "two"), b"2")
        result = self.curl("--list-only", self.url("nlstdir/"))
        self.assert_curl_ok(result)
        self.assertIn("NLST", self.sent_commands(result))
        names = result.stdout.decode("utf-8").splitlines()
        self.assertEqual(sorted(names), ["inner", "one", "two"])

    # -- directory and file management ------------------------------------------------

    def test_create_dirs_on_upload(self):
        data = b"nested\n"
        src = self.local_path("n.txt")
        fx.write_file(src, data)
        result = self.curl("--ftp-create-dirs", "-T", src, self.url("new1/new2/new3/n.txt"))
        self.assert_curl_ok(result)
        self.assertIn("MKD", self.sent_commands(result))
        self.assertTrue(os.path.isdir(self.server.path("new1", "new2", "new3")))
        self.assertEqual(fx.read_file(self.server.path("new1", "new2", "new3", "n.txt")), data)

    def test_delete_file(self):
        fx.write_file(self.server.path("doomed.txt"), b"bye")
        result = self.curl("-o", os.devnull, "-Q", "DELE doomed.txt", self.url(""))
        self.assert_curl_ok(result)
        self.assertFalse(os.path.exists(self.server.path("doomed.txt")))

    def test_delete_missing_file_fails(self):
        result = self.curl("-o", os.devnull, "-Q", "DELE not-there.txt", self.url(""))
        self.assertEqual(result.returncode, 21, result.stderr)  # CURLE_QUOTE_ERROR

    def test_remove_directory(self):
        os.makedirs(self.server.path("doomed-dir"))
        result = self.curl("-o", os.devnull, "-Q", "RMD doomed-dir", self.url(""))
        self.assert_curl_ok(result)
        self.assertFalse(os.path.exists(self.server.path("doomed-dir")))

    def test_remove_non_empty_directory_fails(self):
        fx.write_file(self.server.path("full-dir", "f"), b"x")
        result = self.curl("-o", os.devnull, "-Q", "RMD full-dir", self.url(""))
        self.assertEqual(result.returncode, 21, result.stderr)
        self.assertTrue(os.path.exists(self.server.path("full-dir", "f")))

    def test_rename(self):
        fx.write_file(self.server.path("old-name.txt"), b"content")
        result = self.curl("-o", os.devnull, "-Q", "RNFR old-name.txt", "-Q", "RNTO new-name.txt",
                           self.url(""))
        self.assert_curl_ok(result)
        self.assertFalse(os.path.exists(self.server.path("old-name.txt")))
        self.assertEqual(fx.read_file(self.server.path("new-name.txt")), b"content")

    # -- resume ------------------------------------------------------------------------

    def test_resume_download(self):
        data = os.urandom(700_001)
        fx.write_file(self.server.path("resume-down.bin"), data)
        dst = self.local_path("resume-down.bin")
        fx.write_file(dst, data[:250_000])
        result = self.curl("-C", "-", "-o", dst, self.url("resume-down.bin"))
        self.assert_curl_ok(result)
        self.assertIn("REST", self.sent_commands(result))
        self.assertEqual(fx.sha256_file(dst), fx.sha256_bytes(data))

    def test_resume_upload_auto(self):
        data = os.urandom(600_007)
        fx.write_file(self.server.path("resume-up.bin"), data[:123_456])
        src = self.local_path("resume-up.bin")
        fx.write_file(src, data)
        result = self.curl("-C", "-", "-T", src, self.url("resume-up.bin"))
        self.assert_curl_ok(result)
        self.assertIn("SIZE", self.sent_commands(result))
        self.assertEqual(fx.sha256_file(self.server.path("resume-up.bin")), fx.sha256_bytes(data))

    def test_resume_upload_explicit_offset(self):
        data = os.urandom(300_000)
        fx.write_file(self.server.path("resume-up2.bin"), data[:100_000])
        src = self.local_path("resume-up2.bin")
        fx.write_file(src, data)
        result = self.curl("--continue-at", "100000", "-T", src, self.url("resume-up2.bin"))
        self.assert_curl_ok(result)
        self.assertEqual(fx.sha256_file(self.server.path("resume-up2.bin")), fx.sha256_bytes(data))

    # -- data connection modes ----------------------------------------------------------

    def test_epsv(self):
        data = os.urandom(100_000)
        fx.write_file(self.server.path("epsv.bin"), data)
        dst = self.local_path("epsv.bin")
        result = self.curl("--ftp-pasv", "-o", dst, self.url("epsv.bin"))
        self.assert_curl_ok(result)
        commands = self.sent_commands(result)
        self.assertIn("EPSV", commands)
        self.assertNotIn("PASV", commands)
        self.assertEqual(fx.read_file(dst), data)

    def test_plain_pasv(self):
        data = os.urandom(100_000)
        fx.write_file(self.server.path("pasv.bin"), data)
        dst = self.local_path("pasv.bin")
        result = self.curl("--disable-epsv", "-o", dst, self.url("pasv.bin"))
        self.assert_curl_ok(result)
        commands = self.sent_commands(result)
        self.assertIn("PASV", commands)
        self.assertNotIn("EPSV", commands)
        self.assertEqual(fx.read_file(dst), data)
        # Upload and listing over PASV too.
        src = self.local_path("pasv-up.bin")
        fx.write_file(src, data[::-1])
        self.assert_curl_ok(self.curl("--disable-epsv", "-T", src, self.url("pasv-up.bin")))
        self.assertEqual(fx.read_file(self.server.path("pasv-up.bin")), data[::-1])
        listing = self.curl("--disable-epsv", "--list-only", self.url(""))
        self.assert_curl_ok(listing)
        self.assertIn("pasv-up.bin", listing.stdout.decode("utf-8").splitlines())

    def test_active_mode_eprt(self):
        data = os.urandom(250_000)
        fx.write_file(self.server.path("active.bin"), data)
        dst = self.local_path("active.bin")
        result = self.curl("--ftp-port", "127.0.0.1", "-o", dst, self.url("active.bin"))
        self.assert_curl_ok(result)
        self.assertIn("EPRT", self.sent_commands(result))
        self.assertEqual(fx.read_file(dst), data)

    def test_active_mode_port(self):
        data = os.urandom(250_000)
        fx.write_file(self.server.path("active-port.bin"), data)
        dst = self.local_path("active-port.bin")
        result = self.curl("--ftp-port", "127.0.0.1", "--disable-eprt", "-o", dst,
                           self.url("active-port.bin"))
        self.assert_curl_ok(result)
        commands = self.sent_commands(result)
        self.assertIn("PORT", commands)
        self.assertNotIn("EPRT", commands)
        self.assertEqual(fx.read_file(dst), data)
        # Upload and listing in active mode.
        src = self.local_path("active-up.bin")
        fx.write_file(src, data[::-1])
        self.assert_curl_ok(self.curl("--ftp-port", "127.0.0.1", "--disable-eprt", "-T", src,
                                      self.url("active-up.bin")))
        self.assertEqual(fx.read_file(self.server.path("active-up.bin")), data[::-1])
        listing = self.curl("--ftp-port", "127.0.0.1", "--disable-eprt", "--list-only", self.url(""))
        self.assert_curl_ok(listing)
        self.assertIn("active-up.bin", listing.stdout.decode("utf-8").splitlines())

    # -- IPv6 ----------------------------------------------------------------------------

    @unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
    def test_ipv6_passive(self):
        data = os.urandom(300_000)
        src = self.local_path("v6.bin")
        fx.write_file(src, data)
        up = self.curl("-T", src, self.url("v6.bin", host="::1"))
        self.assert_curl_ok(up)
        self.assertEqual(fx.read_file(self.server.path("v6.bin")), data)
        dst = self.local_path("v6-back.bin")
        down = self.curl("-o", dst, self.url("v6.bin", host="::1"))
        self.assert_curl_ok(down)
        self.assertIn("EPSV", self.sent_commands(down))
        self.assertEqual(fx.read_file(dst), data)
        listing = self.curl("--list-only", self.url("", host="::1"))
        self.assert_curl_ok(listing)
        self.assertIn("v6.bin", listing.stdout.decode("utf-8").splitlines())

    @unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
    def test_ipv6_active(self):
        data = os.urandom(300_000)
        fx.write_file(self.server.path("v6-active.bin"), data)
        dst = self.local_path("v6-active.bin")
        result = self.curl("--ftp-port", "::1", "-o", dst, self.url("v6-active.bin", host="::1"))
        self.assert_curl_ok(result)
        self.assertIn("EPRT", self.sent_commands(result))
        self.assertEqual(fx.read_file(dst), data)

    # -- names -------------------------------------------------------------------------

    def test_utf8_name_with_spaces(self):
        name = "héllo wörld 日本語 😀.txt"
        data = "contenu: ünïcödé\n".encode("utf-8")
        src = self.local_path("plain.txt")
        fx.write_file(src, data)
        self.assert_curl_ok(self.curl("-T", src, self.url(quote(name))))
        self.assertEqual(fx.read_file(self.server.path(name)), data)
        dst = self.local_path("back.txt")
        self.assert_curl_ok(self.curl("-o", dst, self.url(quote(name))))
        self.assertEqual(fx.read_file(dst), data)
        listing = self.curl("--list-only", self.url(""))
        self.assert_curl_ok(listing)
        self.assertIn(name, listing.stdout.decode("utf-8").splitlines())

    def test_utf8_directory_name(self):
        directory = "dossier été"
        os.makedirs(self.server.path(directory))
        fx.write_file(self.server.path(directory, "fichier ñ.txt"), b"abc")
        listing = self.curl("--list-only", self.url(quote(directory) + "/"))
        self.assert_curl_ok(listing)
        self.assertEqual(listing.stdout.decode("utf-8").splitlines(), ["fichier ñ.txt"])

    # -- more curl features ----------------------------------------------------------------

    def test_head_size_and_time(self):
        path = self.server.path("head.bin")
        fx.write_file(path, b"h" * 4321)
        os.utime(path, (1_000_000_000, 1_000_000_000))
        result = self.curl("-I", self.url("head.bin"))
        self.assert_curl_ok(result)
        out = result.stdout.decode("utf-8")
        self.assertRegex(out, r"(?i)Content-Length: 4321\r?\n")
        self.assertRegex(out, r"(?i)Last-Modified: Sun, 09 Sep 2001 01:46:40 GMT")

    def test_byte_range(self):
        # curl stops reading after the range and closes the data connection early.
        data = os.urandom(3_000_000)
        fx.write_file(self.server.path("range.bin"), data)
        dst = self.local_path("range.bin")
        result = self.curl("-r", "1000-1999", "-o", dst, self.url("range.bin"))
        self.assert_curl_ok(result)
        self.assertEqual(fx.read_file(dst), data[1000:2000])
        # A whole download right after, in the same curl run ("--next" resets -r, and the
        # credentials and limits with it).
        dst2 = self.local_path("range2.bin")
        result = self.curl("-r", "0-99", "-o", dst, self.url("range.bin"),
                           "--next", "--max-time", str(CURL_MAX_TIME), "--user", self.credentials,
                           "-o", dst2, self.url("range.bin"))
        self.assert_curl_ok(result)
        self.assertEqual(fx.read_file(dst), data[:100])
        self.assertEqual(fx.read_file(dst2), data)

    def test_append(self):
        fx.write_file(self.server.path("append.txt"), b"first\n")
        src = self.local_path("more.txt")
        fx.write_file(src, b"second\n")
        result = self.curl("--append", "-T", src, self.url("append.txt"))
        self.assert_curl_ok(result)
        self.assertIn("APPE", self.sent_commands(result))
        self.assertEqual(fx.read_file(self.server.path("append.txt")), b"first\nsecond\n")

    def test_post_quote_site_chmod(self):
        src = self.local_path("chmod.txt")
        fx.write_file(src, b"mode")
        result = self.curl("-T", src, "-Q", "-SITE CHMOD 600 chmod.txt", self.url("chmod.txt"))
        self.assert_curl_ok(result)
        self.assertEqual(os.stat(self.server.path("chmod.txt")).st_mode & 0o777, 0o600)

    def test_ftp_methods(self):
        data = os.urandom(10_000)
        fx.write_file(self.server.path("m1", "m2 é", "file.bin"), data)
        for method in ("multicwd", "singlecwd", "nocwd"):
            dst = self.local_path(method)
            result = self.curl("--ftp-method", method, "-o", dst, self.url(quote("m1/m2 é/file.bin")))
            self.assert_curl_ok(result)
            self.assertEqual(fx.read_file(dst), data, method)
            src = self.local_path(method + "-up")
            fx.write_file(src, data[::-1])
            result = self.curl("--ftp-method", method, "-T", src,
                               self.url(quote("m1/m2 é/%s.bin" % method)))
            self.assert_curl_ok(result)
            self.assertEqual(fx.read_file(self.server.path("m1", "m2 é", method + ".bin")), data[::-1])

    def test_many_files_one_connection(self):
        # Few files: curl 7.88 idles ~1 s before each data connection on a reused control
        # connection (client side: nothing is sent to the server meanwhile).
        names = ["multi-%d.bin" % i for i in range(4)]
        blobs = {name: os.urandom(5000 + i) for i, name in enumerate(names)}
        for name, data in blobs.items():
            fx.write_file(self.server.path("multi", name), data)
        args = []
        for name in names:
            args += ["-o", self.local_path(name), self.url("multi/" + name)]
        result = self.curl(*args)
        self.assert_curl_ok(result)
        for name, data in blobs.items():
            self.assertEqual(fx.read_file(self.local_path(name)), data, name)

    # -- authentication --------------------------------------------------------------------

    def test_wrong_password_is_refused(self):
        result = self.curl("--user", "%s:wrong" % USER, "--list-only", self.url(""), credentials=False)
        self.assertEqual(result.returncode, 67, result.stderr)  # CURLE_LOGIN_DENIED

    def test_anonymous_is_refused(self):
        result = self.curl("--list-only", self.url(""), credentials=False)
        self.assertEqual(result.returncode, 67, result.stderr)


@unittest.skipIf(CURL is None, "curl is not installed")
class CurlAnonymousReadOnlyTest(CurlBase):
    """No -w, no -u: anonymous, read-only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_class_server([])
        cls.data = os.urandom(400_000)
        fx.write_file(cls.server.path("pub", "file.bin"), cls.data)

    def url(self, path="", host="127.0.0.1"):
        return self.server.url(path, host=host)

    def test_download(self):
        dst = self.local_path("file.bin")
        result = self.curl("-o", dst, self.url("pub/file.bin"))
        self.assert_curl_ok(result)
        self.assertEqual(fx.sha256_file(dst), fx.sha256_bytes(self.data))

    def test_list(self):
        result = self.curl("--list-only", self.url("pub/"))
        self.assert_curl_ok(result)
        self.assertEqual(result.stdout.decode("utf-8").splitlines(), ["file.bin"])

    @unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
    def test_download_ipv6(self):
        dst = self.local_path("file6.bin")
        self.assert_curl_ok(self.curl("-o", dst, self.url("pub/file.bin", host="::1")))
        self.assertEqual(fx.read_file(dst), self.data)

    def test_upload_refused(self):
        src = self.local_path("up.txt")
        fx.write_file(src, b"should not arrive")
        result = self.curl("-T", src, self.url("pub/up.txt"))
        self.assert_curl_failed(result)
        self.assertFalse(os.path.exists(self.server.path("pub", "up.txt")))
        self.assertFalse(os.path.exists(self.server.path("up.txt")))

    def test_resume_upload_refused(self):
        src = self.local_path("file.bin")
        fx.write_file(src, self.data + b"more")
        result = self.curl("-C", "-", "-T", src, self.url("pub/file.bin"))
        self.assert_curl_failed(result)
        self.assertEqual(fx.read_file(self.server.path("pub", "file.bin")), self.data)

    def test_create_dirs_refused(self):
        src = self.local_path("up.txt")
        fx.write_file(src, b"x")
        result = self.curl("--ftp-create-dirs", "-T", src, self.url("newdir/up.txt"))
        self.assert_curl_failed(result)
        self.assertFalse(os.path.exists(self.server.path("newdir")))

    def test_delete_refused(self):
        result = self.curl("-o", os.devnull, "-Q", "DELE pub/file.bin", self.url(""))
        self.assertEqual(result.returncode, 21, result.stderr)  # CURLE_QUOTE_ERROR
        self.assertTrue(os.path.exists(self.server.path("pub", "file.bin")))

    def test_rename_refused(self):
        result = self.curl("-o", os.devnull, "-Q", "RNFR pub/file.bin", "-Q", "RNTO pub/moved.bin",
                           self.url(""))
        self.assertEqual(result.returncode, 21, result.stderr)
        self.assertTrue(os.path.exists(self.server.path("pub", "file.bin")))
        self.assertFalse(os.path.exists(self.server.path("pub", "moved.bin")))


if __name__ == "__main__":
    fx.main()
