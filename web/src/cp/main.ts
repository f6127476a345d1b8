// The command-post view: sign in, pick an incident, the live map and the side panels.

import "maplibre-gl/dist/maplibre-gl.css";
import "../shared/style.css";
import { ApiError, api, loadSession, signIn, signOut, whenSignedOut } from "../shared/api";
import { byId, fill, h } from "../shared/dom";
import { LiveSocket, type LiveEvent } from "../shared/live";
import { applyStoredTheme, wireThemeToggle } from "../shared/theme";
import type {
  Activity,
  Assignment,
  Clue,
  CodebookEntry,
  Hazard,
  Incident,
  Me,
  Member,
  OverdueTeam,
  Period,
  Place,
  Position,
  RollCall,
  Signal,
  Subject,
  Team,
} from "../shared/types";
import bundledCodebook from "../../../src/wayhome/ops/data/signals.json";
import { CommandMap } from "./map";
import { Alerts, type HazardAlert } from "./alerts";
import { Panels } from "./panels";

export interface IncidentState {
  incidentId: number;
  incident: Incident | null;
  me: Me | null;
  members: Map<number, Member>;
  teams: Team[];
  assignments: Assignment[];
  places: Place[];
  positions: Map<number, Position>;
  rollCalls: RollCall[];
  signals: Signal[];
  codebook: CodebookEntry[];
  hazards: Hazard[];
  clues: Clue[];
  subjects: Subject[];
  periods: Period[];
  activity: Activity[];
  /** Server clock minus this device's clock (ms), estimated from /positions/latest. */
  clockOffset: number;
}

declare global {
  interface Window {
    __wayhome: {
      map: unknown;
      markers: Record<string, [number, number]>;
      ready: boolean;
      error?: string;
      state?: IncidentState;
    };
  }
}

window.__wayhome = { map: null, markers: {}, ready: false };

const INCIDENT_KEY = "wayhome.incident";

let live: LiveSocket | null = null;
let map: CommandMap | null = null;
let panels: Panels | null = null;
let state: IncidentState | null = null;
let alerts: Alerts | null = null;

function showLogin(message?: string): void {
  live?.close();
  live = null;
  byId("login-view").hidden = false;
  byId("cp-view").hidden = true;
  byId("topbar-controls").hidden = true;
  const err = byId("login-error");
  err.textContent = message ?? "";
  err.hidden = !message;
  byId<HTMLInputElement>("login-username").focus();
}

