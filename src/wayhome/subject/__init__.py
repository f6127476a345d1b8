"""The lost person: ISRID categories, behaviour profiles and intake.

>>> from wayhome.subject import profile_for
>>> profile_for("hiker").quantiles.q50_km
3.1
"""

from __future__ import annotations

from wayhome.subject.behaviour import BEHAVIOURS, BehaviourMix, behaviour_mix_for
from wayhome.subject.categories import CHILD_BANDS, TERRAIN_CLASSES, categories, resolve_category
from wayhome.subject.intake import MAX_MISSING_H, Subject, parse_duration_h, subject_from_intake
from wayhome.subject.profiles import (
    DistanceQuantiles,
    Lognormal,
    Profile,
    Tendencies,
    fit_lognormal,
    profile_for,
)

__all__ = [
    "BEHAVIOURS",
    "CHILD_BANDS",
    "MAX_MISSING_H",
    "TERRAIN_CLASSES",
    "BehaviourMix",
    "DistanceQuantiles",
    "Lognormal",
    "Profile",
    "Subject",
    "Tendencies",
    "behaviour_mix_for",
    "categories",
    "fit_lognormal",
    "parse_duration_h",
    "profile_for",
    "resolve_category",
    "subject_from_intake",
]
