#!/usr/bin/env python3
"""Builds the directory hail serves as its web app (no bundler, no transpiling).

    python3 web/tools/build.py --src web --out <BUILD>/web

writes
  <out>/index.html        web/index.html with the import map inlined (the one inline
                          script; hail's CSP allows it by its SHA-256)
  <out>/importmap.json    the same import map, byte for byte (tests read it)
  <out>/vendor/<pkg>@<version>/<file>
                          each runtime package's ES module named by its package.json
                          `exports` (conditions browser, import, module, default), plus
                          the files it imports relatively, and their source maps
  <out>/app/**            a copy of web/app/**
  <out>/favicon.svg       a copy of web/favicon.svg

The specifiers to map are listed in web/package.json under "importmap". A package
whose exports no longer name an existing file, or a vendor module importing a bare
specifier the map does not have, fails the build here rather than in a browser.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

PLACEHOLDER = "<!-- hail:importmap -->"
CONDITIONS = ("browser", "import", "module", "default")
# Module specifiers in ES module source, minified or not: `from"x"`, `import"x"`,
# `import("x")`, `export*from"x"`.
IMPORT_RE = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*(["'])([^"'\n]+)\1""")


class BuildError(Exception):
    pass


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise BuildError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise BuildError(f"{path}: not valid JSON: {e}") from None


def split_specifier(spec):
    """'@preact/signals' -> ('@preact/signals', '.'); 'preact/hooks' -> ('preact', './hooks')."""
    parts = spec.split("/")
    n = 2 if spec.startswith("@") else 1
    if len(parts) < n or not all(parts[:n]):
        raise BuildError(f"import map specifier '{spec}' is not a package name")
    name = "/".join(parts[:n])
    rest = "/".join(parts[n:])
    return name, "./" + rest if rest else "."


