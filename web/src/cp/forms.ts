// Form plumbing for the command post: labelled fields with their message next to them.

import { ApiError } from "../shared/api";
import { parseAxis } from "../shared/coords";
import { h } from "../shared/dom";

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface Field {
  name: string;
  control: Control;
  error: HTMLElement;
  wrap: HTMLElement;
}

/**
 * A labelled field: `<label for>`, an optional hint, the control, and the message slot
 * `field-error-<testid>` right under it (described-by both).
 */
export function field(testid: string, label: string, control: Control, hint?: string): Field {
  control.id = `cp-${testid}`;
  control.dataset.testid = testid;
  control.setAttribute("name", testid);
  const error = h("p", {
    class: "field-error",
    id: `cp-${testid}-error`,
    "data-testid": `field-error-${testid}`,
    hidden: true,
  });
  const hintEl = hint ? h("p", { class: "hint", id: `cp-${testid}-hint` }, hint) : null;
  control.setAttribute("aria-describedby", [error.id, hintEl?.id].filter(Boolean).join(" "));
  const wrap = h("div", { class: "field" }, h("label", { for: control.id }, label), hintEl, control, error);
  return { name: testid, control, error, wrap };
}

/** Show `errors` (by test id) next to their fields, clear the others; focus the first bad one. */
export function showErrors(fields: Field[], errors: Record<string, string>): boolean {
  let first: Control | null = null;
  for (const f of fields) {
    const msg = errors[f.name];
    f.error.textContent = msg ?? "";
    f.error.hidden = !msg;
    f.control.setAttribute("aria-invalid", msg ? "true" : "false");
    if (msg && !first) first = f.control;
  }
  (first as Control | null)?.focus();
  return first === null;
}

export function parseNumber(raw: string): number | null {
  const t = raw.trim().replace(",", ".");
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return null;
  return Number(t);
}

/** Latitude/longitude checks shared by the forms: range, then inside the map (when known). */
export function checkPoint(
  rawLat: string,
  rawLon: string,
  bounds: [number, number, number, number] | null,
): { lat?: string; lon?: string; value: [number, number] | null } {
  const out: { lat?: string; lon?: string; value: [number, number] | null } = { value: null };
  const latRead = parseAxis(rawLat, "lat");
  const lonRead = parseAxis(rawLon, "lon");
  const lat = latRead && "value" in latRead ? latRead.value : null;
  const lon = lonRead && "value" in lonRead ? lonRead.value : null;
  if (rawLat.trim() === "") out.lat = "Latitude is required: give decimal degrees, e.g. 36.5412, or pick the point on the map.";
  else if (latRead && "error" in latRead) out.lat = latRead.error;
  else if (lat === null) out.lat = "Latitude must be a number in decimal degrees (e.g. 36.5412) or DMS (36°32'28\"N).";
  else if (lat < -90 || lat > 90) out.lat = "Latitude must be between -90 and 90 degrees.";
  if (rawLon.trim() === "") out.lon = "Longitude is required: give decimal degrees, e.g. -84.2803, or pick the point on the map.";
  else if (lonRead && "error" in lonRead) out.lon = lonRead.error;
  else if (lon === null) out.lon = "Longitude must be a number in decimal degrees (e.g. -84.2803) or DMS (84°16'49\"W).";
  else if (lon < -180 || lon > 180) out.lon = "Longitude must be between -180 and 180 degrees.";
  if (!out.lat && !out.lon && lat !== null && lon !== null) {
    if (bounds) {
      const [w, s, e, n] = bounds;
      if (lat < s || lat > n || lon < w || lon > e) {
        const msg =
          `This point is outside the search map (lat ${s.toFixed(4)} to ${n.toFixed(4)}, ` +
          `lon ${w.toFixed(4)} to ${e.toFixed(4)}); check the coordinates or pick it on the map.`;
        out.lat = msg;
        out.lon = msg;
        return out;
      }
    }
    out.value = [lat, lon];
  }
  return out;
}

/** `datetime-local` value ("2026-11-25T14:05") as an aware ISO time, or null. */
export function localToIso(raw: string): string | null {
  if (!raw.trim()) return null;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A Date as a `datetime-local` value in this device's time zone. */
export function isoToLocal(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}

/**
 * A server refusal naming a field ("name: give ...") shown next to that field; the
 * mapping says which form field a server field name belongs to. True when placed.
 */
export function placeServerError(fields: Field[], e: unknown, mapping: Record<string, string>): boolean {
  if (!(e instanceof ApiError)) return false;
  const errors: Record<string, string> = {};
  const body = e.body as { errors?: { loc: unknown[]; msg: string }[] } | null;
  if (body?.errors?.length) {
    for (const err of body.errors) {
      const key = String(err.loc[err.loc.length - 1] ?? "");
      const target = mapping[key];
      if (target && !errors[target]) errors[target] = `${key}: ${err.msg}`;
    }
  } else {
    const m = /^(\w+):/.exec(e.detail);
    const target = m ? mapping[m[1]] : undefined;
    if (target) errors[target] = e.detail;
  }
  if (!Object.keys(errors).length) return false;
  showErrors(fields, errors);
  return true;
}
