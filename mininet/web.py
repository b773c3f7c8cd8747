"""A web server for benchmarks: answers every GET with one small page, headers and body in a
single write (Python's http.server writes them apart, and the client's delayed ACK then
holds the second write for about 40 ms, which hides the network's own time).

    /usr/bin/python3 mininet/web.py PORT
"""
import socket
import sys

BODY = b'<html><body>svcswitch</body></html>\n'
ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(BODY), BODY)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('0.0.0.0', int(sys.argv[1])))
    server.listen(64)
    while True:
        conn, _ = server.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = b''
            while b'\r\n\r\n' not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            if request:
                conn.sendall(ANSWER)


if __name__ == '__main__':
    main()
