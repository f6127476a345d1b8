// Coordinates as a searcher reads them: lat/lon, UTM, MGRS/USNG; and the 1 km UTM grid.

import { forward as mgrsForward, inverse as mgrsInverse } from "mgrs";
import proj4 from "proj4";

export type CoordFormat = "latlon" | "utm" | "mgrs";

export const COORD_FORMATS: { value: CoordFormat; label: string }[] = [
  { value: "latlon", label: "Lat/lon (WGS 84)" },
  { value: "utm", label: "UTM (WGS 84)" },
  { value: "mgrs", label: "MGRS / USNG" },
];

export function utmZone(lon: number, lat: number): number {
  // Norway and Svalbard exceptions are irrelevant to the grid a team reads here; keep it plain.
  let zone = Math.floor((lon + 180) / 6) + 1;
  if (lat >= 56 && lat < 64 && lon >= 3 && lon < 12) zone = 32;
  return Math.min(60, Math.max(1, zone));
}

function utmDef(zone: number, south: boolean): string {
  return `+proj=utm +zone=${zone}${south ? " +south" : ""} +datum=WGS84 +units=m +no_defs`;
}

const LAT_BANDS = "CDEFGHJKLMNPQRSTUVWXX";

export function toUtm(lon: number, lat: number, zone = utmZone(lon, lat)): [number, number] {
  return proj4("EPSG:4326", utmDef(zone, lat < 0), [lon, lat]) as [number, number];
}

function pad(n: number, width: number): string {
  return String(Math.floor(n)).padStart(width, "0");
}

export function formatLatLon(lon: number, lat: number): string {
  const ns = lat >= 0 ? "N" : "S";
  const ew = lon >= 0 ? "E" : "W";
  return `${Math.abs(lat).toFixed(5)}° ${ns}, ${Math.abs(lon).toFixed(5)}° ${ew}`;
}

export function formatUtm(lon: number, lat: number): string {
  if (lat < -80 || lat > 84) return "outside UTM (polar)";
  const zone = utmZone(lon, lat);
  const band = LAT_BANDS[Math.floor((lat + 80) / 8)];
  const [e, n] = toUtm(lon, lat, zone);
  return `${zone}${band} ${pad(e, 6)}E ${pad(n, 7)}N`;
}

export function formatMgrs(lon: number, lat: number): string {
  if (lat < -80 || lat > 84) return "outside MGRS (polar)";
  try {
    const s = mgrsForward([lon, lat], 5); // 1 m
    // "16SFG1234567890" -> "16S FG 12345 67890" (the USNG way of writing it)
    const m = /^(\d{1,2}[A-Z])([A-Z]{2})(\d*)$/.exec(s);
    if (!m) return s;
    const digits = m[3];
    const half = digits.length / 2;
    return `${m[1]} ${m[2]} ${digits.slice(0, half)} ${digits.slice(half)}`;
  } catch {
    return "—";
  }
}

/** The datum a format's text is in, as shown beside it. */
export function datumOf(format: CoordFormat): string {
  return format === "mgrs" ? "NAD 83/WGS 84" : "WGS 84";
}

/** A position in `format`, with its datum stated (`datum` false: without). */
export function formatCoord(lon: number, lat: number, format: CoordFormat, datum = true): string {
  const text = format === "utm" ? formatUtm(lon, lat) : format === "mgrs" ? formatMgrs(lon, lat) : formatLatLon(lon, lat);
  return datum && !/outside|—/.test(text) ? `${text} (${datumOf(format)})` : text;
}

export interface LineFeature {
  type: "Feature";
  properties: { kind: "easting" | "northing"; value: number; major: boolean };
  geometry: { type: "LineString"; coordinates: [number, number][] };
}

export interface LineCollection {
  type: "FeatureCollection";
  features: LineFeature[];
}

/**
 * UTM grid lines (every `spacing` metres) over a lon/lat box, in the zone of its centre,
 * as GeoJSON LineStrings in lon/lat; at most `maxLines` each way (else none).
 */
