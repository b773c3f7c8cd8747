"""A TCP stream that checks itself, for migration tests: `serve PORT OUT` accepts one
connection and writes what it received (bytes, SHA-256, error, and the longest time between
two arrivals of data, in ms) to OUT as JSON; `send HOST PORT BYTES SECONDS` sends a known
byte pattern at a steady pace (a chunk every few ms) and prints the same JSON, with the
peer's own count and SHA-256 when it answers "ok SHA256 BYTES" (the test VM's sink). A reset or a
timeout is an error; nothing here retries a lost connection."""
import hashlib
import json
import socket
import sys
import time

CHUNK = 1000


def pattern(i):
    return bytes((i * 7 + k) % 251 for k in range(CHUNK))


def serve(port, out):
    result = {'received': 0, 'sha256': None, 'error': None, 'longest_gap_ms': 0}
    digest = hashlib.sha256()
    last = None
    try:
        # One dual-stack socket: the stream comes to the VM's IPv4 or its IPv6 address.
        srv = socket.socket(socket.AF_INET6)
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(('::', port))
        srv.listen(1)
        srv.settimeout(60)
        conn, _ = srv.accept()
        conn.settimeout(30)
        while True:
            data = conn.recv(65536)
            now = time.monotonic()
            if not data:
                break
            # The sender paces its chunks: a long silence is the stream stalled (a lost
            # segment waits for TCP's retransmission timeout, 200 ms at least on Linux).
            if last is not None:
                result['longest_gap_ms'] = max(result['longest_gap_ms'], round((now - last) * 1000, 1))
            last = now
            digest.update(data)
            result['received'] += len(data)
        conn.sendall(b'ok')
        conn.close()
    except OSError as e:
        result['error'] = '%s: %s' % (type(e).__name__, e)
    result['sha256'] = digest.hexdigest()
    with open(out, 'w') as f:
        json.dump(result, f)


def send(host, port, nbytes, seconds):
    result = {'sent': 0, 'sha256': None, 'error': None, 'acknowledged': False}
    digest = hashlib.sha256()
    chunks = nbytes // CHUNK
    try:
        sock = None
        for _ in range(50):
            try:
                sock = socket.create_connection((host, port), timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        if sock is None:
            raise OSError('could not connect to %s:%d' % (host, port))
        sock.settimeout(30)
        start = time.monotonic()
        for i in range(chunks):
            data = pattern(i)
            sock.sendall(data)
            digest.update(data)
            result['sent'] += len(data)
            delay = start + (i + 1) * seconds / chunks - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        sock.shutdown(socket.SHUT_WR)
        reply = b''
        while len(reply) < 200:
            data = sock.recv(200)
            if not data:
                break
            reply += data
        result['acknowledged'] = reply.startswith(b'ok')
        # A sink that checks for itself (the test VM's) answers "ok SHA256 BYTES".
        words = reply.split()
        if len(words) == 3:
            result['peer_sha256'], result['peer_received'] = words[1].decode(), int(words[2])
        sock.close()
    except OSError as e:
        result['error'] = '%s: %s' % (type(e).__name__, e)
    result['sha256'] = digest.hexdigest()
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == 'send':
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit('usage: stream.py serve PORT OUT | send HOST PORT BYTES SECONDS')
