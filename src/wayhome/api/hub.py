"""The live hub: in-process fan-out of new positions to each incident's WebSocket viewers.

Publishing is thread-safe (sync routes run in a thread pool): each subscriber's queue is
fed on its own event loop. A viewer too slow to keep up loses its oldest messages rather
than holding the writers back.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["LiveHub", "Subscription"]

Subscription = asyncio.Queue[dict[str, Any]]


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
        for queue, loop in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # the viewer's loop is closed: it is going away
                continue


def _offer(queue: Subscription, message: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)
