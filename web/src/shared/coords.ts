// Coordinates as a searcher reads them: lat/lon, UTM, MGRS/USNG; and the 1 km UTM grid.

import { forward as mgrsForward } from "mgrs";
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

export function formatCoord(lon: number, lat: number, format: CoordFormat): string {
  if (format === "utm") return formatUtm(lon, lat);
  if (format === "mgrs") return formatMgrs(lon, lat);
  return formatLatLon(lon, lat);
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
