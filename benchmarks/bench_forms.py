"""Benchmark the ICS forms: the demo incident's Incident Action Plan packet, time and size.

Usage::

    .venv/bin/python benchmarks/bench_forms.py [--runs 5] [--period 2] [--demo DIR]

Scene: ``wayhome demo --no-serve`` (run once into a temporary directory, not timed, unless
``--demo`` names the output of an earlier run): the played demo incident in SQLite with its
plans; the packet of ``--period`` uses that period's plan directory (``DIR/period-N``) for
the maps and expected POD, and no comms plan (ICS 205/206 say "not recorded").

Timed, each ``--runs`` times (median and best, wall clock and CPU of this process):

* **record**: :func:`wayhome.io.forms.forms_record` (the store read and the plan
  directory read);
* **IAP packet**: :func:`wayhome.io.forms.iap_pdf` (every form, its maps rendered);
* **total**: both, what ``GET /incidents/{id}/iap.pdf`` does besides HTTP;
* per form family, :func:`wayhome.io.forms.form_pdf` alone (each once per run).

Prints Markdown: a machine line (with the load average before and after, since the
machine may be shared), then the tables.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench_plan import machine_line
from wayhome.io.forms import FORMS, FormsRecord, form_pdf, forms_record, iap_pdf
from wayhome.store import engine_from_url, session_factory

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, its wall-clock and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def demo(out: Path) -> None:
    """``wayhome demo --no-serve --out OUT`` in a subprocess."""
    subprocess.run(
        [sys.executable, "-c", "from wayhome.cli import main; main()", "demo", "--out",
         str(out), "--no-serve"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def record(out: Path, period: int) -> FormsRecord:
    """The forms record of the demo incident's ``period``, its plan from ``out``."""
    engine = engine_from_url(f"sqlite:///{out / 'wayhome.db'}")
    try:
        with session_factory(engine)() as session:
            return forms_record(
                session, incident_id=1, period=period, plan_dir=out / f"period-{period}"
            )
    finally:
        engine.dispose()


def pages(pdf: bytes) -> int:
    """Page objects in a reportlab PDF."""
    return len(re.findall(rb"/Type /Page[^s]", pdf))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", type=int, default=2)
    parser.add_argument("--demo", type=Path, help="output of an earlier `wayhome demo`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-forms-") as tmp:
        out = args.demo or Path(tmp) / "demo"
        if args.demo is None:
            demo(out)
        before = load()
        rows: dict[str, list[tuple[float, float]]] = {}
        families: dict[str, list[tuple[float, float]]] = {f: [] for f in FORMS}
        pdf = b""
        for _ in range(args.runs):
            rec, w1, c1 = timed(partial(record, out, args.period))
            pdf, w2, c2 = timed(partial(iap_pdf, rec))
            rows.setdefault("record (store + plan read)", []).append((w1, c1))
            rows.setdefault("IAP packet (all forms, maps)", []).append((w2, c2))
            rows.setdefault("total", []).append((w1 + w2, c1 + c2))
            for form in FORMS:
                _, w, c = timed(partial(form_pdf, rec, form))
                families[form].append((w, c))
        after = load()

    print(f"Machine: {machine_line()} · load average 1/5 min {before} before, {after} after\n")
    size = len(pdf)
    print(
        f"IAP packet of period {args.period}: {pages(pdf)} pages, {size / 1e6:.2f} MB "
        f"({size:,} bytes); {args.runs} runs\n"
    )
    print("| step | median s | best s | median CPU s |")
    print("|---|---|---|---|")
    for name, values in (*rows.items(), *((f"ICS {f} alone", v) for f, v in families.items())):
        walls = [w for w, _ in values]
        cpus = [c for _, c in values]
        print(
            f"| {name} | {statistics.median(walls):.2f} | {min(walls):.2f} | "
            f"{statistics.median(cpus):.2f} |"
        )


if __name__ == "__main__":
    main()
