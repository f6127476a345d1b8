// The map's style: only same-origin sources (hillshade and POA tiles from the incident
// server; contours, segments, layers fetched as GeoJSON). No glyphs or sprites are used:
// labels are HTML markers, so the map never asks for fonts.

import type { StyleSpecification } from "maplibre-gl";
import { sameOrigin, token } from "./api";
import type { MapInfo } from "./types";

export const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

/** Raster tiles are asked for 512 px square (`?size=512`, the ground of a 256 px XYZ tile):
 * a quarter of the requests, decodes and textures of 256 px tiles for a screen (#6). */
export const TILE_PX = 512;

export function tileUrl(incidentId: number, kind: "hillshade" | "poa", info: MapInfo, model?: string): string {
  const v = encodeURIComponent(String(info.version ?? "0"));
  const q =
    (kind === "poa" ? `?model=${encodeURIComponent(model ?? "posterior")}&v=${v}` : `?v=${v}`) + `&size=${TILE_PX}`;
  // Not through URL(): it would escape the {z}/{x}/{y} placeholders.
  return `${location.origin}/incidents/${incidentId}/map/tiles/${kind}/{z}/{x}/{y}.png${q}`;
}

/** MapLibre's transformRequest: the bearer token on same-origin requests only. */
export function transformRequest(url: string): { url: string; headers?: Record<string, string> } {
  if (!sameOrigin(url)) return { url };
  const t = token();
  return t ? { url, headers: { Authorization: `Bearer ${t}` } } : { url };
}

export interface StyleOptions {
  incidentId: number;
  info: MapInfo | null;
  sunlight: boolean;
  model: string;
}

export function palette(sunlight: boolean) {
  return sunlight
    ? {
        background: "#ffffff",
        contour: "#5a3a00",
        stream: "#0033cc",
        trail: "#000000",
        road: "#222222",
        segLine: "#000000",
        grid: "#000000",
        hazard: "#d00000",
      }
    : {
        background: "#eef0e8",
        contour: "#8a6a3a",
        stream: "#2d6fd2",
        trail: "#6b3e1f",
        road: "#4a4a4a",
        segLine: "#1d2a44",
        grid: "#0b3d91",
        hazard: "#c1121f",
      };
}

