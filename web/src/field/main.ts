// The field view (phone): my assignment and buddy, roll call, signals, clues, injuries,
// sharing my position. Works offline: writes go through the outbox (IndexedDB).

import { maplibregl } from "../shared/maplibre";
import "maplibre-gl/dist/maplibre-gl.css";
import "../shared/style.css";
import { ApiError, NetworkError, api, loadSession, signIn, signOut, whenSignedOut } from "../shared/api";
import { buildClueForm, validateClue, type Bounds } from "../shared/clueform";
import { formatCoord } from "../shared/coords";
import { announce, byId, clockTime, fill, h, uuid } from "../shared/dom";
import { LiveSocket, type LiveEvent } from "../shared/live";
import { EMPTY, buildStyle, transformRequest } from "../shared/mapstyle";
import { applyStoredTheme, isSunlight, wireThemeToggle } from "../shared/theme";
import type {
  Assignment,
  CodebookEntry,
  MapInfo,
  Me,
  Member,
  Place,
  RollCall,
  Signal,
  Team,
  TeamMember,
} from "../shared/types";
import { credentialPanel } from "./credscreen";
import { Outbox } from "./queue";
import bundledCodebook from "../../../src/wayhome/ops/data/signals.json";

/** What the phone needs to show its screen offline; saved after every successful load. */
interface FieldContext {
  incidentId: number;
  memberId: number;
  role: string;
  me: Me;
  member: Member | null;
  members: Member[];
  team: Team | null;
  assignment: Assignment | null;
  rendezvous: Place | null;
  segment: GeoJSON.Feature | null;
  mapInfo: MapInfo | null;
  codebook: CodebookEntry[];
  savedAt: string;
}

const CONTEXT_KEY = "wayhome.field.context";
const SHARE_KEY = "wayhome.field.share";

const outbox = new Outbox();
let ctx: FieldContext | null = null;
let live: LiveSocket | null = null;
let rollCalls: RollCall[] = [];
let signals: Signal[] = [];
let watchId: number | null = null;
let lastFix: { lon: number; lat: number; t: number } | null = null;
let smallMap: maplibregl.Map | null = null;

// --- status bar ---------------------------------------------------------------------------

