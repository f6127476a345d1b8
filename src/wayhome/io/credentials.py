"""Credential files: agency keys, signed lists, the QR code and the printable badge.

Private keys are written with mode 0600 and never over an existing file (losing an
agency's key means re-issuing every credential). The badge is a one-page PDF the size
of an ID card (ID-1, 85.6 x 54 mm) or of an A6 sheet: the agency's band, the member's
name, roles and qualifications with their expiry, the valid-until date and the QR code,
large enough to scan from a lanyard. Text is set in DejaVu Sans (shipped with
matplotlib), so names in any Latin, Greek or Cyrillic script print as written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import segno
from reportlab.lib.colors import HexColor, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from wayhome.access.credentials import (
    CredentialClaims,
    IssuerKey,
    SigningKey,
    issuer_key_from_pem,
    issuer_key_to_pem,
    signing_key_from_pem,
    signing_key_to_pem,
)
from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.atomic import atomic_path, write_bytes_atomic

__all__ = [
    "BADGE_SIZES",
    "badge_pdf",
    "credential_qr",
    "read_issuer_key",
    "read_signed_file",
    "read_signing_key",
    "write_badge_pdf",
    "write_issuer_key",
    "write_qr",
    "write_signing_key",
]

#: Badge page sizes in millimetres (width, height): an ID-1 card (landscape) and A6.
BADGE_SIZES: dict[str, tuple[float, float]] = {"card": (85.6, 53.98), "a6": (105.0, 148.0)}
#: Largest key or signed-list file read (a trust list of hundreds of agencies is ~50 kB).
_MAX_FILE = 4 * 1024 * 1024
_MM = 72 / 25.4
_BAND = HexColor("#C2410C")  # rescue orange, dark enough for white text
_BAND_DARK = HexColor("#7C2D12")
_INK = HexColor("#1F2937")
_MUTED = HexColor("#6B7280")
_RULE = HexColor("#E5E7EB")
_WARN = HexColor("#B91C1C")
_CORNER = 3 * _MM


# --- keys and signed lists ---------------------------------------------------------------


def _read(path: Path | str, what: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_FILE:
            raise DataFileError(f"{what}: '{p}' is over {_MAX_FILE // 2**20} MiB; wrong file?")
        return p.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"{what}: '{p}' does not exist; check the path") from None
    except IsADirectoryError:
        raise DataFileError(f"{what}: '{p}' is a directory; give a file") from None
    except PermissionError as exc:
        raise DataFileError(f"{what}: cannot read '{p}' ({exc.strerror})") from None


def read_signed_file(path: Path | str, what: str = "signed list") -> bytes:
    """The bytes of a signed trust or revocation list (or credential text) file."""
    return _read(path, what)


def read_signing_key(path: Path | str) -> SigningKey:
    """An agency's private key from a file written by :func:`write_signing_key`."""
    return signing_key_from_pem(_read(path, "key"), what=f"key '{path}'")


def read_issuer_key(path: Path | str) -> IssuerKey:
    """An agency's public key from a ``.pub`` file (a private key file gives its public half)."""
    return issuer_key_from_pem(_read(path, "public key"), what=f"public key '{path}'")


def write_signing_key(path: Path | str, key: SigningKey) -> None:
    """Write the private key atomically with mode 0600; never over an existing file.

    Raises
    ------
    DataFileError
        When ``path`` exists: a new key would orphan every credential signed with the old.
    """
    target = Path(path)
    if target.exists():
        raise DataFileError(
            f"out: '{target}' exists; writing a new key there would lose the old one and "
            "orphan what it signed: choose another path, or move the old key away first"
        )
    with atomic_path(target) as tmp:
        tmp.chmod(0o600)  # before the secret is in it
        tmp.write_bytes(signing_key_to_pem(key))


def write_issuer_key(path: Path | str, key: IssuerKey) -> None:
    """Write the public key (to hand to the federation or to pin) atomically."""
    write_bytes_atomic(path, issuer_key_to_pem(key))


