"""``wayhome forms``: the ICS forms and the IAP packet of a period, written whole or not at all.

The demo story is played into a database (SQLite and PostgreSQL for the end-to-end run;
one SQLite copy for the refusals) with its period-1 plan linked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clitools import flat, invoke
from formstools import demo_out, pdf_pages, played
from wayhome.errors import InvalidParameterError


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """The played demo in one SQLite file for this module; (URL, incident id)."""
    out = demo_out(tmp_path_factory)
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-forms') / 'wayhome.db'}"
    return url, played(url, out, link="period-1")


def _forms(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.delenv("WAYHOME_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    code, out, err = invoke("forms", args, monkeypatch, capsys)
    return code, out, flat(err)


def _is_whole_pdf(path: Path) -> bool:
    body = path.read_bytes()
    return body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


def test_forms_writes_each_form_and_the_packet_on_each_backend(
    database_url: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    incident = played(database_url, demo_out(tmp_path_factory), link="period-1")
    out = tmp_path / "iap" / "period-1"  # created, parents too
    code, stdout, err = _forms(
        ["--database-url", database_url, "--incident", str(incident), "--period", "1",
         "--out", str(out), "--forms", "204, ICS 202"],
        monkeypatch,
        capsys,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    names = ["ics-202.pdf", "ics-204.pdf", "iap-period-1.pdf"]
    assert stdout.split() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary files left
    assert all(_is_whole_pdf(out / n) for n in names)
    pages = pdf_pages((out / "iap-period-1.pdf").read_bytes(), tmp_path)
    # ICS 202 first, then one ICS 204 per period-1 assignment (six teams), IAP-numbered.
    assert len(pages) == 7 and pages[0].startswith("INCIDENT OBJECTIVES (ICS 202)")
    assert all(p.startswith("ASSIGNMENT LIST (ICS 204)") for p in pages[1:])
    assert [f"IAP Page {k}" in p for k, p in enumerate(pages, 1)] == [True] * 7
    assert "Hasty search of trails and the creek" in pages[0]
    p204 = pdf_pages((out / "ics-204.pdf").read_bytes(), tmp_path)
    assert [f"ICS 204, Page {k}" in p for k, p in enumerate(p204, 1)] == [True] * 6


def test_a_comms_plan_fills_the_205(
    demo_db: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, incident = demo_db
    plan = tmp_path / "comms.yaml"
    plan.write_text(
        "incident_number: TN-2026-0417\n"
        "channels:\n  - {channel: '7', function: Command, name: SAR CMD, rx_freq: '155.1600'}\n"
    )
    code, _, err = _forms(
        ["--database-url", url, "--incident", str(incident), "--period", "2",
         "--out", str(tmp_path / "out"), "--forms", "205", "--comms-plan", str(plan)],
        monkeypatch,
        capsys,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    [page] = pdf_pages((tmp_path / "out" / "ics-205.pdf").read_bytes(), tmp_path)
    assert "SAR CMD" in page and "155.1600" in page and "no radio channels" not in page


@pytest.mark.parametrize(
    ("args", "option", "hint"),
    [
        (["--period", "0"], "--period", "must be 1 or more"),
        (["--period", "9"], "--period", "no operational period 9 (periods: 1, 2)"),
        (["--incident", "99"], "--incident", "give the id of an incident"),
        (["--forms", "201,203"], "--forms", "'203' is not a form wayhome fills"),
        (["--forms", " , "], "--forms", "give at least one of 201, 202"),
        (["--plan", "/nonexistent/plan"], "--plan", "is not a directory"),
    ],
)
def test_a_bad_option_exits_2_naming_it_and_writes_nothing(
    demo_db: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    option: str,
    hint: str,
) -> None:
    url, incident = demo_db
    base = {"--incident": str(incident), "--period": "2", "--forms": "202"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    out = tmp_path / "out"
    argv = ["--database-url", url, "--out", str(out)]
    for key, value in (base | given).items():
        argv += [key, value]
    code, stdout, err = _forms(argv, monkeypatch, capsys)
    assert code == 2, (code, err)
    assert f"error: {option}:" in err and hint in err, err
    assert stdout == "" and not out.exists()


def test_no_database_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _forms(
        ["--incident", "1", "--period", "1", "--out", str(tmp_path / "o")], monkeypatch, capsys
    )
    assert code == 2 and "--database-url: give the incident server's database" in err


def test_a_form_that_cannot_be_drawn_leaves_the_directory_as_it_was(
    demo_db: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, incident = demo_db
    out = tmp_path / "out"
    out.mkdir()
    (out / "ics-202.pdf").write_bytes(b"%PDF-1.4 the previous run's\n%%EOF\n")

    def broken(*args: object, **kwargs: object) -> bytes:
        raise InvalidParameterError("packet: drawing failed (test)")

    monkeypatch.setattr("wayhome.io.forms.packet.iap_pdf", broken)
    code, _, err = _forms(
        ["--database-url", url, "--incident", str(incident), "--period", "2",
         "--out", str(out), "--forms", "202,205"],
        monkeypatch,
        capsys,
    )  # fmt: skip
    assert code == 2 and "drawing failed" in err
    # Nothing new, nothing half-written: the earlier file is untouched, no temporaries.
    assert [p.name for p in out.iterdir()] == ["ics-202.pdf"]
    assert (out / "ics-202.pdf").read_bytes() == b"%PDF-1.4 the previous run's\n%%EOF\n"


def test_a_write_failing_midway_leaves_only_whole_files(
    demo_db: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, incident = demo_db
    out = tmp_path / "out"
    renames: list[Path] = []
    real_replace = Path.replace

    def replace(self: Path, target: str | Path) -> Path:
        renames.append(Path(target))
        if len(renames) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    code, _, err = _forms(
        ["--database-url", url, "--incident", str(incident), "--period", "2",
         "--out", str(out), "--forms", "202,205"],
        monkeypatch,
        capsys,
    )  # fmt: skip
    assert code == 1 and "No space left on device" in err
    left = sorted(p.name for p in out.iterdir())
    assert left == ["ics-202.pdf"]  # the second file never appeared, no temporary remains
    assert _is_whole_pdf(out / "ics-202.pdf")
