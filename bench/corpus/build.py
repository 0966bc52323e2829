#!/usr/bin/env python3
"""Builds the labelled scanner corpus (bench/corpus/corpus.tar.gz + manifest.tsv) from
other projects' test suites, at the commits pinned in SOURCES.toml, plus synthetic hard
negatives. Deterministic: the same checkouts give byte-identical output.

    bench/corpus/build.py --gitleaks DIR --secretlint DIR --detect-secrets DIR --ripsecrets DIR

Each DIR is a git directory (a bare clone is fine) of the source at any commit that holds
the pinned one; the pinned commit is read, never the checked-out tree. See PROVENANCE.md
for what is taken from where, under which licence, and how files are labelled and split.
"""

from __future__ import annotations

import argparse
import ast
import base64
import gzip
import hashlib
import io
import json
import random
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

try:
    import re._parser as sre_parse  # Python 3.11+
    import re._constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore
    import sre_constants as sre_c  # type: ignore

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import negatives  # noqa: E402

# ---- reading the sources at their pinned commits -------------------------------------------


class Source:
    def __init__(self, git_dir: str, commit: str):
        self.git_dir, self.commit = git_dir, commit

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", "--git-dir", self.git_dir, *args], check=True,
                              capture_output=True).stdout

    def ls(self, prefix: str) -> list[str]:
        out = self._git("ls-tree", "-r", "--name-only", self.commit, "--", prefix).decode()
        return sorted(out.split())

    def read(self, path: str) -> bytes:
        return self._git("show", f"{self.commit}:{path}")


# ---- random strings matching a regex (gitleaks generates its true positives this way) -----

def gen_regex(pattern: str, rng: random.Random) -> str:
    """A string matching `pattern` (Go RE2 syntax, the subset gitleaks' rules use)."""
    pattern = pattern.replace(r"\z", "$")
    tree = sre_parse.parse(pattern)
    return "".join(_gen(tree, rng))


def _gen(items, rng) -> list[str]:
    out: list[str] = []
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.NOT_LITERAL:
            out.append("x" if av != ord("x") else "y")
        elif op is sre_c.IN:
            out.append(_gen_in(av, rng))
        elif op is sre_c.ANY:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            lo, hi, sub = av
            hi = lo + 8 if hi is sre_c.MAXREPEAT else hi
            for _ in range(rng.randint(lo, max(lo, hi))):
                out.extend(_gen(sub, rng))
        elif op is sre_c.SUBPATTERN:
            out.extend(_gen(av[-1], rng))
        elif op is sre_c.BRANCH:
            out.extend(_gen(rng.choice(av[1]), rng))
        elif op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            pass
        else:
            raise ValueError(f"unsupported regex op {op}")
    return out


