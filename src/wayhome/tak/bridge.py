"""The TAK bridge: one incident's picture out to a TAK server, TAK users' reports in.

The connection is pytak's (``tcp://``, ``udp://``, ``tls://`` with a client certificate;
:class:`TakServer` turns the options into pytak's configuration) and so is the sender
(:class:`pytak.TXWorker`). Every ``interval`` seconds the bridge reads the picture
(:func:`~wayhome.tak.picture.picture_items`) and sends what changed, everything again
every ``refresh`` seconds (so nothing goes stale on the TAK maps), and a delete for what
left the picture (a completed assignment, a found subject).

What arrives is cut at ``</event>``, read by :func:`~wayhome.tak.cot.parse_cot` and
stored by :class:`~wayhome.tak.ingest.TakIngest` in a worker thread. A malformed message
(bad XML, a DTD or entity expansion, wrong field types, more than
:data:`~wayhome.tak.cot.MAX_COT_BYTES`) is dropped with one warning line; nothing a peer
sends stops the bridge. UDP is publish-only: a TAK server sends to stream clients only.
A lost connection is retried with back-off until :meth:`TakBridge.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Mapping
from configparser import ConfigParser, SectionProxy
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store.models import utc_now
from wayhome.tak.cot import (
    MAX_COT_BYTES,
    MalformedCotError,
    Marker,
    Pli,
    Shape,
    delete_cot,
    encode_cot,
    parse_cot,
)
from wayhome.tak.ingest import Ingested, TakIngest
from wayhome.tak.picture import picture_items

__all__ = ["TAK_SCHEMES", "TakBridge", "TakServer"]

_log = logging.getLogger(__name__)

#: The transports the bridge speaks.
TAK_SCHEMES = ("tcp", "udp", "tls")
_END = b"</event>"


@dataclass(frozen=True, slots=True)
class TakServer:
    """Where the TAK server listens: ``tcp://host:port``, ``udp://...`` or ``tls://...``.

    TLS needs the bridge's client certificate and key (PEM) and the CA that signed the
    server's certificate (``ca``); the server's name is checked against its certificate.

    Examples
    --------
    >>> TakServer("tcp://127.0.0.1:8087").pytak_config()["COT_URL"]
    'tcp://127.0.0.1:8087'
    >>> TakServer("udp://10.0.0.5:8087").pytak_config()["COT_URL"]
    'udp+wo://10.0.0.5:8087'
    """

    url: str
    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in TAK_SCHEMES:
            raise InvalidParameterError(
                f"server: {self.url!r} has no known scheme; give tcp://host:port, "
                "udp://host:port or tls://host:port"
            )
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise InvalidParameterError(
                f"server: {self.url!r} needs a host and a port, e.g. tcp://10.0.0.5:8087"
            )
        if parts.scheme == "tls" and (self.cert is None or self.ca is None):
            raise InvalidParameterError(
                "cert: a tls:// server needs the bridge's client certificate (--cert, with "
                "--key) and the CA of the server's certificate (--ca)"
            )
        if parts.scheme != "tls" and (self.cert or self.key or self.ca):
            raise InvalidParameterError(
                f"cert: certificates are for tls:// servers; {self.url!r} is {parts.scheme}"
            )
        for name in ("cert", "key", "ca"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise InvalidParameterError(f"{name}: {path} is not a file; give a PEM file")

    @property
    def scheme(self) -> str:
        """``tcp``, ``udp`` or ``tls``."""
        return urlsplit(self.url).scheme

    def pytak_config(self) -> dict[str, str]:
        """pytak's configuration (``COT_URL`` and the ``PYTAK_TLS_*`` keys)."""
        parts = urlsplit(self.url)
        scheme = "udp+wo" if parts.scheme == "udp" else parts.scheme
        config = {"COT_URL": f"{scheme}://{parts.netloc}", "TAK_PROTO": "0"}
        if self.cert is not None:
            config["PYTAK_TLS_CLIENT_CERT"] = str(self.cert)
            config["PYTAK_TLS_CLIENT_KEY"] = str(self.key or self.cert)
        if self.ca is not None:
            config["PYTAK_TLS_CLIENT_CAFILE"] = str(self.ca)
        return config


