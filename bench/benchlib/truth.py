"""Matching scanner findings to the planted secrets ("true findings").

Every planted secret has a unique signature (the token itself, or a PEM body's first
line). A gitleaks finding carries the matched text, so it is matched by content. vault
never prints a secret: its finding names a path, a line and (for history) a commit, so we
read that blob from git and look for a signature on the reported line or the two after it
(a PEM block is reported at its BEGIN line)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .fakes import Planted


def _match_text(text: str, planted: list[Planted]) -> Planted | None:
    for p in planted:
        if p.signature in text:
            return p
    return None


def gitleaks_findings(report: Path) -> list[dict]:
    try:
        return json.loads(report.read_text() or "[]")
    except (OSError, json.JSONDecodeError):
        return []


def vault_findings(report: Path) -> list[dict]:
    try:
        return json.loads(report.read_text()).get("findings", [])
    except (OSError, json.JSONDecodeError, AttributeError):
        return []


def score_gitleaks(findings: list[dict], planted: list[Planted]) -> dict:
    found = set()
    other = 0
    for f in findings:
        text = (f.get("Secret") or "") + "\n" + (f.get("Match") or "")
        p = _match_text(text, planted)
        if p is None:
            secret = f.get("Secret") or ""
            p = next((q for q in planted if len(secret) >= 16 and secret in q.value), None)
        if p is None:
            other += 1
        else:
            found.add(id(p))
    return _summary(findings, planted, found, other)


def _blob_lines(repo: Path, specs: list[str]) -> dict[str, list[str]]:
    """`git cat-file --batch` for REV:PATH specs (':PATH' is the index)."""
    out: dict[str, list[str]] = {}
    uniq = sorted(set(specs))
    if not uniq:
        return out
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input="\n".join(uniq).encode() + b"\n",
                          capture_output=True, check=True)
    data = proc.stdout
    pos = 0
    for spec in uniq:
        nl = data.index(b"\n", pos)
        header = data[pos:nl].decode()
        pos = nl + 1
        if header.endswith("missing"):
            out[spec] = []
            continue
        size = int(header.split()[-1])
        out[spec] = data[pos:pos + size].decode(errors="replace").splitlines()
        pos += size + 1
    return out


def score_vault(findings: list[dict], planted: list[Planted], repo: Path) -> dict:
    specs = [f"{f.get('commit', '')}:{f['path']}" for f in findings]
    blobs = _blob_lines(repo, specs)
    found = set()
    other = 0
    for f, spec in zip(findings, specs):
        lines = blobs.get(spec, [])
        line = max(int(f.get("line") or 1), 1)
        window = "\n".join(lines[line - 1:line + 2])
        p = _match_text(window, planted)
        if p is None:
            other += 1
        else:
            found.add(id(p))
    return _summary(findings, planted, found, other)


def _summary(findings, planted, found, other) -> dict:
    by_kind: dict[str, list[int]] = {}
    for p in planted:
        k = by_kind.setdefault(p.kind, [0, 0])
        k[1] += 1
        if id(p) in found:
            k[0] += 1
    return {
        "findings": len(findings),
        "true_found": len(found),
        "planted": len(planted),
        "other_findings": other,
        "missed_kinds": sorted(k for k, (a, b) in by_kind.items() if a < b),
        "by_kind": {k: f"{a}/{b}" for k, (a, b) in sorted(by_kind.items())},
    }