function renderStatus(): void {
  const online = navigator.onLine && outbox.reachable;
  const st = byId("online-state");
  st.textContent = online ? "online" : "offline";
  st.dataset.state = online ? "online" : "offline";
  byId("queue-count").textContent = String(outbox.count);
  byId("queue-count").dataset.count = String(outbox.count);
  const detail = document.getElementById("queue-detail");
  if (detail) {
    const kinds = new Map<string, number>();
    for (const it of outbox.pending) kinds.set(it.kind, (kinds.get(it.kind) ?? 0) + 1);
    detail.textContent = outbox.count
      ? `Waiting to send: ${[...kinds].map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`).join(", ")}.`
      : "Everything is sent.";
  }
}

// --- sign in ------------------------------------------------------------------------------

function showLogin(message?: string): void {
  live?.close();
  live = null;
  byId("login-view").hidden = false;
  byId("field-view").hidden = true;
  byId("sign-out").hidden = true;
  const err = byId("login-error");
  err.textContent = message ?? "";
  err.hidden = !message;
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
      return;
    }
    try {
      await signIn(user.value.trim(), pass.value);
      pass.value = "";
      err.hidden = true;
      localStorage.removeItem(CONTEXT_KEY);
      await start();
    } catch (e) {
      err.textContent = e instanceof Error ? e.message : String(e);
      err.hidden = false;
    }
  });
}

// --- loading the context --------------------------------------------------------------------

function savedContext(): FieldContext | null {
  try {
    const raw = localStorage.getItem(CONTEXT_KEY);
    return raw ? (JSON.parse(raw) as FieldContext) : null;
  } catch {
    return null;
  }
}

async function loadContext(): Promise<FieldContext> {
  const me = await api<Me>("/auth/me");
  const roles = me.roles.filter((r) => r.member_id !== null);
  const stored = savedContext();
  const role = roles.find((r) => r.incident_id === stored?.incidentId) ?? roles[roles.length - 1];
  if (!role || role.member_id === null) {
    throw new Error(
      "This view is for field members: your login has no member in any incident. Ask the incident commander, or use the command post.",
    );
  }
  const id = role.incident_id;
  const memberId = role.member_id;
  const [members, teams, assignments, places] = await Promise.all([
    api<Member[]>(`/incidents/${id}/members`),
    api<Team[]>(`/incidents/${id}/teams`),
    api<Assignment[]>(`/incidents/${id}/assignments`).catch(() => [] as Assignment[]),
    api<Place[]>(`/incidents/${id}/places`).catch(() => [] as Place[]),
  ]);
  const team = teams.find((t) => t.members.some((m) => m.member_id === memberId)) ?? null;
  const mine = team ? assignments.filter((a) => a.team_id === team.id) : [];
  const rank = (a: Assignment): number => ({ in_progress: 0, planned: 1, completed: 2, aborted: 3 })[a.status];
  const assignment = [...mine].sort((a, b) => rank(a) - rank(b) || b.id - a.id)[0] ?? null;
  let mapInfo: MapInfo | null = null;
  let segment: GeoJSON.Feature | null = null;
  try {
    mapInfo = await api<MapInfo>(`/incidents/${id}/map`);
    if (assignment) {
      const segs = await api<GeoJSON.FeatureCollection>(`/incidents/${id}/map/segments.geojson`);
      segment = segs.features.find((f) => String((f.properties ?? {}).id) === assignment.segment) ?? null;
    }
  } catch {
    /* no plan linked or no map server: the assignment shows without its map */
  }
  // The codebook is the package's own (wayhome/ops/data/signals.json), built into the app.
  const codebook: CodebookEntry[] = bundledCodebook.signals;
  const c: FieldContext = {
    incidentId: id,
    memberId,
    role: role.role,
    me,
    member: members.find((m) => m.id === memberId) ?? null,
    members,
    team,
    assignment,
    rendezvous: places.find((p) => p.id === assignment?.rendezvous_id) ?? null,
    segment,
    mapInfo,
    codebook,
    savedAt: new Date().toISOString(),
  };
  localStorage.setItem(CONTEXT_KEY, JSON.stringify(c));
  return c;
}

async function start(): Promise<void> {
  try {
    ctx = await loadContext();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showLogin();
      return;
    }
    if (e instanceof NetworkError || !navigator.onLine) {
      ctx = savedContext(); // offline: the screen as it was last loaded
      if (!ctx) {
        showLogin("No connection, and nothing saved on this phone yet: sign in once while online.");
        return;
      }
    } else {
      showLogin(e instanceof Error ? e.message : String(e));
      return;
    }
  }
  byId("login-view").hidden = true;
  byId("field-view").hidden = false;
  byId("sign-out").hidden = false;
  render();
  connectLive();
}

function connectLive(): void {
  if (!ctx) return;
  live?.close();
  live = new LiveSocket(ctx.incidentId, {
    onEvent: onLive,
    onConnected: () => {
      void refreshLive();
      void outbox.flush();
    },
    onState: (s) => {
      const el = byId("live-state");
      el.textContent = s === "live" ? "live" : s === "connecting" ? "connecting…" : "no live link";
      el.dataset.state = s === "live" ? "live" : "down";
    },
  });
}

/** Open roll calls and signals waiting for my acknowledgement (after each reconnect). */
async function refreshLive(): Promise<void> {
  if (!ctx) return;
  try {
    [rollCalls, signals] = await Promise.all([
      api<RollCall[]>(`/incidents/${ctx.incidentId}/roll-calls`),
      api<Signal[]>(`/incidents/${ctx.incidentId}/signals`),
    ]);
    renderRollCall();
    renderInbox();
  } catch {
    /* offline: keep */
  }
}

function onLive(e: LiveEvent): void {
  if (!ctx) return;
  if (e.type === "roll_call") {
    const rc = e.roll_call as RollCall;
    const i = rollCalls.findIndex((x) => x.id === rc.id);
    if (i >= 0) rollCalls[i] = rc;
    else rollCalls.push(rc);
    renderRollCall();
  } else if (e.type === "signal") {
    const s = e.signal as Signal;
    const i = signals.findIndex((x) => x.id === s.id);
    if (i >= 0) signals[i] = s;
    else signals.push(s);
    renderInbox();
    if (s.deliveries.some((d) => d.member_id === ctx?.memberId && d.status === "delivered")) {
      announce(`Signal: ${s.code}, ${s.meaning}`);
      navigator.vibrate?.([200, 100, 200]);
    }
  } else if (e.type === "assignment") {
    const a = e.assignment as Assignment;
    if (ctx.team && a.team_id === ctx.team.id) {
      ctx.assignment = a;
      localStorage.setItem(CONTEXT_KEY, JSON.stringify(ctx));
      renderAssignment();
    }
  }
}

// --- rendering ------------------------------------------------------------------------------

const els: Record<string, HTMLElement> = {};

function render(): void {
  if (!ctx) return;
  const c = ctx;
  const root = byId("field-view");
  els.rollcall = h("section", { class: "panel roll-call-prompt", "data-testid": "roll-call-prompt", "aria-live": "assertive", hidden: true });
  els.inbox = h("section", { class: "panel", "aria-labelledby": "inbox-title", hidden: true });
  els.assignment = h("section", { class: "panel", "data-testid": "my-assignment", "aria-labelledby": "assign-title" });
  els.buddy = h("section", { class: "panel", "data-testid": "my-buddy", "aria-labelledby": "buddy-title" });
  fill(
    root,
    h("p", {}, `Signed in as ${c.me.user.name}${c.member ? ` (member ${c.member.name})` : ""} · incident #${c.incidentId}`),
    els.rollcall,
    els.inbox,
    els.assignment,
    els.buddy,
    positionPanel(),
    signalPanel(),
    cluePanel(),
    injuryPanel(),
    credentialPanel(),
    h("section", { class: "panel", "aria-labelledby": "queue-title" }, h("h2", { id: "queue-title" }, "Unsent"), h("p", { id: "queue-detail" })),
  );
  renderAssignment();
  renderBuddy();
  renderRollCall();
  renderInbox();
  renderStatus();
}

