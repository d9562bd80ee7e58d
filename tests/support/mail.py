"""A fake SMTP server for the tests that send e-mail: `smtp_server` listens on a free local
port and keeps what it receives in `.received` ({"to": [...], "data": text} per message)."""
import socketserver
import threading

import pytest


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        box = self.server.received
        self.wfile.write(b"220 fake ESMTP\r\n")
        data_mode, lines, rcpts = False, [], []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line in (b".\r\n", b".\n"):
                    box.append({"to": rcpts, "data": b"".join(lines).decode()})
                    data_mode, lines, rcpts = False, [], []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif cmd.startswith(b"RCPT"):
                rcpts.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.wfile.write(b"250 ok\r\n")
            elif cmd == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif cmd == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
