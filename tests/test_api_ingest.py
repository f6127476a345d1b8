"""wayhome.api.ingest.PositionWriter: posts waiting together are stored in one group, and
each keeps the answer it would get alone; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from wayhome.api.hub import LiveHub
from wayhome.api.ingest import PositionWriter
from wayhome.api.routes.positions import publish_positions
from wayhome.api.schemas import PositionBatchPublic, PositionCreate
from wayhome.errors import AccessDeniedError, ConflictError
from wayhome.store import (
    Actor,
    UnknownRecordError,
    add_member,
    create_incident,
    engine_from_url,
    session_factory,
    upgrade_database,
)
from wayhome.store.models import LastPosition, Position, utc_now

T0 = utc_now()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def roster(sessions: sessionmaker[Session]) -> tuple[int, list[int], int]:
    """(incident, three of its members, a member of another incident)."""
    with sessions() as s:
        incident = create_incident(s, name="x").id
        members = [add_member(s, incident_id=incident, name=n).id for n in ("A", "B", "C")]
        other = create_incident(s, name="y").id
        return incident, members, add_member(s, incident_id=other, name="Z").id


def _actor(incident: int, reports_for: frozenset[int] | None = None) -> Actor:
    role = "incident_commander" if reports_for is None else "searcher"
    return Actor(1, "ic", "IC", incident, role, None, frozenset(), reports_for)


def _body(member: int, minutes: int = 0, pid: uuid.UUID | None = None) -> PositionCreate:
    return PositionCreate(
        id=pid or uuid.uuid4(),
        member_id=member,
        lat=36.5,
        lon=-84.2,
        time=T0 + timedelta(minutes=minutes),
    )


class Spy:
    """The writer's group sizes, and what reached the live hub."""

    def __init__(self, writer: PositionWriter) -> None:
        self.groups: list[int] = []
        write = writer._write

        def counted(group: Sequence[Any]) -> list[Any]:
            self.groups.append(len(group))
            return write(group)

        writer._write = counted  # type: ignore[method-assign]


async def _post_all(
    writer: PositionWriter, incident: int, posts: list[list[PositionCreate]], actor: Actor
) -> list[PositionBatchPublic | BaseException]:
    return await asyncio.gather(
        *(writer.record(incident, bodies, actor) for bodies in posts), return_exceptions=True
    )


def _writer(sessions: sessionmaker[Session], hub: LiveHub) -> tuple[PositionWriter, Spy]:
    writer = PositionWriter(sessions, lambda i, recorded: publish_positions(hub, i, recorded))
    return writer, Spy(writer)


def _count(sessions: sessionmaker[Session], incident: int) -> int:
    with sessions() as s:
        query = select(func.count()).select_from(Position).where(Position.incident_id == incident)
        return s.execute(query).scalar_one()


def test_posts_waiting_together_are_one_group_each_with_its_answer(
    sessions: sessionmaker[Session], roster: tuple[int, list[int], int]
) -> None:
    incident, (a, b, c), _ = roster
    hub = LiveHub()
    writer, spy = _writer(sessions, hub)
    replayed = uuid.uuid4()

    async def scenario() -> tuple[list[PositionBatchPublic | BaseException], list[Any]]:
        with hub.subscribe(incident) as queue:
            posts = [
                [_body(a, 1, replayed)],
                [_body(b, 1), _body(b, 2)],
                [_body(c, 1)],
                [_body(a, 1, replayed)],  # the same position again (a phone's retry)
            ]
            answers = await _post_all(writer, incident, posts, _actor(incident))
            await asyncio.sleep(0)  # let the hub's deliveries run
            pushed = [queue.get_nowait() for _ in range(queue.qsize())]
        return answers, pushed

    answers, pushed = asyncio.run(scenario())
    assert spy.groups == [4]  # one trip to the thread pool, one transaction
    assert [(x.created, x.replayed) for x in answers if isinstance(x, PositionBatchPublic)] == [
        (1, 0),
        (2, 0),
        (1, 0),
        (0, 1),
    ]
    assert _count(sessions, incident) == 4
    assert len(pushed) == 4  # the replay is not pushed again
    with sessions() as s:
        last = {r.member_id: r.time for r in s.scalars(select(LastPosition))}
    assert last[b] == T0 + timedelta(minutes=2)


def test_a_faulty_post_fails_alone(
    sessions: sessionmaker[Session], roster: tuple[int, list[int], int]
) -> None:
    incident, (a, b, _), stranger = roster
    writer, spy = _writer(sessions, LiveHub())
    clash = uuid.uuid4()
    posts = [
        [_body(a, 1)],
        [_body(stranger)],  # not on this incident's roster
        [_body(b, 1, clash)],
        [_body(b, 2, clash)],  # the same id with other content
        [_body(a, 2), _body(b, 3)],
    ]
    answers = asyncio.run(_post_all(writer, incident, posts, _actor(incident)))
    assert spy.groups == [5]
    assert isinstance(answers[1], UnknownRecordError)
    assert isinstance(answers[3], ConflictError)
    assert [a.created for a in answers if isinstance(a, PositionBatchPublic)] == [1, 1, 2]
    assert _count(sessions, incident) == 4


def test_a_post_for_someone_else_is_refused_before_it_waits(
    sessions: sessionmaker[Session], roster: tuple[int, list[int], int]
) -> None:
    incident, (a, b, _), _ = roster
    writer, spy = _writer(sessions, LiveHub())
    searcher = _actor(incident, reports_for=frozenset({a}))
    with pytest.raises(AccessDeniedError, match="member_id"):
        asyncio.run(writer.record(incident, [_body(a), _body(b)], searcher))
    assert spy.groups == []
    assert _count(sessions, incident) == 0


def test_groups_are_cut_at_max_group(
    sessions: sessionmaker[Session], roster: tuple[int, list[int], int]
) -> None:
    incident, (a, _, _), _ = roster
    writer = PositionWriter(sessions, lambda i, r: publish_positions(LiveHub(), i, r), max_group=3)
    spy = Spy(writer)
    posts = [[_body(a, i)] for i in range(5)] + [[_body(a, 10 + i) for i in range(4)]]
    answers = asyncio.run(_post_all(writer, incident, posts, _actor(incident)))
    assert spy.groups == [3, 2, 1]  # a post larger than the cap goes alone
    assert all(isinstance(x, PositionBatchPublic) for x in answers)
    assert _count(sessions, incident) == 9
