"""Listeners on 127.0.0.1 for the probe client test: an open, a closed and a silent
port for TCP and for UDP. Prints one JSON object with the ports, then serves until its
standard input closes (or 60 s pass), so the test that starts it controls its life.
- open TCP: a listening socket (the kernel completes the handshake);
- closed TCP/UDP: a port that was bound and released (RST / ICMP port unreachable);
- silent TCP: a listener with backlog 0 whose queue is already full, so new SYNs are
  dropped and a connection attempt times out;
- open UDP: answers every datagram with "hostname", as agnhost serve-hostname does;
- silent UDP: a bound socket that never answers.
"""
import json
import select
import socket
import sys
import time


def bound(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed(kind):
    sock = bound(kind)
    port = sock.getsockname()[1]
    sock.close()
    return port


tcp_open = bound(socket.SOCK_STREAM)
tcp_open.listen(16)
tcp_silent = bound(socket.SOCK_STREAM)
tcp_silent.listen(0)
fillers = []
for _ in range(3):
    filler = socket.socket()
    filler.setblocking(False)
    try:
        filler.connect(tcp_silent.getsockname())
    except BlockingIOError:
        pass
    fillers.append(filler)
udp_open = bound(socket.SOCK_DGRAM)
udp_silent = bound(socket.SOCK_DGRAM)
ports = {
    "tcp_open": tcp_open.getsockname()[1],
    "tcp_closed": closed(socket.SOCK_STREAM),
    "tcp_silent": tcp_silent.getsockname()[1],
    "udp_open": udp_open.getsockname()[1],
    "udp_closed": closed(socket.SOCK_DGRAM),
    "udp_silent": udp_silent.getsockname()[1],
}
time.sleep(0.2)
print(json.dumps(ports), flush=True)
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([udp_open, tcp_open, sys.stdin], [], [], 0.5)
    if sys.stdin in ready and not sys.stdin.read(1):
        break
    if udp_open in ready:
        _, peer = udp_open.recvfrom(1024)
        udp_open.sendto(b"hostname", peer)
    if tcp_open in ready:
        conn, _ = tcp_open.accept()
        conn.close()
