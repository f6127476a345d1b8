"""The TAK / Cursor-on-Target bridge: the incident on TAK maps, TAK reports in the incident.

:mod:`wayhome.tak.cot` reads and writes CoT XML (safely), :mod:`wayhome.tak.picture`
turns the incident into CoT items, :mod:`wayhome.tak.ingest` stores TAK users' positions
and markers, and :class:`TakBridge` runs both over a pytak connection (TCP, UDP, TLS).
"""

from __future__ import annotations

from wayhome.tak.bridge import TAK_SCHEMES, TakBridge, TakServer
from wayhome.tak.cot import (
    MAX_COT_BYTES,
    CotEvent,
    MalformedCotError,
    Marker,
    Pli,
    Shape,
    cot_time,
    delete_cot,
    encode_cot,
    parse_cot,
)
from wayhome.tak.ingest import Ingested, TakIngest, clue_id, position_id
from wayhome.tak.picture import OWN_UID_PREFIX, picture_items

__all__ = [
    "MAX_COT_BYTES",
    "OWN_UID_PREFIX",
    "TAK_SCHEMES",
    "CotEvent",
    "Ingested",
    "MalformedCotError",
    "Marker",
    "Pli",
    "Shape",
    "TakBridge",
    "TakIngest",
    "TakServer",
    "clue_id",
    "cot_time",
    "delete_cot",
    "encode_cot",
    "parse_cot",
    "picture_items",
    "position_id",
]
