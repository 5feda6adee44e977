#!/usr/bin/env python3
"""Oracle for the gate's statistics: scipy.stats.mannwhitneyu on sample pairs.

Usage: mannwhitney_oracle.py CASES.json -> prints a JSON list of {"u": U of x, "p": two-sided p}
for cases [{"x": [...], "y": [...], "method": "exact" | "asymptotic"}, ...].
"""
import json
import sys

from scipy.stats import mannwhitneyu


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        r = mannwhitneyu(case["x"], case["y"], alternative="two-sided", method=case["method"], use_continuity=True)
        results.append({"u": float(r.statistic), "p": float(r.pvalue)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