function wireLogin(): void {
  const form = byId<HTMLFormElement>("login-form");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const user = byId<HTMLInputElement>("login-username");
    const pass = byId<HTMLInputElement>("login-password");
    const err = byId("login-error");
    if (!user.value.trim() || !pass.value) {
      err.textContent = !user.value.trim() ? "Enter your login." : "Enter your password.";
      err.hidden = false;
      (!user.value.trim() ? user : pass).focus();
      return;
    }
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
    try {
      await signIn(user.value.trim(), pass.value);
      pass.value = "";
      err.hidden = true;
      await start();
    } catch (e) {
      err.textContent = e instanceof Error ? e.message : String(e);
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

async function start(): Promise<void> {
  let me: Me;
  let incidents: Incident[];
  try {
    [me, incidents] = await Promise.all([api<Me>("/auth/me"), api<Incident[]>("/incidents")]);
  } catch (e) {
    showLogin(e instanceof ApiError && e.status !== 401 ? e.message : undefined);
    return;
  }
  byId("login-view").hidden = true;
  byId("cp-view").hidden = false;
  byId("topbar-controls").hidden = false;
  byId("who").textContent = me.user.name;
  const roleIncidents = new Set(me.roles.map((r) => r.incident_id));
  const visible = me.user.is_admin ? incidents : incidents.filter((i) => roleIncidents.has(i.id));
  const select = byId<HTMLSelectElement>("incident-select");
  fill(
    select,
    ...visible.map((i) =>
      h("option", { value: i.id }, `#${i.id} ${i.name}${i.status === "closed" ? " (closed)" : ""}`),
    ),
  );
  if (visible.length === 0) {
    select.append(h("option", { value: "" }, "no incident: ask for a role"));
    fill(byId("sidebar"), h("p", { class: "empty" }, "You have no role in any incident yet."));
    return;
  }
  const stored = Number(localStorage.getItem(INCIDENT_KEY));
  const pick = visible.find((i) => i.id === stored) ?? visible[visible.length - 1];
  select.value = String(pick.id);
  select.onchange = () => void openIncident(Number(select.value), me);
  await openIncident(pick.id, me);
}

async function openIncident(incidentId: number, me: Me): Promise<void> {
  localStorage.setItem(INCIDENT_KEY, String(incidentId));
  live?.close();
  window.__wayhome.ready = false;
  window.__wayhome.markers = {};
  state = {
    incidentId,
    incident: null,
    me,
    members: new Map(),
    teams: [],
    assignments: [],
    places: [],
    positions: new Map(),
    rollCalls: [],
    signals: [],
    codebook: [],
    hazards: [],
    clues: [],
    subjects: [],
    periods: [],
    activity: [],
    clockOffset: 0,
  };
  window.__wayhome.state = state;
  const s = state;
  map?.destroy();
  map = new CommandMap(byId("map"), s);
  alerts = new Alerts(
    byId("overdue-banner"),
    byId("toasts"),
    () => Date.now() + s.clockOffset,
    (lon, lat) => map?.flyTo(lon, lat),
  );
  alerts.setOverdue([]);
  byId("toasts").replaceChildren();
  panels = new Panels(byId("sidebar"), s, map, alerts);
  panels.build();
  map.onLoaded = () => panels?.refreshMapDependent();
  // A click on the map: the subject's last-seen point when picking it; else the clicked
  // segment goes to the new-assignment form, and the point to the clue form.
  map.map.on("click", (e) => panels?.mapClick(e.lngLat.lng, e.lngLat.lat, map?.segmentAt(e.point) ?? null));
  void map.load();
  await reloadAll();
  const opened = map;
  live = new LiveSocket(incidentId, {
    onEvent: onLive,
    // What changed between the first load and the socket's connecting is caught up once the
    // map has drawn its first meaningful paint (#6); later reconnects reload at once.
    onConnected: () => void afterFirstPaint(opened).then(() => reloadAll()),
    onState: (st) => {
      const el = byId("live-state");
      el.textContent = st === "live" ? "live" : st === "connecting" ? "connecting…" : "reconnecting…";
      el.dataset.state = st;
    },
  });
}

/** Load (or reload, after a reconnect) everything the panels and markers show. */
async function reloadAll(): Promise<void> {
  const s = state;
  if (!s) return;
  const id = s.incidentId;
  const get = <T,>(path: string, fallback: T): Promise<T> =>
    api<T>(`/incidents/${id}${path}`).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 401) throw e;
      return fallback;
    });
  const [incident, members, teams, assignments, places, latest, rollCalls, signals, hazards, clues, subjects, periods, overdue] =
    await Promise.all([
      get<Incident | null>("", null),
      get<Member[]>("/members", []),
      get<Team[]>("/teams", []),
      get<Assignment[]>("/assignments", []),
      get<Place[]>("/places", []),
      get<Position[]>("/positions/latest", []),
      get<RollCall[]>("/roll-calls", []),
      get<Signal[]>("/signals", []),
      get<Hazard[]>("/hazards", []),
      get<Clue[]>("/clues", []),
      get<Subject[]>("/subjects", []),
      get<Period[]>("/periods", []),
      get<OverdueTeam[]>("/overdue", []),
    ]);
  if (state !== s) return; // another incident was opened meanwhile
  s.incident = incident;
  s.members = new Map(members.map((m) => [m.id, m]));
  s.teams = teams;
  s.assignments = assignments;
  s.places = places;
  s.rollCalls = rollCalls;
  s.signals = signals;
  s.hazards = hazards;
  s.clues = clues;
  s.subjects = subjects;
  s.periods = periods;
  alerts?.setOverdue(overdue);
  s.positions = new Map(latest.map((p) => [p.member_id, p]));
  const withAge = latest.find((p) => (p.seconds_since_contact ?? 0) > 0);
  if (withAge) {
    s.clockOffset =
      Date.parse(withAge.time) + (withAge.seconds_since_contact ?? 0) * 1000 - Date.now();
  }
  const status = byId("incident-status");
  status.textContent = incident?.status === "closed" ? "closed: read only" : "open";
  status.dataset.state = incident?.status ?? "unknown";
  map?.setPlaces(places);
  map?.setHazards(hazards);
  map?.setClues(clues);
  map?.setAssignments(assignments);
  for (const p of latest) map?.updateMember(p, false);
  panels?.renderAll();
  // The tracks (one request per member) wait for the map's first meaningful paint (#6).
  const m = map;
  void afterFirstPaint(m).then(() => {
    if (state === s) void m?.loadTracks([...s.positions.values()]);
  });
  void loadActivity();
  loadCodebook();
}

