"""Realistic repository content: source code in several languages, configuration, JSON
data, documentation and lock files (whose integrity hashes are the classic source of
scanner false positives). Deterministic for a given seed."""

from __future__ import annotations

import base64
import random

from .fakes import HEX, decoy_lines, rand

WORDS = """account action active address admin agent alert amount api app archive asset audit
auth backend balance batch billing block body bucket buffer build bundle cache callback
cart catalog channel charge check client cluster code config connection consumer context
count counter customer data database date debug default delivery device digest discount
document domain driver email endpoint entry error event export feature fetch field file
filter flag format frame gateway handler header health history host image import index
input instance inventory invoice item job key label layer ledger limit link list loader
lock log manager mapper message metric middleware mode model module monitor node notify
order owner package page parser partner path payload payment policy pool port price
process product profile provider proxy query queue quota rate reader record region
registry report request resource response result retry role route rule runner schedule
schema scope search segment sender server service session settings shard shipment signal
source state status storage store stream subscription summary supplier sync table task
tenant ticket timer token topic trace tracker transaction transform upload user util
validator value vendor version view wallet webhook worker writer zone""".split()

LANGS = [".py", ".ts", ".js", ".go", ".rs", ".java"]


def ident(rng: random.Random, parts: int = 2, style: str = "snake") -> str:
    words = [rng.choice(WORDS) for _ in range(parts)]
    if style == "camel":
        return words[0] + "".join(w.title() for w in words[1:])
    if style == "pascal":
        return "".join(w.title() for w in words)
    return "_".join(words)