def _gen_in(items, rng) -> str:
    chars: list[str] = []
    negate = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            chars.append(chr(av))
        elif op is sre_c.RANGE:
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif op is sre_c.CATEGORY:
            name = str(av)
            if "DIGIT" in name:
                chars.extend("0123456789")
            elif "WORD" in name:
                chars.extend("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
            elif "SPACE" in name:
                chars.append(" ")
    if negate:
        pool = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789" if c not in chars]
        return rng.choice(pool)
    return rng.choice(chars)


# ---- gitleaks: cmd/generate/config/rules/*.go ----------------------------------------------

GO_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`')

UTILS = {
    "Numeric": "[0-9]{%s}", "Hex": "[a-f0-9]{%s}", "AlphaNumeric": "[a-z0-9]{%s}",
    "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}", "AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}

# GenerateSampleSecrets' templates (cmd/generate/config/utils/generate.go), with the file
# extension each one reads as. We take one or two per rule, not all of them: the corpus is
# about families, and two dozen spellings of one token would swamp it.
SAMPLE_TEMPLATES = [
    ("{i}Token=\"{s}\"", ".ini"), ("{i}Token = {s}", ".ini"),
    ("{\n    \"{i}_token\": \"{s}\"\n}", ".json"),
    ("{\"config.ini\": \"{I}_TOKEN={s}\\nBACKUP_ENABLED=true\"}", ".json"),
    ("<{i}Token>\n    {s}\n</{i}Token>", ".xml"),
    ("{i}_token: {s}", ".yaml"), ("{i}_token: '{s}'", ".yaml"), ("{i}_token: \"{s}\"", ".yaml"),
    ("string {i}Token = \"{s}\";", ".cs"), ("var {i}Token string = \"{s}\"", ".go"),
    ("{i}Token := `{s}`", ".go"), ("String {i}Token = \"{s}\";", ".java"),
    ("var {i}Token = \"{s}\"", ".kt"), ("${i}Token .= \"{s}\"", ".php"),
    ("{i}Token = '{s}'", ".py"), ("System.setProperty(\"{I}_TOKEN\", \"{s}\")", ".java"),
    ("  \"{i}Token\" => \"{s}\"", ".conf"), ("{i}_TOKEN := \"{s}\"", ".mk"),
    ("{i}_TOKEN ?= \"{s}\"", ".mk"),
]


def go_unquote(lit: str) -> str:
    if lit.startswith("`"):
        return lit[1:-1]
    return ast.literal_eval(lit.replace("\\x60", "`"))


def split_top(text: str, sep: str = ",") -> list[str]:
    """Splits at `sep` outside brackets and string literals."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(text):
        m = GO_STRING.match(text, i)
        if m:
            cur.append(m.group())
            i = m.end()
            continue
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def balanced(text: str, start: int) -> int:
    """Index just past the bracket group opening at text[start]."""
    depth, i = 0, start
    while i < len(text):
        m = GO_STRING.match(text, i)
        if m:
            i = m.end()
            continue
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif text[i] == "/" and text[i:i + 2] == "//":
            i = text.index("\n", i)
            continue
        i += 1
    return len(text)


def strip_comments(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        m = GO_STRING.match(text, i)
        if m:
            out.append(m.group())
            i = m.end()
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


class Unsupported(Exception):
    pass


def go_eval(expr: str, rng: random.Random) -> str:
    """Evaluates the string expressions gitleaks' tests build samples from."""
    parts = split_top(expr, "+")
    if len(parts) > 1:
        return "".join(go_eval(p, rng) for p in parts)
    e = expr.strip()
    if GO_STRING.fullmatch(e):
        return go_unquote(e)
    m = re.fullmatch(r"(?:secrets\.)?NewSecret\((.*)\)", e, re.S)
    if m:
        return gen_regex(go_eval(m.group(1), rng), rng)
    m = re.fullmatch(r"utils\.(\w+)\(\"([0-9,]+)\"\)", e)
    if m and m.group(1) in UTILS:
        return UTILS[m.group(1)] % m.group(2)
    if e == "utils.Hex8_4_4_4_12()":
        return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    m = re.fullmatch(r"utils\.GenerateSampleSecret\((.*)\)", e, re.S)
    if m:
        a = split_top(m.group(1))
        return f'{go_eval(a[0], rng)}_api_token = "{go_eval(a[1], rng)}"'
    m = re.fullmatch(r"strings\.Repeat\((.*)\)", e, re.S)
    if m:
        a = split_top(m.group(1))
        return go_eval(a[0], rng) * int(a[1])
    raise Unsupported(e[:60])


def gitleaks_cases(src: Source, rng_seed: str):
    """(rule id, label, file name hint, text) for each example gitleaks' rules test with."""
    for path in src.ls("cmd/generate/config/rules/"):
        if not path.endswith(".go") or path.endswith("_test.go"):
            continue
        text = strip_comments(src.read(path).decode())
        for fm in re.finditer(r"\nfunc (\w+)\(\) \*config\.Rule \{", text):
            body = text[fm.end() - 1:balanced(text, fm.end() - 1)]
            rid = re.search(r'RuleID:\s*"([^"]+)"', body)
            if not rid:
                continue
            rule = rid.group(1)
            rng = random.Random(f"{rng_seed}/{rule}")
            for sm in re.finditer(r"\b(tps|fps|tePs|fePs)\s*(?::=|=)\s*", body):
                label = "positive" if sm.group(1) in ("tps", "tePs") else "negative"
                at = sm.end()
                rest = body[at:]
                if rest.startswith("append("):
                    end = balanced(body, at + len("append"))
                    inner = split_top(body[at + len("append("):end - 1])[1:]
                elif rest.startswith("utils.GenerateSampleSecrets("):
                    end = balanced(body, at + len("utils.GenerateSampleSecrets"))
                    inner = [body[at:end]]
                else:
                    ob = body.find("{", at)
                    if ob < 0 or ob - at > 40:
                        continue
                    end = balanced(body, ob)
                    inner = split_top(body[ob + 1:end - 1])
                for element in inner:
                    yield from _gitleaks_element(rule, label, element, rng)


def _gitleaks_element(rule, label, element, rng):
    name = ".txt"
    e = element.strip()
    if e.endswith("..."):
        e = e[:-3]
    m = re.fullmatch(r"utils\.GenerateSampleSecrets\((.*)\)", e, re.S)
    try:
        if m:
            a = split_top(m.group(1))
            ident, secret = go_eval(a[0], rng), go_eval(a[1], rng)
            for tpl, ext in rng.sample(SAMPLE_TEMPLATES, 1):
                out = tpl.replace("{i}", ident).replace("{I}", ident.upper()).replace("{s}", secret)
                yield rule, label, ext, out
            return
        kv = split_top(e, ":")
        if len(kv) == 2 and GO_STRING.fullmatch(kv[0].strip()):
            name = go_unquote(kv[0].strip())
            e = kv[1]
        yield rule, label, name, go_eval(e, rng)
    except (Unsupported, ValueError, SyntaxError, IndexError):
        return


# gitleaks rule ids grouped into families (the default is the id's first word).
FAMILY_OVERRIDES = {
    "generic-api-key": "generic", "private-key": "private-key", "pkcs12-file": "private-key",
    "jwt": "jwt", "jwt-base64": "jwt", "curl-auth-user": "basic-auth", "curl-auth-header": "basic-auth",
    "vault-service-token": "hashicorp-vault", "vault-batch-token": "hashicorp-vault",
    "hashicorp-tf-api-token": "hashicorp-tf", "hashicorp-tf-password": "generic",
    "1password-secret-key": "1password", "1password-service-account-token": "1password",
    "azure-ad-client-secret": "azure", "sendgrid-api-token": "sendgrid",
    "gcp-api-key": "google", "gcp-service-account": "google",
    "kubernetes-secret-yaml": "kubernetes-secret", "sidekiq-secret": "sidekiq",
    "sidekiq-sensitive-url": "sidekiq", "octopus-deploy-api-key": "octopus-deploy",
}


def family_of(rule: str) -> str:
    if rule in FAMILY_OVERRIDES:
        return FAMILY_OVERRIDES[rule]
    return rule.split("-")[0]


# ---- secretlint: packages/@secretlint/secretlint-rule-*/test/snapshots/{ok,ng}.*/input.* ---

# Rules that are not about a secret family (meta rules, path rules, the pattern/preset
# wrappers, comment filters): their fixtures would label a file by configuration, not content.
SECRETLINT_SKIP = {"pattern", "preset-canary", "preset-recommend", "filter-comments", "example",
                   "no-homedir", "no-dotenv", "secp256k1-privatekey", "no-k8s-kind-secret"}
SECRETLINT_FAMILY = {"privatekey": "private-key", "basicauth": "basic-auth", "gcp": "google",
                     "database-connection-string": "db-connection-string", "hashicorp-vault": "hashicorp-vault"}


def secretlint_cases(src: Source, excluded: set[str]):
    root = "packages/@secretlint/"
    for path in src.ls(root):
        m = re.match(r"packages/@secretlint/secretlint-rule-([\w-]+)/test/snapshots/([^/]+)/(input\.[^/]+)$", path)
        if not m:
            continue
        rule, case, fname = m.groups()
        if rule in SECRETLINT_SKIP or f"{rule}/{case}" in excluded:
            continue
        out_path = path.rsplit("/", 1)[0] + "/output.json"
        try:
            messages = json.loads(src.read(out_path)).get("messages", [])
        except subprocess.CalledProcessError:
            continue
        label = "positive" if messages else "negative"
        yield rule, case, fname, label, src.read(path)


# ---- detect-secrets: tests/plugins/*_test.py parametrized (payload, should_flag) ------------

DS_SKIP = {"base_test", "ip_public_test", "high_entropy_strings_test"}


def detect_secrets_cases(src: Source):
    for path in src.ls("tests/plugins/"):
        stem = path.rsplit("/", 1)[-1][:-3]
        if not path.endswith("_test.py") or stem in DS_SKIP:
            continue
        tree = ast.parse(src.read(path))
        n = 0
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize"):
                continue
            if len(node.args) < 2 or not isinstance(node.args[1], (ast.List, ast.Tuple)):
                continue
            for elt in node.args[1].elts:
                if not isinstance(elt, ast.Tuple):
                    continue
                try:
                    values = [ast.literal_eval(v) for v in elt.elts]
                except ValueError:
                    continue
                text = next((v for v in values if isinstance(v, str)), None)
                flag = next((v for v in values if isinstance(v, bool)), None)
                if text is None or flag is None or len(text) < 6:
                    continue
                n += 1
                yield stem[:-5], n, "positive" if flag else "negative", text


# ---- ripsecrets: test/one_per_line/* (each line a secret), test/none (each line clean) -------

def ripsecrets_cases(src: Source):
    for path in src.ls("test/"):
        kind = path.split("/")[1]
        data = src.read(path).decode()
        if kind == "one_per_file":
            yield path.rsplit("/", 1)[-1], 1, "positive", data
        elif kind == "one_per_line":
            for i, line in enumerate(l for l in data.splitlines() if l.strip()):
                yield path.rsplit("/", 1)[-1], i + 1, "positive", line + "\n"
        elif kind == "none":
            for i, line in enumerate(l for l in data.splitlines() if l.strip()):
                # A suppression comment is one scanner's convention, not a property of the text.
                if "allowlist" in line:
                    continue
                yield "none", i + 1, "negative", line + "\n"


# ---- Nosey Parker: crates/noseyparker/data/default/builtin/rules/*.yml --------------------

NP_RULES = "crates/noseyparker/data/default/builtin/rules/"


def noseyparker_cases(src: Source):
    """(file stem, rule id, text) for each rule's `examples`, all positive. Rules that find
    only identifiers (Nosey Parker's own `identifier` category without `secret`: account ids,
    client ids) are left out: their examples are not credentials.

    The rules' `negative_examples` are not taken. They say what one rule must not match, not
    that the text holds no secret: Slack bot tokens are negatives of the Slack webhook rule,
    `hvs.` tokens under `apikey:` of the HashiCorp rules, a random `AUTH0_CLIENT_SECRET` of
    the Auth0 client-id rule, and some carry a `# FIXME` saying the rule should match them.
    Labelled clean, they would count a scanner that reports a real secret as wrong."""
    import yaml  # PyYAML: only this builder needs it, not the benchmark

    for path in src.ls(NP_RULES):
        if not path.endswith(".yml"):
            continue
        text = src.read(path).decode()
        stem = path.rsplit("/", 1)[-1][:-4]
        root = yaml.compose(text)
        for rule in _node(root, "rules").value if root else []:
            rid = _node(rule, "id").value
            cats = {c.value for c in _node(rule, "categories").value} if _node(rule, "categories") else set()
            if "identifier" in cats and "secret" not in cats:
                continue
            for item in _node(rule, "examples").value if _node(rule, "examples") else []:
                yield stem, rid, item.value


def _node(mapping, key):
    for k, v in getattr(mapping, "value", []):
        if k.value == key:
            return v
    return None


# ---- assembling ------------------------------------------------------------------------------

def split_of(file_id: str) -> str:
    """Deterministic: 40% of files, chosen by a hash of their id, are held back."""
    h = int(hashlib.sha256(file_id.encode()).hexdigest()[:8], 16)
    return "held-back" if h % 5 < 2 else "tune"


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:60] or "x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for s in ("gitleaks", "secretlint", "detect-secrets", "ripsecrets", "noseyparker"):
        ap.add_argument(f"--{s}", required=True, help=f"git directory of {s}")
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args()
    sources = tomllib.loads((HERE / "SOURCES.toml").read_text())["source"]
    pin = {s["name"]: s for s in sources}
    entries: list[tuple[str, str, str, str, bytes]] = []  # (file id, source, family, label, bytes)
    seen: set[bytes] = set()

    def add(fid: str, source: str, family: str, label: str, data: bytes):
        # Identical examples (the same literal in two rules' tests) count once.
        key = label.encode() + b"\0" + data
        if key in seen or not data.strip():
            return
        seen.add(key)
        entries.append((fid, source, family, label, data))

    gl = Source(args.gitleaks, pin["gitleaks"]["commit"])
    counts: dict[tuple[str, str], int] = {}
    for rule, label, name, text in gitleaks_cases(gl, pin["gitleaks"]["commit"]):
        n = counts.get((rule, label), 0)
        # At most three examples per rule and label, so that big rule tests do not swamp
        # the families with few examples.
        if n >= 3:
            continue
        counts[(rule, label)] = n + 1
        fname = name if not name.startswith(".") else f"example{name}"
        add(f"gitleaks/{rule}/{label[:3]}{n + 1}/{safe(fname)}", "gitleaks", family_of(rule), label,
            text.encode())

    sl = Source(args.secretlint, pin["secretlint"]["commit"])
    excluded = set(pin["secretlint"].get("excluded", []))
    for rule, case, fname, label, data in secretlint_cases(sl, excluded):
        add(f"secretlint/{rule}/{safe(case)}/{fname}", "secretlint", SECRETLINT_FAMILY.get(rule, rule), label, data)

    ds = Source(args.detect_secrets, pin["detect-secrets"]["commit"])
    for plugin, n, label, text in detect_secrets_cases(ds):
        fam = {"aws_key": "aws", "github_token": "github", "gitlab_token": "gitlab", "basic_auth": "basic-auth",
               "keyword": "generic", "mailchimp_key": "mailchimp", "azure_storage_key": "azure",
               "stripe_key": "stripe", "private_key": "private-key", "pypi_token": "pypi"}.get(plugin, plugin)
        add(f"detect-secrets/{plugin}/{label[:3]}{n}.txt", "detect-secrets", fam, label, text.encode() + b"\n")

    rs = Source(args.ripsecrets, pin["ripsecrets"]["commit"])
    for name, n, label, text in ripsecrets_cases(rs):
        fam = {"aws_json": "aws", "pem_key": "private-key", "private_key": "private-key", "none": "mixed",
               "url": "basic-auth", "maven": "generic", "random": "generic", "intra42": "intra42"}.get(name, name)
        add(f"ripsecrets/{name}/{label[:3]}{n}.txt", "ripsecrets", fam, label, text.encode())

    np_src = Source(args.noseyparker, pin["noseyparker"]["commit"])
    np_counts: dict[str, int] = {}
    for stem, rid, text in noseyparker_cases(np_src):
        # The same cap as gitleaks': at most three per rule.
        label = "positive"
        n = np_counts.get(rid, 0)
        if n >= 3:
            continue
        np_counts[rid] = n + 1
        fam = {"generic": "generic", "aws": "aws", "azure": "azure", "gcp": "google", "google": "google",
               "pem": "private-key", "jwt": "jwt", "http": "basic-auth"}.get(stem, stem)
        add(f"noseyparker/{rid.removeprefix('np.')}/{label[:3]}{n + 1}.txt", "noseyparker", fam, label,
            text.encode() + (b"" if text.endswith("\n") else b"\n"))

    for fid, family, data in negatives.generate(seed="vault-corpus-1"):
        add(f"synthetic/{fid}", "synthetic", family, "negative", data)

    entries.sort()
    out = Path(args.out)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for fid, _, _, _, data in entries:
            info = tarfile.TarInfo("files/" + fid)
            info.size, info.mtime, info.mode, info.uname, info.gname = len(data), 0, 0o644, "", ""
            tar.addfile(info, io.BytesIO(data))
    # mtime 0 and no file name in the gzip header: the archive is a function of its contents.
    (out / "corpus.tar.gz").write_bytes(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))
    lines = ["# file\tsource\tfamily\tlabel\tsplit  (generated by build.py; see PROVENANCE.md)"]
    for fid, source, family, label, _ in entries:
        lines.append(f"{fid}\t{source}\t{family}\t{label}\t{split_of(fid)}")
    (out / "manifest.tsv").write_text("\n".join(lines) + "\n")
    pos = sum(e[3] == "positive" for e in entries)
    held = sum(split_of(e[0]) == "held-back" for e in entries)
    print(f"{len(entries)} files: {pos} positive, {len(entries) - pos} negative; {held} held back",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