export function utmGrid(
  west: number,
  south: number,
  east: number,
  north: number,
  spacing: number,
  maxLines = 150,
): LineCollection {
  const lon0 = (west + east) / 2;
  const lat0 = (south + north) / 2;
  const zone = utmZone(lon0, lat0);
  const def = utmDef(zone, lat0 < 0);
  const fwd = (lon: number, lat: number): [number, number] =>
    proj4("EPSG:4326", def, [lon, lat]) as [number, number];
  const inv = (e: number, n: number): [number, number] =>
    proj4(def, "EPSG:4326", [e, n]) as [number, number];
  const corners = [fwd(west, south), fwd(west, north), fwd(east, south), fwd(east, north)];
  const minE = Math.min(...corners.map((c) => c[0]));
  const maxE = Math.max(...corners.map((c) => c[0]));
  const minN = Math.min(...corners.map((c) => c[1]));
  const maxN = Math.max(...corners.map((c) => c[1]));
  const e0 = Math.floor(minE / spacing) * spacing;
  const n0 = Math.floor(minN / spacing) * spacing;
  const features: LineFeature[] = [];
  if ((maxE - e0) / spacing > maxLines || (maxN - n0) / spacing > maxLines) {
    return { type: "FeatureCollection", features };
  }
  const steps = 16;
  for (let e = e0; e <= maxE + spacing; e += spacing) {
    const coords: [number, number][] = [];
    for (let i = 0; i <= steps; i++) coords.push(inv(e, n0 + ((maxN + spacing - n0) * i) / steps));
    features.push({
      type: "Feature",
      properties: { kind: "easting", value: e, major: e % (spacing * 10) === 0 },
      geometry: { type: "LineString", coordinates: coords },
    });
  }
  for (let n = n0; n <= maxN + spacing; n += spacing) {
    const coords: [number, number][] = [];
    for (let i = 0; i <= steps; i++) coords.push(inv(e0 + ((maxE + spacing - e0) * i) / steps, n));
    features.push({
      type: "Feature",
      properties: { kind: "northing", value: n, major: n % (spacing * 10) === 0 },
      geometry: { type: "LineString", coordinates: coords },
    });
  }
  return { type: "FeatureCollection", features };
}

// --- reading what a person types (mirrors wayhome.geo.coords.parse_location) ----------------

/** What a position field accepts, for its hint. */
export const POSITION_FORMS =
  "Decimal 36.547, -84.28 or 36.547N 84.28W; DMS 36°32'49.2\"N 84°16'48.0\"W; " +
  "GPS N36 32.820 W084 16.800; UTM 16S 762345 4051234; MGRS/USNG 16S GF 50784 43054. " +
  "WGS 84 (= NAD 83).";

const FORMS_HINT =
  "write it as decimal degrees 36.547, -84.28, DMS 36°32'49.2\"N 84°16'48.0\"W, " +
  "UTM 16S 762345 4051234, or MGRS/USNG 16S GF 50784 43054";
const SWAP_HINT = "give latitude first, then longitude, e.g. 36.58, -84.25";

export type Parsed = { lat: number; lon: number } | { error: string };

class LocationError extends Error {}

const BANDS = "CDEFGHJKLMNPQRSTUVWX";
const NUM = String.raw`[-+]?\d+(?:\.\d+)?`;
const LATLON = new RegExp(String.raw`^\s*(${NUM})\s*([NSns])?\s*[,;\s]\s*(${NUM})\s*([EWew])?\s*$`);
const UTM_RE = new RegExp(
  String.raw`^\s*(?:UTM\s*)?(\d{1,2})\s*([C-HJ-NP-Xc-hj-np-x])\s+(\d{4,7}(?:\.\d+)?)\s*(?:m?E)?` +
    String.raw`\s*[,\s]\s*(\d{1,8}(?:\.\d+)?)\s*(?:m?N)?\s*$`,
);
const MGRS_RE = /^\s*(?:(\d{1,2})\s*([C-HJ-NP-X])|([ABYZ]))\s*([A-HJ-NP-Z]{2})((?:\s*\d+){0,2})\s*$/i;
const DATUM_RE =
  /\s*[([]?\s*(?:datum\s*[:=]?\s*)?(WGS\s*-?\s*84|NAD\s*-?\s*83(?:\s*\/\s*WGS\s*-?\s*84)?|NAD\s*-?\s*27|[A-Z]{2,}\s*-?\s*\d{2,4})\s*[)\]]?\s*$/i;

