#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks data/org.remotehelp.RemoteHelp.policy for what rh-elevation.c relies on.

The DTD (validate-polkit-policy) checks the shape; this checks the meaning: one action, our id,
nobody but an active local session may ask, always with an administrator's password (no
*_keep, which would let a later tool skip the prompt), and pkexec selects it for our launcher.
Usage: check-polkit-policy.py POLICY EXPECTED_LAUNCHER_PATH
"""
import sys
import xml.etree.ElementTree as ET

policy, launcher = sys.argv[1], sys.argv[2]
root = ET.parse(policy).getroot()
errors = []

def expect(cond, what):
    if not cond:
        errors.append(what)

expect(root.tag == "policyconfig", "root element is not policyconfig")
actions = root.findall("action")
expect(len(actions) == 1, f"expected 1 action, found {len(actions)}")
for action in actions:
    expect(action.get("id") == "org.remotehelp.RemoteHelp.run-elevated-tool",
           f"unexpected action id {action.get('id')}")
    expect((action.findtext("description") or "").strip() != "", "empty description")
    expect((action.findtext("message") or "").strip() != "", "empty message")
    defaults = action.find("defaults")
    expect(defaults is not None, "no defaults")
    if defaults is not None:
        got = {d.tag: (d.text or "").strip() for d in defaults}
        expect(got == {"allow_any": "no", "allow_inactive": "no", "allow_active": "auth_admin"},
               f"defaults are {got}")
    notes = {a.get("key"): (a.text or "").strip() for a in action.findall("annotate")}
    expect(notes.get("org.freedesktop.policykit.exec.path") == launcher,
           f"exec.path is {notes.get('org.freedesktop.policykit.exec.path')}, not {launcher}")
    expect(notes.get("org.freedesktop.policykit.exec.allow_gui") == "true",
           "exec.allow_gui is not true: the tools are X11 programs")

for e in errors:
    print(f"{policy}: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
