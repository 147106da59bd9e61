#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (docs/testing.md) into CORPUS/<target>/,
from the examples, the standard library, the UI fixtures and ../shared/conformance:

  check_bytes       every .netp file of examples/, stdlib/ and tests/ui/
  build_emit        every .netp file of examples/ and stdlib/ (programs that build)
  check_structured  none: inputs are `arbitrary` choices, libFuzzer starts empty
  analyze_yaml      each conformance case and example manifest folder, its YAML files
                    joined as one stream; and each compiled example (`netpc build --stdout`)
  output_read       each compiled example folder, packed as PATH NUL TEXT NUL ...
  git_side          each example folder and compiled folder as git prints it:
                    `ls-tree -r -l -z` output, `\\n--batch--\\n`, `cat-file --batch` output

Usage: seeds.py REPO NETPC CORPUS   (REPO: the netpc checkout, NETPC: its binary)
"""
import hashlib
import pathlib
import subprocess
import sys
import tempfile

repo, netpc, corpus = (pathlib.Path(a) for a in sys.argv[1:4])
conformance = repo.parent / "shared" / "conformance"


def write(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    (folder / f"seed-{safe}").write_bytes(data)


def files_under(folder, suffixes):
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes)


def git_listing(files):
    """(ls-tree bytes, cat-file bytes) for {path: bytes}, as git would print them."""
    listing, batch = b"", b""
    for path, body in sorted(files.items()):
        oid = hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()
        listing += b"100644 blob %s %7d\t%s\0" % (oid.encode(), len(body), path.encode())
        batch += b"%s blob %d\n" % (oid.encode(), len(body)) + body + b"\n"
    return listing + b"\n--batch--\n" + batch


for root in ["examples", "stdlib", "tests/ui"]:
    for path in files_under(repo / root, {".netp"}):
        name = str(path.relative_to(repo))
        write("check_bytes", name, path.read_bytes())
        if root != "tests/ui":
            write("build_emit", name, path.read_bytes())

yaml_folders = {p.parent for p in files_under(conformance, {".yaml", ".yml"})}
yaml_folders |= {p.parent for p in files_under(repo / "examples", {".yaml"})}
for folder in sorted(yaml_folders):
    texts = [p.read_text(errors="replace") for p in files_under(folder, {".yaml", ".yml"})
             if p.parent == folder]
    write("analyze_yaml", str(folder.relative_to(folder.parents[2])), "\n---\n".join(texts))

examples = sorted({p.parent for p in files_under(repo / "examples", {".netp"})})
with tempfile.TemporaryDirectory() as tmp:
    for example in examples:
        name = example.name
        out = pathlib.Path(tmp) / name
        subprocess.run([netpc, "build", "--quiet", example, "-o", out], check=True,
                       stdout=subprocess.DEVNULL)
        stream = subprocess.run([netpc, "build", "--stdout", example], check=True,
                                capture_output=True).stdout
        write("analyze_yaml", f"compiled-{name}", stream)
        compiled = {str(p.relative_to(out)): p.read_bytes() for p in files_under(out, {".yaml", ""})}
        compiled |= {".netpc-generated": (out / ".netpc-generated").read_bytes()}
        write("output_read", name, b"".join(p.encode() + b"\0" + t + b"\0"
                                            for p, t in sorted(compiled.items())))
        write("git_side", f"compiled-{name}", git_listing(compiled))
        sources = {str(p.relative_to(repo)): p.read_bytes() for p in files_under(example, {".netp"})}
        write("git_side", f"program-{name}", git_listing(sources))