function memberName(id: number): string {
  return ctx?.members.find((m) => m.id === id)?.name ?? `member ${id}`;
}

function renderAssignment(): void {
  const c = ctx;
  if (!c) return;
  const a = c.assignment;
  smallMap?.remove();
  smallMap = null;
  if (!a) {
    fill(els.assignment, h("h2", { id: "assign-title" }, "My assignment"), h("p", { class: "empty" }, c.team ? `Team ${c.team.name}: no assignment yet.` : "You are not on a team yet."));
    return;
  }
  const mapEl = h("div", { class: "field-map", role: "img", "aria-label": `Map of segment ${a.segment}` });
  fill(
    els.assignment,
    h("h2", { id: "assign-title" }, "My assignment"),
    h("p", { "data-testid": "my-assignment-summary", "data-status": a.status }, h("strong", {}, `Team ${c.team?.name ?? a.team_id} · segment ${a.segment}`), " ", h("span", { class: `badge status-${a.status}` }, a.status.replace("_", " "))),
    a.instructions ? h("p", {}, a.instructions) : null,
    a.turnaround_at ? h("p", {}, h("strong", {}, "Turn back at "), clockTime(a.turnaround_at)) : null,
    c.rendezvous ? h("p", {}, h("strong", {}, "Rendezvous: "), `${c.rendezvous.name}, ${formatCoord(c.rendezvous.lon, c.rendezvous.lat, "latlon")}`) : null,
    mapEl,
  );
  if (c.segment && c.mapInfo) requestAnimationFrame(() => buildSmallMap(mapEl, c));
  else mapEl.replaceWith(h("p", { class: "hint" }, "The segment map is not available (no plan linked)."));
}

function buildSmallMap(el: HTMLElement, c: FieldContext): void {
  const seg = c.segment as GeoJSON.Feature;
  const style = buildStyle({ incidentId: c.incidentId, info: c.mapInfo, sunlight: isSunlight(), model: "posterior" });
  smallMap = new maplibregl.Map({ container: el, style, attributionControl: false, transformRequest, interactive: true, center: c.mapInfo?.center ?? [0, 0], zoom: 12 });
  const m = smallMap;
  m.on("load", () => {
    if (m.getLayer("poa")) m.setLayoutProperty("poa", "visibility", "none");
    (m.getSource("segments") as maplibregl.GeoJSONSource).setData({ type: "FeatureCollection", features: [seg] });
    m.setPaintProperty("segments-fill", "fill-color", "#ffd60a");
    m.setPaintProperty("segments-line", "line-width", 3);
    const coords: number[][] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x) && typeof x[0] === "number") coords.push(x as number[]);
      else if (Array.isArray(x)) x.forEach(walk);
    };
    walk((seg.geometry as GeoJSON.Polygon).coordinates);
    if (coords.length) {
      const xs = coords.map((p) => p[0]);
      const ys = coords.map((p) => p[1]);
      m.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 20, animate: false });
    }
    showMe();
  });
}