/**
 * A position as a person writes it: decimal degrees ("36.58, -84.25", "36.58N 84.25W"),
 * DMS (36°32'49.2"N 84°16'48.0"W), degrees and decimal minutes ("N36 32.820 W084 16.800"),
 * UTM ("16S 762345 4051234") or MGRS/USNG ("16S GF 50784 43054", spaces optional; the centre
 * of the square it names). A trailing "(WGS 84)" or "(NAD 83)" is accepted; other datums are
 * refused. On failure: `{error}` naming the problem and the fix.
 */
export function parseLocation(text: string): Parsed {
  try {
    return parseOrThrow(text);
  } catch (e) {
    if (e instanceof LocationError) return { error: e.message };
    throw e;
  }
}

function checked(lat: number, lon: number): { lat: number; lon: number } {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) throw new LocationError("Latitude and longitude must be numbers.");
  if (Math.abs(lat) > 90) throw new LocationError(`Latitude ${lat} is outside -90..90; ${SWAP_HINT}.`);
  if (Math.abs(lon) > 180) throw new LocationError(`Longitude ${lon} is outside -180..180.`);
  return { lat, lon };
}

function parseOrThrow(text: string): { lat: number; lon: number } {
  if (!text.trim()) throw new LocationError(`Empty: ${FORMS_HINT}.`);
  const body = stripDatum(text);
  let m = LATLON.exec(body);
  if (m) return decimalDegrees(m, text);
  m = UTM_RE.exec(body);
  if (m) return fromUtm(Number(m[1]), m[2].toUpperCase(), Number(m[3]), Number(m[4]), text);
  m = MGRS_RE.exec(body);
  if (m) return fromMgrs(m, text);
  const dms = fromDms(body, text);
  if (dms) return dms;
  throw new LocationError(`Cannot read "${text.trim()}" as a position: ${FORMS_HINT}.`);
}

function stripDatum(text: string): string {
  const m = DATUM_RE.exec(text);
  if (!m || m.index === 0) return text;
  const name = m[1].replace(/[\s-]/g, "").toUpperCase();
  if (name.startsWith("WGS84") || name.startsWith("NAD83")) return text.slice(0, m.index);
  if (/^[A-Z]{2,}\d{2,4}$/.test(name) && !/^(NAD|ED|OSGB)/.test(name)) return text; // e.g. the end of an MGRS reference
  throw new LocationError(
    `Datum ${m[1].trim()} is not supported: wayhome works in WGS 84 (= NAD 83 within a GPS fix). ` +
      "Set the GPS or map to WGS 84 and read the position again (NAD 27 on old USGS maps is up to 200 m off).",
  );
}

function signCheck(name: string, num: string, letter: string | undefined, text: string): void {
  if (!letter || !"+-".includes(num[0])) return;
  if ((num[0] === "-") !== "SW".includes(letter.toUpperCase())) {
    throw new LocationError(
      `The ${name} ${num}${letter} in "${text.trim()}" has a sign that contradicts its hemisphere letter; drop the sign, e.g. 36.58N 84.25W.`,
    );
  }
}

function decimalDegrees(m: RegExpExecArray, text: string): { lat: number; lon: number } {
  let lat = Number(m[1]);
  let lon = Number(m[3]);
  const latH = m[2]?.toUpperCase();
  const lonH = m[4]?.toUpperCase();
  if ((latH && "EW".includes(latH)) || (lonH && "NS".includes(lonH))) {
    throw new LocationError(`"${text.trim()}" has N/S and E/W mixed up; ${SWAP_HINT}.`);
  }
  signCheck("latitude", m[1], latH, text);
  signCheck("longitude", m[3], lonH, text);
  if (latH === "S") lat = -Math.abs(lat);
  if (lonH === "W") lon = -Math.abs(lon);
  if (Math.abs(lat) > 90 && Math.abs(lon) <= 90) {
    throw new LocationError(`Latitude ${lat} is outside -90..90: latitude and longitude look swapped; ${SWAP_HINT}.`);
  }
  return checked(lat, lon);
}