export function buildStyle(o: StyleOptions): StyleSpecification {
  const c = palette(o.sunlight);
  // Source order is request order: MapLibre updates its sources in this order and runs at
  // most `maxParallelImageRequests` image requests at once, so the POA heat comes first, then
  // the relief, then the GeoJSON (filled by the app). Layer order (drawing) is separate.
  const sources: StyleSpecification["sources"] = {};
  if (o.info) {
    sources.poa = {
      type: "raster",
      tiles: [tileUrl(o.incidentId, "poa", o.info, o.model)],
      tileSize: TILE_PX,
      bounds: o.info.bounds,
      maxzoom: 17,
    };
    if (o.info.has_terrain !== false) {
      sources.hillshade = {
        type: "raster",
        tiles: [tileUrl(o.incidentId, "hillshade", o.info)],
        tileSize: TILE_PX,
        bounds: o.info.bounds,
        maxzoom: 17,
      };
    }
  }
  Object.assign(sources, {
    contours: { type: "geojson", data: EMPTY },
    layers: { type: "geojson", data: EMPTY },
    segments: { type: "geojson", data: EMPTY, promoteId: "id" },
    hazards: { type: "geojson", data: EMPTY },
    grid: { type: "geojson", data: EMPTY },
    tracks: { type: "geojson", data: EMPTY },
    clues: { type: "geojson", data: EMPTY },
    me: { type: "geojson", data: EMPTY },
  } satisfies StyleSpecification["sources"]);
  const layers: StyleSpecification["layers"] = [
    { id: "background", type: "background", paint: { "background-color": c.background } },
  ];
  if (sources.hillshade) {
    layers.push({
      id: "hillshade",
      type: "raster",
      source: "hillshade",
      paint: { "raster-opacity": o.sunlight ? 0.75 : 0.9, "raster-fade-duration": 0 },
    });
  }
  layers.push(
    {
      id: "contours",
      type: "line",
      source: "contours",
      paint: {
        "line-color": c.contour,
        "line-width": ["case", ["==", ["get", "index"], true], 1.3, 0.6],
        "line-opacity": 0.8,
      },
    },
    {
      id: "streams",
      type: "line",
      source: "layers",
      filter: ["in", ["get", "kind"], ["literal", ["stream", "streams", "river", "water"]]],
      paint: { "line-color": c.stream, "line-width": 1.8 },
    },
    {
      id: "roads",
      type: "line",
      source: "layers",
      filter: ["in", ["get", "kind"], ["literal", ["road", "roads"]]],
      paint: { "line-color": c.road, "line-width": 2.5 },
    },
    {
      id: "trails",
      type: "line",
      source: "layers",
      filter: ["in", ["get", "kind"], ["literal", ["trail", "trails", "path"]]],
      paint: { "line-color": c.trail, "line-width": 1.8, "line-dasharray": [3, 2] },
    },
    {
      id: "barriers",
      type: "line",
      source: "layers",
      filter: ["in", ["get", "kind"], ["literal", ["barrier", "barriers", "fence", "cliff"]]],
      paint: { "line-color": c.hazard, "line-width": 1.5, "line-dasharray": [1, 1] },
    },
  );
  if (o.info) {
    layers.push({
      id: "poa",
      type: "raster",
      source: "poa",
      paint: { "raster-opacity": 0.6, "raster-fade-duration": 0 },
    });
  }
  layers.push(
    {
      id: "segments-fill",
      type: "fill",
      source: "segments",
      paint: { "fill-color": "#ffffff", "fill-opacity": 0.35 },
    },
    {
      id: "segments-line",
      type: "line",
      source: "segments",
      paint: {
        "line-color": [
          "match",
          ["coalesce", ["feature-state", "status"], "none"],
          "planned",
          "#7b2cbf",
          "in_progress",
          "#e85d04",
          "completed",
          "#2b9348",
          "aborted",
          "#6c757d",
          c.segLine,
        ],
        "line-width": ["case", ["==", ["coalesce", ["feature-state", "status"], "none"], "none"], 1, 3],
      },
    },
    {
      id: "hazards-fill",
      type: "fill",
      source: "hazards",
      paint: { "fill-color": c.hazard, "fill-opacity": 0.2 },
    },
    {
      id: "hazards-line",
      type: "line",
      source: "hazards",
      paint: { "line-color": c.hazard, "line-width": 2, "line-dasharray": [2, 1] },
    },
    {
      id: "grid",
      type: "line",
      source: "grid",
      paint: {
        "line-color": c.grid,
        "line-width": ["case", ["get", "major"], 1.2, 0.6],
        "line-opacity": 0.55,
      },
    },
    {
      id: "tracks",
      type: "line",
      source: "tracks",
      paint: { "line-color": ["get", "color"], "line-width": 2.5, "line-opacity": 0.85 },
    },
    {
      id: "clues",
      type: "circle",
      source: "clues",
      paint: {
        "circle-radius": 7,
        "circle-color": "#ffd60a",
        "circle-stroke-color": "#000000",
        "circle-stroke-width": 2,
      },
    },
    {
      id: "me",
      type: "circle",
      source: "me",
      paint: {
        "circle-radius": 7,
        "circle-color": "#1d4ed8",
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 3,
      },
    },
  );
  return { version: 8, sources, layers };
}

/** Colours for pairs: distinct, and readable against the terrain and each other. */
export const PAIR_COLOURS = [
  "#d00000",
  "#0057b8",
  "#008148",
  "#8f00c7",
  "#e07a00",
  "#007c91",
  "#b5179e",
  "#5c4d00",
  "#3a0ca3",
  "#9d0208",
  "#2d6a4f",
  "#6a4c93",
];

/** `style` with the layers `ids` hidden (`visibility: none`: MapLibre asks for no tiles of a
 * source whose layers are all hidden). The command post shows the relief once the POA heat
 * and the segments have been drawn (#6, first paint). */
export function withHidden(style: StyleSpecification, ids: readonly string[]): StyleSpecification {
  return {
    ...style,
    layers: style.layers.map((l) =>
      ids.includes(l.id) ? ({ ...l, layout: { ...(l.layout ?? {}), visibility: "none" } } as typeof l) : l,
    ),
  };
}
