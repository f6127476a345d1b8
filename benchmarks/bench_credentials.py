"""Benchmark offline verification of member credentials (target, issue #7: 10,000 in < 1 s).

Usage::

    .venv/bin/python benchmarks/bench_credentials.py [--count N] [--repeat N]

Makes ``--count`` distinct credentials (fixed seed: five agencies, each member with its
own id, name, 1-3 roles and 0-4 qualifications, some expired), a trust list of the five
keys and one revocation list per agency (2 % of its credentials revoked), then times
:func:`~wayhome.access.credentials.verify_credential` over all of them, ``--repeat``
times, single-threaded. Beside it, in the same run: the bare Ed25519 signature checks of
the same messages (``cryptography``'s ``Ed25519PublicKey.verify``, the floor any
verification pays) and the parts of the rest.

Prints Markdown: a machine line and a table; best and median of the repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

from wayhome.access.cose import base45_decode, open_sign1
from wayhome.access.credentials import (
    CredentialClaims,
    Qualification,
    RevocationStatus,
    SigningKey,
    TrustList,
    Verification,
    generate_signing_key,
    issue_credential,
    revocation_list_from_signed,
    sign_revocation_list,
    verify_credential,
)

TARGET_S = 1.0
AGENCIES = (
    "Ridgeline SAR",
    "Lowland Rescue",
    "Valley County Sheriff SAR",
    "Tri-Peaks K9",
    "Alpine Rope Team",
)
ROLES = ("searcher", "team_leader", "medic", "k9_handler", "radio_operator", "driver")
QUALS = ("SARTECH II", "SARTECH I", "Wilderness First Responder", "EMT", "Rope rescue", "K9 area")
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def machine_line() -> str:
    """Date, nproc, CPU model, Python and library versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:  # noqa: PTH123
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{dt.date.today().isoformat()} · nproc {nproc} · {cpu} · Python "
        f"{platform.python_version()} · cryptography {version('cryptography')} · cbor2 "
        f"{version('cbor2')} · {platform.system()} {platform.machine()} · load average "
        f"{os.getloadavg()[0]:.1f} at the start"
    )


def make_credentials(
    count: int, seed: int = 7
) -> tuple[list[str], TrustList, RevocationStatus, list[SigningKey]]:
    """``count`` distinct credential texts, the trust list and the revocation lists."""
    rng = random.Random(seed)
    keys = [generate_signing_key(a) for a in AGENCIES]
    texts: list[str] = []
    ids: dict[str, list[str]] = {k.key_id: [] for k in keys}
    for i in range(count):
        key = keys[i % len(keys)]
        issued = NOW - dt.timedelta(days=rng.randint(1, 300))
        quals = tuple(
            Qualification(q, (NOW + dt.timedelta(days=rng.randint(-60, 900))).date())
            for q in rng.sample(QUALS, rng.randint(0, 4))
        )
        claims = CredentialClaims(
            credential_id=f"{i:08X}",
            member_id=f"{key.key_id[:2].upper()}-{i:05d}",
            name=f"Member {rng.choice('ABCDEFGHJKLMN')}. Number{i}",
            agency=key.agency,
            roles=tuple(rng.sample(ROLES, rng.randint(1, 3))),
            qualifications=quals,
            issued=issued,
            valid_until=issued + dt.timedelta(days=400),
        )
        texts.append(issue_credential(claims, key))
        ids[key.key_id].append(claims.credential_id)
    trust = TrustList(version=1, issued=NOW, issuers=tuple(k.issuer for k in keys))
    lists = []
    for key in keys:
        revoked = rng.sample(ids[key.key_id], len(ids[key.key_id]) // 50)
        signed = sign_revocation_list(
            revoked, version=3, issued=NOW - dt.timedelta(days=2), key=key
        )
        lists.append(revocation_list_from_signed(signed, trust))
    return texts, trust, RevocationStatus.of(lists), keys


def timings(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Best and median wall-clock seconds of ``repeat`` runs, and the best CPU seconds.

    CPU time is what this process used; on a machine others load too it stays close to the
    wall-clock time of a quiet machine, so both are printed.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), statistics.median(wall), min(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    texts, trust, revocations, keys = make_credentials(args.count)
    print(f"machine: {machine_line()}\n")
    results: list[Verification] = []

    def verify_all() -> None:
        results[:] = [
            verify_credential(t, trust=trust, revocations=revocations, now=NOW) for t in texts
        ]

    messages = [open_sign1(base45_decode(t[4:]), "x") for t in texts]
    verifiers = {k.key_id: k.private_key.public_key() for k in keys}
    pairs = [(verifiers[m.kid], m.signature, m.to_be_signed) for m in messages]

    def signatures_only() -> None:
        for public, signature, data in pairs:
            public.verify(signature, data)

    def decode_only() -> None:
        for t in texts:
            open_sign1(base45_decode(t[4:]), "x")

    rows = [
        ("verify_credential (all checks)", timings(verify_all, args.repeat)),
        ("Ed25519 signatures alone", timings(signatures_only, args.repeat)),
        ("base45 + COSE decoding alone", timings(decode_only, args.repeat)),
    ]
    n = len(texts)
    codes = statistics.multimode([r.code for r in results])
    valid = sum(r.valid for r in results)
    revoked = sum(r.code == "revoked" for r in results)
    flagged = sum(bool(r.expired_qualifications) for r in results)
    print(f"{n:,} distinct credentials from {len(keys)} agencies; mean text length "
          f"{sum(map(len, texts)) / n:.0f} characters\n")  # fmt: skip
    print("| step | best s | median s | best CPU s | best µs per credential |")
    print("|---|---|---|---|---|")
    for name, (best, median, cpu) in rows:
        print(f"| {name} | {best:.3f} | {median:.3f} | {cpu:.3f} | {best / n * 1e6:.1f} |")
    best = rows[0][1][0]
    verdict = "met" if best < TARGET_S else "NOT met"
    print(
        f"\n{valid:,} valid, {revoked:,} revoked, {flagged:,} with an expired qualification "
        f"(most common outcome: {codes[0]}). Target < {TARGET_S:.0f} s for {n:,}: {verdict} "
        f"(best {best:.3f} s)."
    )
    return 0 if best < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
