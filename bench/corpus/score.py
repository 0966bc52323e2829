#!/usr/bin/env python3
"""Scores vault (and gitleaks, if given) on the labelled corpus: recall and false positives,
per family and overall, for the `tune` and `held-back` splits separately, and for the
`unseen` slice of held-back (the sources no scored tool was built from; see OWN_SOURCES).

    bench/corpus/score.py --vault target/release/vault [--gitleaks bench/.tools/bin/gitleaks]
                          [--split held-back|unseen] [--families] [--json out.json]

A positive file counts as found when the scanner reports anything in it; a negative file
counts as a false positive when the scanner reports anything in it. File-level scoring is
what a pre-commit hook decides (block or not), and it needs no agreement between scanners
on where a secret starts. The held-back split is for measuring only: never change a rule
because of a file in it (see PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ("tune", "held-back")
# The part of the held-back split that no scored tool was built from: gitleaks' rules are
# tested against every one of their own examples (it finds them by construction), and the
# synthetic negatives were written by vault's authors alongside vault's placeholder rules.
# Scores on this slice compare the tools on text neither has seen.
OWN_SOURCES = {"gitleaks": "gitleaks", "vault": "synthetic"}
UNSEEN = "unseen"


def load_manifest(path: Path = HERE / "manifest.tsv") -> list[dict]:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fid, source, family, label, split = line.split("\t")
        rows.append({"file": fid, "source": source, "family": family, "label": label, "split": split})
    return rows


def extract(dest: Path, archive: Path = HERE / "corpus.tar.gz") -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run_vault(vault: str, root: Path) -> tuple[set[str], float]:
    """Files under root/files where `vault scan` reports something, and the wall time."""
    t = time.perf_counter()
    out = subprocess.run([vault, "scan", "--json", "files"], cwd=root, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(root)})
    elapsed = time.perf_counter() - t
    if out.returncode not in (0, 1):
        raise SystemExit(f"vault scan failed ({out.returncode}): {out.stderr[-2000:]}")
    findings = json.loads(out.stdout).get("findings", [])
    return {f["path"].removeprefix("files/") for f in findings}, elapsed


def run_gitleaks(gitleaks: str, root: Path) -> tuple[set[str], float]:
    # A real temporary file: gitleaks writes its report by path, and /dev/null would let a
    # failed run look like a clean one.
    report = root / "gitleaks-report.json"
    t = time.perf_counter()
    out = subprocess.run([gitleaks, "dir", "--no-banner", "--report-format", "json", "--report-path", str(report),
                          "--exit-code", "0", "files"], cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"gitleaks failed ({out.returncode}): {out.stderr[-2000:]}")
    findings = json.loads(report.read_text() or "[]")
    return {f["File"].removeprefix("files/") for f in findings}, elapsed


def in_split(row: dict, split: str) -> bool:
    if split == UNSEEN:
        return row["split"] == "held-back" and row["source"] not in OWN_SOURCES.values()
    return row["split"] == split


def tally(rows: list[dict], flagged: set[str]) -> dict:
    """Per split (and the unseen slice of held-back): overall and per-family recall and
    false positives."""
    result = {}
    for split in (*SPLITS, UNSEEN):
        fam = defaultdict(lambda: {"positives": 0, "found": 0, "negatives": 0, "false_positives": 0})
        by_source = defaultdict(lambda: {"positives": 0, "found": 0, "negatives": 0, "false_positives": 0})
        for r in rows:
            if not in_split(r, split):
                continue
            hit = r["file"] in flagged
            for d in (fam[r["family"]], by_source[r["source"]]):
                if r["label"] == "positive":
                    d["positives"] += 1
                    d["found"] += hit
                else:
                    d["negatives"] += 1
                    d["false_positives"] += hit
        total = {k: sum(f[k] for f in fam.values()) for k in ("positives", "found", "negatives", "false_positives")}
        total["recall"] = round(total["found"] / total["positives"], 3) if total["positives"] else None
        result[split] = {"overall": total, "families": dict(sorted(fam.items())), "sources": dict(sorted(by_source.items()))}
    return result


def score(vault: str, gitleaks: str | None = None) -> dict:
    rows = load_manifest()
    with tempfile.TemporaryDirectory(prefix="vault-corpus-") as tmp:
        root = extract(Path(tmp))
        tools = {"vault": run_vault(vault, root)}
        if gitleaks:
            tools["gitleaks"] = run_gitleaks(gitleaks, root)
    missing = {r["file"] for r in rows}
    for name, (flagged, _) in tools.items():
        unknown = flagged - missing
        if unknown:
            raise SystemExit(f"{name} reported files not in the manifest: {sorted(unknown)[:5]}")
    return {"files": len(rows), "positives": sum(r["label"] == "positive" for r in rows),
            "tools": {name: {"seconds": round(sec, 3), **tally(rows, flagged), "flagged": sorted(flagged)}
                      for name, (flagged, sec) in tools.items()}}


def print_scores(result: dict, splits=(*SPLITS, UNSEEN), families: bool = False, out=sys.stdout):
    names = list(result["tools"])
    for split in splits:
        o = {n: result["tools"][n][split]["overall"] for n in names}
        first = o[names[0]]
        what = (f"held-back without {', '.join(sorted(OWN_SOURCES.values()))} (text no tool was built from)"
                if split == UNSEEN else split)
        print(f"\n{what}: {first['positives']} positive files, {first['negatives']} negative files", file=out)
        for n in names:
            print(f"  {n:9} recall {o[n]['recall']:.3f} ({o[n]['found']}/{o[n]['positives']}), "
                  f"false positives {o[n]['false_positives']}/{o[n]['negatives']}, "
                  f"{result['tools'][n]['seconds']:.2f} s for the whole corpus", file=out)
        if families:
            fams = result["tools"][names[0]][split]["families"]
            print(f"  {'family':26}" + "".join(f"{n + ' found':>16}{'FP':>5}" for n in names), file=out)
            for fam in fams:
                cells = []
                for n in names:
                    d = result["tools"][n][split]["families"][fam]
                    cells.append(f"{d['found']:>10}/{d['positives']:<5}{d['false_positives']:>3}/{d['negatives']:<3}")
                print(f"  {fam:26}" + "".join(cells), file=out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vault", required=True)
    ap.add_argument("--gitleaks")
    ap.add_argument("--split", choices=(*SPLITS, UNSEEN), action="append")
    ap.add_argument("--families", action="store_true", help="per-family table")
    ap.add_argument("--misses", action="store_true", help="list vault's misses and false positives (tune split only)")
    ap.add_argument("--json", help="write the full result here")
    args = ap.parse_args()
    result = score(str(Path(args.vault).resolve()), args.gitleaks and str(Path(args.gitleaks).resolve()))
    print_scores(result, args.split or (*SPLITS, UNSEEN), args.families)
    if args.misses:
        flagged = set(result["tools"]["vault"]["flagged"])
        for r in load_manifest():
            # Listing held-back files would invite tuning to them.
            if r["split"] != "tune":
                continue
            hit = r["file"] in flagged
            if (r["label"] == "positive") != hit:
                print(("MISS " if not hit else "FP   ") + r["file"])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