# --- QR code -----------------------------------------------------------------------------


def credential_qr(text: str) -> segno.QRCode:
    """The QR code of a credential text: alphanumeric mode, error correction M (15 %)."""
    return segno.make_qr(text, error="m", boost_error=False)


def write_qr(path: Path | str, text: str, *, scale: int = 6) -> None:
    """Write the credential's QR code as PNG or SVG (chosen by the suffix), atomically."""
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise InvalidParameterError(
            f"qr: '{target.name}' must end in .png or .svg; rename it, e.g. '{target.stem}.png'"
        )
    buffer = io.BytesIO()
    credential_qr(text).save(buffer, kind=kind, scale=scale, border=4)
    write_bytes_atomic(target, buffer.getvalue())


# --- badge -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fonts:
    regular: str
    bold: str


def _fonts() -> _Fonts:
    """DejaVu Sans from matplotlib's data (full Unicode); Helvetica if it is missing."""
    if "WayhomeSans" in pdfmetrics.getRegisteredFontNames():
        return _Fonts("WayhomeSans", "WayhomeSans-Bold")
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("WayhomeSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("WayhomeSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    except Exception:  # reportlab raises its own TTFError or OSError: fall back to Helvetica
        return _Fonts("Helvetica", "Helvetica-Bold")
    return _Fonts("WayhomeSans", "WayhomeSans-Bold")


def _fit(text: str, font: str, size: float, width: float, *, smallest: float = 5.0) -> float:
    """The largest font size <= ``size`` at which ``text`` fits ``width`` (or ``smallest``)."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _clip(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _lines(items: list[str], font: str, size: float, width: float) -> list[str]:
    """``items`` joined with a middle dot, broken into lines that fit ``width``."""
    lines: list[str] = []
    for item in items:
        joined = f"{lines[-1]}  ·  {item}" if lines else item
        if lines and pdfmetrics.stringWidth(joined, font, size) <= width:
            lines[-1] = joined
        else:
            lines.append(item)
    return lines


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0] for p in (parts[:1] + parts[1:][-1:])).upper() or "?"


def _draw_qr(c: Canvas, text: str, x: float, y: float, side: float) -> None:
    """The QR code as vector squares in a ``side`` square (quiet zone of 4 modules inside)."""
    qr = credential_qr(text)
    rows = qr.matrix
    n = len(rows)
    module = side / (n + 8)
    c.setFillColor(white)
    c.rect(x, y, side, side, stroke=0, fill=1)
    c.setFillColor(HexColor("#000000"))
    for r, row in enumerate(rows):
        top = y + side - (r + 5) * module
        col = 0
        while col < n:
            if row[col] & 1:
                start = col
                while col < n and row[col] & 1:
                    col += 1
                # A hair wider than the module so neighbours leave no white seams.
                c.rect(x + (start + 4) * module, top, (col - start) * module, module * 1.02, 0, 1)
            else:
                col += 1


@dataclass(frozen=True, slots=True)
class _Layout:
    """Measures of one badge size, in points."""

    width: float
    height: float
    band: float
    qr: float
    margin: float
    name_size: float
    text_size: float
    landscape: bool


def _layout(size: str) -> _Layout:
    if size not in BADGE_SIZES:
        raise InvalidParameterError(
            f"size: {size!r} is not a badge size; choose {' or '.join(BADGE_SIZES)}"
        )
    w, h = (v * _MM for v in BADGE_SIZES[size])
    if size == "card":
        return _Layout(w, h, 11.5 * _MM, 36.5 * _MM, 3.2 * _MM, 11.0, 6.2, True)
    return _Layout(w, h, 20 * _MM, 60 * _MM, 6 * _MM, 18.0, 9.0, False)


def _band(c: Canvas, lay: _Layout, fonts: _Fonts, claims: CredentialClaims) -> None:
    c.saveState()
    outline = c.beginPath()
    outline.roundRect(0, 0, lay.width, lay.height, _CORNER)
    c.clipPath(outline, stroke=0, fill=0)  # the band follows the card's rounded corners
    c.setFillColor(_BAND)
    c.rect(0, lay.height - lay.band, lay.width, lay.band, stroke=0, fill=1)
    c.setFillColor(_BAND_DARK)
    c.rect(0, lay.height - lay.band, lay.width, lay.band * 0.08, stroke=0, fill=1)
    inner = lay.width - 2 * lay.margin
    agency_size = _fit(claims.agency.upper(), fonts.bold, lay.band * 0.34, inner)
    c.setFillColor(white)
    c.setFont(fonts.bold, agency_size)
    c.drawString(lay.margin, lay.height - lay.band * 0.47, claims.agency.upper())
    c.setFont(fonts.regular, lay.band * 0.2)
    c.drawString(lay.margin, lay.height - lay.band * 0.8, "MEMBER CREDENTIAL  ·  SCAN TO VERIFY")
    c.restoreState()


def _details(
    c: Canvas,
    lay: _Layout,
    fonts: _Fonts,
    claims: CredentialClaims,
    *,
    x: float,
    top: float,
    width: float,
    bottom: float,
    today: datetime,
) -> None:
    """Monogram, name, member id, roles, qualifications and valid-until, top down."""
    ts = lay.text_size
    disc = lay.name_size * 2.3
    cy = top - disc / 2
    c.setFillColor(_BAND)
    c.circle(x + disc / 2, cy, disc / 2, stroke=0, fill=1)
    c.setFillColor(white)
    c.setFont(fonts.bold, disc * 0.4)
    c.drawCentredString(x + disc / 2, cy - disc * 0.14, _initials(claims.name))
    tx = x + disc + ts * 0.8
    tw = width - disc - ts * 0.8
    name_size = _fit(claims.name, fonts.bold, lay.name_size, tw, smallest=lay.name_size * 0.6)
    c.setFillColor(_INK)
    c.setFont(fonts.bold, name_size)
    c.drawString(tx, cy + ts * 0.15, _clip(claims.name, fonts.bold, name_size, tw))
    c.setFillColor(_MUTED)
    c.setFont(fonts.regular, ts)
    c.drawString(tx, cy - ts * 1.15, _clip(f"ID {claims.member_id}", fonts.regular, ts, tw))
    y = top - disc - ts * 1.3
    roles = [r.replace("_", " ").upper() for r in claims.roles] or ["MEMBER"]
    c.setFillColor(_BAND_DARK)
    size = _fit("  ·  ".join(roles), fonts.bold, ts, width, smallest=ts * 0.8)
    lines = _lines(roles, fonts.bold, size, width)
    if len(lines) > 2:  # two lines at most; say how many roles did not fit
        hidden = sum(text.count("·") + 1 for text in lines[2:])
        more = f"  +{hidden}"
        lines = [
            lines[0],
            _clip(lines[1], fonts.bold, size, width - _width(more, fonts.bold, size)),
        ]
        lines[1] += more
    for text in lines[:2]:
        c.setFont(fonts.bold, size)
        c.drawString(x, y, _clip(text, fonts.bold, size, width))
        y -= size * 1.2
    y += size * 1.2 - ts * 0.7
    c.setStrokeColor(_RULE)
    c.setLineWidth(0.5)
    c.line(x, y, x + width, y)
    y -= ts * 1.25
    quals = list(claims.qualifications)
    line = ts * 1.25
    room = max(int((y - bottom - line * 1.3) // line) + 1, 0)
    shown = quals if len(quals) <= room else quals[: max(room - 1, 0)]
    for q in shown:
        expired = q.expires is not None and q.expires < today.date()
        exp = "no expiry" if q.expires is None else f"exp {q.expires:%Y-%m-%d}"
        if expired:
            exp = f"EXPIRED {q.expires:%Y-%m-%d}"
        c.setFont(fonts.regular, ts * 0.9)
        c.setFillColor(_WARN if expired else _MUTED)
        exp_w = pdfmetrics.stringWidth(exp, fonts.regular, ts * 0.9)
        c.drawRightString(x + width, y, exp)
        c.setFillColor(_INK)
        room_w = width - exp_w - ts * 0.8
        size = _fit(q.name, fonts.bold, ts, room_w, smallest=ts * 0.9)
        c.setFont(fonts.bold, size)
        c.drawString(x, y, _clip(q.name, fonts.bold, size, room_w))
        y -= line
    if len(shown) < len(quals):
        c.setFont(fonts.regular, ts * 0.9)
        c.setFillColor(_MUTED)
        c.drawString(x, y, f"+ {len(quals) - len(shown)} more (in the QR code)")
        y -= line
    c.setFillColor(_INK)
    c.setFont(fonts.bold, ts * 1.05)
    at = bottom
    if not lay.landscape:  # A6: right after the list, under a rule
        at = max(y - line * 0.7, bottom)
        c.line(x, at + line * 1.05, x + width, at + line * 1.05)
    c.drawString(x, at, f"VALID UNTIL  {claims.valid_until:%Y-%m-%d}")


def badge_pdf(
    claims: CredentialClaims,
    text: str,
    *,
    key_id: str = "",
    size: Literal["card", "a6"] | str = "card",
    printed: datetime | None = None,
) -> bytes:
    """A one-page PDF badge of the credential (see the module docstring for the layout).

    Parameters
    ----------
    claims : CredentialClaims
        What is printed.
    text : str
        The ``WH1:...`` credential, printed as the QR code.
    key_id : str
        The signing key id, printed small at the foot.
    size : {"card", "a6"}
        ID-1 card (85.6 x 54 mm, landscape) or A6 (105 x 148 mm, portrait).
    printed : datetime, optional
        When it is printed: qualifications expired by then are marked (default: now).
    """
    lay = _layout(size)
    fonts = _fonts()
    today = printed or datetime.now(UTC)
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(lay.width, lay.height), invariant=True, pageCompression=1)
    c.setTitle(f"{claims.name}: {claims.agency} member credential")
    c.setAuthor(claims.agency)
    c.setSubject(f"wayhome credential {claims.credential_id}")
    _band(c, lay, fonts, claims)
    m = lay.margin
    foot = lay.text_size * 0.75
    if lay.landscape:
        qx, qy = lay.width - m * 0.7 - lay.qr, m * 0.55 + foot * 1.2
        _draw_qr(c, text, qx, qy, lay.qr)
        top, width, bottom = lay.height - lay.band - m * 0.75, qx - m * 1.6, qy + m * 0.2
    else:
        qx, qy = (lay.width - lay.qr) / 2, m * 0.45 + foot * 1.6
        _draw_qr(c, text, qx, qy, lay.qr)
        top, width = lay.height - lay.band - m, lay.width - 2 * m
        bottom = qy + lay.qr + lay.text_size * 1.2
    _details(c, lay, fonts, claims, x=m, top=top, width=width, bottom=bottom, today=today)
    c.setFont(fonts.regular, foot)
    c.setFillColor(_MUTED)
    ident = f"credential {claims.credential_id}" + (f"  ·  key {key_id}" if key_id else "")
    c.drawString(m * 0.9, m * 0.45, _clip(ident, fonts.regular, foot, lay.width - 2 * m))
    c.setStrokeColor(_RULE)
    c.setLineWidth(0.6)
    c.roundRect(0.3, 0.3, lay.width - 0.6, lay.height - 0.6, _CORNER, stroke=1, fill=0)
    c.showPage()
    c.save()
    return buffer.getvalue()


def write_badge_pdf(
    path: Path | str,
    claims: CredentialClaims,
    text: str,
    *,
    key_id: str = "",
    size: str = "card",
    printed: datetime | None = None,
) -> None:
    """Write :func:`badge_pdf` to ``path`` atomically."""
    write_bytes_atomic(path, badge_pdf(claims, text, key_id=key_id, size=size, printed=printed))
