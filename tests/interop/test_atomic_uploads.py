#!/usr/bin/env python3
"""--atomic-uploads: STOR writes to a hidden temporary file and renames it over the target
only when the upload completed; an aborted one leaves the previous file and no temporary.

usage: python3 tests/interop/test_atomic_uploads.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
CHUNK = b"n" * 65536


class AtomicUploadsTest(fx.ServerTestCase):

    def ftp(self, server):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login()
        ftp.voidcmd("TYPE I")
        return ftp

    def temporaries(self, server):
        return [n for n in os.listdir(server.root) if n.startswith(".cppftpd-upload-")]

    def wait_for_temporary_size(self, server, size):
        """Poll (bounded) until the temporary file holds at least `size` bytes."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            names = self.temporaries(server)
            if names and os.path.getsize(os.path.join(server.root, names[0])) >= size:
                return names[0]
            time.sleep(0.01)
        self.fail("no temporary file with %d bytes: %r" % (size, os.listdir(server.root)))

    def test_target_replaced_only_when_complete(self):
        server = self.start_server(["-w", "--atomic-uploads"])
        fx.write_file(server.path("f.bin"), b"old")
        ftp = self.ftp(server)
        conn = ftp.transfercmd("STOR f.bin")
        conn.sendall(CHUNK)
        self.wait_for_temporary_size(server, len(CHUNK))
        self.assertEqual(fx.read_file(server.path("f.bin")), b"old")  # readers see the old file
        conn.sendall(CHUNK)
        conn.close()
        self.assertTrue(ftp.voidresp().startswith("226"))
        self.assertEqual(fx.read_file(server.path("f.bin")), CHUNK * 2)
        self.assertEqual(self.temporaries(server), [])

    def test_aborted_upload_keeps_the_old_file(self):
        server = self.start_server(["-w", "--atomic-uploads"])
        fx.write_file(server.path("f.bin"), b"old")
        ftp = self.ftp(server)
        conn = ftp.transfercmd("STOR f.bin")
        conn.sendall(CHUNK)
        self.wait_for_temporary_size(server, len(CHUNK))
        ftp.abort()  # ABOR: 426 for the transfer, then 226
        conn.close()
        ftp.voidcmd("NOOP")
        self.assertEqual(fx.read_file(server.path("f.bin")), b"old")
        self.assertEqual(self.temporaries(server), [])
        self.assertIsNotNone(server.wait_for_log(r"STOR /f.bin completed=0"))

    def test_new_file_and_append(self):
        server = self.start_server(["-w", "--atomic-uploads"])
        ftp = self.ftp(server)
        ftp.storbinary("STOR new.bin", io.BytesIO(b"abc"))
        ftp.storbinary("APPE new.bin", io.BytesIO(b"def"))  # in place
        self.assertEqual(fx.read_file(server.path("new.bin")), b"abcdef")
        self.assertEqual(self.temporaries(server), [])
        with self.assertRaises(ftplib.error_perm):
            ftp.storbinary("STOR /", io.BytesIO(b"x"))

    def test_without_the_flag_uploads_write_in_place(self):
        server = self.start_server(["-w"])
        fx.write_file(server.path("f.bin"), b"old")
        ftp = self.ftp(server)
        conn = ftp.transfercmd("STOR f.bin")
        conn.sendall(CHUNK)
        deadline = time.monotonic() + TIMEOUT
        while os.path.getsize(server.path("f.bin")) < len(CHUNK) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(os.path.getsize(server.path("f.bin")), len(CHUNK))
        conn.close()
        ftp.voidresp()


if __name__ == "__main__":
    fx.main()
