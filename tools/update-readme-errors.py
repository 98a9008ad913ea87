#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rewrites README.md's RH- error table from protocol/rh-error.[ch] (via rh-error-table.py).

tests/test-error-table checks that README and the code agree; run this after adding a code.
"""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
table = subprocess.run([sys.executable, str(root / "tools" / "rh-error-table.py"), "--header"],
                       check=True, capture_output=True, text=True).stdout
readme_path = root / "README.md"
readme = readme_path.read_text(encoding="utf-8")
readme = re.sub(r"<!-- error-table:begin -->.*<!-- error-table:end -->",
                lambda _: "<!-- error-table:begin -->\n" + table + "<!-- error-table:end -->",
                readme, flags=re.S)
readme_path.write_text(readme, encoding="utf-8")
print(f"{table.count('| RH-')} codes")