function showMe(): void {
  const src = smallMap?.getSource("me") as maplibregl.GeoJSONSource | undefined;
  if (!src) return;
  src.setData(
    lastFix
      ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [lastFix.lon, lastFix.lat] } }] }
      : EMPTY,
  );
}

function renderBuddy(): void {
  const c = ctx;
  if (!c) return;
  const mine = c.team?.members.find((m) => m.member_id === c.memberId);
  const buddies = c.team?.members.filter((m) => m.pair === mine?.pair && m.member_id !== c.memberId) ?? [];
  const order = c.team ? [...c.team.members].filter((m) => m.march).sort((a, b) => ["lead", "middle", "rear"].indexOf(a.march ?? "") - ["lead", "middle", "rear"].indexOf(b.march ?? "")) : [];
  const leader = c.team?.members.find((m) => m.leader);
  fill(
    els.buddy,
    h("h2", { id: "buddy-title" }, "My buddy"),
    buddies.length
      ? h(
          "ul",
          {},
          ...buddies.map((b) => {
            const m = c.members.find((x) => x.id === b.member_id);
            return h("li", { "data-member-id": b.member_id }, h("strong", {}, m?.name ?? `member ${b.member_id}`), m?.contact ? ` · ${m.contact}` : "", b.march ? ` · walks ${b.march}` : "", b.protects_id === c.memberId ? " · protects you" : "", mine?.protects_id === b.member_id ? " · you protect them" : "");
          }),
        )
      : h("p", { class: "empty" }, "No buddy assigned yet: never search alone. Tell your team leader."),
    leader ? h("p", {}, h("strong", {}, "Team leader: "), memberName(leader.member_id)) : null,
    order.length ? h("p", {}, h("strong", {}, "March order: "), order.map((m) => `${m.march}: ${memberName(m.member_id)}`).join(" → ")) : null,
  );
}

/** The team mates this user answers roll calls for: all of their team, when they lead it. */
function answersFor(): TeamMember[] {
  const c = ctx;
  if (!c || c.role !== "team_leader" || !c.team) return [];
  return c.team.members.filter((m) => m.member_id !== c.memberId);
}

function rollCallPath(rc: RollCall): string {
  return `/incidents/${ctx?.incidentId}/roll-calls/${rc.id}/answers`;
}

/** Asked in ``rc``, not answered yet, and no answer for them waiting in the outbox. */
function awaitsAnswer(rc: RollCall, memberId: number): boolean {
  const path = rollCallPath(rc);
  const queued = outbox.pending.some((i) => i.kind === "roll_call_answer" && i.path === path && i.body.member_id === memberId);
  return !queued && rc.answers.some((a) => a.member_id === memberId && a.status !== "answered");
}

function renderRollCall(): void {
  const c = ctx;
  if (!c || !els.rollcall) return;
  const team = answersFor();
  const open = [...rollCalls]
    .sort((a, b) => b.id - a.id)
    .find((rc) => awaitsAnswer(rc, c.memberId) || team.some((m) => awaitsAnswer(rc, m.member_id)));
  if (!open) {
    els.rollcall.hidden = true;
    els.rollcall.replaceChildren();
    return;
  }
  const mine = open.answers.find((a) => a.member_id === c.memberId);
  const button = h("button", { type: "button", class: "primary", "data-testid": "roll-call-ack", "data-roll-call-id": open.id }, "I am here: answer the roll call");
  button.addEventListener("click", () => void answerRollCall(open, c.memberId));
  const asked = team.filter((m) => open.answers.some((a) => a.member_id === m.member_id));
  const rows = asked.map((m) => {
    const answer = open.answers.find((a) => a.member_id === m.member_id);
    const waiting = awaitsAnswer(open, m.member_id);
    const state = waiting ? (answer?.status === "escalated" ? "missing" : "pending") : "answered";
    const label = state === "answered" ? "answered" : state === "missing" ? "overdue" : "not answered";
    const row = h(
      "li",
      { class: "rc-member", "data-testid": `roll-call-member-${m.member_id}`, "data-state": state },
      h("span", {}, h("strong", {}, memberName(m.member_id)), " ", h("span", { class: `badge rc-${state}` }, label)),
    );
    if (waiting) {
      const b = h("button", { type: "button", "data-testid": `roll-call-answer-for-${m.member_id}` }, `${memberName(m.member_id)} is with me: answer`);
      b.addEventListener("click", () => void answerRollCall(open, m.member_id));
      row.append(" ", b);
    }
    return row;
  });
  fill(
    els.rollcall,
    h("h2", {}, awaitsAnswer(open, c.memberId) ? "Roll call: are you OK?" : "Roll call: your team"),
    h("p", {}, `Started ${clockTime(open.started_at)}; answer by ${clockTime(open.due_at)}.`, mine?.status === "escalated" ? h("strong", {}, " Overdue: command is looking for you.") : ""),
    awaitsAnswer(open, c.memberId) ? button : null,
    rows.length
      ? h(
          "div",
          { "data-testid": "roll-call-team" },
          h("h3", {}, `Team ${c.team?.name ?? ""}: answer for those you can see or hear`),
          h("ul", { class: "rc-team" }, ...rows),
        )
      : null,
  );
  const wasHidden = els.rollcall.hidden;
  els.rollcall.hidden = false;
  if (wasHidden) {
    announce("Roll call: answer now");
    navigator.vibrate?.([300, 100, 300]);
  }
}

