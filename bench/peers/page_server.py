#!/usr/bin/env python3
"""The canned Query server of bench/peers/run: answers every POST on
127.0.0.1:PORT with the same page (a file), after reading the request whole,
as DynamoDB does, and in one write, so that a client's cost is its own.
(nginx answers a POST with a static file only by way of a 405 turned into a
GET, before it has read the body: the Go SDK of Debian 12 then loses the
connection under the 1 MB response; proxied through nginx itself, the page
arrives in small pieces and the fastest client pays for the extra reads.)

    page_server.py PORT PAGE_FILE
"""
import socket
import socketserver
import sys
import zlib


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            buf = buf[length:]
            conn.sendall(self.server.response)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port, page_file = int(sys.argv[1]), sys.argv[2]
    page = open(page_file, "rb").read()
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"Content-Length: {len(page)}\r\nx-amzn-RequestId: BENCH0000000000000000000000000000000000000000000000000\r\n"
            f"x-amz-crc32: {zlib.crc32(page)}\r\nConnection: keep-alive\r\n\r\n").encode()
    with Server(("127.0.0.1", port), Handler) as server:
        server.response = head + page
        server.serve_forever()


if __name__ == "__main__":
    main()
