#!/usr/bin/env python3
"""Regenerates README.md's RH- error table from protocol/rh-error.[ch].

tests/test-error-table checks that README and the code agree; run this after adding a code.
"""
import os
import re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
header = open(os.path.join(root, "protocol/rh-error.h")).read()
values = {m.group(1): int(m.group(2))
          for m in re.finditer(r"(RH_ERROR_\w+)\s*=\s*(\d+)", header)}
source = open(os.path.join(root, "protocol/rh-error.c")).read()
string = r'N_\("((?:[^"\\]|\\.)*)"\)'
rows = []
for m in re.finditer(r"\{\s*(RH_ERROR_\w+),\s*" + string + r",\s*" + string + r",\s*" + string
                     + r"\s*\}", source):
    name, summary, cause, fix = m.groups()
    rows.append(f"| RH-{values[name]:04d} | {summary} | {cause} | {fix} |")
table = "| Code | Summary | Cause | Fix |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"
readme_path = os.path.join(root, "README.md")
readme = open(readme_path).read()
readme = re.sub(r"<!-- error-table:begin -->.*<!-- error-table:end -->",
                lambda _: "<!-- error-table:begin -->\n" + table + "<!-- error-table:end -->",
                readme, flags=re.S)
open(readme_path, "w").write(readme)
print(f"{len(rows)} codes")
