// The command-post map: base map, POA heat, segments, grid, members, places, clues, hazards.

import { maplibregl } from "../shared/maplibre";
import type { GeoJSONSource, Map as MlMap } from "maplibre-gl";
import { ApiError, api } from "../shared/api";
import { formatCoord, utmGrid, type CoordFormat } from "../shared/coords";
import { ago, h } from "../shared/dom";
import { EMPTY, PAIR_COLOURS, buildStyle, tileUrl, transformRequest, withHidden } from "../shared/mapstyle";
import { isSunlight } from "../shared/theme";
import type { Assignment, Clue, Hazard, MapInfo, Place, Position, Subject } from "../shared/types";
import type { IncidentState } from "./main";

const TRACK_POINTS = 40;
const TRACK_MINUTES = 30;

type SegmentColouring = "poa" | "pod";

/** Seconds since last contact: fresh below 10 min, stale to 30 min, overdue beyond (or flagged). */
export const STALE_S = 10 * 60;
export const OVERDUE_S = 30 * 60;
export type ContactState = "fresh" | "stale" | "overdue";
export function contactState(secs: number, flagged: boolean): ContactState {
  if (flagged || secs >= OVERDUE_S) return "overdue";
  return secs >= STALE_S ? "stale" : "fresh";
}

const RAMPS: Record<SegmentColouring, string[]> = {
  poa: ["#fff7bc", "#fec44f", "#d95f0e", "#7f0000"],
  pod: ["#f7fbff", "#9ecae1", "#4292c6", "#08306b"],
};

export class CommandMap {
  readonly map: MlMap;
  info: MapInfo | null = null;
  segments: GeoJSON.FeatureCollection = EMPTY;
  model = "posterior";
  colouring: SegmentColouring = "poa";
  showGrid = true;
  coordFormat: CoordFormat = "latlon";
  onLoaded: (() => void) | null = null;
  private markers = new Map<number, maplibregl.Marker>();
  private placeMarkers: maplibregl.Marker[] = [];
  private subjectMarkers: maplibregl.Marker[] = [];
  private labelMarkers: maplibregl.Marker[] = [];
  private tracks = new Map<number, [number, number][]>();
  private styleReady: Promise<void>;
  private segmentsLoaded = false;
  private poaLoaded = false;
  private markPainted: () => void = () => undefined;
  /** Resolves once the POA heat and the segments have been drawn (or there is no plan map):
   * what is not needed for the first meaningful paint waits for it (#6). */
  readonly painted: Promise<void> = new Promise((resolve) => (this.markPainted = resolve));
  private data: { contours: unknown; layers: unknown } = { contours: EMPTY, layers: EMPTY };
  private assignments: Assignment[] = [];
  private tracksQueued = false;
  private pairsQueued = false;

