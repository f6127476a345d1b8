"""ICS forms and the IAP packet of the demo incident: every form filled from the record.

The demo runs once (``wayhome demo --no-serve``); its period-2 plan is linked and the IAP
packet of period 2 is built. Text is read back with ``pdftotext`` (poppler-utils) and each
page is saved as a PNG in ``test-artifacts/forms/`` (``pdftoppm``) for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from formstools import demo_out, pdf_pages, played, require_poppler
from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.forms import (
    FORMS,
    FormsRecord,
    comms_plan_from_dict,
    form_pdf,
    forms_record,
    iap_pdf,
    parse_forms,
    read_comms_plan,
    write_forms,
)
from wayhome.io.forms.activity import activity_units
from wayhome.store import engine_from_url, link_plan, session_factory

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "forms"

COMMS = {
    "incident_number": "TN-2026-0417",
    "channels": [
        {"zone": "1", "channel": "1", "function": "Command", "name": "SAR CMD",
         "assignment": "IC, Ops, team leaders", "rx_freq": "155.1600", "rx_tone": "156.7",
         "tx_freq": "155.1600", "tx_tone": "156.7", "mode": "A", "remarks": "simplex"},
        {"zone": "1", "channel": "2", "function": "Tactical", "name": "SAR TAC 1",
         "assignment": "field teams", "rx_freq": "155.2050", "tx_freq": "155.2050", "mode": "A"},
    ],
    "comms_instructions": "Teams call SAR CMD every 30 minutes.",
    "comms_unit_leader": "Pat Byrne",
    "aid_stations": [{"name": "Staging first aid", "location": "trailhead car park",
                      "contact": "SAR CMD", "paramedics": False}],
    "ambulances": [{"service": "County EMS Medic 3", "location": "Station 3",
                    "contact": "911", "level": "ALS"}],
    "hospitals": [{"name": "County General (fictional)", "address": "1 Main St",
                   "contact": "555-0100", "air_min": 12, "ground_min": 40,
                   "trauma_level": "III", "burn_center": False, "helipad": True}],
    "medical_procedures": "Stop, treat, radio SAR CMD with a USNG reference.",
    "medical_unit_leader": "Cora Lind",
    "safety_officer": "Ada Reyes",
}  # fmt: skip


@dataclass(frozen=True)
class Demo:
    out: Path
    url: str
    incident: int


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = demo_out(tmp_path_factory)
    url = f"sqlite:///{out / 'wayhome.db'}"
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as session:
            link_plan(session, incident_id=1, path=out / "period-2", actor="test")
    finally:
        engine.dispose()
    return Demo(out=out, url=url, incident=1)


def _record(demo: Demo, period: int = 2, **kw: object) -> FormsRecord:
    engine = engine_from_url(demo.url)
    try:
        with session_factory(engine)() as session:
            return forms_record(session, incident_id=demo.incident, period=period, **kw)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_the_demo_iap_packet_fills_every_form_from_the_record(demo: Demo, tmp_path: Path) -> None:
    require_poppler()  # pdftoppm too, for the pictures
    record = _record(demo, comms=comms_plan_from_dict(COMMS))
    pdf = iap_pdf(record)
    pages = pdf_pages(pdf, tmp_path)

    # Every page carries its form number and its IAP page number, in packet order.
    titles = [re.match(r"^[A-Z /-]+\(ICS (\d+)\)", p) for p in pages]
    numbers = [re.search(r"IAP Page (\d+)", p) for p in pages]
    assert all(titles) and all(numbers), [p[:80] for p in pages]
    order = [t.group(1) for t in titles if t]
    assert [int(n.group(1)) for n in numbers if n] == list(range(1, len(pages) + 1))
    assert order[0] == "202" and order[1:5] == ["201"] * 4
    assert order.count("204") == len(record.assignments) == 4
    assert order.index("205") > order.index("204") and order[-1] == "214"
    by_form: dict[str, list[str]] = {}
    for form, page in zip(order, pages, strict=True):
        by_form.setdefault(form, []).append(page)
    name = "Wrenfield Creek missing child (demo, fictional)"
    assert all(name in p for p in pages)

    # ICS 202: objectives, emphasis, who prepared and approved, the IAP's contents.
    p202 = by_form["202"][0]
    assert "Search the rock shelters under Owl Rock" in p202
    assert "Date From: 10/17/2026" in p202 and "Time From: 2250Z" in p202
    assert "East Ridge hunting zone" in p202  # a hazard in the command emphasis
    assert "Sam Ortiz" in p202 and "Mara Quinn" in p202

    # ICS 201: the situation, the organization and the resources.
    p201 = " ".join(by_form["201"])
    assert "Toby Marsh (fictional)" in p201 and "FOUND" in p201
    assert "Incident Commander(s)" in p201 and "Mara Quinn" in p201
    assert "Operations Section Chief" in p201 and "Pat Byrne" in p201
    assert all(f"Field team T{k}" in p201 for k in range(1, 7))
    assert "segment A07, planned" in p201
    assert "TN-2026-0417" in p201

    # ICS 204: one per assignment, with team, members, segment, expected POD, comms.
    plan = json.loads((demo.out / "period-2" / "assignments.json").read_text())
    expected = {(a["team"], a["segment"]): a["expected_pod"] for a in plan["assignments"]}
    for a, page in zip(record.assignments, by_form["204"], strict=True):
        assert "Division:" in page and a.segment in page and a.team.name in page
        assert all(m.name in page for m in a.team.members)
        pod = expected[(a.team.name, a.segment)]
        assert f"expected POD {pod:.0%}" in page
        assert "USNG 16S GF" in page  # the segment centre and the map's grid
        assert "TURN AROUND BY 10/18/2026 0150Z" in page
        assert "155.1600" in page  # the command channel from the comms plan
        assert "Operations Section Chief:" in page and "Pat Byrne" in page
    t3 = next(p for a, p in zip(record.assignments, by_form["204"], strict=True)
              if a.team.name == "T3")  # fmt: skip
    assert "HAZARDS in or touching the segment" in t3 and "Harlan Ridge" in t3
    assert "within 50 m of the segment: Owl Rock cliff band (cliff)" in t3  # beside A07

    p205 = by_form["205"][0]
    assert "SAR TAC 1" in p205 and "155.2050" in p205 and "T3-Eli" in p205
    p206 = by_form["206"][0]
    assert "County General (fictional)" in p206 and "Level III" in p206
    assert "Dev Patel (minor)" in p206
    p211 = " ".join(by_form["211"])
    assert all(m.name in p211 for m in record.members) and "K9 handler" in p211
    p214 = " ".join(by_form["214"])
    assert all(f"Team T{k}" in p214 for k in range(1, 7))
    # The subject was found in period 1; period 2's command log has the handover, whole.
    command = by_form["214"][-1]
    assert "Incident command post" in command and "Planning Section Chief" in command
    assert "identity verified: name, relation, handover code — Mara Quinn" in command
    assert "FOUND" not in p214

    # Each page as a PNG for a person to look at.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("iap-period-2-*.png"):
        old.unlink()
    (ARTIFACTS / "iap-period-2.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", str(ARTIFACTS / "iap-period-2.pdf"),
         str(ARTIFACTS / "iap-period-2")],
        check=True,
    )  # fmt: skip
    assert len(list(ARTIFACTS.glob("iap-period-2-*.png"))) == len(pages)


def test_without_a_comms_plan_the_205_and_206_say_not_recorded(demo: Demo, tmp_path: Path) -> None:
    record = _record(demo)
    [p205] = pdf_pages(form_pdf(record, "205"), tmp_path)
    [p206] = pdf_pages(form_pdf(record, "206"), tmp_path)
    assert "not recorded" in p205 and "no radio channels recorded" in p205
    assert "ICS 205, Page 1" in p205  # numbered as a form, not as an IAP page
    assert p206.count("not recorded") >= 3


def test_a_comms_plan_beside_the_plan_is_used(demo: Demo, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(demo.out / "period-2", plan)
    (plan / "comms-plan.json").write_text(json.dumps(COMMS))
    record = _record(demo, plan_dir=plan)
    assert record.comms.channels[0].name == "SAR CMD"


def test_without_a_plan_the_forms_say_why_instead_of_a_map(demo: Demo, tmp_path: Path) -> None:
    record = _record(demo, plan_dir=tmp_path / "nowhere")
    assert record.plan is None and "could not be read" in record.plan_note
    pages = pdf_pages(form_pdf(record, "204"), tmp_path)
    assert len(pages) == 4 and all("No segment map" in p for p in pages)
    assert all("expected POD not in the plan" in p for p in pages)


def test_period_1_takes_its_own_assignments_and_log(demo: Demo) -> None:
    record = _record(demo, period=1, plan_dir=demo.out / "period-1")
    assert [a.team.name for a in record.assignments] == ["T1", "T2", "T3", "T4", "T5", "T6"]
    assert record.assignments[0].expected_pod == pytest.approx(0.787)
    assert record.log[0].text.startswith("incident opened")  # the first period takes the start
    assert all(line.time < record.periods[1].starts_at for line in record.log)


def test_each_unit_log_takes_its_own_lines_and_command_keeps_its_business(demo: Demo) -> None:
    units = {u: lines for u, _, lines in activity_units(_record(demo, period=1))}
    assert list(units)[-1] == "Incident command post" and len(units) == 7
    t3 = [line.text for line in units["Team T3"]]
    assert any(t.startswith("FOUND: Toby Marsh") for t in t3)  # Eli Novak (T3) found him
    assert any("T3, on the trail below the beaver pond" in t for t in t3)  # his clue
    command = [line.text for line in units["Incident command post"]]
    # Roster edits and access grants naming a member are command's, not the team's.
    assert "member added: Ada Reyes" in command
    assert not any("member added" in line.text for line in units["Team T1"])
    assert any("is now searcher" in t for t in command)
    assert any(line.kind == "hazard" and "Ada Reyes entered" in line.text
               for line in units["Team T1"])  # fmt: skip


def test_an_unknown_period_names_the_periods(demo: Demo) -> None:
    with pytest.raises(InvalidParameterError, match=r"no operational period 7 \(periods: 1, 2\)"):
        _record(demo, period=7)


def test_write_forms_writes_each_form_and_the_packet(demo: Demo, tmp_path: Path) -> None:
    written = write_forms(_record(demo), tmp_path, ["202", "205"])
    assert [p.name for p in written] == ["ics-202.pdf", "ics-205.pdf", "iap-period-2.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    assert all(p.read_bytes().startswith(b"%PDF") for p in written)


def test_parse_forms_checks_the_numbers() -> None:
    assert parse_forms(",".join(FORMS)) == ("202", "201", "204", "205", "206", "211", "214")
    with pytest.raises(InvalidParameterError, match="'203' is not a form"):
        parse_forms("201,203")
    with pytest.raises(InvalidParameterError, match="at least one"):
        parse_forms(" , ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"radios": []}, "unknown key"),
        ({"channels": [{"chanel": "1"}]}, r"channels\[0\]: unknown field"),
        ({"hospitals": [{"address": "x"}]}, r"hospitals\[0\]\.name: required"),
        ({"hospitals": [{"name": "H", "helipad": "yes"}]}, "helipad: give true or false"),
        ({"aviation_rescue": 1}, "aviation_rescue: give true or false"),
    ],
)
def test_a_bad_comms_plan_names_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        comms_plan_from_dict(data)


def test_read_comms_plan_reads_yaml_and_refuses_garbage(tmp_path: Path) -> None:
    good = tmp_path / "c.yaml"
    good.write_text("channels:\n  - {channel: '3', function: Medical}\naviation_rescue: true\n")
    plan = read_comms_plan(good)
    assert plan.channels[0].function == "Medical" and plan.aviation_rescue
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    with pytest.raises(DataFileError, match="not valid JSON"):
        read_comms_plan(bad)


def test_the_forms_of_a_played_incident_on_each_backend(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = demo_out(tmp_path_factory)
    incident = played(database_url, out, link="period-1")
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as session:
            record = forms_record(session, incident_id=incident, period=1)
    finally:
        engine.dispose()
    assert record.plan is not None and len(record.assignments) == 6
    assert {a.team.name: a.expected_pod for a in record.assignments}["T5"] == pytest.approx(0.819)
    assert record.staff["operations"] == "Pat Byrne"
    pdf = iap_pdf(record, ["202", "204"])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 7


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_without_poppler_the_pdf_tests_skip_except_in_ci(
    ci: str, outcome: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("formstools.shutil.which", lambda tool: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"poppler-utils not installed \(pdftotext, pdftoppm"):
        require_poppler()