function fromUtm(zone: number, band: string, e: number, n: number, text: string): { lat: number; lon: number } {
  if (zone < 1 || zone > 60) throw new LocationError(`UTM zone ${zone} in "${text.trim()}" is outside 1..60; check the zone number.`);
  if (e < 100_000 || e > 900_000) {
    throw new LocationError(
      `UTM easting ${e} m is outside 100000..900000: an easting has six digits (did a digit go missing, or easting and northing swap?).`,
    );
  }
  if (n < 0 || n > 10_000_000) throw new LocationError(`UTM northing ${n} m is outside 0..10000000; check the digits.`);
  const [lon, lat] = proj4(utmDef(zone, band < "N"), "EPSG:4326", [e, n]) as [number, number];
  const low = -80 + 8 * BANDS.indexOf(band);
  const high = band === "X" ? 84 : low + 8;
  if (!(lat >= low - 0.01 && lat <= high + 0.01)) {
    throw new LocationError(
      `UTM band ${zone}${band} does not match northing ${Math.round(n)} (latitude ${lat.toFixed(2)}); ` +
        "check the band letter (N and above are north of the equator) and the northing.",
    );
  }
  return checked(lat, lon);
}

function fromMgrs(m: RegExpExecArray, text: string): { lat: number; lon: number } {
  const digits = m[5].replace(/\s+/g, "");
  if (digits.length % 2 || digits.length > 10) {
    throw new LocationError(
      `MGRS/USNG "${text.trim()}" has ${digits.length} digits; give an even number, up to 10 (easting then northing, 5+5 for 1 m).`,
    );
  }
  if (!m[1]) throw new LocationError("Polar (UPS) grid references are not supported here; give latitude and longitude.");
  const compact = m[0].replace(/\s+/g, "").toUpperCase();
  let corner: [number, number];
  try {
    const box = mgrsInverse(compact);
    corner = [box[0], box[1]];
    if (!Number.isFinite(corner[0]) || !Number.isFinite(corner[1])) throw new Error("no position");
  } catch {
    throw new LocationError(
      `"${text.trim()}" is not a valid MGRS/USNG grid reference; check the zone, band and 100 km square letters, e.g. 16S GF 50784 43054.`,
    );
  }
  const zone = Number(m[1]);
  const def = utmDef(zone, m[2].toUpperCase() < "N");
  // The library finds the 100 km square; the position within it comes from the digits, through proj4.
  const [x0, y0] = proj4("EPSG:4326", def, corner) as [number, number];
  const half = digits.length / 2;
  const size = 10 ** (5 - half);
  const east = Number(digits.slice(0, half) || 0) * size;
  const north = Number(digits.slice(half) || 0) * size;
  const x = Math.round((x0 - east) / 100_000) * 100_000 + east + size / 2;
  const y = Math.round((y0 - north) / 100_000) * 100_000 + north + size / 2;
  const [lon, lat] = proj4(def, "EPSG:4326", [x, y]) as [number, number];
  return checked(lat, lon);
}

type Tok = { kind: "hem" | "num" | "sep"; value: string; mark?: string };
const MARK_ORDER = ["°", "′", "″"];

