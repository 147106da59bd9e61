"""A local stand-in for `agnhost connect` (kubernetes test/images/agnhost/connect), so
the probe client script (src/kit/client.sh) can be run against listeners on 127.0.0.1
in tests. Same interface and outcomes as agnhost 2.x: `connect [--protocol=tcp|udp]
[--timeout=Ns] HOST:PORT` exits 0 when a TCP handshake completes, or when a UDP reply to
"hostname\\n" arrives; otherwise exits 1 printing TIMEOUT, REFUSED, DNS or OTHER on
stderr. Nothing else of agnhost is imitated.
"""
import socket
import sys


def main(argv):
    if not argv or argv[0] != "connect":
        print("UNKNOWN: only `connect` is imitated", file=sys.stderr)
        return 1
    protocol, timeout, dest = "tcp", None, None
    for arg in argv[1:]:
        if arg.startswith("--protocol="):
            protocol = arg.split("=", 1)[1]
        elif arg.startswith("--timeout="):
            timeout = float(arg.split("=", 1)[1].rstrip("s"))
        else:
            dest = arg
    host, _, port = dest.rpartition(":")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, int(port), type=socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
        )[0]
    except socket.gaierror as err:
        print(f"DNS: {err}", file=sys.stderr)
        return 1
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
        if protocol == "udp":
            sock.send(b"hostname\n")
            if not sock.recv(1024):
                print("OTHER: No data received from the server.", file=sys.stderr)
                return 1
        return 0
    except socket.timeout:
        print("TIMEOUT", file=sys.stderr)
    except ConnectionRefusedError as err:
        print(f"REFUSED: {err}", file=sys.stderr)
    except OSError as err:
        print(f"OTHER: {err}", file=sys.stderr)
    finally:
        sock.close()
    return 1


sys.exit(main(sys.argv[1:]))