async function answerRollCall(rc: RollCall, memberId: number): Promise<void> {
  const c = ctx;
  if (!c) return;
  const me = c.team?.members.find((m) => m.member_id === c.memberId);
  const them = c.team?.members.find((m) => m.member_id === memberId);
  const body: Record<string, unknown> = { member_id: memberId };
  // The leader of their pair is recorded as the one who answered; for the rest of the team the
  // server takes the team leader's word (the log names the signed-in leader).
  if (memberId !== c.memberId && me?.leader && them && them.pair === me.pair) body.by_member_id = c.memberId;
  await outbox.add("roll_call_answer", c.incidentId, rollCallPath(rc), body);
  const answer = rc.answers.find((a) => a.member_id === memberId);
  if (answer) {
    answer.status = "answered";
    answer.answered_at = new Date().toISOString();
  }
  renderRollCall();
  const who = memberId === c.memberId ? "Roll call answered" : `Roll call answered for ${memberName(memberId)}`;
  announce(navigator.onLine ? who : `${who}; it is sent when you are back online`);
}

function renderInbox(): void {
  const c = ctx;
  if (!c || !els.inbox) return;
  const waiting = signals.filter((s) => s.requires_ack && s.deliveries.some((d) => d.member_id === c.memberId && d.status === "delivered"));
  const queuedAcks = new Set(outbox.pending.filter((i) => i.kind === "signal_ack").map((i) => i.path));
  const rows = waiting.filter((s) => !queuedAcks.has(`/incidents/${c.incidentId}/signals/${s.id}/acks`));
  els.inbox.hidden = rows.length === 0;
  fill(
    els.inbox,
    h("h2", { id: "inbox-title" }, "Signals for you"),
    ...rows.map((s) => {
      const b = h("button", { type: "button", class: "primary", "data-testid": `signal-ack-${s.id}` }, `Acknowledge "${s.code}"`);
      b.addEventListener("click", async () => {
        await outbox.add("signal_ack", c.incidentId, `/incidents/${c.incidentId}/signals/${s.id}/acks`, { member_id: c.memberId });
        renderInbox();
      });
      return h("div", { class: "alert-signal" }, h("p", {}, h("strong", {}, s.code), `: ${s.meaning} (${clockTime(s.sent_at)})`), b);
    }),
  );
}

function positionPanel(): HTMLElement {
  const button = h("button", { type: "button", class: "big-toggle", "data-testid": "share-position", "aria-pressed": "false" }, "Share my position: off");
  const info = h("p", { class: "hint", id: "position-info", "aria-live": "polite" }, "Your position is sent to command while sharing is on.");
  const setOn = (on: boolean): void => {
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Share my position: on" : "Share my position: off";
    localStorage.setItem(SHARE_KEY, on ? "1" : "0");
    if (on) startSharing(info);
    else stopSharing(info);
  };
  button.addEventListener("click", () => setOn(button.getAttribute("aria-pressed") !== "true"));
  if (localStorage.getItem(SHARE_KEY) === "1") requestAnimationFrame(() => setOn(true));
  return h("section", { class: "panel", "aria-labelledby": "pos-title" }, h("h2", { id: "pos-title" }, "My position"), button, info);
}

