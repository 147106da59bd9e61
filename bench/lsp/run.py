#!/usr/bin/env python3
"""Keystroke latency of `netpc lsp` in a generated workspace (docs/performance.md).

usage: run.py NETPC [SERVICES] [KEYSTROKES]

Generates SERVICES services (default 1000) with ../shared/bench/gen_netp.py, starts
`NETPC lsp` on that folder, opens the first file, then types: each keystroke is one
incremental didChange that inserts or deletes one character in a name (so every other
keystroke makes an error and the next fixes it). Measures, in milliseconds:
  change -> diagnostics: from sending didChange to the file's publishDiagnostics;
  change -> hover:       from sending didChange and a hover right after it to the
                         hover's answer (the server recompiles before answering).
Prints median, 95th percentile and maximum of each.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import Client  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "..", "shared", "bench", "gen_netp.py")


def summary(name, values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    print(f"{name}: median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, "
          f"max {values[-1]:.1f} ms ({len(values)} keystrokes)")


def main():
    netpc = os.path.abspath(sys.argv[1])
    services = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    keystrokes = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    gen = GEN if os.path.exists(GEN) else "/work/shared/bench/gen_netp.py"
    with tempfile.TemporaryDirectory() as root:
        subprocess.run([sys.executable, gen, str(services), root], check=True)
        path = os.path.join(root, "ns-0.netp")
        text = open(path).read()
        uri = "file://" + os.path.realpath(path)
        client = Client([netpc, "lsp"])
        client.request("initialize", {"processId": None, "rootUri": "file://" + os.path.realpath(root),
                                      "capabilities": {"general": {"positionEncodings": ["utf-8"]}}})
        client.notify("initialized", {})
        start = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "netp",
                                                              "version": 1, "text": text}})
        published = lambda m: (m.get("method") == "textDocument/publishDiagnostics"  # noqa: E731
                               and m["params"]["uri"] == uri)
        client.wait(published, timeout=120)
        print(f"{services} services in {len(os.listdir(root))} files; "
              f"first analysis {1000 * (time.perf_counter() - start):.0f} ms")
        # `svc-1 needs ...` is line 4 (0-based), the name at columns 0..5.
        line = text.split("\n").index(next(l for l in text.split("\n") if l.startswith("svc-1 needs")))
        version = 1
        diagnostics, hovers = [], []
        for i in range(keystrokes):
            version += 1
            insert = i % 2 == 0
            change = ({"range": {"start": {"line": line, "character": 5}, "end": {"line": line, "character": 5}},
                       "text": "x"} if insert else
                      {"range": {"start": {"line": line, "character": 5}, "end": {"line": line, "character": 6}},
                       "text": ""})
            params = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
            if i % 4 < 2:
                t = time.perf_counter()
                client.notify("textDocument/didChange", params)
                message = client.wait(published)
                diagnostics.append(1000 * (time.perf_counter() - t))
                errors = sum(1 for d in message["params"]["diagnostics"] if d["severity"] == 1)
                assert (errors > 0) == insert, message
            else:
                t = time.perf_counter()
                client.notify("textDocument/didChange", params)
                answer = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                              "position": {"line": line + 1, "character": 8}})
                hovers.append(1000 * (time.perf_counter() - t))
                assert answer.get("result"), answer
        client.close()
        summary("change -> diagnostics", diagnostics)
        summary("change -> hover", hovers)


if __name__ == "__main__":
    main()