  constructor(
    container: HTMLElement,
    private readonly state: IncidentState,
  ) {
    this.map = new maplibregl.Map({
      container,
      style: buildStyle({ incidentId: state.incidentId, info: null, sunlight: isSunlight(), model: this.model }),
      center: [0, 0],
      zoom: 1,
      attributionControl: false,
      transformRequest,
      maxPitch: 0,
      dragRotate: false,
      // Nothing beyond the server: no remote glyphs, no RTL plugin, no telemetry.
      localIdeographFontFamily: "sans-serif",
      // First paint (#6): no fade frames (each frame is dear in software WebGL).
      fadeDuration: 0,
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    this.map.keyboard.enable();
    window.__wayhome.map = this.map;
    this.styleReady = new Promise((resolve) => this.map.once("load", () => resolve()));
    const readout = document.getElementById("coord-readout");
    this.map.on("mousemove", (e) => {
      if (readout) readout.textContent = formatCoord(e.lngLat.lng, e.lngLat.lat, this.coordFormat);
    });
    this.map.on("moveend", () => {
      this.updateGrid();
      this.declutterLabels();
    });
    this.map.on("sourcedata", (e) => {
      if (e.sourceId === "poa" && e.isSourceLoaded && this.map.getLayer("poa")) {
        this.poaLoaded = true;
        this.checkReady();
      }
    });
    document.addEventListener("wayhome:theme", this.restyle);
    // Keyboard users: the map container is focusable; its centre is read out on moves.
    this.map.getCanvas().setAttribute("aria-label", "Incident map: arrow keys pan, + and - zoom");
    this.map.on("moveend", () => {
      const c = this.map.getCenter();
      if (readout && document.activeElement === this.map.getCanvas()) {
        readout.textContent = `centre ${formatCoord(c.lng, c.lat, this.coordFormat)}`;
      }
    });
  }

  destroy(): void {
    document.removeEventListener("wayhome:theme", this.restyle);
    this.map.remove();
  }

  private restyle = (): void => {
    this.map.setStyle(this.style(), { diff: false });
    this.map.once("styledata", () => void this.refill());
  };

  private style() {
    return buildStyle({
      incidentId: this.state.incidentId,
      info: this.info,
      sunlight: isSunlight(),
      model: this.model,
    });
  }

  /** Fetch the map description and the GeoJSON layers; degrade to an empty map without them. */
  async load(): Promise<void> {
    const id = this.state.incidentId;
    const legend = document.getElementById("map-legend");
    // First paint (#6): the GeoJSON is asked for at once, with the map description (its URLs
    // do not depend on it; without a plan each is a 404, taken as empty).
    const get = (path: string): Promise<GeoJSON.FeatureCollection> =>
      api<GeoJSON.FeatureCollection>(`/incidents/${id}/map/${path}`).catch(() => EMPTY);
    const vectors = Promise.all([get("segments.geojson"), get("layers.geojson"), get("contours.geojson")]);
    try {
      this.info = await api<MapInfo>(`/incidents/${id}/map`);
    } catch (e) {
      this.info = null;
      const why =
        e instanceof ApiError && e.status === 404
          ? "No plan is linked to this incident (or the map server is not available): the map shows only positions, places and hazards."
          : `The map could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
      window.__wayhome.error = why;
      if (legend) legend.textContent = why;
    }
    if (this.info) {
      // Not after the first (empty) style's "load": the plan's style replaces it at once,
      // the relief hidden until the POA heat and the segments have been drawn (#6).
      this.map.setStyle(withHidden(this.style(), ["hillshade"]), { diff: false });
      await new Promise<void>((r) => (this.map.isStyleLoaded() ? r() : this.map.once("styledata", () => r())));
      const [w, s, e, n] = this.info.bounds;
      this.map.fitBounds(
        [
          [w, s],
          [e, n],
        ],
        { padding: 20, animate: false },
      );
      this.map.setMaxBounds([
        [w - (e - w), s - (n - s)],
        [e + (e - w), n + (n - s)],
      ]);
      if (legend) legend.replaceChildren(...this.legend());
    } else {
      await this.styleReady;
      this.fitToPositions();
    }
    const [segments, layers, contours] = await vectors;
    const info = this.info;
    // The contours (the most to tile and draw) go on the map once the POA heat and the
    // segments have been drawn.
    this.data = { contours: EMPTY, layers: info?.has_layers === false ? EMPTY : layers };
    this.segments = info && info.has_segments !== false ? segments : EMPTY;
    this.segmentsLoaded = !!info;
    this.refill();
    this.onLoaded?.();
    this.checkReady();
    if (!info) this.markPainted();
    else {
      void this.painted.then(() => {
        this.setLayerVisible("hillshade", true);
        this.data.contours = contours;
        this.setSource("contours", contours);
      });
    }
  }

  /** The plan changed (a clue was applied): new tiles (new ?v=) and segments. */
  async refreshPlan(): Promise<void> {
    const id = this.state.incidentId;
    let info: MapInfo;
    try {
      info = await api<MapInfo>(`/incidents/${id}/map`);
    } catch {
      return;
    }
    if (this.info && info.version === this.info.version) return;
    this.info = info;
    for (const kind of ["hillshade", "poa"] as const) {
      const src = this.map.getSource(kind) as maplibregl.RasterTileSource | undefined;
      src?.setTiles([tileUrl(id, kind, info, this.model)]);
    }
    this.segments = await api<GeoJSON.FeatureCollection>(`/incidents/${id}/map/segments.geojson`).catch(() => this.segments);
    this.setSource("segments", this.segments);
    this.applySegmentPaint();
    this.setAssignments(this.assignments);
    this.renderSegmentLabels();
  }

  private checkReady(): void {
    if (this.info && this.segmentsLoaded && (this.poaLoaded || !this.map.getLayer("poa"))) {
      if (!window.__wayhome.ready) {
        // The frame after this one draws them: then the rest may load.
        this.map.once("render", () => this.markPainted());
        this.map.triggerRepaint();
      }
      window.__wayhome.ready = true;
    }
  }

  private legend(): Node[] {
    return [
      h("strong", {}, "Legend "),
      h("span", { class: "swatch seg-planned" }, "planned"),
      h("span", { class: "swatch seg-in_progress" }, "in progress"),
      h("span", { class: "swatch seg-completed" }, "completed"),
      h("span", { class: "swatch hazard" }, "hazard"),
      h("span", { class: "swatch clue" }, "clue"),
    ];
  }

  private setSource(id: string, data: unknown): void {
    const src = this.map.getSource(id) as GeoJSONSource | undefined;
    src?.setData(data as GeoJSON.FeatureCollection);
  }

  /** Put everything back into the sources (after a style change). */
  private refill(): void {
    this.setSource("contours", this.data.contours);
    this.setSource("layers", this.data.layers);
    this.setSource("segments", this.segments);
    this.applySegmentPaint();
    this.setHazards(this.state.hazards);
    this.setClues(this.state.clues);
    this.setAssignments(this.assignments);
    this.renderTracks();
    this.renderPairs();
    this.updateGrid();
    this.renderSegmentLabels();
  }

  private applySegmentPaint(): void {
    if (!this.map.getLayer("segments-fill")) return;
    const prop = this.colouring === "poa" ? "poa" : "pod_cumulative";
    let max = 0;
    for (const f of this.segments.features) {
      const v = Number((f.properties ?? {})[prop] ?? 0);
      if (Number.isFinite(v)) max = Math.max(max, v);
    }
    max = this.colouring === "pod" ? 1 : max || 1;
    const ramp = RAMPS[this.colouring];
    this.map.setPaintProperty("segments-fill", "fill-color", [
      "interpolate",
      ["linear"],
      ["to-number", ["coalesce", ["get", prop], 0]],
      0,
      ramp[0],
      max / 3,
      ramp[1],
      (2 * max) / 3,
      ramp[2],
      max,
      ramp[3],
    ]);
    this.map.setPaintProperty("segments-fill", "fill-opacity", 0.45);
  }

  private renderSegmentLabels(): void {
    for (const m of this.labelMarkers) m.remove();
    this.labelMarkers = [];
    const visible = this.map.getLayer("segments-fill")
      ? this.map.getLayoutProperty("segments-fill", "visibility") !== "none"
      : false;
    if (!visible) return;
    for (const f of this.segments.features) {
      const p = f.properties ?? {};
      const c = centroid(f.geometry);
      if (!c) continue;
      const poa = Number(p.poa ?? 0);
      const pod = Number(p.pod_cumulative ?? 0);
      const label = String(p.id ?? p.label ?? "");
      const value = this.colouring === "poa" ? `${(poa * 100).toFixed(1)}%` : `POD ${(pod * 100).toFixed(0)}%`;
      const el = h(
        "div",
        { class: "seg-label", "data-segment": String(p.id ?? ""), "aria-hidden": "true" },
        h("b", {}, label),
        " ",
        value,
      );
      el.dataset.rank = String(this.colouring === "poa" ? poa : pod);
      this.labelMarkers.push(new maplibregl.Marker({ element: el }).setLngLat(c).addTo(this.map));
    }
    this.declutterLabels();
  }

  /** Hide segment labels that would overlap a more probable segment's label. */
  private declutterLabels = (): void => {
    const placed: DOMRect[] = [];
    const sorted = [...this.labelMarkers].sort(
      (a, b) => Number(b.getElement().dataset.rank) - Number(a.getElement().dataset.rank),
    );
    for (const m of sorted) {
      const el = m.getElement();
      el.style.visibility = "visible";
      const r = el.getBoundingClientRect();
      const hit = placed.some((p) => r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top);
      if (hit) el.style.visibility = "hidden";
      else placed.push(r);
    }
  };

  /** The legend of the segments' colouring: ramp and what its ends mean. */
  segmentLegend(): { colouring: SegmentColouring; title: string; colours: string[]; low: string; high: string } {
    if (this.colouring === "pod") {
      return { colouring: "pod", title: "Segments: cumulative POD (coverage)", colours: RAMPS.pod, low: "0 %", high: "100 %" };
    }
    let max = 0;
    for (const f of this.segments.features) max = Math.max(max, Number((f.properties ?? {}).poa ?? 0) || 0);
    return {
      colouring: "poa",
      title: "Segments: POA (probability of area)",
      colours: RAMPS.poa,
      low: "0 %",
      high: `${(max * 100).toFixed(1)} %`,
    };
  }

  /** The id of the segment under a pixel of the map, if any. */
  segmentAt(point: { x: number; y: number }): string | null {
    if (!this.map.getLayer("segments-fill")) return null;
    if (this.map.getLayoutProperty("segments-fill", "visibility") === "none") return null;
    const hit = this.map.queryRenderedFeatures([point.x, point.y], { layers: ["segments-fill"] })[0];
    const id = hit?.properties?.id ?? hit?.id;
    return id === undefined || id === null ? null : String(id);
  }

  /** Each subject's last-seen point (and where found), as a marker. */
  setSubjects(subjects: Subject[]): void {
    for (const m of this.subjectMarkers) m.remove();
    this.subjectMarkers = subjects.map((s) => {
      const el = h(
        "div",
        { class: `place subject-marker subject-${s.status}`, role: "img", "aria-label": `Subject ${s.name} (${s.status.replace("_", " ")}): last seen here`, title: s.name, "data-subject-id": s.id },
        h("span", { class: "place-icon" }, "LKP"),
        h("span", { class: "place-name" }, s.name),
      );
      return new maplibregl.Marker({ element: el, anchor: "left" }).setLngLat([s.last_seen_lon, s.last_seen_lat]).addTo(this.map);
    });
  }

  /** Lines joining the two members of each pair (drawn under the markers, in the pair's colour). */
  private renderPairs(): void {
    if (!this.map.getStyle()) return;
    const features: GeoJSON.Feature[] = [];
    for (const t of this.state.teams) {
      const pairs = new Map<number, number[]>();
      for (const m of t.members) pairs.set(m.pair, [...(pairs.get(m.pair) ?? []), m.member_id]);
      for (const ids of pairs.values()) {
        const pts = ids.map((id) => this.state.positions.get(id)).filter((p): p is Position => !!p);
        if (pts.length < 2) continue;
        features.push({
          type: "Feature",
          properties: { color: this.pairOf(ids[0])?.colour ?? "#333333" },
          geometry: { type: "LineString", coordinates: pts.map((p) => [p.lon, p.lat]) },
        });
      }
    }
    const data: GeoJSON.FeatureCollection = { type: "FeatureCollection", features };
    const src = this.map.getSource("pairs") as GeoJSONSource | undefined;
    if (src) {
      src.setData(data);
      return;
    }
    if (!this.map.isStyleLoaded()) return;
    this.map.addSource("pairs", { type: "geojson", data });
    this.map.addLayer({
      id: "pairs",
      type: "line",
      source: "pairs",
      paint: { "line-color": ["get", "color"], "line-width": 3, "line-dasharray": [1, 1.5], "line-opacity": 0.9 },
    });
  }

  setPoaVisible(on: boolean): void {
    if (this.map.getLayer("poa")) this.map.setLayoutProperty("poa", "visibility", on ? "visible" : "none");
  }

  setSegmentsVisible(on: boolean): void {
    for (const id of ["segments-fill", "segments-line"]) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
    this.renderSegmentLabels();
  }

  setLayerVisible(id: string, on: boolean): void {
    if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }

  setModel(model: string): void {
    this.model = model;
    const src = this.map.getSource("poa") as maplibregl.RasterTileSource | undefined;
    if (src && this.info) src.setTiles([tileUrl(this.state.incidentId, "poa", this.info, model)]);
  }

  setColouring(c: SegmentColouring): void {
    this.colouring = c;
    this.applySegmentPaint();
    this.renderSegmentLabels();
  }

  setGrid(on: boolean): void {
    this.showGrid = on;
    this.updateGrid();
  }

  private updateGrid(): void {
    if (!this.map.getSource("grid")) return;
    const z = this.map.getZoom();
    if (!this.showGrid || z < 9) {
      this.setSource("grid", EMPTY);
      return;
    }
    const b = this.map.getBounds();
    const spacing = z >= 11.5 ? 1000 : 10000;
    this.setSource("grid", utmGrid(b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), spacing));
  }

  setHazards(hazards: Hazard[]): void {
    this.setSource("hazards", {
      type: "FeatureCollection",
      features: hazards.map((z) => ({ type: "Feature", properties: { name: z.name, kind: z.kind }, geometry: z.geometry })),
    });
  }

  setClues(clues: Clue[]): void {
    this.setSource("clues", {
      type: "FeatureCollection",
      features: clues.map((c) => ({
        type: "Feature",
        properties: { id: c.id, kind: c.kind, note: c.note },
        geometry: { type: "Point", coordinates: [c.lon, c.lat] },
      })),
    });
  }

  setAssignments(assignments: Assignment[]): void {
    this.assignments = assignments;
    if (!this.map.getSource("segments")) return;
    // The newest assignment of each segment decides its outline.
    const bySegment = new Map<string, Assignment>();
    for (const a of [...assignments].sort((x, y) => x.id - y.id)) bySegment.set(a.segment, a);
    for (const f of this.segments.features) {
      const id = (f.properties ?? {}).id;
      if (id === undefined || id === null) continue;
      const a = bySegment.get(String(id));
      this.map.setFeatureState({ source: "segments", id }, { status: a ? a.status : "none" });
    }
  }

  setPlaces(places: Place[]): void {
    for (const m of this.placeMarkers) m.remove();
    this.placeMarkers = places.map((p) => {
      const short = { staging: "S", rendezvous: "RV", command_post: "CP", helispot: "H" }[p.kind] ?? "•";
      const el = h(
        "div",
        { class: `place place-${p.kind}`, role: "img", "aria-label": `${p.kind.replace("_", " ")}: ${p.name}`, title: p.name },
        h("span", { class: "place-icon" }, short),
        h("span", { class: "place-name" }, p.name),
      );
      return new maplibregl.Marker({ element: el, anchor: "left" }).setLngLat([p.lon, p.lat]).addTo(this.map);
    });
    if (!this.info) this.fitToPositions();
  }

  private fitToPositions(): void {
    const pts: [number, number][] = [
      ...this.state.places.map((p) => [p.lon, p.lat] as [number, number]),
      ...[...this.state.positions.values()].map((p) => [p.lon, p.lat] as [number, number]),
    ];
    if (!pts.length) return;
    const b = new maplibregl.LngLatBounds(pts[0], pts[0]);
    for (const p of pts) b.extend(p);
    this.map.fitBounds(b, { padding: 60, animate: false, maxZoom: 15 });
  }

  /** Pair colour: both members of a pair share it (and their markers' outline). */
  pairOf(memberId: number): { colour: string; team: string; key: string } | null {
    let idx = 0;
    for (const t of this.state.teams) {
      const pairs = [...new Set(t.members.map((m) => m.pair))].sort((a, b) => a - b);
      for (const pair of pairs) {
        if (t.members.some((m) => m.member_id === memberId && m.pair === pair)) {
          return { colour: PAIR_COLOURS[idx % PAIR_COLOURS.length], team: t.name, key: `${t.id}-${pair}` };
        }
        idx += 1;
      }
    }
    return null;
  }

  updateMember(p: Position, appendTrack: boolean): void {
    const member = this.state.members.get(p.member_id);
    const pair = this.pairOf(p.member_id);
    let marker = this.markers.get(p.member_id);
    const name = member?.name ?? `member ${p.member_id}`;
    if (!marker) {
      const initials = name
        .split(/\s+/)
        .map((w) => w[0] ?? "")
        .join("")
        .slice(0, 2)
        .toUpperCase();
      const el = h(
        "div",
        {
          class: "member-marker",
          "data-member-id": p.member_id,
          "data-testid": `member-marker-${p.member_id}`,
          role: "img",
        },
        h("span", { class: "member-initials" }, initials),
        h("span", { class: "member-age" }),
      );
      marker = new maplibregl.Marker({ element: el }).setLngLat([p.lon, p.lat]).addTo(this.map);
      this.markers.set(p.member_id, marker);
    }
    const el = marker.getElement();
    if (pair) {
      el.style.setProperty("--pair", pair.colour);
      el.dataset.pair = pair.key;
    }
    el.dataset.time = p.time;
    el.classList.toggle("protected", !!member?.needs_protection);
    marker.setLngLat([p.lon, p.lat]);
    if (!this.pairsQueued) {
      this.pairsQueued = true;
      requestAnimationFrame(() => {
        this.pairsQueued = false;
        this.renderPairs();
      });
    }
    window.__wayhome.markers[String(p.member_id)] = [p.lon, p.lat];
    this.refreshAge(p.member_id);
    if (appendTrack) {
      const t = this.tracks.get(p.member_id) ?? [];
      t.push([p.lon, p.lat]);
      if (t.length > TRACK_POINTS) t.splice(0, t.length - TRACK_POINTS);
      this.tracks.set(p.member_id, t);
      // Positions come in bursts: redraw the tracks once per frame at most.
      if (!this.tracksQueued) {
        this.tracksQueued = true;
        requestAnimationFrame(() => {
          this.tracksQueued = false;
          this.renderTracks();
        });
      }
    }
  }

  /** Seconds since last contact, on the marker (called every second). */
  refreshAge(memberId: number): void {
    const marker = this.markers.get(memberId);
    const p = this.state.positions.get(memberId);
    if (!marker || !p) return;
    const member = this.state.members.get(memberId);
    const pair = this.pairOf(memberId);
    const secs = (Date.now() + this.state.clockOffset - Date.parse(p.time)) / 1000;
    const el = marker.getElement();
    const age = el.querySelector(".member-age");
    if (age) age.textContent = ago(secs);
    const contact = contactState(secs, false);
    el.classList.toggle("stale", contact !== "fresh");
    el.dataset.contact = contact;
    const label = `${member?.name ?? `member ${memberId}`}${member?.needs_protection ? " (needs protection)" : ""}${pair ? `, team ${pair.team}` : ""}: last contact ${ago(secs)} ago`;
    el.setAttribute("aria-label", label);
    el.title = label;
  }

  refreshAges(): void {
    for (const id of this.markers.keys()) this.refreshAge(id);
  }

  /** The last half hour of each member's track (a few requests, after the first paint). */
  async loadTracks(latest: Position[]): Promise<void> {
    const queue = [...latest];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const since = new Date(Date.parse(p.time) - TRACK_MINUTES * 60_000).toISOString();
        try {
          const pts = await api<Position[]>(
            `/incidents/${this.state.incidentId}/positions/track?member_id=${p.member_id}&since=${encodeURIComponent(since)}&limit=${TRACK_POINTS}`,
          );
          this.tracks.set(p.member_id, pts.map((q) => [q.lon, q.lat] as [number, number]).slice(-TRACK_POINTS));
        } catch {
          /* no track: the marker alone */
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    this.renderTracks();
  }

  private renderTracks(): void {
    const features: GeoJSON.Feature[] = [];
    for (const [id, pts] of this.tracks) {
      if (pts.length < 2) continue;
      features.push({
        type: "Feature",
        properties: { member_id: id, color: this.pairOf(id)?.colour ?? "#333333" },
        geometry: { type: "LineString", coordinates: pts },
      });
    }
    this.setSource("tracks", { type: "FeatureCollection", features });
  }

  flyTo(lon: number, lat: number): void {
    this.map.flyTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 15) });
  }

  get bounds(): [number, number, number, number] | null {
    return this.info?.bounds ?? null;
  }
}

function centroid(g: GeoJSON.Geometry | null): [number, number] | null {
  if (!g) return null;
  let ring: number[][] | undefined;
  if (g.type === "Polygon") ring = g.coordinates[0];
  else if (g.type === "MultiPolygon") {
    // the largest polygon's outer ring
    let best = -1;
    for (const poly of g.coordinates) {
      const a = Math.abs(area(poly[0]));
      if (a > best) {
        best = a;
        ring = poly[0];
      }
    }
  }
  if (!ring || ring.length < 3) return null;
  const a = area(ring);
  if (a === 0) return [ring[0][0], ring[0][1]];
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    cx += (x0 + x1) * f;
    cy += (y0 + y1) * f;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

function area(ring: number[][]): number {
  let s = 0;
  for (let i = 0; i < ring.length - 1; i++) s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s / 2;
}
