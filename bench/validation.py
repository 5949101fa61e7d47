"""Time the validator on each procedure of processes/ (target: < 200 ms for the largest).

The whole of what `anct validate` and the editor's "Vérifier" run: safe XML parsing, every rule,
the forms, and SpiffWorkflow's parse of each process. Each procedure is validated `--repeat`
times after one warm-up; the median and the slowest run are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.definitions import read_sources, validate  # noqa: E402
from engine.definitions.bundle import forms_in  # noqa: E402

TARGET_MS = 200.0


def measure(folder: Path, repeat: int) -> dict[str, float | int | str]:
    sources = read_sources(folder)
    forms = forms_in(ROOT / "forms")
    validate(sources, forms)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = validate(sources, forms)
        timings.append((time.perf_counter() - started) * 1000)
    size = sum(len(content) for content in sources.values())
    return {
        "procedure": folder.name,
        "bytes": size,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "problems": len(result.problems),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(f, args.repeat) for f in sorted((ROOT / "processes").iterdir()) if f.is_dir()]
    largest = max(rows, key=lambda r: r["bytes"])
    summary = {"rows": rows, "largest": largest["procedure"], "target_ms": TARGET_MS,
               "target_met": largest["median_ms"] < TARGET_MS}  # fmt: skip
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    print(f"{'procédure':<28}{'octets':>9}{'médiane ms':>12}{'max ms':>9}{'problèmes':>11}")
    for r in rows:
        print(
            f"{r['procedure']:<28}{r['bytes']:>9}{r['median_ms']:>12}{r['max_ms']:>9}{r['problems']:>11}"
        )
    verdict = "atteinte" if summary["target_met"] else "NON atteinte"
    print(f"plus grande : {largest['procedure']}, cible < {TARGET_MS:.0f} ms {verdict}")


if __name__ == "__main__":
    main()
