// The new-clue form, shared by both views: checked in the browser before anything is sent.

import { POSITION_FORMS, parseAxis, parseLocation } from "./coords";
import { h } from "./dom";
import { CLUE_KINDS } from "./types";

export interface ClueInput {
  lat: number;
  lon: number;
  kind: string;
  note: string;
}

export type FieldErrors = Partial<Record<"position" | "lat" | "lon" | "kind" | "note", string>>;

/** Map bounds [west, south, east, north] when known: a clue outside them is refused. */
export type Bounds = [number, number, number, number] | null;

/** One axis: decimal degrees, or DMS / degrees and decimal minutes for that axis. */
function parseNumber(raw: string, axis: "lat" | "lon"): number | string | null {
  const r = parseAxis(raw, axis);
  if (r === null) return null;
  return "error" in r ? r.error : r.value;
}

/** The errors of a clue form's raw values, by field; none when it may be sent. */
export function validateClue(
  raw: { lat: string; lon: string; kind: string; note: string },
  bounds: Bounds,
): { errors: FieldErrors; value: ClueInput | null } {
  const errors: FieldErrors = {};
  const latRead = parseNumber(raw.lat, "lat");
  const lonRead = parseNumber(raw.lon, "lon");
  const lat = typeof latRead === "number" ? latRead : null;
  const lon = typeof lonRead === "number" ? lonRead : null;
  if (raw.lat.trim() === "") errors.lat = "Latitude is required: give decimal degrees, e.g. 36.5412, or fill Position.";
  else if (typeof latRead === "string") errors.lat = latRead;
  else if (lat === null) errors.lat = "Latitude must be a number in decimal degrees (e.g. 36.5412) or DMS (36°32'28\"N).";
  else if (lat < -90 || lat > 90) errors.lat = "Latitude must be between -90 and 90 degrees.";
  if (raw.lon.trim() === "") errors.lon = "Longitude is required: give decimal degrees, e.g. -84.2803, or fill Position.";
  else if (typeof lonRead === "string") errors.lon = lonRead;
  else if (lon === null) errors.lon = "Longitude must be a number in decimal degrees (e.g. -84.2803) or DMS (84°16'49\"W).";
  else if (lon < -180 || lon > 180) errors.lon = "Longitude must be between -180 and 180 degrees.";
  if (!CLUE_KINDS.includes(raw.kind as (typeof CLUE_KINDS)[number])) {
    errors.kind = "Choose what kind of clue this is.";
  }
  if (raw.note.length > 2000) errors.note = "Keep the note under 2000 characters.";
  if (!errors.lat && !errors.lon && lat !== null && lon !== null && bounds) {
    const [w, s, e, n] = bounds;
    if (lat < s || lat > n || lon < w || lon > e) {
      const msg =
        `This point is outside the search map (lat ${s.toFixed(4)} to ${n.toFixed(4)}, ` +
        `lon ${w.toFixed(4)} to ${e.toFixed(4)}); check the coordinates.`;
      errors.lat = msg;
      errors.lon = msg;
    }
  }
  const ok = Object.keys(errors).length === 0 && lat !== null && lon !== null;
  return {
    errors,
    value: ok ? { lat: lat as number, lon: lon as number, kind: raw.kind, note: raw.note.trim() } : null,
  };
}

export interface ClueForm {
  form: HTMLFormElement;
  /** "Position (any format)": when valid, it fills lat and lon. */
  position: HTMLInputElement;
  lat: HTMLInputElement;
  lon: HTMLInputElement;
  kind: HTMLSelectElement;
  note: HTMLTextAreaElement;
  status: HTMLElement;
  /** Show errors next to their fields (and clear the others); focus the first bad field. */
  showErrors(errors: FieldErrors): void;
  /**
   * Before validating: a changed Position fills lat/lon (true), or its message is shown next
   * to it and nothing may be sent (false). An empty Position changes nothing.
   */
  applyPosition(): boolean;
  reset(): void;
}

/**
 * Wire a "Position (any format)" input to its lat/lon inputs: a valid value fills them as it
 * is typed; `apply()` (at submit) re-reads a changed value and returns its error, if any.
 */