def sentence(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.randrange(6, 16)
    s = " ".join(rng.choice(WORDS) for _ in range(n))
    return s[0].upper() + s[1:] + "."


def _maybe_decoy(rng, out: list[str], _comment: str, p: float = 0.03):
    """Sometimes adds a secret-shaped line that is not a secret (see fakes.decoy_lines)."""
    if rng.random() < p:
        out.extend(decoy_lines(rng))


def python_file(rng):
    out = [f'"""{sentence(rng)}"""', "", "import logging", "import os",
           f"from .{ident(rng, 1)} import {ident(rng, 2, 'pascal')}", "",
           "log = logging.getLogger(__name__)", ""]
    for _ in range(rng.randrange(2, 7)):
        if rng.random() < 0.3:
            cls = ident(rng, 2, "pascal")
            out += [f"class {cls}:", f'    """{sentence(rng)}"""', "",
                    "    def __init__(self, config):", "        self.config = config",
                    f"        self.{ident(rng)} = config.get(\"{ident(rng)}\", {rng.randrange(100)})", ""]
            for _ in range(rng.randrange(1, 4)):
                out += [f"    def {ident(rng)}(self, {ident(rng, 1)}):",
                        f"        # {sentence(rng)}",
                        f"        result = self.{ident(rng)}({ident(rng, 1)})",
                        f"        if result is None:",
                        f"            raise ValueError(\"{sentence(rng, 5)}\")",
                        "        return result", ""]
        else:
            fn = ident(rng)
            args = ", ".join(ident(rng, 1) for _ in range(rng.randrange(1, 4)))
            out += [f"def {fn}({args}):", f'    """{sentence(rng)}"""']
            for _ in range(rng.randrange(3, 12)):
                out.append(f"    {ident(rng)} = {ident(rng)}({ident(rng, 1)}, timeout={rng.randrange(1, 60)})")
            out += [f"    log.info(\"{sentence(rng, 4)}\")", f"    return {ident(rng)}", "", ""]
        _maybe_decoy(rng, out, "")
    return out


def ts_file(rng, ext=".ts"):
    out = [f"import {{ {ident(rng, 2, 'pascal')} }} from './{ident(rng, 1)}';",
           f"import {{ {ident(rng, 2, 'camel')} }} from '../{ident(rng, 1)}/{ident(rng, 1)}';", ""]
    for _ in range(rng.randrange(2, 7)):
        name = ident(rng, 2, "camel")
        typ = ": Promise<void>" if ext == ".ts" else ""
        out += [f"// {sentence(rng)}", f"export async function {name}(req, res){typ} {{",
                f"  const {ident(rng, 2, 'camel')} = await {ident(rng, 2, 'camel')}(req.params.id);"]
        for _ in range(rng.randrange(2, 10)):
            out.append(f"  const {ident(rng, 2, 'camel')} = {ident(rng, 1)}.{ident(rng, 2, 'camel')}({rng.randrange(1000)});")
        out += [f"  if (!{ident(rng, 1)}) {{", f"    throw new Error('{sentence(rng, 4)}');", "  }",
                f"  res.json({{ status: '{rng.choice(['ok', 'queued', 'done'])}' }});", "}", ""]
        _maybe_decoy(rng, out, "")
    return out


def go_file(rng):
    out = [f"package {ident(rng, 1)}", "", "import (", '\t"context"', '\t"fmt"', '\t"time"', ")", ""]
    for _ in range(rng.randrange(2, 7)):
        name = ident(rng, 2, "pascal")
        out += [f"// {name} {sentence(rng)}",
                f"func {name}(ctx context.Context, id string) (*{ident(rng, 1, 'pascal')}, error) {{",
                f"\tctx, cancel := context.WithTimeout(ctx, {rng.randrange(1, 30)}*time.Second)", "\tdefer cancel()"]
        for _ in range(rng.randrange(2, 10)):
            out.append(f"\t{ident(rng, 2, 'camel')}, err := {ident(rng, 2, 'camel')}(ctx, id)")
            out.append('\tif err != nil {')
            out.append(f'\t\treturn nil, fmt.Errorf("{" ".join(rng.choice(WORDS) for _ in range(3))}: %w", err)')
            out.append("\t}")
        out += ["\treturn nil, nil", "}", ""]
    return out


def rust_file(rng):
    out = ["use std::collections::HashMap;", f"use crate::{ident(rng, 1)}::{ident(rng, 2, 'pascal')};", ""]
    for _ in range(rng.randrange(2, 6)):
        out += [f"/// {sentence(rng)}", f"pub fn {ident(rng)}(input: &str) -> Result<u64, Error> {{",
                "    let mut map = HashMap::new();"]
        for _ in range(rng.randrange(2, 10)):
            out.append(f"    map.insert(\"{ident(rng)}\", {rng.randrange(1 << 20)});")
        out += [f"    let {ident(rng)} = input.len() as u64;", "    Ok(map.len() as u64)", "}", ""]
    return out


def java_file(rng):
    cls = ident(rng, 2, "pascal")
    out = [f"package com.example.{ident(rng, 1)};", "", "import java.util.List;", "import java.util.Map;", "",
           f"/** {sentence(rng)} */", f"public class {cls} {{"]
    for _ in range(rng.randrange(2, 6)):
        out += [f"    public {rng.choice(['void', 'int', 'String'])} {ident(rng, 2, 'camel')}(Map<String, Object> {ident(rng, 1)}) {{"]
        for _ in range(rng.randrange(2, 8)):
            out.append(f"        var {ident(rng, 2, 'camel')} = this.{ident(rng, 2, 'camel')}.get(\"{ident(rng)}\");")
        out += ["    }", ""]
    out.append("}")
    return out


def yaml_file(rng):
    out = [f"# {sentence(rng)}", f"service: {ident(rng, 1)}"]
    for _ in range(rng.randrange(3, 10)):
        out.append(f"{ident(rng)}:")
        for _ in range(rng.randrange(2, 8)):
            k = ident(rng)
            v = rng.choice([str(rng.randrange(1, 9000)), "true", "false", ident(rng, 1),
                            f"registry.example.com/{ident(rng, 1)}:{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(50)}",
                            f"https://{ident(rng, 1)}.internal.example.com/{ident(rng, 1)}"])
            out.append(f"  {k}: {v}")
        _maybe_decoy(rng, out, "", 0.05)
    return out


def toml_file(rng):
    out = [f"# {sentence(rng)}"]
    for _ in range(rng.randrange(2, 8)):
        out.append(f"[{ident(rng)}]")
        for _ in range(rng.randrange(2, 7)):
            out.append(f"{ident(rng)} = {rng.choice([str(rng.randrange(1000)), 'true', repr(ident(rng, 1))])}".replace("'", '"'))
        out.append("")
        _maybe_decoy(rng, out, "", 0.05)
    return out


def json_file(rng):
    out = ["{", f'  "name": "{ident(rng)}",', '  "items": [']
    n = rng.randrange(5, 40)
    for i in range(n):
        uid = f"{rand(rng, HEX, 8)}-{rand(rng, HEX, 4)}-4{rand(rng, HEX, 3)}-a{rand(rng, HEX, 3)}-{rand(rng, HEX, 12)}"
        out.append(f'    {{"id": "{uid}", "{ident(rng, 1)}": {rng.randrange(10**6)}, "label": "{sentence(rng, 4)}"}}'
                   + ("," if i < n - 1 else ""))
    out += ["  ]", "}"]
    return out


def markdown_file(rng):
    out = [f"# {ident(rng, 2, 'pascal')}", ""]
    for _ in range(rng.randrange(3, 10)):
        out += [" ".join(sentence(rng) for _ in range(rng.randrange(2, 6))), ""]
        if rng.random() < 0.3:
            out += ["```sh", f"make {ident(rng, 1)} {ident(rng, 1).upper()}={rng.randrange(100)}", "```", ""]
    return out


def package_lock(rng):
    out = ["{", f'  "name": "{ident(rng, 1)}",', '  "lockfileVersion": 3,', '  "packages": {']
    n = rng.randrange(300, 900)
    for i in range(n):
        name = f"{ident(rng, 1)}-{ident(rng, 1)}"
        integ = base64.b64encode(rng.randbytes(64)).decode()
        out += [f'    "node_modules/{name}": {{',
                f'      "version": "{rng.randrange(10)}.{rng.randrange(30)}.{rng.randrange(30)}",',
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",',
                f'      "integrity": "sha512-{integ}"',
                "    }" + ("," if i < n - 1 else "")]
    out += ["  }", "}"]
    return out


def cargo_lock(rng):
    out = ["# This file is automatically @generated by Cargo.", "version = 4", ""]
    for _ in range(rng.randrange(200, 500)):
        out += ["[[package]]", f'name = "{ident(rng, 1)}-{ident(rng, 1)}"',
                f'version = "{rng.randrange(5)}.{rng.randrange(30)}.{rng.randrange(30)}"',
                'source = "registry+https://github.com/rust-lang/crates.io-index"',
                f'checksum = "{rand(rng, HEX, 64)}"', ""]
    return out


def go_sum(rng):
    out = []
    for _ in range(rng.randrange(200, 600)):
        mod = f"github.com/{ident(rng, 1)}/{ident(rng, 1)}"
        ver = f"v{rng.randrange(3)}.{rng.randrange(30)}.{rng.randrange(30)}"
        out.append(f"{mod} {ver} h1:{base64.b64encode(rng.randbytes(32)).decode()}")
        out.append(f"{mod} {ver}/go.mod h1:{base64.b64encode(rng.randbytes(32)).decode()}")
    return out


GENERATORS = {
    ".py": python_file, ".ts": ts_file, ".js": lambda r: ts_file(r, ".js"), ".go": go_file,
    ".rs": rust_file, ".java": java_file, ".yaml": yaml_file, ".toml": toml_file,
    ".json": json_file, ".md": markdown_file,
}
# Relative frequency of each kind of file in a monorepo.
MIX = [(".py", 16), (".ts", 16), (".js", 8), (".go", 12), (".rs", 6), (".java", 8),
       (".yaml", 10), (".toml", 4), (".json", 10), (".md", 10)]
LOCKS = {"package-lock.json": package_lock, "Cargo.lock": cargo_lock, "go.sum": go_sum}


def pick_ext(rng) -> str:
    total = sum(w for _, w in MIX)
    x = rng.randrange(total)
    for ext, w in MIX:
        if x < w:
            return ext
        x -= w
    return ".py"


def file_lines(ext: str, rng) -> list[str]:
    return GENERATORS[ext](rng)


def layout(n_files: int, rng, lock_every: int = 500) -> list[str]:
    """n_files realistic paths of a monorepo: projects under services/, packages/, libs/,
    apps/, infra/, tools/, each with the usual subdirectories (about 20-30 files a
    directory), docs/, and a lock file per `lock_every` files."""
    tops = ["services", "packages", "libs", "apps", "infra", "tools"]
    subdirs = ["src", "src/api", "src/handlers", "src/models", "src/util", "src/jobs", "src/db",
               "tests", "tests/fixtures", "config", "deploy", "scripts"]
    n_projects = max(4, n_files // 250)
    projects, seen_projects = [], set()
    while len(projects) < n_projects:
        name = f"{rng.choice(tops)}/{ident(rng, 1)}-{rng.choice(WORDS)}"
        if name not in seen_projects:
            seen_projects.add(name)
            projects.append(name)
    paths, seen = [], set()
    while len(paths) < n_files:
        project = rng.choice(projects)
        if len(paths) % lock_every == lock_every - 1:
            path = f"{project}/{rng.choice(list(LOCKS))}"
        else:
            ext = pick_ext(rng)
            if ext == ".md":
                path = rng.choice([f"docs/{project.split('/')[1]}/{ident(rng)}.md", f"{project}/README-{ident(rng, 1)}.md"])
            elif ext in (".yaml", ".toml"):
                path = f"{project}/{rng.choice(['config', 'deploy', 'config/env'])}/{ident(rng)}{ext}"
            else:
                path = f"{project}/{rng.choice(subdirs)}/{ident(rng)}{ext}"
        if path not in seen:
            seen.add(path)
            paths.append(path)
    return paths


def content_for(path: str, rng) -> list[str]:
    name = path.rsplit("/", 1)[-1]
    if name in LOCKS:
        return LOCKS[name](rng)
    ext = "." + name.rsplit(".", 1)[-1]
    return file_lines(ext if ext in GENERATORS else ".md", rng)


def ext_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""
