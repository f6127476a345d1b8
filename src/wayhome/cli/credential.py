"""``wayhome credential``: agency keys, member credentials, trust and revocation lists.

An agency makes a key once (``keygen``), hands the ``.pub`` half to the federation, and
signs a credential per member (``issue``: the ``WH1:...`` text, a QR code and a badge
PDF). The federation signs the list of agency keys (``trust-list``); an agency signs the
ids it revokes (``revoke``). Anyone holding the federation's public key checks a
credential offline (``verify``): exit 0 when valid, 1 when not (the reason is printed),
2 for a usage error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayhome.access.credentials import (
    CredentialClaims,
    CredentialRejectedError,
    Qualification,
    RevocationStatus,
    TrustList,
    Verification,
    generate_signing_key,
    issue_credential,
    new_credential_id,
    revocation_list_from_signed,
    sign_revocation_list,
    sign_trust_list,
    verify_credential,
)
from wayhome.cli.app import app
from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.atomic import write_bytes_atomic
from wayhome.io.credentials import (
    BADGE_SIZES,
    read_issuer_key,
    read_signed_file,
    read_signing_key,
    write_badge_pdf,
    write_issuer_key,
    write_qr,
    write_signing_key,
)

__all__ = [
    "KeyOpt",
    "VersionOpt",
    "credential_app",
    "issue",
    "keygen",
    "parse_qualification",
    "parse_valid_until",
    "revoke",
    "trust_list",
    "verify",
]

credential_app = typer.Typer(
    help="Member credentials: sign them, print them as badges, verify them offline.",
    no_args_is_help=True,
)
app.add_typer(credential_app, name="credential")

KeyOpt = Annotated[
    Path, typer.Option("--key", help="The signing key (.pem from 'credential keygen').")
]
VersionOpt = Annotated[
    int | None, typer.Option(help="Version of the list; each new list needs a higher one.")
]


def parse_qualification(text: str) -> Qualification:
    """``"SARTECH II:2027-06-30"`` (good through that day) or ``"EMT"`` (no expiry).

    Examples
    --------
    >>> parse_qualification("SARTECH II:2027-06-30")
    Qualification(name='SARTECH II', expires=datetime.date(2027, 6, 30))
    >>> parse_qualification("Rope rescue").expires is None
    True
    """
    name, sep, day = text.rpartition(":")
    if not sep:
        return Qualification(text)
    try:
        return Qualification(name, date.fromisoformat(day.strip()))
    except ValueError:
        raise InvalidParameterError(
            f"--qualification: cannot read {text!r}; write NAME:YYYY-MM-DD "
            "(e.g. 'SARTECH II:2027-06-30') or NAME alone when it does not expire"
        ) from None


def parse_valid_until(text: str) -> datetime:
    """A date (valid through its last second, UTC) or an ISO time with its zone.

    Examples
    --------
    >>> parse_valid_until("2027-06-30").isoformat()
    '2027-06-30T23:59:59+00:00'
    """
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(23, 59, 59), UTC)
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidParameterError(
            f"--valid-until: cannot read {text!r}; give a date such as 2027-06-30"
        ) from None
    if when.tzinfo is None:
        raise InvalidParameterError(
            f"--valid-until: {text!r} has no time zone; add one (e.g. Z) or give a date"
        )
    return when


def _err() -> Console:
    return Console(stderr=True)


@credential_app.command()
def keygen(
    agency: Annotated[str, typer.Option(help="The agency's name, as its members know it.")],
    out: Annotated[
        Path, typer.Option(help="Private key file to write (mode 0600); the .pub goes beside.")
    ],
) -> None:
    """Make an agency's (or the federation's) signing key and its public .pub file."""
    pub = out.with_suffix(".pub")
    if pub == out:
        raise InvalidParameterError(f"--out: '{out}' ends in .pub; name the key e.g. key.pem")
    if pub.exists():
        raise DataFileError(f"--out: '{pub}' exists; move it away or choose another --out")
    key = generate_signing_key(agency)
    write_signing_key(out, key)
    write_issuer_key(pub, key.issuer)
    _err().print(
        f"[bold green]key[/] {key.key_id} for {key.agency}\n"
        f"  private: {out} (keep it secret and backed up)\n"
        f"  public:  {pub} (give it to your federation, or pin it if you are the federation)",
        highlight=False,
    )


@credential_app.command()
def issue(
    key: KeyOpt,
    member_id: Annotated[str, typer.Option("--member-id", help="The member's agency id.")],
    name: Annotated[str, typer.Option(help="The member's name as printed.")],
    valid_until: Annotated[
        str, typer.Option("--valid-until", help="Last day it is valid (YYYY-MM-DD, UTC).")
    ],
    agency: Annotated[
        str | None, typer.Option(help="The issuing agency (default: the key's agency).")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="A role (searcher, medic, ...); repeat.")
    ] = None,
    qualification: Annotated[
        list[str] | None,
        typer.Option(
            "--qualification", help="NAME:YYYY-MM-DD, or NAME if it does not expire; repeat."
        ),
    ] = None,
    credential_id: Annotated[
        str | None, typer.Option("--id", help="Credential id (default: a new random one).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Badge PDF to write.")] = None,
    qr: Annotated[Path | None, typer.Option(help="QR code image to write (.png or .svg).")] = None,
    size: Annotated[str, typer.Option(help="Badge size: card (ID-1) or a6.")] = "card",
) -> None:
    """Sign a member credential: prints the WH1 text; writes the badge and QR if asked."""
    if size not in BADGE_SIZES:
        raise InvalidParameterError(f"--size: {size!r}; choose {' or '.join(BADGE_SIZES)}")
    signing = read_signing_key(key)
    now = datetime.now(UTC).replace(microsecond=0)
    until = parse_valid_until(valid_until)
    if until <= now:
        raise InvalidParameterError(
            f"--valid-until: {valid_until} is already past; give a later day"
        )
    claims = CredentialClaims(
        credential_id=credential_id or new_credential_id(),
        member_id=member_id,
        name=name,
        agency=agency or signing.agency,
        roles=tuple(role or ()),
        qualifications=tuple(parse_qualification(q) for q in qualification or ()),
        issued=now,
        valid_until=until,
    )
    text = issue_credential(claims, signing)
    if qr is not None:
        write_qr(qr, text)
    if out is not None:
        write_badge_pdf(out, claims, text, key_id=signing.key_id, size=size, printed=now)
    typer.echo(text)
    written = ", ".join(str(p) for p in (out, qr) if p is not None)
    _err().print(
        f"[bold green]issued[/] credential {claims.credential_id} for {claims.name} "
        f"({claims.member_id}), valid until {claims.valid_until:%Y-%m-%d}"
        + (f" → {written}" if written else ""),
        highlight=False,
    )


def _read_text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise InvalidParameterError(
            "credential: give the WH1:... text or --file with it, not both and not neither"
        )
    if file is not None:
        return read_signed_file(file, "--file").decode("utf-8", "replace").strip()
    return str(text)


def _print_verification(console: Console, result: Verification) -> None:
    mark = "[bold green]VALID[/]" if result.valid else "[bold red]NOT VALID[/]"
    console.print(f"{mark}  {result.reason}", highlight=False)
    if result.claims is None:
        return
    c = result.claims
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("name", c.name)
    table.add_row("member id", c.member_id)
    table.add_row("agency", f"{c.agency} (key {result.key_id})")
    table.add_row("roles", ", ".join(c.roles) or "-")
    for q in c.qualifications:
        flag = " [bold red]EXPIRED[/]" if q.name in result.expired_qualifications else ""
        table.add_row("qualification", f"{q.name} (until {q.expires or 'no expiry'}){flag}")
    table.add_row("valid until", f"{c.valid_until:%Y-%m-%d %H:%MZ}")
    table.add_row("credential id", c.credential_id)
    table.add_row("revocation", result.revocation_note)
    console.print(table)


@credential_app.command()
def verify(
    text: Annotated[str | None, typer.Argument(help="The WH1:... credential text.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="A file holding the WH1:... text instead.")
    ] = None,
    trust: Annotated[Path | None, typer.Option(help="The signed trust list (trust.cbor).")] = None,
    pin: Annotated[
        list[Path] | None,
        typer.Option("--pin", help="The federation's public key (.pub) the list must match."),
    ] = None,
    revocations: Annotated[
        list[Path] | None,
        typer.Option("--revocations", help="A signed revocation list (rl.cbor); repeat."),
    ] = None,
) -> None:
    """Check a credential offline: exit 0 if valid, 1 if not (saying why)."""
    credential = _read_text(text, file)
    if trust is None or not pin:
        raise InvalidParameterError(
            "--trust and --pin: give the signed trust list and the federation's .pub to check it"
        )
    held = TrustList.from_signed(
        read_signed_file(trust, "--trust"), [read_issuer_key(p) for p in pin]
    )
    status = None
    if revocations:
        status = RevocationStatus.of(
            revocation_list_from_signed(read_signed_file(p, "--revocations"), held)
            for p in revocations
        )
    result = verify_credential(credential, trust=held, revocations=status, now=datetime.now(UTC))
    _print_verification(Console(), result)
    if not result.valid:
        raise CredentialRejectedError(result)


@credential_app.command("trust-list")
def trust_list(
    key: KeyOpt,
    issuer: Annotated[
        list[Path], typer.Option("--issuer", help="An agency's public key (.pub); repeat.")
    ],
    version: VersionOpt,
    out: Annotated[Path, typer.Option(help="Signed trust list to write (trust.cbor).")],
) -> None:
    """Sign the federation's list of trusted agency keys."""
    if version is None:
        raise InvalidParameterError("--version: required; each new list needs a higher one")
    federation = read_signing_key(key)
    issuers = [read_issuer_key(p) for p in issuer]
    now = datetime.now(UTC)
    data = sign_trust_list(issuers, version=version, issued=now, key=federation)
    write_bytes_atomic(out, data)
    _err().print(
        f"[bold green]trust list[/] version {version}: {len(issuers)} key(s), signed by "
        f"{federation.key_id} → {out}",
        highlight=False,
    )


