"""The live hub: in-process fan-out of new positions to each incident's WebSocket viewers.

Publishing is thread-safe (sync routes run in a thread pool): each subscriber's queue is
fed on its own event loop, with one wake-up per loop per message however many viewers
it serves. A message is turned into JSON once for all its viewers (:class:`LiveMessage`).
A viewer too slow to keep up loses its oldest messages rather than holding the writers
back.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

__all__ = ["LiveHub", "LiveMessage", "Subscription"]


class LiveMessage(dict[str, Any]):
    """A published message (a dict) whose JSON text is made once, for every viewer."""

    @cached_property
    def text(self) -> str:
        """The message as compact JSON, as Starlette's ``send_json`` writes it."""
        return json.dumps(self, separators=(",", ":"), ensure_ascii=False)


Subscription = asyncio.Queue[LiveMessage]


class LiveHub:
    """Subscribers per incident; one hub per app (``app.state.hub``)."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._subscribers: dict[int, dict[Subscription, asyncio.AbstractEventLoop]] = defaultdict(
            dict
        )

    @contextmanager
    def subscribe(self, incident_id: int) -> Iterator[Subscription]:
        """A queue that receives the incident's messages until the block exits."""
        queue: Subscription = asyncio.Queue(maxsize=self._queue_size)
        with self._lock:
            self._subscribers[incident_id][queue] = asyncio.get_running_loop()
        try:
            yield queue
        finally:
            with self._lock:
                self._subscribers[incident_id].pop(queue, None)
                if not self._subscribers[incident_id]:
                    del self._subscribers[incident_id]

    def subscriber_count(self, incident_id: int) -> int:
        """How many viewers watch the incident now."""
        with self._lock:
            return len(self._subscribers.get(incident_id, {}))

    def publish(self, incident_id: int, message: dict[str, Any]) -> None:
        """Send ``message`` to every viewer of the incident (from any thread)."""
        with self._lock:
            targets = list(self._subscribers.get(incident_id, {}).items())
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = defaultdict(list)
        for queue, loop in targets:
            by_loop[loop].append(queue)
        live = LiveMessage(message)
        for loop, queues in by_loop.items():
            try:
                loop.call_soon_threadsafe(_offer, queues, live)
            except RuntimeError:  # the viewers' loop is closed: they are going away
                continue


def _offer(queues: list[Subscription], message: LiveMessage) -> None:
    for queue in queues:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(message)
