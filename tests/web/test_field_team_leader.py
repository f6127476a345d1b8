"""A team leader answers the roll call for their team from the field view.

The team has two pairs; its leader (a ``team_leader`` login) answers for the mate of their own
pair (recorded as answered by the leader) and for a member of the other pair (on the leader's
word); the third member stays unanswered. What the server recorded is read from its API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from web.harness import LiveIncident
from web.ownsite import OriginGuard, OwnSite, database, own_site
from web.pages import open_field_view

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from web.conftest import Site

PHONE = {"width": 390, "height": 844}
LEADER = ("leader", "browser-test-leader")
NAMES = ("Lena Lead", "Pat Pair", "Olga Other", "Oscar Other")


def _leader_team(session: Session, live: LiveIncident, made: dict[str, Any]) -> None:
    from wayhome.store import (
        Pair,
        add_member,
        create_team,
        create_user,
        grant_role,
        set_member_status,
    )

    actor = "browser tests"
    iid = live.incident_id
    ids = []
    for name in NAMES:
        m = add_member(session, incident_id=iid, name=name, actor=actor)
        set_member_status(
            session, incident_id=iid, member_id=m.id, status="checked_in", actor=actor
        )
        ids.append(m.id)
    team = create_team(
        session,
        incident_id=iid,
        name="T9",
        pairs=[Pair((ids[0], ids[1])), Pair((ids[2], ids[3]))],
        leader_id=ids[0],
        actor=actor,
    )
    user = create_user(session, login=LEADER[0], name="Lena Lead", password=LEADER[1])
    grant_role(
        session, incident_id=iid, user_id=user.id, role="team_leader", member_id=ids[0], actor=actor
    )
    made.update(team_id=team.id, member_ids=ids)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def leader_site(
    request: pytest.FixtureRequest, web_app: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnSite, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp(f"leader-{request.param}")
    base = None if request.param == "sqlite" else request.getfixturevalue("postgres_database")
    made: dict[str, Any] = {}
    with (
        database(request.param, tmp, base) as url,
        own_site(
            url,
            backend=request.param,
            plan_dir=web_app.demo.plan_dir,
            cwd=web_app.demo.out.parent,
            setup=lambda s, live: _leader_team(s, live, made),
        ) as site,
    ):
        yield site, made


def test_a_team_leader_answers_the_roll_call_for_their_team(
    browser: Browser, leader_site: tuple[OwnSite, dict[str, Any]], artifacts: Path
) -> None:
    site, made = leader_site
    lead, mate, other, silent = made["member_ids"]
    iid = site.live.incident_id
    from web.harness import Api

    post = Api(site.origin).login(*site.live.commander)
    status, roll_call = post.request(
        "POST", f"/incidents/{iid}/roll-calls", {"team_id": made["team_id"]}
    )
    assert status == 201, roll_call
    guard = OriginGuard(browser=browser, origin=site.origin)
    try:
        page = guard.new(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        open_field_view(page, site.origin, *LEADER)
        prompt = page.get_by_test_id("roll-call-prompt")
        expect(prompt).to_be_visible()
        expect(page.get_by_test_id("roll-call-ack")).to_be_visible()  # the leader's own answer
        for m in (mate, other, silent):
            expect(page.get_by_test_id(f"roll-call-member-{m}")).to_have_attribute(
                "data-state", "pending"
            )
        expect(page.get_by_test_id(f"roll-call-member-{lead}")).to_have_count(0)
        page.get_by_test_id(f"roll-call-answer-for-{mate}").click()
        page.get_by_test_id(f"roll-call-answer-for-{other}").click()
        for m in (mate, other):
            expect(page.get_by_test_id(f"roll-call-member-{m}")).to_have_attribute(
                "data-state", "answered"
            )
        expect(page.get_by_test_id("queue-count")).to_have_text("0")
        prompt.screenshot(path=str(artifacts / f"field-team-leader-roll-call{site.tag}.png"))
    finally:
        guard.close()
    assert not guard.foreign, guard.foreign
    answers = {
        a["member_id"]: (a["status"], a["answered_by"])
        for a in post.get(f"/incidents/{iid}/roll-calls/{roll_call['id']}")["answers"]
    }
    assert answers == {
        lead: ("pending", None),
        mate: ("answered", lead),  # the leader of their pair answered
        other: ("answered", other),  # the other pair: on the team leader's word
        silent: ("pending", None),
    }
    log = [e["text"] for e in post.get(f"/incidents/{iid}/activity")]
    assert (
        f"roll call {roll_call['id']}: Pat Pair answered (answered by Lena Lead, team leader)"
        in log
    )
