#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the RH- error codes as markdown table rows, read from protocol/rh-error.c.

    tools/rh-error-table.py [--header] [SOURCE_ROOT]

The rows are `| RH-NNNN | summary | cause | fix |`, in the order of the table in
rh-error.c; --header adds the table's header. README.md's error table is pasted from this
output, and tests/test-error-table.c checks that README and the code stay in step.
"""

import argparse
import pathlib
import re
import sys

ENUM_RE = re.compile(r"\b(RH_ERROR_[A-Z0-9_]+)\s*=\s*(\d+)\s*,")
ENTRY_START_RE = re.compile(r"\{\s*(RH_ERROR_[A-Z0-9_]+)\s*,")
ENTRY_RE = re.compile(
    r"\{\s*(RH_ERROR_[A-Z0-9_]+)\s*,"
    r"\s*N_\s*\(((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*\)\s*,"
    r"\s*N_\s*\(((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*\)\s*,"
    r"\s*N_\s*\(((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*\)\s*\}",
    re.S)
LITERAL_RE = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")
ESCAPES = {"n": " ", "t": " ", "\"": "\"", "\\": "\\", "'": "'"}


def c_string(literals):
    """Concatenates adjacent C string literals and resolves the simple escapes."""
    text = "".join(LITERAL_RE.findall(literals))
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), text)


def cell(text):
    return " ".join(text.split()).replace("|", "\\|")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--header", action="store_true", help="print the table header too")
    parser.add_argument("root", nargs="?",
                        default=pathlib.Path(__file__).resolve().parent.parent,
                        type=pathlib.Path, help="source root (default: this checkout)")
    args = parser.parse_args()

    header = (args.root / "protocol" / "rh-error.h").read_text(encoding="utf-8")
    source = (args.root / "protocol" / "rh-error.c").read_text(encoding="utf-8")

    values = {name: int(value) for name, value in ENUM_RE.findall(header)}
    table = source[source.index("error_table[]"):]
    table = table[:table.index("};")]
    entries = ENTRY_RE.findall(table)
    starts = ENTRY_START_RE.findall(table)

    if not entries or len(entries) != len(starts):
        parsed = {e[0] for e in entries}
        missed = [s for s in starts if s not in parsed]
        sys.exit(f"rh-error-table.py: could not parse every entry of error_table[] "
                 f"({len(entries)} of {len(starts)}; not understood: {', '.join(missed)})")

    rows = []
    seen = set()
    for name, summary, cause, fix in entries:
        if name not in values:
            sys.exit(f"rh-error-table.py: {name} is not in the RhErrorCode enum")
        if name in seen:
            sys.exit(f"rh-error-table.py: {name} is in error_table[] twice")
        seen.add(name)
        rows.append(f"| RH-{values[name]:04d} | {cell(c_string(summary))} | "
                    f"{cell(c_string(cause))} | {cell(c_string(fix))} |")

    missing = sorted(set(values) - seen, key=values.get)
    if missing:
        sys.exit(f"rh-error-table.py: not in error_table[]: {', '.join(missing)}")

    if args.header:
        print("| Code | Problem | Cause | What to do |")
        print("|------|---------|-------|------------|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
