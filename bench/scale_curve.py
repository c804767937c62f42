#!/usr/bin/env python3
"""The cost curve as a picture: bench/scale.svg from bench/scale-data.json.

Three panels, log-log where sizes double:
  - CPU seconds per simulated (or wall) second against cluster size:
    slotsim against N real redis-server 7.0 processes;
  - resident MB per node against cluster size, both;
  - explore seeds per minute on 2 cores, by commit.
A small SVG writer of our own: no plotting package is needed.

  bench/scale_curve.py            render bench/scale.svg from the data file
  bench/scale_curve.py --out F    write the picture to F instead
  bench/scale_curve.py --measure  first re-measure slotsim (bench/scale_bench.sh) and real
                                  Redis (bench/redis_scale.sh) at the data file's sizes,
                                  and rewrite the data file (about 10 minutes)
"""
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "scale-data.json")
OUT = os.path.join(HERE, "scale.svg")

W, H = 320, 240          # one panel
PAD_L, PAD_R, PAD_T, PAD_B = 56, 14, 30, 40
COLORS = {"slotsim": "#1f77b4", "redis-server": "#d62728", "explore": "#2ca02c"}


def esc(t):
    return str(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Panel:
    def __init__(self, x0, title, xlabel, ylabel, xs, ys, xlog=True, ylog=True, xticks=None,
                 xnames=None):
        self.x0, self.title, self.xlabel, self.ylabel = x0, title, xlabel, ylabel
        self.xlog, self.ylog = xlog, ylog
        f = (lambda v: math.log10(v)) if xlog else (lambda v: v)
        g = (lambda v: math.log10(v)) if ylog else (lambda v: v)
        self.fx, self.fy = f, g
        self.xmin, self.xmax = min(map(f, xs)), max(map(f, xs))
        self.ymin, self.ymax = min(map(g, ys)), max(map(g, ys))
        if self.xmax == self.xmin:
            self.xmax += 1
        if not xlog:  # room for the end labels
            pad = (self.xmax - self.xmin) * 0.15
            self.xmin -= pad
            self.xmax += pad
        span = self.ymax - self.ymin or 1
        self.ymin -= span * 0.08
        self.ymax += span * 0.08
        self.xticks = xticks or xs
        self.xnames = xnames or {}
        self.parts = []

    def px(self, v):
        return self.x0 + PAD_L + (self.fx(v) - self.xmin) / (self.xmax - self.xmin) * (W - PAD_L - PAD_R)

    def py(self, v):
        return PAD_T + (1 - (self.fy(v) - self.ymin) / (self.ymax - self.ymin)) * (H - PAD_T - PAD_B)

    def axes(self):
        x1, x2 = self.x0 + PAD_L, self.x0 + W - PAD_R
        y1, y2 = PAD_T, H - PAD_B
        p = self.parts
        p.append(f'<rect x="{x1}" y="{y1}" width="{x2 - x1}" height="{y2 - y1}" fill="none" stroke="#888"/>')
        p.append(f'<text x="{self.x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">{esc(self.title)}</text>')
        p.append(f'<text x="{self.x0 + PAD_L + (W - PAD_L - PAD_R) / 2}" y="{H - 6}" text-anchor="middle">{esc(self.xlabel)}</text>')
        p.append(f'<text transform="translate({self.x0 + 12},{PAD_T + (H - PAD_T - PAD_B) / 2}) rotate(-90)" text-anchor="middle">{esc(self.ylabel)}</text>')
        for t in self.xticks:
            x = self.px(t)
            p.append(f'<line x1="{x:.1f}" y1="{y2}" x2="{x:.1f}" y2="{y2 + 4}" stroke="#888"/>')
            p.append(f'<text x="{x:.1f}" y="{y2 + 15}" text-anchor="middle">{esc(self.xnames.get(t, t))}</text>')
        lo, hi = self.ymin, self.ymax
        if self.ylog:
            ticks = [10 ** e for e in range(math.floor(lo), math.ceil(hi) + 1) if lo <= e <= hi]
        else:
            step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9)))
            ticks = [round(step * k, 6) for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
        for t in ticks:
            y = self.py(t)
            p.append(f'<line x1="{x1 - 4}" y1="{y:.1f}" x2="{x2}" y2="{y:.1f}" stroke="#eee"/>')
            p.append(f'<text x="{x1 - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(f"{t:g}")}</text>')

    def series(self, name, pts, label_y=None):
        c = COLORS[name.split()[0]]
        pts = [(x, y) for x, y in pts if y is not None]
        path = " ".join(f"{'M' if i == 0 else 'L'}{self.px(x):.1f},{self.py(y):.1f}" for i, (x, y) in enumerate(pts))
        self.parts.append(f'<path d="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in pts:
            self.parts.append(f'<circle cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" r="3" fill="{c}"><title>{esc(name)}: {x}, {y:g}</title></circle>')
        lx, ly = pts[-1]
        self.parts.append(f'<text x="{self.px(lx) - 4:.1f}" y="{(label_y or self.py(ly) - 8):.1f}" text-anchor="end" fill="{c}">{esc(name)}</text>')


def render(d):
    sl = d["slotsim"]
    rd = d["redis"]
    ex = d["explore"]
    panels = []
    n_all = [r["nodes"] for r in sl] + [r["nodes"] for r in rd]
    cpu = [r["wall_s"] / r["sim_s"] for r in sl] + [r["cpu_per_wall"] for r in rd]
    p1 = Panel(0, "CPU s per second of cluster time", "nodes", "CPU s / s", n_all, cpu,
               xticks=sorted(set(n_all)))
    p1.axes()
    p1.series("slotsim (per simulated s)", [(r["nodes"], r["wall_s"] / r["sim_s"]) for r in sl])
    p1.series("redis-server 7.0 (per wall s)", [(r["nodes"], r["cpu_per_wall"]) for r in rd])
    panels.append(p1)
    mb = [r["rss_mb"] / r["nodes"] for r in sl] + [r["rss_mb_per_node"] for r in rd]
    p2 = Panel(W, "resident MB per node", "nodes", "MB per node", n_all, mb, xticks=sorted(set(n_all)))
    p2.axes()
    p2.series("slotsim", [(r["nodes"], r["rss_mb"] / r["nodes"]) for r in sl])
    p2.series("redis-server 7.0", [(r["nodes"], r["rss_mb_per_node"]) for r in rd])
    panels.append(p2)
    xs = list(range(1, len(ex) + 1))
    rate = [e["seeds"] / e["wall_s"] * 60 for e in ex]
    p3 = Panel(2 * W, "explore seeds per minute (2 cores)", "commit", "seeds / min", xs, rate,
               xlog=False, ylog=False, xticks=xs, xnames={i: e["commit"] for i, e in enumerate(ex, 1)})
    p3.axes()
    p3.series("explore", list(zip(xs, rate)))
    panels.append(p3)
    body = "\n".join(q for p in panels for q in p.parts)
    lines = [part.strip() for part in d.get("note", "").split(";") if part.strip()]
    notes = "\n".join(f'<text x="6" y="{H + 12 + 12 * i}" font-size="9" fill="#555">{esc(t)}</text>'
                      for i, t in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{3 * W}" height="{H + 8 + 12 * len(lines)}" '
            f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n'
            f'{body}\n{notes}\n</svg>\n')


def measure(d):
    repo = os.path.dirname(HERE)
    sizes = [r["nodes"] for r in d["slotsim"]]
    out = subprocess.run([os.path.join(HERE, "scale_bench.sh"), os.path.join(repo, "build/cli/slotsim"),
                          *map(str, sizes)], stdout=subprocess.PIPE, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0].isdigit():
            rows.append({"nodes": int(cells[0]), "wall_s": float(cells[1]), "sim_s": 120,
                         "rss_mb": float(cells[5])})
    d["slotsim"] = rows
    reds = []
    for r in d["redis"]:
        j = json.loads(subprocess.run([os.path.join(HERE, "redis_scale.sh"), str(r["nodes"]), "--idle", "30"],
                                      stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()[-1])
        reds.append({"nodes": j["nodes"], "cpu_per_wall": j["cpu_per_wall"],
                     "rss_mb_per_node": j["rss_mb_per_node"]})
    d["redis"] = reds
    with open(DATA, "w") as f:
        json.dump(d, f, indent=1)
        f.write("\n")


def main():
    args = sys.argv[1:]
    out = OUT
    if len(args) == 2 and args[0] == "--out":
        out = args[1]
    elif args == ["--measure"]:
        pass
    elif args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(DATA) as f:
        d = json.load(f)
    if args == ["--measure"]:
        measure(d)
    with open(out, "w") as f:
        f.write(render(d))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
