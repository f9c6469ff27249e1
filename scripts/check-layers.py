#!/usr/bin/env python3
"""Checks the dependency rule between the source folders (see ARCHITECTURE.md).

    base <- config <- http <- oci <- terraform <- upstream <- {server, publish}
    openpgp uses base only, and is used by upstream, server and publish;
    fastcgi may use http, config and base; only src/main.cpp sees everything.

Every project include must name its folder ("oci/client.h"). Prints each offending include as
file:line: and exits 1 when there is one. Usage: scripts/check-layers.py [ROOT]
"""

import os
import re
import sys

# What each folder may include, itself included.
ALLOWED = {
    "base": {"base"},
    "config": {"base", "config"},
    "http": {"base", "config", "http"},
    "oci": {"base", "config", "http", "oci"},
    "terraform": {"base", "config", "http", "oci", "terraform"},
    "openpgp": {"base", "openpgp"},
    "upstream": {"base", "config", "http", "oci", "terraform", "openpgp", "upstream"},
    "server": {"base", "config", "http", "oci", "terraform", "openpgp", "upstream", "server"},
    "publish": {"base", "config", "http", "oci", "terraform", "openpgp", "upstream", "publish"},
    "fastcgi": {"base", "config", "http", "fastcgi"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def problems(root):
    found = []
    for top in ("src", "include"):
        base_dir = os.path.join(root, top)
        for dirpath, _, files in os.walk(base_dir):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                relative = os.path.relpath(path, base_dir)
                area = relative.split(os.sep)[0] if os.sep in relative else None
                if area is None and relative != "main.cpp":
                    found.append("%s: every file but src/main.cpp lives in one of the folders %s"
                                 % (os.path.relpath(path, root), ", ".join(sorted(ALLOWED))))
                    continue
                if area is not None and area not in ALLOWED:
                    found.append("%s: %s is not a known folder" % (os.path.relpath(path, root), area))
                    continue
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        where = "%s:%d:" % (os.path.relpath(path, root), number)
                        if "/" not in target:
                            found.append('%s #include "%s" must name its folder (e.g. "base/%s")'
                                         % (where, target, target))
                            continue
                        target_area = target.split("/")[0]
                        if target_area not in ALLOWED:
                            found.append('%s #include "%s": no folder %s' % (where, target, target_area))
                        elif area is not None and target_area not in ALLOWED[area]:
                            found.append('%s #include "%s": %s/ may not depend on %s/ (it may use %s)'
                                         % (where, target, area, target_area,
                                            ", ".join(sorted(ALLOWED[area] - {area})) or "nothing else"))
    return found


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = problems(root)
    for p in found:
        print(p, file=sys.stderr)
    if found:
        print("check-layers: %d include(s) break the dependency rule (ARCHITECTURE.md)" % len(found), file=sys.stderr)
        return 1
    print("check-layers: every include follows the dependency rule")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