function tokens(body: string): Tok[] | null {
  const norm = body
    .replace(/[º˚]/g, "°")
    .replace(/[’']/g, "′")
    .replace(/[”"]/g, "″")
    .replace(/′′/g, "″")
    .toUpperCase()
    .trim();
  const re = /\s*(?:([NSEW])|([-+]?\d+(?:\.\d+)?)\s*([°′″])?|([,;]))/y;
  const out: Tok[] = [];
  let pos = 0;
  while (pos < norm.length) {
    re.lastIndex = pos;
    const t = re.exec(norm);
    if (!t || re.lastIndex === pos) return null;
    pos = re.lastIndex;
    if (t[1]) out.push({ kind: "hem", value: t[1] });
    else if (t[2]) out.push({ kind: "num", value: t[2], mark: t[3] });
    else out.push({ kind: "sep", value: t[4] });
  }
  return out;
}

type Group = { nums: Tok[]; hem: string | null };

function group(part: Tok[]): Group | null {
  const hems = part.filter((t) => t.kind === "hem");
  const nums = part.filter((t) => t.kind === "num");
  if (hems.length > 1 || nums.length < 1 || nums.length > 3) return null;
  return { nums, hem: hems[0]?.value ?? null };
}

function splitAt(toks: Tok[], starts: number[]): Tok[][] {
  return starts.map((s, i) => toks.slice(s, starts[i + 1] ?? toks.length));
}

function fromDms(body: string, text: string): { lat: number; lon: number } | null {
  const toks = tokens(body);
  if (!toks || !toks.length) return null;
  const kinds = toks.map((t) => t.kind);
  let parts: Tok[][];
  if (kinds.includes("sep")) {
    if (kinds.filter((k) => k === "sep").length > 1) return null;
    const i = kinds.indexOf("sep");
    parts = [toks.slice(0, i), toks.slice(i + 1)];
  } else if (kinds[0] === "hem") {
    parts = splitAt(toks, kinds.flatMap((k, i) => (k === "hem" ? [i] : [])));
  } else if (kinds.includes("hem")) {
    const ends = kinds.flatMap((k, i) => (k === "hem" ? [i + 1] : []));
    parts = ends.map((e, i) => toks.slice(i === 0 ? 0 : ends[i - 1], e));
    if (ends[ends.length - 1] !== toks.length) parts.push(toks.slice(ends[ends.length - 1]));
  } else if (toks.slice(1).some((t) => t.mark === "°")) {
    parts = splitAt(toks, [0, ...toks.flatMap((t, i) => (t.mark === "°" && i > 0 ? [i] : []))]);
  } else if (toks.length === 4 || toks.length === 6) {
    parts = [toks.slice(0, toks.length / 2), toks.slice(toks.length / 2)];
  } else return null;
  if (parts.length !== 2) return null;
  let a = group(parts[0]);
  let b = group(parts[1]);
  if (!a || !b) return null;
  if ((a.hem && "EW".includes(a.hem) && (!b.hem || "NS".includes(b.hem))) || (b.hem && "NS".includes(b.hem))) [a, b] = [b, a];
  if ((a.hem && "EW".includes(a.hem)) || (b.hem && "NS".includes(b.hem))) {
    throw new LocationError(`"${text.trim()}" has N/S and E/W mixed up; ${SWAP_HINT}.`);
  }
  return checked(angle("latitude", a, text), angle("longitude", b, text));
}

function angle(name: string, g: Group, text: string): number {
  g.nums.forEach((t, i) => {
    if (t.mark && t.mark !== MARK_ORDER[i]) {
      throw new LocationError(
        `The ${name} parts in "${text.trim()}" are out of order; write degrees, then minutes, then seconds, e.g. 36°32'49.2"N.`,
      );
    }
  });
  let sign = g.nums[0].value.startsWith("-") ? -1 : 1;
  if (g.hem) {
    signCheck(name, g.nums[0].value, g.hem, text);
    sign = "SW".includes(g.hem) ? -1 : 1;
  }
  const v = g.nums.map((t) => Math.abs(Number(t.value)));
  const labels = ["degrees", "minutes", "seconds"];
  v.forEach((x, i) => {
    if (i < v.length - 1 && x !== Math.trunc(x)) {
      throw new LocationError(
        `The ${name} ${labels[i]} ${x} have decimals but more parts follow; only the last part may have decimals, e.g. 36°32.82'.`,
      );
    }
    if (i > 0 && x >= 60) throw new LocationError(`The ${name} ${labels[i]} ${x} are outside 0..59.999; check the ${labels[i]}.`);
  });
  return sign * (v[0] + (v[1] ?? 0) / 60 + (v[2] ?? 0) / 3600);
}

/**
 * One axis as typed into a latitude or longitude field: decimal degrees ("36.5412",
 * "36.5412N") or DMS / degrees and decimal minutes ("36°32'49.2\"N", "N36 32.820").
 * null: not readable as an angle; `{error}`: readable but wrong (e.g. an E/W letter on a latitude).
 */
export function parseAxis(raw: string, axis: "lat" | "lon"): { value: number } | { error: string } | null {
  const t = raw.trim().replace(/^([+-]?\d+),(\d+)$/, "$1.$2");
  if (!t) return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return { value: Number(t) };
  const name = axis === "lat" ? "latitude" : "longitude";
  const toks = tokens(stripSafe(t));
  if (!toks || toks.some((x) => x.kind === "sep")) return null;
  const g = group(toks);
  if (!g) return null;
  const hemIndex = toks.findIndex((x) => x.kind === "hem");
  if (hemIndex > 0 && hemIndex !== toks.length - 1) return null;
  const ok = axis === "lat" ? "NS" : "EW";
  if (g.hem && !ok.includes(g.hem)) {
    return { error: `A ${name} takes ${ok[0]} or ${ok[1]}, not ${g.hem}: check which field this goes in.` };
  }
  try {
    return { value: angle(name, g, raw) };
  } catch (e) {
    if (e instanceof LocationError) return { error: e.message };
    throw e;
  }
}

function stripSafe(t: string): string {
  try {
    return stripDatum(t);
  } catch {
    return t;
  }
}
