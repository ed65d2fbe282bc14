#!/usr/bin/env python3
"""Writes the body of every `stream! { .. }` in the repository as a seed for `macro_expand`.

Run from the repository root: `python3 fuzz/seeds/extract_stream_bodies.py`. Looks in
examples/, tests/ (integration and UI cases), src/ and stream-core/src/ (doc examples, whose
`///`/`//!` prefixes are stripped). Seeds are named after their file and position, so rerunning
it rewrites the same files.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "fuzz" / "seeds" / "macro_expand"
SOURCES = ["examples", "tests", "src", "stream-core/src", "README.md"]
DOC_PREFIX = re.compile(r"^\s*//[/!] ?", re.M)


def bodies(text):
    """Yields the text between the braces of each `stream! {`."""
    for match in re.finditer(r"stream!\s*\{", text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            c = text[i]
            if c == '"':  # skip a string literal
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif text.startswith("//", i) and not text.startswith("///", i):
                i = text.find("\n", i)
                i = len(text) if i < 0 else i
                continue
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        if depth == 0:
            yield text[match.end() : i - 1]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    count = 0
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.rs"))
        for file in files:
            text = file.read_text()
            # Code, then doc examples: the lines of doc comments without their prefix.
            lines = text.splitlines()
            code = "\n".join(line for line in lines if not DOC_PREFIX.match(line))
            doc = "\n".join(DOC_PREFIX.sub("", line) for line in lines if DOC_PREFIX.match(line))
            text = code + "\n" + doc
            for n, body in enumerate(bodies(text)):
                name = str(file.relative_to(ROOT)).replace("/", "_").removesuffix(".rs")
                (OUT / f"{name}_{n}").write_text(body.strip() + "\n")
                count += 1
    print(f"wrote {count} seeds to {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