function startSharing(info: HTMLElement): void {
  if (watchId !== null) return;
  if (!("geolocation" in navigator)) {
    info.textContent = "This device cannot give a position.";
    return;
  }
  watchId = navigator.geolocation.watchPosition(
    (pos) => onFix(pos, info),
    (err) => {
      info.textContent = `No position: ${err.message || "permission refused or no fix"}.`;
    },
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30_000 },
  );
}

function stopSharing(info: HTMLElement): void {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  info.textContent = "Sharing is off.";
}

function onFix(pos: GeolocationPosition, info: HTMLElement): void {
  const c = ctx;
  if (!c) return;
  const { longitude: lon, latitude: lat, accuracy } = pos.coords;
  const t = pos.timestamp || Date.now();
  // At most one position each 10 s unless moved 25 m or more.
  if (lastFix) {
    const dy = (lat - lastFix.lat) * 111_320;
    const dx = (lon - lastFix.lon) * 111_320 * Math.cos((lat * Math.PI) / 180);
    if (t - lastFix.t < 10_000 && Math.hypot(dx, dy) < 25) return;
  }
  lastFix = { lon, lat, t };
  void outbox.add("position", c.incidentId, `/incidents/${c.incidentId}/positions`, {
    id: uuid(),
    member_id: c.memberId,
    lat,
    lon,
    time: new Date(t).toISOString(),
  });
  info.textContent = `Last fix ${formatCoord(lon, lat, "latlon")} (±${Math.round(accuracy)} m) at ${new Date(t).toLocaleTimeString()}.`;
  showMe();
}

function signalPanel(): HTMLElement {
  const c = ctx as FieldContext;
  const select = h("select", { id: "signal-select", "data-testid": "signal-select" }, ...c.codebook.map((s) => h("option", { value: s.code }, `${s.code}: ${s.meaning}`)));
  const status = h("p", { class: "form-status", role: "status" });
  const send = h("button", { type: "submit", class: "primary", "data-testid": "signal-send" }, "Send signal to my team");
  const form = h(
    "form",
    { "aria-labelledby": "sig-title", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "signal-select" }, "Signal"), select),
    send,
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!select.value) return;
    await outbox.add("signal", c.incidentId, `/incidents/${c.incidentId}/signals`, {
      code: select.value,
      team_id: c.team?.id ?? null,
      member_id: null,
      client_id: uuid(), // a replay after a dead spot is stored once
    });
    status.textContent = navigator.onLine ? `Signal "${select.value}" sent.` : `Signal "${select.value}" saved; it is sent when you are back online.`;
  });
  return h("section", { class: "panel" }, h("h2", { id: "sig-title" }, "Send a signal"), form);
}

function cluePanel(): HTMLElement {
  const c = ctx as FieldContext;
  const here = h("button", { type: "button", class: "small", "data-testid": "clue-use-position" }, "Use my position");
  const f = buildClueForm("field", [h("div", { class: "field" }, here)]);
  here.addEventListener("click", () => {
    const fill = (lon: number, lat: number): void => {
      f.position.value = "";
      f.position.dispatchEvent(new Event("input"));
      f.lat.value = lat.toFixed(6);
      f.lon.value = lon.toFixed(6);
    };
    if (lastFix) fill(lastFix.lon, lastFix.lat);
    else
      navigator.geolocation?.getCurrentPosition(
        (p) => fill(p.coords.longitude, p.coords.latitude),
        () => (f.status.textContent = "No position: type the coordinates."),
        { enableHighAccuracy: true, timeout: 15_000 },
      );
  });
  f.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const bounds: Bounds = c.mapInfo?.bounds ?? null;
    if (!f.applyPosition()) {
      f.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    const { errors, value } = validateClue({ lat: f.lat.value, lon: f.lon.value, kind: f.kind.value, note: f.note.value }, bounds);
    f.showErrors(errors);
    if (!value) {
      f.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    await outbox.add("clue", c.incidentId, `/incidents/${c.incidentId}/clues`, {
      id: uuid(),
      kind: value.kind,
      lat: value.lat,
      lon: value.lon,
      bearing_deg: null,
      time: new Date().toISOString(),
      note: value.note,
      member_id: c.memberId,
    });
    f.reset();
    f.status.textContent = navigator.onLine ? "Clue reported." : "Clue saved on this phone; it is sent when you are back online.";
  });
  return h("section", { class: "panel", "aria-labelledby": "clue-title" }, h("h2", { id: "clue-title" }, "Report a clue"), f.form);
}

