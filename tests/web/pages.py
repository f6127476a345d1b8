"""Steps the browser tests share, written against the web contract's ``data-testid`` hooks."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

__all__ = [
    "MAP_READY",
    "choose_incident",
    "distance_px",
    "field_error",
    "is_on",
    "map_layers",
    "marker",
    "open_command_post",
    "open_field_view",
    "sign_in",
    "wait_for_marker",
]

#: True once the command-post map has loaded the POA layer and the segments.
MAP_READY = "() => !!(window.__wayhome && window.__wayhome.ready === true)"


def sign_in(page: Page, form_testid: str, login: str, password: str) -> None:
    """Fill the sign-in form ``form_testid`` and submit it with the mouse."""
    form = page.get_by_test_id(form_testid)
    form.wait_for(state="visible")
    form.get_by_test_id("login-username").fill(login)
    form.get_by_test_id("login-password").fill(password)
    form.get_by_test_id("login-submit").click()
    form.wait_for(state="hidden")


def choose_incident(page: Page, incident_id: int) -> None:
    """Pick ``incident_id`` in the incident selector (its options' values are incident ids)."""
    select = page.get_by_test_id("incident-select")
    select.wait_for(state="attached")
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('[data-testid=incident-select] option')]"
        ".some(o => o.value === String(id))",
        arg=incident_id,
    )
    if select.input_value() != str(incident_id):
        select.select_option(value=str(incident_id))


def open_command_post(
    page: Page, origin: str, login: str, password: str, incident_id: int, *, ready: bool = True
) -> None:
    """Sign in at ``/``, pick the incident and (``ready``) wait until its map has loaded."""
    page.goto(f"{origin}/")
    sign_in(page, "login-form", login, password)
    choose_incident(page, incident_id)
    page.get_by_test_id("map").wait_for(state="visible")
    if ready:
        page.wait_for_function(MAP_READY)


def open_field_view(page: Page, origin: str, login: str, password: str) -> None:
    """Sign in at ``/field/`` and wait for the searcher's assignment card."""
    page.goto(f"{origin}/field/")
    sign_in(page, "field-login-form", login, password)
    page.get_by_test_id("my-assignment").wait_for(state="visible")


def map_layers(page: Page) -> list[dict[str, Any]]:
    """The command-post map's style layers: ``[{"id", "source", "visibility"}]``."""
    layers: list[dict[str, Any]] = page.evaluate(
        """() => window.__wayhome.map.getStyle().layers.map(l => ({
            id: l.id, source: l.source || null,
            visibility: (l.layout && l.layout.visibility) || 'visible'}))"""
    )
    return layers


def marker(page: Page, member_id: int) -> tuple[float, float] | None:
    """Member ``member_id``'s marker on the command post as (lon, lat), if shown."""
    got: list[float] | None = page.evaluate(
        "(id) => { const m = (window.__wayhome && window.__wayhome.markers) || {};"
        " return m[id] || m[String(id)] || null; }",
        member_id,
    )
    return None if got is None else (float(got[0]), float(got[1]))


def wait_for_marker(
    page: Page, member_id: int, lat: float, lon: float, *, timeout_ms: float, tol: float = 2e-5
) -> None:
    """Wait until member ``member_id``'s marker stands at (lat, lon) within ``tol`` degrees."""
    page.wait_for_function(
        """([id, lat, lon, tol]) => {
            const m = (window.__wayhome && window.__wayhome.markers) || {};
            const p = m[id] || m[String(id)];
            return !!p && Math.abs(p[0] - lon) <= tol && Math.abs(p[1] - lat) <= tol;
        }""",
        arg=[member_id, lat, lon, tol],
        timeout=timeout_ms,
    )


def field_error(scope: Page | Locator, field: str) -> Locator:
    """The message next to form field ``field`` (``field-error-<field>``, e.g. ``clue-lat``).

    The contract names the hook ``field-error-<field>``; both the input's id suffix
    (``lat``) and its full test id (``clue-lat``) are accepted.
    """
    short = field.split("-", 1)[1] if "-" in field else field
    return scope.locator(
        f'[data-testid="field-error-{field}"]:visible, [data-testid="field-error-{short}"]:visible'
    ).first


def distance_px(a: Locator, b: Locator) -> float:
    """Distance between the centres of two elements on the page, in CSS pixels."""
    box_a, box_b = a.bounding_box(), b.bounding_box()
    if box_a is None or box_b is None:
        return math.inf
    ax, ay = box_a["x"] + box_a["width"] / 2, box_a["y"] + box_a["height"] / 2
    bx, by = box_b["x"] + box_b["width"] / 2, box_b["y"] + box_b["height"] / 2
    return math.hypot(ax - bx, ay - by)


def is_on(toggle: Locator) -> bool:
    """Whether a toggle (a checkbox, or a button with ``aria-pressed``/``aria-checked``) is on."""
    on: bool = toggle.evaluate(
        "el => el.type === 'checkbox' ? el.checked : "
        "(el.getAttribute('aria-pressed') === 'true' || el.getAttribute('aria-checked') === 'true')"
    )
    return on
