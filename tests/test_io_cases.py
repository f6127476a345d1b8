"""Tests for wayhome.io.cases: the lost-person case CSV."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from wayhome.errors import CaseDataError, UsageError
from wayhome.io.cases import CASE_COLUMNS, Case, read_cases

HEADER = (
    "case_id,source,split,subject_category,age,ipp_lat,ipp_lon,find_lat,find_lon,"
    "straight_line_km,eco_region,terrain,eco_region_inferred,flag,use_for_eval,notes"
)
ROW_1 = (
    "az-001,mapscore,dev,hiker,34,31.33446668,-109.81855,31.41008333,-109.8383333,"
    "8.615,Dry,Mountainous,,ok,yes,"
)
ROW_2 = (
    "ny-001,hashimoto2022,test,hiker,,42.1,-74.2,42.11,-74.21,"
    '1.2,,,Temperate,ok,yes,"a, quoted note"'
)


def write_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_small_file(tmp_path: Path) -> None:
    cases = read_cases(write_csv(tmp_path, HEADER, ROW_1, "", ROW_2))
    assert cases == (
        Case(
            case_id="az-001",
            split="dev",
            subject_category="hiker",
            age=34.0,
            ipp_lat=31.33446668,
            ipp_lon=-109.81855,
            find_lat=31.41008333,
            find_lon=-109.8383333,
            straight_line_km=8.615,
            eco_region="Dry",
            terrain="Mountainous",
            eco_region_inferred=None,
            flag="ok",
            use_for_eval="yes",
        ),
        Case(
            case_id="ny-001",
            split="test",
            subject_category="hiker",
            age=None,
            ipp_lat=42.1,
            ipp_lon=-74.2,
            find_lat=42.11,
            find_lon=-74.21,
            straight_line_km=1.2,
            eco_region=None,
            terrain=None,
            eco_region_inferred="Temperate",
            flag="ok",
            use_for_eval="yes",
        ),
    )


def test_group_age_takes_first(tmp_path: Path) -> None:
    row = ROW_1.replace(",34,", ",58;20,")
    assert read_cases(write_csv(tmp_path, HEADER, row))[0].age == 58.0


def test_optional_columns_may_be_missing(tmp_path: Path) -> None:
    header = ",".join(CASE_COLUMNS)
    row = "x-1,dev,child,35.0,-111.0,35.01,-111.0,1.1,ok,review"
    (case,) = read_cases(write_csv(tmp_path, header, row))
    assert (case.age, case.eco_region, case.terrain, case.eco_region_inferred) == (None,) * 4
    assert case.use_for_eval == "review"


def test_shared_cases_file(shared_data: Path) -> None:
    cases = read_cases(shared_data / "cases" / "cases.csv")
    assert len(cases) == 153
    splits = Counter(c.split for c in cases)
    assert splits == {"dev": 131, "test": 22}
    test = [c for c in cases if c.split == "test"]
    assert all(c.subject_category == "hiker" and c.use_for_eval == "yes" for c in test)
    assert Counter(c.use_for_eval for c in cases if c.split == "dev") == {
        "yes": 101,
        "review": 11,
        "no": 19,
    }
    assert Counter(c.flag for c in cases)["duplicate"] == 17
    by_id = {c.case_id: c for c in cases}
    assert len(by_id) == 153
    assert by_id["az-004"].age == 58.0
    assert by_id["az-001"].straight_line_km == 8.615
    assert by_id["az-103"].flag == "error"
    assert sum(c.age is not None for c in cases) == 14
    assert all(c.ipp_lon < 0 < c.ipp_lat for c in cases)


def test_shared_cases_match_the_file_row_by_row(shared_data: Path) -> None:
    path = shared_data / "cases" / "cases.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cases = read_cases(path)
    assert [c.case_id for c in cases] == [r["case_id"] for r in rows]
    assert [c.find_lat for c in cases] == [float(r["find_lat"]) for r in rows]
    assert [c.eco_region_inferred for c in cases] == [
        r["eco_region_inferred"] or None for r in rows
    ]


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace("ipp_lon,", "")
    row = ROW_1.replace("-109.81855,", "")
    with pytest.raises(CaseDataError, match="has no column 'ipp_lon'") as info:
        read_cases(write_csv(tmp_path, header, row))
    assert isinstance(info.value, UsageError)


def test_bad_number_names_row_and_column(tmp_path: Path) -> None:
    row = ROW_2.replace("42.11", "42x11")
    with pytest.raises(CaseDataError) as info:
        read_cases(write_csv(tmp_path, HEADER, ROW_1, row))
    message = str(info.value)
    assert "line 3" in message
    assert "case_id 'ny-001'" in message
    assert "column 'find_lat'" in message
    assert "'42x11' is not a number" in message


def test_latitude_out_of_range(tmp_path: Path) -> None:
    row = ROW_1.replace("31.33446668", "-109.9")
    with pytest.raises(CaseDataError, match=r"column 'ipp_lat': -109.9 is outside -90 to 90"):
        read_cases(write_csv(tmp_path, HEADER, row))


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        ((",yes,", ",maybe,"), "'maybe' is not one of yes, review, no"),
        ((",34,", ",old,"), "column 'age': 'old' is not an age"),
        ((",34,", ",-3,"), "outside 0 to 130"),
        ((",8.615,", ",inf,"), "column 'straight_line_km': inf is outside"),
        (("az-001,", ","), "blank case_id"),
    ],
)
def test_bad_values(tmp_path: Path, edit: tuple[str, str], pattern: str) -> None:
    row = ROW_1.replace(*edit)
    with pytest.raises(CaseDataError, match=pattern):
        read_cases(write_csv(tmp_path, HEADER, row))


def test_too_many_and_too_few_fields(tmp_path: Path) -> None:
    with pytest.raises(CaseDataError, match=r"line 2 .* more fields than the header"):
        read_cases(write_csv(tmp_path, HEADER, ROW_1 + ",extra"))
    with pytest.raises(CaseDataError, match="fewer fields than the header"):
        read_cases(write_csv(tmp_path, HEADER, "az-001,mapscore,dev,hiker"))


def test_duplicate_case_id(tmp_path: Path) -> None:
    with pytest.raises(CaseDataError, match="repeats case_id 'az-001' \\(first on line 2\\)"):
        read_cases(write_csv(tmp_path, HEADER, ROW_1, ROW_1))


def test_empty_and_header_only(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CaseDataError, match="is empty"):
        read_cases(tmp_path / "empty.csv")
    with pytest.raises(CaseDataError, match="header but no cases"):
        read_cases(write_csv(tmp_path, HEADER))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaseDataError, match="does not exist"):
        read_cases(tmp_path / "cases.csv")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes((HEADER + "\n" + ROW_1.replace("Dry", "Tr\xf6cken") + "\n").encode("latin-1"))
    with pytest.raises(CaseDataError, match="not UTF-8"):
        read_cases(path)


@pytest.mark.parametrize(
    "bad_line",
    ['az-002,mapscore,dev,"hiker"x,34', 'az-002,mapscore,dev,"unterminated'],
)
def test_broken_quoting(tmp_path: Path, bad_line: str) -> None:
    path = write_csv(tmp_path, HEADER, ROW_1, bad_line)
    with pytest.raises(CaseDataError, match=r"not a readable CSV \(near line 3"):
        read_cases(path)
