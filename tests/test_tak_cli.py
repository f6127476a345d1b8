"""``wayhome tak``: bad options are usage errors (exit 2) before anything connects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clitools import flat, invoke
from wayhome.cli.tak import read_uid_map
from wayhome.errors import InvalidParameterError


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "http://x:1"], "server:"),
        (["--server", "tls://127.0.0.1:8089"], "cert:"),
        (["--server", "tcp://127.0.0.1:8087", "--uid-map", "missing.json"], "uid_map:"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    database = f"sqlite:///{tmp_path / 'wayhome.db'}"
    code, _, err = invoke(
        "tak", ["--incident", "1", "--database-url", database, *args], monkeypatch, capsys
    )
    assert code == 2
    assert message in flat(err)


def test_uid_map_reads_ids_and_names_and_refuses_other_values(tmp_path: Path) -> None:
    path = tmp_path / "uids.json"
    path.write_text(json.dumps({"ANDROID-1": 4, "ANDROID-2": "Dana Ortiz"}))
    assert read_uid_map(path) == {"ANDROID-1": 4, "ANDROID-2": "Dana Ortiz"}
    for bad in ("[1, 2]", '{"ANDROID-1": true}', '{"ANDROID-1": [4]}', "{nope"):
        path.write_text(bad)
        with pytest.raises(InvalidParameterError, match="uid_map"):
            read_uid_map(path)