export function positionFiller(
  position: HTMLInputElement,
  lat: HTMLInputElement,
  lon: HTMLInputElement,
): { apply(): string | null; clear(): void } {
  let applied = "";
  const fill = (): string | null => {
    const text = position.value;
    if (!text.trim()) applied = "";
    if (!text.trim() || text === applied) return null;
    const p = parseLocation(text);
    if ("error" in p) return `Position: ${p.error}`;
    lat.value = p.lat.toFixed(7);
    lon.value = p.lon.toFixed(7);
    applied = text;
    return null;
  };
  position.addEventListener("input", () => void fill());
  return {
    apply: fill,
    clear() {
      position.value = "";
      applied = "";
    },
  };
}

const KIND_LABELS: Record<string, string> = {
  item: "Item (clothing, gear…)",
  footprint: "Footprint / track",
  sighting: "Sighting",
  dog_alert: "Dog alert",
  scent_track: "Scent track",
  sound: "Sound (call, whistle)",
};

/** Build the form (ids prefixed with `prefix`), with `extra` controls before the submit button. */
export function buildClueForm(prefix: string, extra: Node[] = []): ClueForm {
  const field = (
    name: "position" | "lat" | "lon" | "kind" | "note",
    label: string,
    control: HTMLElement,
    hint?: string,
  ): HTMLElement => {
    control.id = `${prefix}-clue-${name}`;
    control.setAttribute("name", name);
    control.dataset.testid = `clue-${name}`;
    const err = h("p", {
      class: "field-error",
      id: `${prefix}-clue-${name}-error`,
      "data-testid": `field-error-${name}`,
      "aria-live": "polite",
      hidden: true,
    });
    control.setAttribute("aria-describedby", err.id + (hint ? ` ${prefix}-clue-${name}-hint` : ""));
    return h(
      "div",
      { class: "field" },
      h("label", { for: control.id }, label),
      hint ? h("p", { class: "hint", id: `${prefix}-clue-${name}-hint` }, hint) : null,
      control,
      err,
    );
  };
  const position = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const lat = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", required: true });
  const lon = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", required: true });
  const kind = h("select", { required: true });
  for (const k of CLUE_KINDS) kind.append(h("option", { value: k }, KIND_LABELS[k] ?? k));
  const note = h("textarea", { rows: 2, maxlength: 2000 });
  const status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { "data-testid": "clue-form", novalidate: true, "aria-label": "Report a clue" },
    field("position", "Position (any format)", position, `Optional; fills latitude and longitude. ${POSITION_FORMS}`),
    field("lat", "Latitude", lat, "Decimal degrees or DMS, WGS 84 (e.g. 36.5412)"),
    field("lon", "Longitude", lon, "Decimal degrees or DMS, WGS 84 (e.g. -84.2803)"),
    field("kind", "Kind of clue", kind),
    field("note", "What was found (note)", note),
    ...extra,
    h("button", { type: "submit", "data-testid": "clue-submit", class: "primary" }, "Report clue"),
    status,
  );
  const controls = { position, lat, lon, kind, note };
  const filler = positionFiller(position, lat, lon);
  const showErrors = (errors: FieldErrors): void => {
    let first: HTMLElement | null = null;
    for (const name of ["position", "lat", "lon", "kind", "note"] as const) {
      const control = controls[name];
      const err = form.querySelector<HTMLElement>(`[data-testid="field-error-${name}"]`);
      const msg = errors[name];
      if (err) {
        err.textContent = msg ?? "";
        err.hidden = !msg;
      }
      control.setAttribute("aria-invalid", msg ? "true" : "false");
      if (msg && !first) first = control;
    }
    (first as HTMLElement | null)?.focus();
  };
  return {
    form,
    position,
    lat,
    lon,
    kind,
    note,
    status,
    showErrors,
    applyPosition() {
      const error = filler.apply();
      if (error) showErrors({ position: error });
      return error === null;
    },
    reset() {
      filler.clear();
      lat.value = "";
      lon.value = "";
      note.value = "";
      kind.value = CLUE_KINDS[0];
      showErrors({});
    },
  };
}