function injuryPanel(): HTMLElement {
  const c = ctx as FieldContext;
  const mine = c.team?.members.find((m) => m.member_id === c.memberId);
  const mates = c.team?.members.filter((m) => m.member_id !== c.memberId && (c.role === "team_leader" || m.pair === mine?.pair)) ?? [];
  const who = h("select", { id: "injury-member", "data-testid": "injury-member" }, h("option", { value: c.memberId }, "Me"), ...mates.map((m) => h("option", { value: m.member_id }, memberName(m.member_id))));
  const severity = h("select", { id: "injury-severity", "data-testid": "injury-severity" }, h("option", { value: "minor" }, "Minor"), h("option", { value: "serious" }, "Serious"), h("option", { value: "critical" }, "Critical"));
  const treatment = h("textarea", { id: "injury-treatment", "data-testid": "injury-treatment", rows: 2, maxlength: 2000, "aria-describedby": "injury-treatment-error" });
  const err = h("p", { class: "field-error", id: "injury-treatment-error", "data-testid": "field-error-treatment", hidden: true });
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { "data-testid": "injury-form", novalidate: true, "aria-labelledby": "inj-title" },
    h("div", { class: "field" }, h("label", { for: "injury-member" }, "Who is hurt"), who),
    h("div", { class: "field" }, h("label", { for: "injury-severity" }, "Severity"), severity),
    h("div", { class: "field" }, h("label", { for: "injury-treatment" }, "What happened, treatment given"), treatment, err),
    h("button", { type: "submit", class: "danger", "data-testid": "injury-submit" }, "Report injury"),
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!treatment.value.trim()) {
      err.textContent = "Say what happened and what was done (e.g. ankle sprain, splinted).";
      err.hidden = false;
      treatment.setAttribute("aria-invalid", "true");
      treatment.focus();
      status.textContent = "Nothing was sent: fix the marked field.";
      return;
    }
    err.hidden = true;
    treatment.setAttribute("aria-invalid", "false");
    await outbox.add("injury", c.incidentId, `/incidents/${c.incidentId}/injuries`, {
      member_id: Number(who.value),
      severity: severity.value,
      treatment: treatment.value.trim(),
      time: new Date().toISOString(),
      client_id: uuid(), // a replay after a dead spot is stored once
    });
    treatment.value = "";
    status.textContent = navigator.onLine ? "Injury reported: command is told." : "Injury saved; it is sent when you are back online. Use the radio too.";
  });
  return h("section", { class: "panel", "aria-labelledby": "inj-title" }, h("h2", { id: "inj-title" }, "Report an injury"), form);
}

// --- start ------------------------------------------------------------------------------------

async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/field/" });
  } catch {
    /* not installable here (http on a LAN address): it still works online */
  }
}

async function main(): Promise<void> {
  applyStoredTheme();
  wireThemeToggle(byId<HTMLButtonElement>("theme-toggle"));
  document.addEventListener("wayhome:theme", () => renderAssignment());
  wireLogin();
  whenSignedOut(() => {
    signOut();
    showLogin("Your session ended: sign in again.");
  });
  byId("sign-out").addEventListener("click", () => {
    signOut();
    localStorage.removeItem(CONTEXT_KEY);
    showLogin();
  });
  outbox.onChange = () => {
    renderStatus();
  };
  outbox.onRejected = (r) => {
    announce(`Not accepted by the server (${r.item.kind.replace(/_/g, " ")}): ${r.reason}`);
    const detail = document.getElementById("queue-detail");
    if (detail) detail.append(h("span", { class: "field-error" }, ` Refused: ${r.item.kind.replace(/_/g, " ")}: ${r.reason}`));
  };
  outbox.onDelivered = (item) => {
    if (item.kind === "signal_ack") void refreshLive();
  };
  window.addEventListener("online", renderStatus);
  window.addEventListener("offline", renderStatus);
  await outbox.init();
  renderStatus();
  void registerServiceWorker();
  if (loadSession()) await start();
  else showLogin();
}

void main();
