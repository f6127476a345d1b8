"""Positions from many devices stored together: one transaction per group (group commit).

Three hundred phones posting once a second would cost three hundred trips to the thread
pool and three hundred transactions a second. In one Python process those trips contend
for the interpreter lock with the event loop, and the write transactions queue behind
each other (SQLite has one writer), so the server saturated at about 250 posts a second
on two cores (``docs/benchmarks.md``). A :class:`PositionWriter` stores every post that
is waiting in one trip and one transaction; the posts arriving meanwhile form the next
group. Nothing waits on purpose: under light load a post is written at once, alone.

Each post keeps the answer it would get alone (201, 200 for a replay, or its own error):
a group that fails (a bad member id, an id stored with other content) is stored again
post by post, so only the faulty post gets the error. Hazard entries in a group are
judged in time order across all of it, as for one batch.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from wayhome.api.schemas import PositionBatchPublic, PositionCreate
from wayhome.store import Actor, PositionReport, RecordedPosition, record_positions

__all__ = ["MAX_GROUP", "PositionWriter", "PositionWriterDep", "Publisher", "get_position_writer"]

#: Pushes a post's stored positions live and makes its answer (in the writer's thread):
#: :func:`wayhome.api.routes.positions.publish_positions` with the app's hub.
Publisher = Callable[[int, Sequence[RecordedPosition]], PositionBatchPublic]

#: Most positions stored in one transaction (a larger single post goes alone).
MAX_GROUP = 500

_Outcome = PositionBatchPublic | Exception


@dataclass(frozen=True, slots=True)
class _Post:
    """One request's positions, and where its answer goes."""

    incident_id: int
    reports: tuple[PositionReport, ...]
    answer: asyncio.Future[PositionBatchPublic]


class PositionWriter:
    """Stores positions a group at a time for one app (``app.state.position_writer``)."""

    def __init__(
        self, sessions: sessionmaker[Session], publish: Publisher, *, max_group: int = MAX_GROUP
    ) -> None:
        self._sessions = sessions
        self._publish = publish
        self._max_group = max_group
        self._waiting: list[_Post] = []
        self._draining: asyncio.Task[None] | None = None

    async def record(
        self, incident_id: int, bodies: Sequence[PositionCreate], actor: Actor
    ) -> PositionBatchPublic:
        """Store ``bodies`` for ``actor`` (each for a member they may report for) and push
        the new ones live; this post's outcome, as :func:`record_positions` gives it."""
        for body in bodies:
            actor.require_reports_for(body.member_id)
        reports = tuple(PositionReport(**body.model_dump()) for body in bodies)
        post = _Post(incident_id, reports, asyncio.get_running_loop().create_future())
        self._waiting.append(post)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await post.answer

    async def _drain(self) -> None:
        """Write groups until nothing waits; answer each post of each group."""
        while self._waiting:
            group = self._next_group()
            try:
                outcomes = await run_in_threadpool(self._write, group)
            except Exception as exc:  # the thread pool itself failed: answer every post
                outcomes = [exc] * len(group)
            for post, outcome in zip(group, outcomes, strict=True):
                if post.answer.done():  # the client went away; its positions are stored
                    continue
                if isinstance(outcome, Exception):
                    post.answer.set_exception(outcome)
                else:
                    post.answer.set_result(outcome)

    def _next_group(self) -> list[_Post]:
        taken = size = 0
        for post in self._waiting:
            if taken and size + len(post.reports) > self._max_group:
                break
            taken, size = taken + 1, size + len(post.reports)
        group = self._waiting[:taken]
        del self._waiting[:taken]
        return group

    def _write(self, group: Sequence[_Post]) -> list[_Outcome]:
        """Store ``group`` (in a worker thread): one transaction per incident in it."""
        outcomes: dict[int, _Outcome] = {}
        by_incident: dict[int, list[int]] = defaultdict(list)
        for index, post in enumerate(group):
            by_incident[post.incident_id].append(index)
        with self._sessions() as session:
            for incident_id, indexes in by_incident.items():
                posts = [group[i] for i in indexes]
                reports = [report for post in posts for report in post.reports]
                try:
                    recorded = record_positions(session, incident_id=incident_id, reports=reports)
                except Exception as exc:
                    session.rollback()
                    if len(posts) == 1:
                        outcomes[indexes[0]] = exc
                        continue
                    # One post spoilt the group: store each on its own, as if it came alone.
                    for index in indexes:
                        outcomes[index] = self._write_one(session, group[index])
                    continue
                start = 0
                for index, post in zip(indexes, posts, strict=True):
                    mine = recorded[start : start + len(post.reports)]
                    start += len(post.reports)
                    outcomes[index] = self._publish(incident_id, mine)
        return [outcomes[i] for i in range(len(group))]

    def _write_one(self, session: Session, post: _Post) -> _Outcome:
        try:
            recorded = record_positions(session, incident_id=post.incident_id, reports=post.reports)
        except Exception as exc:
            session.rollback()
            return exc
        return self._publish(post.incident_id, recorded)


async def get_position_writer(connection: HTTPConnection) -> PositionWriter:
    """The app's position writer."""
    writer: PositionWriter = connection.app.state.position_writer
    return writer


PositionWriterDep = Annotated[PositionWriter, Depends(get_position_writer)]