@credential_app.command()
def revoke(
    key: KeyOpt,
    credential_id: Annotated[
        list[str] | None, typer.Option("--id", help="A credential id to revoke; repeat.")
    ] = None,
    version: VersionOpt = None,
    previous: Annotated[
        Path | None,
        typer.Option(help="The last list this key signed: its ids are kept, version + 1."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Revocation list to write (rl.cbor).")] = None,
) -> None:
    """Sign the agency's list of revoked credentials (every id, old ones too)."""
    if out is None:
        raise InvalidParameterError("--out: required; name the revocation list file to write")
    signing = read_signing_key(key)
    ids = set(credential_id or ())
    if previous is not None:
        own = TrustList(version=0, issued=None, issuers=(signing.issuer,))
        old = revocation_list_from_signed(read_signed_file(previous, "--previous"), own)
        ids |= old.revoked
        version = old.version + 1 if version is None else version
        if version <= old.version:
            raise InvalidParameterError(
                f"--version: {version} is not above {old.version} of --previous; give a higher one"
            )
    if version is None:
        raise InvalidParameterError("--version: required (or give --previous to count on)")
    now = datetime.now(UTC)
    data = sign_revocation_list(ids, version=version, issued=now, key=signing)
    write_bytes_atomic(out, data)
    _err().print(
        f"[bold green]revocation list[/] version {version} of {signing.key_id}: "
        f"{len(ids)} credential(s) revoked → {out}",
        highlight=False,
    )