/** Resolves once the map has drawn the POA heat and the segments (at most `ms` later). */
function afterFirstPaint(m: CommandMap | null, ms = 4000): Promise<void> {
  if (!m) return Promise.resolve();
  return Promise.race([m.painted, new Promise<void>((r) => window.setTimeout(r, ms))]);
}

async function loadActivity(): Promise<void> {
  const s = state;
  if (!s) return;
  try {
    const rows = await api<Activity[]>(`/incidents/${s.incidentId}/activity`);
    if (state !== s) return;
    s.activity = rows;
    panels?.renderActivity();
  } catch {
    /* the panel keeps what it had */
  }
}

function loadCodebook(): void {
  // The codebook is the package's own (wayhome/ops/data/signals.json), built into the app.
  const s = state;
  if (!s || s.codebook.length) return;
  s.codebook = bundledCodebook.signals;
  panels?.renderSignals();
}

const STATUS_RANK: Record<Assignment["status"], number> = {
  planned: 0,
  in_progress: 1,
  completed: 2,
  aborted: 2,
};

let activityTimer: number | undefined;
let rosterTimer: number | undefined;

function onLive(e: LiveEvent): void {
  const s = state;
  if (!s) return;
  switch (e.type) {
    case "position": {
      const p = e.position as Position;
      const prev = s.positions.get(p.member_id);
      if (!prev || Date.parse(prev.time) <= Date.parse(p.time)) s.positions.set(p.member_id, p);
      map?.updateMember(p, true);
      panels?.renderRosterAges();
      return; // positions are not logged as activity
    }
    case "roll_call": {
      upsert(s.rollCalls, e.roll_call as RollCall);
      panels?.renderRollCall();
      break;
    }
    case "signal": {
      upsert(s.signals, e.signal as Signal);
      panels?.renderSignals();
      break;
    }
    case "assignment": {
      const a = e.assignment as Assignment;
      const known = s.assignments.find((x) => x.id === a.id);
      // Events and this page's own answers can cross: a status never goes back.
      if (known && STATUS_RANK[a.status] < STATUS_RANK[known.status]) break;
      upsert(s.assignments, a);
      map?.setAssignments(s.assignments);
      panels?.renderAssignments();
      break;
    }
    case "clue": {
      const c = e.clue as Clue;
      const i = s.clues.findIndex((x) => x.id === c.id);
      if (i >= 0) s.clues[i] = c;
      else s.clues.push(c);
      map?.setClues(s.clues);
      panels?.renderClues();
      if (c.evidence_id !== null && c.evidence_id !== undefined) void map?.refreshPlan();
      break;
    }
    case "hazard": {
      if (e.alert) alerts?.hazard(e.alert as HazardAlert);
      break;
    }
    case "grant": {
      // A grant expired or was revoked: members inside are trespassing now.
      for (const a of (e.alerts as HazardAlert[] | undefined) ?? []) alerts?.hazard(a);
      break;
    }
    case "overdue": {
      alerts?.overdueChanged(String(e.event), e.team as OverdueTeam);
      panels?.renderRosterAges();
      break;
    }
    case "subject": {
      panels?.subjects?.upsert(e.subject as Subject);
      break;
    }
    default:
      break;
  }
  // Something changed that the log records: reload the log (and the roster's statuses).
  window.clearTimeout(activityTimer);
  activityTimer = window.setTimeout(() => void loadActivity(), 300);
  window.clearTimeout(rosterTimer);
  rosterTimer = window.setTimeout(() => void reloadRoster(), 800);
}

async function reloadRoster(): Promise<void> {
  const s = state;
  if (!s) return;
  try {
    const [members, teams] = await Promise.all([
      api<Member[]>(`/incidents/${s.incidentId}/members`),
      api<Team[]>(`/incidents/${s.incidentId}/teams`),
    ]);
    if (state !== s) return;
    s.members = new Map(members.map((m) => [m.id, m]));
    s.teams = teams;
    panels?.renderRoster();
    panels?.renderTeams();
  } catch {
    /* keep */
  }
}

function upsert<T extends { id: number }>(list: T[], item: T): void {
  const i = list.findIndex((x) => x.id === item.id);
  if (i >= 0) list[i] = item;
  else list.push(item);
}

function main(): void {
  applyStoredTheme();
  wireThemeToggle(byId<HTMLButtonElement>("theme-toggle"));
  wireLogin();
  whenSignedOut(() => {
    signOut();
    showLogin("Your session ended: sign in again.");
  });
  byId("sign-out").addEventListener("click", () => {
    signOut();
    map?.destroy();
    map = null;
    showLogin();
  });
  if (loadSession()) void start();
  else showLogin();
}

main();