def pick_target(entry, where):
    """The file an `exports` entry names for a browser's ES module loader."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, list):
        for e in entry:
            t = pick_target(e, where)
            if t:
                return t
        return None
    if isinstance(entry, dict):
        for cond in CONDITIONS:
            if cond in entry:
                t = pick_target(entry[cond], where)
                if t:
                    return t
        return None
    raise BuildError(f"{where}: unexpected exports entry {entry!r}")


def resolve(node_modules, spec):
    """(package name, version, package dir, file relative to the package) for a specifier."""
    name, subpath = split_specifier(spec)
    pkg_dir = os.path.join(node_modules, *name.split("/"))
    meta = read_json(os.path.join(pkg_dir, "package.json"))
    version = meta.get("version")
    if not version:
        raise BuildError(f"{name}/package.json has no version")
    exports = meta.get("exports")
    where = f"{name}@{version} exports['{subpath}']"
    if exports is None:
        if subpath != ".":
            raise BuildError(f"{name}@{version} has no exports map, so '{spec}' cannot be mapped")
        target = meta.get("module") or meta.get("main")
    else:
        if isinstance(exports, str) or (
            isinstance(exports, dict) and exports and not any(k.startswith(".") for k in exports)
        ):
            exports = {".": exports}
        if subpath not in exports:
            raise BuildError(f"{name}@{version} does not export '{subpath}' (wanted by '{spec}')")
        target = pick_target(exports[subpath], where)
    if not target:
        raise BuildError(f"{where} names no browser/import/module/default file")
    rel = os.path.normpath(target)
    if rel.startswith("..") or os.path.isabs(rel):
        raise BuildError(f"{where} points outside the package: {target}")
    if not os.path.isfile(os.path.join(pkg_dir, rel)):
        raise BuildError(f"{where} names {target}, which is not in the installed package")
    return name, version, pkg_dir, rel


def copy_module(pkg_dir, rel, dest_root, mapped, spec_of, seen):
    """Copies a vendor module and, recursively, what it imports relatively."""
    if rel in seen:
        return
    seen.add(rel)
    src = os.path.join(pkg_dir, rel)
    dst = os.path.join(dest_root, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    if os.path.isfile(src + ".map"):
        shutil.copyfile(src + ".map", dst + ".map")
    with open(src, encoding="utf-8") as f:
        code = f.read()
    for m in IMPORT_RE.finditer(code):
        dep = m.group(2)
        if dep.startswith("./") or dep.startswith("../"):
            dep_rel = os.path.normpath(os.path.join(os.path.dirname(rel), dep))
            if dep_rel.startswith(".."):
                raise BuildError(f"{spec_of}: {rel} imports {dep}, outside its package")
            if not os.path.isfile(os.path.join(pkg_dir, dep_rel)):
                raise BuildError(f"{spec_of}: {rel} imports {dep}, which does not exist")
            copy_module(pkg_dir, dep_rel, dest_root, mapped, spec_of, seen)
        elif dep.startswith("/") or "://" in dep:
            raise BuildError(f"{spec_of}: {rel} imports {dep}; only package and relative imports work")
        elif dep not in mapped:
            raise BuildError(
                f"{spec_of}: {rel} imports '{dep}', which is not in the import map "
                f"(add it to \"importmap\" in web/package.json)"
            )


def copy_tree(src, dst):
    if os.path.isdir(src):
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".*", "*~", "*.swp"))


def build(src, out):
    pkg = read_json(os.path.join(src, "package.json"))
    node_modules = os.path.join(src, "node_modules")
    if not os.path.isdir(node_modules):
        raise BuildError(
            f"{node_modules} is missing: run `make deps` (or `npm ci` in {src}) to install "
            f"the web app's packages"
        )
    specs = pkg.get("importmap")
    if not isinstance(specs, list) or not specs:
        raise BuildError(f"{src}/package.json has no \"importmap\" list of specifiers")
    runtime = pkg.get("dependencies", {})
    with open(os.path.join(src, "index.html"), encoding="utf-8") as f:
        template = f.read()
    if template.count(PLACEHOLDER) != 1:
        raise BuildError(f"{src}/index.html must contain {PLACEHOLDER} exactly once")

    parent = os.path.dirname(os.path.abspath(out)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".web-build-", dir=parent)
    try:
        imports = {}
        resolved = []
        for spec in specs:
            name, version, pkg_dir, rel = resolve(node_modules, spec)
            if name not in runtime:
                raise BuildError(f"'{spec}' is mapped but {name} is not a runtime dependency")
            if runtime[name] != version:
                raise BuildError(
                    f"{name} {version} is installed but package.json pins {runtime[name]}: "
                    f"run `make deps` (npm ci in {src})"
                )
            imports[spec] = f"/vendor/{name}@{version}/{rel.replace(os.sep, '/')}"
            resolved.append((spec, name, version, pkg_dir, rel))
        seen = {}
        for spec, name, version, pkg_dir, rel in resolved:
            dest_root = os.path.join(tmp, "vendor", f"{name}@{version}")
            copy_module(pkg_dir, rel, dest_root, imports, spec, seen.setdefault(name, set()))

        importmap = json.dumps({"imports": imports}, indent=2, sort_keys=True)
        with open(os.path.join(tmp, "importmap.json"), "w", encoding="utf-8") as f:
            f.write(importmap)
        page = template.replace(PLACEHOLDER, f'<script type="importmap">{importmap}</script>')
        with open(os.path.join(tmp, "index.html"), "w", encoding="utf-8") as f:
            f.write(page)
        copy_tree(os.path.join(src, "app"), os.path.join(tmp, "app"))
        favicon = os.path.join(src, "favicon.svg")
        if os.path.isfile(favicon):
            shutil.copyfile(favicon, os.path.join(tmp, "favicon.svg"))

        # Swap the new tree in; a server reading the old one sees it until the rename.
        old = None
        if os.path.exists(out):
            old = tmp + ".old"
            os.rename(out, old)
        os.rename(tmp, out)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return imports


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="the web/ folder of the source tree")
    ap.add_argument("--out", required=True, help="where to write the served tree (<BUILD>/web)")
    ap.add_argument("--stamp", help="a file to touch when the build succeeds")
    args = ap.parse_args()
    try:
        build(args.src, args.out)
    except BuildError as e:
        print(f"web build: {e}", file=sys.stderr)
        return 1
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8"):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