def _pytak() -> Any:
    """pytak, imported quietly (it warns at import when its optional aiohttp is missing)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*aiohttp.*", category=UserWarning)
        import pytak
    return pytak


class TakBridge:
    """Publishes one incident to a TAK server and ingests what TAK users report.

    Parameters
    ----------
    server : TakServer
        Where to connect.
    sessions : callable returning Session
        A session factory on the incident database (one session per unit of work).
    incident_id : int
        The incident bridged.
    uid_map : mapping, optional
        TAK device uid -> member id or member name (see :mod:`wayhome.tak.ingest`).
    interval : float
        Seconds between looks at the picture.
    refresh : float
        Seconds after which an unchanged item is sent again.
    stale_after : timedelta
        How long TAK clients keep showing an item that is not refreshed.
    clock : callable
        The current time (aware UTC); tests pass their own.
    """

    def __init__(
        self,
        *,
        server: TakServer,
        sessions: Callable[[], Session],
        incident_id: int,
        uid_map: Mapping[str, int | str] | None = None,
        interval: float = 5.0,
        refresh: float = 60.0,
        stale_after: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not 0 < interval <= refresh:
            raise InvalidParameterError(
                f"interval: {interval} s; give more than 0 and at most refresh ({refresh} s)"
            )
        self.server = server
        self.sessions = sessions
        self.incident_id = incident_id
        self.ingest = TakIngest(incident_id=incident_id, uid_map=uid_map)
        self.interval = interval
        self.refresh = refresh
        self.stale_after = stale_after
        self.clock = clock
        #: Set while connected to the TAK server (a thread-safe flag).
        self.connected = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sent: dict[str, tuple[Pli | Shape | Marker, float]] = {}
        self.dropped = 0

    async def run(self) -> None:
        """Connect and bridge until :meth:`stop`; a lost connection is retried (1 s to 30 s)."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        backoff = 1.0
        while not self._stop.is_set():
            try:
                await self._session()
                backoff = 1.0
            except (OSError, ConnectionError, SyntaxError, ValueError) as exc:
                _log.warning("TAK %s: %s; retrying in %.0f s", self.server.url, exc, backoff)
            except Exception:  # whatever else happens, the bridge tries again
                _log.exception(
                    "TAK %s: unexpected error; retrying in %.0f s", self.server.url, backoff
                )
            self.connected.clear()
            self._sent.clear()  # a new connection gets the whole picture
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        """Stop :meth:`run` (safe to call from any thread)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)

    async def _session(self) -> None:
        pytak = _pytak()
        config: SectionProxy = _section(self.server.pytak_config())
        if self.server.scheme == "tls":
            reader, writer = await _open_tls(config)
        else:
            reader, writer = await pytak.protocol_factory(config)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        sender = pytak.TXWorker(queue, config, writer)
        _log.info("TAK %s: connected; bridging incident %s", self.server.url, self.incident_id)
        self.connected.set()
        assert self._stop is not None
        tasks = [
            asyncio.create_task(sender.run()),
            asyncio.create_task(self._publish(queue)),
            asyncio.create_task(self._stop.wait()),
        ]
        if self.server.scheme != "udp":
            tasks.append(asyncio.create_task(self._receive(reader)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _close(writer)

    async def _publish(self, queue: asyncio.Queue[bytes]) -> None:
        while True:
            try:
                for data in await asyncio.to_thread(self.changes):
                    await queue.put(data)
            except Exception:  # a database hiccup must not end the bridge
                _log.exception("TAK: reading incident %s failed; trying again", self.incident_id)
            await asyncio.sleep(self.interval)

    def changes(self) -> list[bytes]:
        """The CoT to send now: new and changed items, unchanged ones due for a refresh,
        and deletes for items that left the picture (marks them sent)."""
        with self.sessions() as session:
            items = picture_items(session, self.incident_id)
        now, tick = self.clock(), time.monotonic()
        out: list[bytes] = []
        seen: set[str] = set()
        for item in items:
            seen.add(item.uid)
            sent = self._sent.get(item.uid)
            if sent is None or sent[0] != item or tick - sent[1] >= self.refresh:
                out.append(encode_cot(item, now=now, stale_after=self.stale_after))
                self._sent[item.uid] = (item, tick)
        for uid in sorted(set(self._sent) - seen):
            out.append(delete_cot(uid, now=now))
            del self._sent[uid]
        return out

    async def _receive(self, reader: asyncio.StreamReader) -> None:
        async for message in _messages(reader):
            await self.handle(message)

    async def handle(self, data: bytes) -> Ingested | None:
        """Read and store one CoT message; a malformed one is logged and dropped."""
        try:
            event = parse_cot(data)
        except MalformedCotError as exc:
            self.dropped += 1
            _log.warning("TAK: dropped a malformed CoT message (%d bytes): %s", len(data), exc)
            return None
        try:
            return await asyncio.to_thread(self._store, event)
        except Exception:  # never let one report end the bridge
            _log.exception("TAK: could not store %s %s", event.type, event.uid)
            return None

    def _store(self, event: Any) -> Ingested:
        with self.sessions() as session:
            return self.ingest.ingest(session, event)


async def _messages(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """CoT messages cut at ``</event>``; one with no end within the limit is dropped whole."""
    discarding = False
    while True:
        try:
            chunk = await reader.readuntil(_END)
        except asyncio.LimitOverrunError as exc:
            await reader.read(max(exc.consumed, 1))
            if not discarding:
                _log.warning(
                    "TAK: dropped a CoT message longer than %d bytes (no </event> in reach)",
                    MAX_COT_BYTES,
                )
            discarding = True
            continue
        except asyncio.IncompleteReadError as exc:
            raise ConnectionError("the TAK server closed the connection") from exc
        if discarding:  # the tail of the message too long to read
            discarding = False
            continue
        message = chunk.strip()
        if message:
            yield message


async def _open_tls(config: SectionProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TLS stream with pytak's context (client certificate, CA, TLS 1.2 or newer).

    pytak sets the deprecated ``OP_NO_TLSv1*`` flags (Python 3.10+ warns); the context is
    built here, warnings quiet, then opened like pytak does.
    """
    from pytak.client_functions import get_ssl_ctx, get_tls_config

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*OP_NO_.*")
        context = get_ssl_ctx(get_tls_config(config))
    parts = urlsplit(config["COT_URL"])
    return await asyncio.open_connection(parts.hostname, parts.port, ssl=context)


def _section(values: Mapping[str, str]) -> SectionProxy:
    parser = ConfigParser(interpolation=None)
    parser.read_dict({"wayhome": dict(values)})
    return parser["wayhome"]


async def _close(writer: Any) -> None:
    """Close the connection and wait for it (a TLS close is a short exchange)."""
    try:
        writer.close()
        if hasattr(writer, "wait_closed"):
            await asyncio.wait_for(writer.wait_closed(), timeout=5)
    except Exception:  # already closed, or the peer went away first
        _log.debug("TAK: closing the connection", exc_info=True)
