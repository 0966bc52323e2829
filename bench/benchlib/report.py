"""Printing the table, and writing latest.json, latest.md and the SVG chart."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path


def fmt_time(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "–"
    return f"{r:.2f}×" if r >= 0.095 else f"{r:.2g}×"


def table_rows(results: dict) -> list[list[str]]:
    rows = []
    for sc in results["scenarios"]:
        vault = sc["cases"][0]
        for c in sc["cases"]:
            ratio = "" if c is vault else "ref." if c.get("reference") else fmt_ratio(sc["ratios"].get(c["name"]))
            rows.append([sc["title"], c["name"], fmt_time(c["median_s"]),
                         f"{c['peak_rss_mib']:.1f}" if c["peak_rss_mib"] is not None else "–", ratio])
    return rows


def markdown_table(results: dict) -> str:
    out = ["| scenario | tool | median | peak RSS (MiB) | vault ÷ tool |", "|---|---|---:|---:|---:|"]
    last = None
    for row in table_rows(results):
        scenario = row[0] if row[0] != last else ""
        last = row[0]
        out.append(f"| {scenario} | {' | '.join(row[1:])} |")
    return "\n".join(out)


def markdown_targets(results: dict) -> str:
    out = ["| target | measured | result |", "|---|---|---|"]
    for t in results["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | **{'met' if t['met'] else 'missed'}** |")
    return "\n".join(out)


def markdown_scaling(results: dict) -> str:
    out = []
    for curve in results.get("scaling", []):
        sizes = curve["sizes"]
        out.append(f"**{curve['title']}** ({curve['verdict']})\n")
        out.append("| " + curve["unit"] + " | " + " | ".join(str(s) for s in sizes) + " |")
        out.append("|---|" + "---:|" * len(sizes))
        for name, medians in curve["series"].items():
            out.append(f"| {name} | " + " | ".join(fmt_time(m) for m in medians) + " |")
        out.append("")
    return "\n".join(out)


def markdown_findings(results: dict) -> str:
    out = ["| scan | tool | findings | planted secrets found | other findings | missed kinds |",
           "|---|---|---:|---:|---:|---|"]
    for f in results.get("findings", []):
        for tool, s in f["tools"].items():
            out.append(f"| {f['title']} | {tool} | {s['findings']} | {s['true_found']}/{s['planted']} | "
                       f"{s['other_findings']} | {', '.join(s['missed_kinds']) or '–'} |")
    return "\n".join(out)


def corpus_lines(results: dict) -> list[str]:
    """The labelled corpus, vault and gitleaks side by side, per split (markdown table rows)."""
    c = results.get("corpus")
    if not c:
        return []
    out = [f"Labelled corpus ({c['files']} files, {c['positives']} with a secret; bench/corpus):", "",
           "| split | tool | recall | false positives | whole corpus |", "|---|---|---:|---:|---:|"]
    # `unseen`: the held-back files from sources no tool was built from (not gitleaks' own
    # rule examples, not vault's synthetic negatives); see bench/corpus/score.py.
    for split in ("tune", "held-back", "unseen"):
        for tool, t in c["tools"].items():
            if split not in t:
                continue
            o = t[split]["overall"]
            out.append(f"| {split} | {tool} | {o['recall']:.3f} ({o['found']}/{o['positives']}) | "
                       f"{o['false_positives']}/{o['negatives']} | {t['seconds']:.2f} s |")
    return out


def print_report(results: dict):
    rows = [["scenario", "tool", "median", "peak MiB", "vault÷tool"]] + table_rows(results)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print()
    last = None
    for i, r in enumerate(rows):
        cells = list(r)
        if i > 0 and cells[0] == last:
            cells[0] = ""
        else:
            last = cells[0]
            if i > 1:
                print()
        print("  ".join(c.ljust(widths[j]) if j < 2 else c.rjust(widths[j]) for j, c in enumerate(cells)))
    print("\nTargets")
    for t in results["targets"]:
        print(f"  [{'met   ' if t['met'] else 'MISSED'}] {t['target']}: {t['measured']}")
    if results.get("findings"):
        print("\nFindings (planted secrets found / planted)")
        for f in results["findings"]:
            for tool, s in f["tools"].items():
                print(f"  {f['title']:<22} {tool:<9} {s['findings']:>4} findings, {s['true_found']}/{s['planted']} planted"
                      f", {s['other_findings']} other" + (f", missed: {', '.join(s['missed_kinds'])}" if s["missed_kinds"] else ""))
    if results.get("corpus"):
        print()
        for line in corpus_lines(results):
            print("  " + line)
    for curve in results.get("scaling", []):
        print(f"\n{curve['title']} — {curve['verdict']}")
        print("  " + curve["unit"].ljust(22) + "".join(str(s).rjust(11) for s in curve["sizes"]))
        for name, medians in curve["series"].items():
            print("  " + name.ljust(22) + "".join(fmt_time(m).rjust(11) for m in medians))


COLORS = {"vault": "#2563eb"}
PEER_COLORS = ["#f59e0b", "#10b981", "#6b7280", "#ef4444", "#8b5cf6", "#9ca3af"]


def svg_chart(results: dict) -> str:
    """Horizontal bars per scenario, each tool's median relative to the slowest tool of
    that scenario (a tool more than 10× slower than all others is drawn broken, so it does
    not flatten the rest), labelled with the median, vault's ratio to it, and the target."""
    scenarios = results["scenarios"]
    targets = {(t.get("scenario"), t.get("peer")): t for t in results.get("targets", []) if t.get("peer")}
    bar_h, gap, group_gap, title_h, left, width = 18, 4, 22, 18, 250, 400
    height = 64 + sum(title_h + len(s["cases"]) * (bar_h + gap) + group_gap for s in scenarios) + 24
    total_w = left + width + 400
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
           f'viewBox="0 0 {total_w} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{total_w}" height="{height}" fill="#ffffff"/>',
           '<text x="16" y="24" font-size="16" font-weight="bold">vault vs peers: median wall time '
           '(bars relative to the slowest tool of each scenario; lower is better)</text>',
           f'<text x="16" y="42" fill="#555">{html.escape(results["machine"]["summary"])} · '
           f'{html.escape(results["generated"])} · {html.escape(results.get("mode", ""))} run · '
           f'{html.escape(results.get("vault", ""))}</text>']
    y = 64
    for sc in scenarios:
        times = sorted((c["median_s"] for c in sc["cases"]), reverse=True)
        longest = times[0]
        broken = len(times) > 2 and times[0] > 10 * times[1]
        if broken:
            longest = times[1] * 1.15
        out.append(f'<text x="16" y="{y + 12}" font-weight="bold">{html.escape(sc["title"])}</text>')
        y += title_h
        peer_i = 0
        for c in sc["cases"]:
            if c["name"].startswith("vault"):
                color = COLORS["vault"]
            else:
                color = PEER_COLORS[peer_i % len(PEER_COLORS)]
                peer_i += 1
            w = min(width, max(1.0, width * c["median_s"] / longest))
            ratio = sc["ratios"].get(c["name"])
            label = fmt_time(c["median_s"])
            if ratio is not None:
                label += f"  (vault = {fmt_ratio(ratio)})"
            elif c.get("reference"):
                label += "  (reference)"
            out.append(f'<text x="{left - 8}" y="{y + bar_h - 5}" text-anchor="end">{html.escape(c["name"])}</text>')
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2"/>')
            if c["median_s"] > longest:
                bx = left + width * 0.8
                out.append(f'<path d="M{bx:.1f},{y - 1} l6,{bar_h + 2} M{bx + 6:.1f},{y - 1} l6,{bar_h + 2}" '
                           f'stroke="#fff" stroke-width="3"/>')
            out.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h - 5}">{html.escape(label)}</text>')
            t = next((t for (sid, peer), t in targets.items()
                      if sid == sc["id"] and c["name"].startswith(peer)), None)
            if t is not None:
                mark = ("met" if t["met"] else "missed") + f": target ≤ {t['limit']}×"
                tx = left + width + 220
                out.append(f'<text x="{tx:.1f}" y="{y + bar_h - 5}" font-weight="bold" '
                           f'fill="{"#15803d" if t["met"] else "#b91c1c"}">{html.escape(mark)}</text>')
            y += bar_h + gap
        y += group_gap - gap
    out.append(f'<text x="16" y="{height - 10}" fill="#555">Ratios matter; absolute times are noisy '
               f'(2 shared cores). Data: bench/results/latest.json</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def svg_scaling(results: dict) -> str:
    """Log-log line charts of the scaling curves (one panel per curve)."""
    curves = results.get("scaling", [])
    pw, ph, pad_l, pad_b, gap = 440, 260, 70, 40, 40
    total_w = len(curves) * (pw + gap) + 20
    total_h = ph + 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
           f'viewBox="0 0 {total_w} {total_h}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
           f'<rect width="{total_w}" height="{total_h}" fill="#ffffff"/>',
           '<text x="16" y="22" font-size="15" font-weight="bold">Scaling (log-log; a slope of 1 is linear)</text>']
    palette = ["#2563eb", "#f59e0b", "#6b7280", "#7c3aed", "#10b981"]
    for k, curve in enumerate(curves):
        x0, y0 = 20 + k * (pw + gap) + pad_l, 50
        w, h = pw - pad_l, ph - pad_b
        sizes = curve["sizes"]
        values = [v for vs in curve["series"].values() for v in vs if v]
        lo, hi = math.log10(min(values)) - 0.1, math.log10(max(values)) + 0.1
        sx0, sx1 = math.log10(sizes[0]), math.log10(sizes[-1])

        def px(size):
            return x0 + (math.log10(size) - sx0) / ((sx1 - sx0) or 1) * w

        def py(v):
            return y0 + h - (math.log10(v) - lo) / ((hi - lo) or 1) * h
        out.append(f'<text x="{x0}" y="{y0 - 10}" font-weight="bold">{html.escape(curve["title"])}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>')
        for size in sizes:
            out.append(f'<text x="{px(size):.1f}" y="{y0 + h + 16}" text-anchor="middle">{size:,}</text>')
        out.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 + h + 32}" text-anchor="middle" fill="#555">{curve["unit"]}</text>')
        decade = math.floor(lo)
        while decade <= hi:
            for mult in (1, 3):
                v = mult * 10 ** decade
                if lo <= math.log10(v) <= hi:
                    out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#eee"/>')
                    out.append(f'<text x="{x0 - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{fmt_time(v)}</text>')
            decade += 1
        for j, (name, vs) in enumerate(curve["series"].items()):
            color = palette[j % len(palette)]
            pts = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in zip(sizes, vs) if v)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
            for s_, v in zip(sizes, vs):
                out.append(f'<circle cx="{px(s_):.1f}" cy="{py(v):.1f}" r="3" fill="{color}"/>')
            out.append(f'<rect x="{x0 + 8}" y="{y0 + 8 + j * 15}" width="10" height="10" fill="{color}"/>')
            out.append(f'<text x="{x0 + 22}" y="{y0 + 17 + j * 15}">{html.escape(name)}</text>')
        out.append(f'<foreignObject/>')
        verdicts = curve["verdict"].split("; ")
        for j, v in enumerate(verdicts):
            out.append(f'<text x="{x0 - pad_l + 10}" y="{y0 + h + 52 + j * 14}" fill="#555">{html.escape(v)}</text>')
    out.append("</svg>")
    return "\n".join(o for o in out if o != "<foreignObject/>") + "\n"


def write_all(results: dict, out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "latest.svg").write_text(svg_chart(results))
    if results.get("scaling"):
        (out_dir / "latest-scaling.svg").write_text(svg_scaling(results))
    md = [f"<!-- generated by bench/run on {results['generated']} -->",
          f"Machine: {results['machine']['summary']}", "",
          markdown_table(results), "", markdown_targets(results), ""]
    if results.get("findings"):
        md += [markdown_findings(results), ""]
    if results.get("corpus"):
        md += corpus_lines(results) + [""]
    if results.get("scaling"):
        md += [markdown_scaling(results)]
    (out_dir / "latest.md").write_text("\n".join(md) + "\n")
