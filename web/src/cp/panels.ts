// The command post's side panels: layers, assignments, roster, roll call, signals, clues, log.

import { ApiError, api } from "../shared/api";
import { buildClueForm, validateClue, type ClueForm } from "../shared/clueform";
import type { CoordFormat } from "../shared/coords";
import { ago, announce, clockTime, fill, h, uuid } from "../shared/dom";
import type { Assignment, Clue, RollCall, Signal } from "../shared/types";
import type { Alerts } from "./alerts";
import type { IncidentState } from "./main";
import { contactState, type CommandMap } from "./map";
import { AssignmentForm, SubjectsPanel, mayPlan } from "./planning";

function section(id: string, title: string, testid: string, ...body: Node[]): HTMLElement {
  return h(
    "section",
    { class: "panel", id, "data-testid": testid, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    ...body,
  );
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}

export class Panels {
  private els: Record<string, HTMLElement> = {};
  private clue: ClueForm | null = null;
  private ticker: number | undefined;
  subjects: SubjectsPanel | null = null;
  private assignForm: AssignmentForm | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly state: IncidentState,
    private readonly map: CommandMap,
    private readonly alerts: Alerts,
  ) {}

  private get readOnly(): boolean {
    return this.state.incident?.status === "closed";
  }

  build(): void {
    window.clearInterval(this.ticker);
    const alerts = h("div", { class: "alerts", role: "alert", "aria-live": "assertive" });
    this.els.alerts = alerts;
    this.els.assignments = h("div", { class: "scroll" });
    this.els.roster = h("div", { class: "scroll" });
    this.els.teams = h("div", { class: "scroll" });
    this.els.rollcall = h("div", { class: "scroll" });
    this.els.signals = h("div", { class: "scroll" });
    this.els.clues = h("ul", { class: "clue-list" });
    this.els.activity = h("ol", { class: "activity", "aria-label": "Activity log, newest first", tabindex: 0 });
    this.clue = buildClueForm("cp");
    this.clue.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submitClue();
    });
    this.subjects = new SubjectsPanel(this.state, this.map);
    this.assignForm = new AssignmentForm(this.state, this.map, (a) => {
      const i = this.state.assignments.findIndex((x) => x.id === a.id);
      if (i >= 0) this.state.assignments[i] = a;
      else this.state.assignments.push(a);
      this.map.setAssignments(this.state.assignments);
      this.renderAssignments();
    });
    fill(
      this.root,
      alerts,
      section("p-subjects", "Subjects", "subjects-panel", this.subjects.root),
      this.layersPanel(),
      section("p-assign", "Assignments", "assignments-panel", this.assignForm.root, this.els.assignments),
      section("p-teams", "Teams: last contact", "teams-panel", this.contactLegend(), this.els.teams),
      section("p-roster", "Roster", "roster-panel", this.intakeForm(), this.els.roster),
      section("p-rollcall", "Roll call", "roll-call-board", this.rollCallControls(), this.els.rollcall),
      section("p-signals", "Signals", "signals-panel", this.signalControls(), this.els.signals),
      section("p-clues", "Clues", "clues-panel", this.clue.form, this.els.clues),
      section("p-activity", "Activity log", "activity-log", this.els.activity),
    );
    this.ticker = window.setInterval(() => this.renderRosterAges(), 1000);
  }

  private layersPanel(): HTMLElement {
    const check = (id: string, testid: string, label: string, checked: boolean, on: (v: boolean) => void): HTMLElement => {
      const input = h("input", { type: "checkbox", id, "data-testid": testid, checked });
      input.addEventListener("change", () => on(input.checked));
      return h("div", { class: "check" }, input, h("label", { for: id }, label));
    };
    const model = h(
      "select",
      { id: "poa-model", "data-testid": "poa-model" },
      h("option", { value: "posterior" }, "Posterior (after searching)"),
      h("option", { value: "prior" }, "Prior (before searching)"),
    );
    model.addEventListener("change", () => this.map.setModel(model.value));
    const colour = h(
      "select",
      { id: "segment-colour", "data-testid": "segment-colour" },
      h("option", { value: "poa" }, "POA (probability of area)"),
      h("option", { value: "pod" }, "Cumulative POD (coverage)"),
    );
    colour.addEventListener("change", () => {
      this.map.setColouring(colour.value as "poa" | "pod");
      this.renderSegmentLegend();
    });
    this.els.segLegend = h("div", { class: "seg-legend", "data-testid": "segment-legend", "aria-live": "polite" });
    const fmt = document.getElementById("coord-format") as HTMLSelectElement | null;
    if (fmt) {
      fmt.value = localStorage.getItem("wayhome.coords") ?? "latlon";
      this.map.coordFormat = fmt.value as CoordFormat;
      fmt.onchange = () => {
        this.map.coordFormat = fmt.value as CoordFormat;
        localStorage.setItem("wayhome.coords", fmt.value);
      };
    }
    return section(
      "p-layers",
      "Map layers",
      "layers-panel",
      check("layer-poa", "layer-poa", "POA heat", true, (v) => this.map.setPoaVisible(v)),
      h("div", { class: "field inline" }, h("label", { for: "poa-model" }, "POA model"), model),
      check("layer-segments", "layer-segments", "Segments", true, (v) => this.map.setSegmentsVisible(v)),
      h("div", { class: "field inline" }, h("label", { for: "segment-colour" }, "Colour segments by"), colour),
      this.els.segLegend,
      check("layer-grid", "layer-grid", "UTM / MGRS 1 km grid", true, (v) => this.map.setGrid(v)),
      check("layer-contours", "layer-contours", "Contours", true, (v) => this.map.setLayerVisible("contours", v)),
      check("layer-tracks", "layer-tracks", "Tracks", true, (v) => this.map.setLayerVisible("tracks", v)),
    );
  }

  refreshMapDependent(): void {
    this.renderAssignments();
    this.assignForm?.render();
    this.renderSegmentLegend();
  }

  /** The colour ramp of the segments' current colouring, with its end values. */
  renderSegmentLegend(): void {
    const el = this.els.segLegend;
    if (!el) return;
    const l = this.map.segmentLegend();
    el.dataset.colouring = l.colouring;
    fill(
      el,
      h("span", { class: "seg-legend-title" }, l.title),
      h(
        "span",
        { class: "seg-legend-ramp", role: "img", "aria-label": `${l.title}: light is ${l.low}, dark is ${l.high}` },
        ...l.colours.map((c) => h("span", { class: "seg-legend-step", style: `background:${c}` })),
      ),
      h("span", { class: "seg-legend-ends" }, h("span", {}, l.low), h("span", {}, l.high)),
    );
  }

  /** A click on the map (see main.ts). */
  mapClick(lon: number, lat: number, segment: string | null): void {
    if (this.subjects?.takeMapClick(lon, lat)) return;
    this.fillClueAt(lon, lat);
    if (segment !== null && mayPlan(this.state) && !this.readOnly) this.assignForm?.chooseSegment(segment);
  }

  private contactLegend(): HTMLElement {
    return h(
      "p",
      { class: "hint contact-legend" },
      "Time since the team's last contact: ",
      h("span", { class: "contact contact-fresh" }, "fresh (under 10 min)"),
      " ",
      h("span", { class: "contact contact-stale" }, "stale (10–30 min)"),
      " ",
      h("span", { class: "contact contact-overdue" }, "overdue (30 min or flagged)"),
    );
  }

  renderTeams(): void {
    const s = this.state;
    if (!s.teams.length) {
      fill(this.els.teams, h("p", { class: "empty" }, "No teams yet."));
      return;
    }
    const body = h("tbody");
    for (const t of s.teams) {
      const pairs = [...new Set(t.members.map((m) => m.pair))].sort((a, b) => a - b);
      const pairCells = pairs.map((pair) => {
        const ms = t.members.filter((m) => m.pair === pair);
        const colour = ms.length ? this.map.pairOf(ms[0].member_id)?.colour : undefined;
        return h(
          "span",
          { class: "pair-chip", style: colour ? `--pair:${colour}` : "", "data-testid": `pair-${t.id}-${pair}` },
          ...ms.flatMap((m, i) => {
            const mem = s.members.get(m.member_id);
            return [
              i ? " + " : "",
              mem?.name ?? `#${m.member_id}`,
              mem?.needs_protection ? h("span", { class: "protected-mark", title: "Needs protection: never leads, never alone" }, " (protected)") : "",
            ];
          }),
        );
      });
      body.append(
        h(
          "tr",
          { "data-testid": `team-row-${t.id}`, "data-team-id": t.id },
          h("td", {}, h("strong", {}, t.name), t.capability === "reduced" ? h("span", { class: "badge warn" }, " reduced") : ""),
          h("td", {}, ...pairCells),
          h("td", { class: "contact", "data-team-age": t.id }, "—"),
        ),
      );
    }
    fill(
      this.els.teams,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Team"), h("th", { scope: "col" }, "Pairs"), h("th", { scope: "col" }, "Last contact"))), body),
    );
    this.renderRosterAges();
  }

  renderAll(): void {
    this.subjects?.render();
    this.assignForm?.render();
    this.renderSegmentLegend();
    this.renderTeams();
    this.renderAssignments();
    this.renderRoster();
    this.renderRollCall();
    this.renderSignals();
    this.renderClues();
    this.renderActivity();
    for (const b of this.root.querySelectorAll<HTMLButtonElement>("[data-write]")) {
      b.disabled = this.readOnly || (b.hasAttribute("data-plan") && !mayPlan(this.state));
    }
  }

  alert(text: string): void {
    const item = h(
      "div",
      { class: "alert" },
      h("span", {}, `${clockTime(new Date().toISOString())} ${text}`),
      h("button", { type: "button", class: "small", onclick: (() => item.remove()) as EventListener }, "Dismiss"),
    );
    this.els.alerts.prepend(item);
    announce(text);
  }

  // --- assignments ------------------------------------------------------------------------

  renderAssignments(): void {
    const s = this.state;
    const teamName = (id: number): string => s.teams.find((t) => t.id === id)?.name ?? `team ${id}`;
    const rows = [...s.assignments].sort((a, b) => order(a) - order(b) || b.id - a.id);
    if (!rows.length) {
      fill(this.els.assignments, h("p", { class: "empty" }, "No assignments yet."));
      return;
    }
    const table = h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Team"), h("th", { scope: "col" }, "Segment"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Action"))),
    );
    const body = h("tbody");
    for (const a of rows) {
      const actions: Node[] = [];
      if (!this.readOnly && (a.status === "planned" || a.status === "in_progress")) {
        actions.push(
          h(
            "button",
            {
              type: "button",
              class: "small",
              "data-testid": `assignment-complete-${a.id}`,
              "aria-label": `Mark completed: assignment ${a.id} (${teamName(a.team_id)}, segment ${a.segment})`,
              onclick: (() => void this.complete(a)) as EventListener,
            },
            "Mark completed",
          ),
        );
      }
      body.append(
        h(
          "tr",
          { "data-testid": `assignment-${a.id}`, "data-status": a.status, class: `status-${a.status}` },
          h("td", {}, teamName(a.team_id)),
          h(
            "td",
            {},
            h("button", { type: "button", class: "link", onclick: (() => this.zoomToSegment(a.segment)) as EventListener, "aria-label": `Show segment ${a.segment} on the map` }, a.segment),
          ),
          h("td", {}, h("span", { class: `badge status-${a.status}` }, a.status.replace("_", " ")), a.reported_pod !== null ? ` POD ${(a.reported_pod * 100).toFixed(0)}%` : ""),
          h("td", {}, ...actions),
        ),
      );
    }
    table.append(body);
    fill(this.els.assignments, table);
  }

  private zoomToSegment(segment: string): void {
    const f = this.map.segments.features.find((x) => String((x.properties ?? {}).id) === segment);
    if (!f || !f.geometry) return;
    const coords: number[][] = [];
    const walk = (c: unknown): void => {
      if (Array.isArray(c) && typeof c[0] === "number") coords.push(c as number[]);
      else if (Array.isArray(c)) c.forEach(walk);
    };
    walk((f.geometry as GeoJSON.Polygon).coordinates);
    if (!coords.length) return;
    const xs = coords.map((c) => c[0]);
    const ys = coords.map((c) => c[1]);
    this.map.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60 });
  }

  private async complete(a: Assignment): Promise<void> {
    const path = `/incidents/${this.state.incidentId}/assignments/${a.id}/status`;
    try {
      if (a.status === "planned") await api(path, { method: "PUT", body: { status: "in_progress" } });
      const done = await api<Assignment>(path, { method: "PUT", body: { status: "completed" } });
      const i = this.state.assignments.findIndex((x) => x.id === a.id);
      if (i >= 0) this.state.assignments[i] = done;
      this.map.setAssignments(this.state.assignments);
      this.renderAssignments();
      announce(`Assignment ${a.id} marked completed`);
    } catch (e) {
      this.alert(`Could not complete assignment ${a.id}: ${errorText(e)}`);
    }
  }

  // --- roster -----------------------------------------------------------------------------

  renderRoster(): void {
    const s = this.state;
    const teamOf = new Map<number, { team: string; pair: number; march: string | null; leader: boolean }>();
    for (const t of s.teams) {
      for (const m of t.members) teamOf.set(m.member_id, { team: t.name, pair: m.pair, march: m.march, leader: m.leader });
    }
    const members = [...s.members.values()].sort(
      (a, b) => (teamOf.get(a.id)?.team ?? "~").localeCompare(teamOf.get(b.id)?.team ?? "~") || a.id - b.id,
    );
    if (!members.length) {
      fill(this.els.roster, h("p", { class: "empty" }, "Nobody on the roster yet."));
      return;
    }
    const body = h("tbody");
    for (const m of members) {
      const t = teamOf.get(m.id);
      const pair = this.map.pairOf(m.id);
      body.append(
        h(
          "tr",
          { "data-testid": `roster-member-${m.id}`, "data-status": m.status, "data-pair": pair?.key ?? "" },
          h(
            "td",
            {},
            h("span", { class: "pair-dot", style: pair ? `--pair:${pair.colour}` : "", "aria-hidden": "true" }),
            h("button", { type: "button", class: "link", onclick: (() => this.locate(m.id)) as EventListener, "aria-label": `Show ${m.name} on the map` }, m.name),
            m.needs_protection
              ? h("span", { class: "badge protected", "data-testid": `protected-${m.id}`, title: "Needs protection: never leads, never alone" }, "protected")
              : "",
          ),
          h("td", {}, t ? `${t.team}${t.leader ? " ★" : ""}${t.march ? ` · ${t.march}` : ""}` : "—"),
          h("td", {}, h("span", { class: `badge member-${m.status}` }, m.status.replace("_", " "))),
          h("td", { class: "age", "data-member-age": m.id }, ""),
        ),
      );
    }
    fill(
      this.els.roster,
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Team"), h("th", { scope: "col" }, "Check-in"), h("th", { scope: "col" }, "Last contact"))),
        body,
      ),
    );
    this.renderRosterAges();
  }

  /** Intake: a new member on the roster, checked in at once. */
  private intakeForm(): HTMLElement {
    const name = h("input", { id: "intake-name", "data-testid": "intake-name", autocomplete: "off", maxlength: 200, "aria-describedby": "intake-name-error" });
    const kind = h(
      "select",
      { id: "intake-resource", "data-testid": "intake-resource" },
      ...["ground", "dog", "medical", "drone", "mounted", "water", "command", "other"].map((k) => h("option", { value: k }, k)),
    );
    const contact = h("input", { id: "intake-contact", "data-testid": "intake-contact", autocomplete: "off", maxlength: 200 });
    const err = h("p", { class: "field-error", id: "intake-name-error", "data-testid": "field-error-name", hidden: true });
    const status = h("p", { class: "form-status", role: "status" });
    const button = h("button", { type: "submit", class: "primary", "data-testid": "intake-submit", "data-write": true }, "Check in");
    const form = h(
      "form",
      { class: "inline-form", "data-testid": "intake-form", novalidate: true, "aria-label": "Check in a new member" },
      h("div", { class: "field" }, h("label", { for: "intake-name" }, "Name"), name, err),
      h("div", { class: "field" }, h("label", { for: "intake-resource" }, "Resource"), kind),
      h("div", { class: "field" }, h("label", { for: "intake-contact" }, "Contact / call sign"), contact),
      button,
      status,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!name.value.trim()) {
        err.textContent = "Name is required: give the member's full name.";
        err.hidden = false;
        name.setAttribute("aria-invalid", "true");
        name.focus();
        status.textContent = "Nothing was sent.";
        return;
      }
      err.hidden = true;
      name.setAttribute("aria-invalid", "false");
      button.disabled = true;
      try {
        const id = this.state.incidentId;
        const m = await api<{ id: number; name: string }>(`/incidents/${id}/members`, {
          body: { name: name.value.trim(), resource_type: kind.value, contact: contact.value.trim() },
        });
        const checked = await api<import("../shared/types").Member>(`/incidents/${id}/members/${m.id}/status`, {
          method: "PUT",
          body: { status: "checked_in" },
        });
        this.state.members.set(checked.id, checked);
        this.renderRoster();
        this.renderTeams();
        status.textContent = `${checked.name} checked in.`;
        name.value = "";
        contact.value = "";
      } catch (ex) {
        status.textContent = `Not checked in: ${errorText(ex)}`;
      } finally {
        button.disabled = this.readOnly;
      }
    });
    return h("details", { class: "intake" }, h("summary", {}, "Check in a new member (intake)"), form);
  }

  private locate(memberId: number): void {
    const p = this.state.positions.get(memberId);
    if (p) this.map.flyTo(p.lon, p.lat);
    else announce("No position from this member yet");
  }

  renderRosterAges(): void {
    const now = Date.now() + this.state.clockOffset;
    for (const cell of this.els.roster?.querySelectorAll<HTMLElement>("[data-member-age]") ?? []) {
      const p = this.state.positions.get(Number(cell.dataset.memberAge));
      const secs = p ? (now - Date.parse(p.time)) / 1000 : null;
      cell.textContent = secs !== null ? `${ago(secs)} ago` : "—";
      cell.dataset.contact = secs !== null ? contactState(secs, false) : "none";
    }
    for (const cell of this.els.teams?.querySelectorAll<HTMLElement>("[data-team-age]") ?? []) {
      const id = Number(cell.dataset.teamAge);
      const team = this.state.teams.find((t) => t.id === id);
      let newest: number | null = null;
      for (const m of team?.members ?? []) {
        const p = this.state.positions.get(m.member_id);
        if (p) newest = Math.max(newest ?? -Infinity, Date.parse(p.time));
      }
      const flagged = this.alerts.isOverdue(id);
      const secs = newest !== null ? (now - newest) / 1000 : null;
      const st = secs !== null ? contactState(secs, flagged) : flagged ? "overdue" : "none";
      cell.dataset.contact = st;
      const row = cell.closest("tr");
      if (row) row.dataset.contact = st;
      cell.textContent = `${secs !== null ? `${ago(secs)} ago` : "no contact yet"}${st === "none" ? "" : ` · ${st}`}`;
    }
    this.map.refreshAges();
  }

  // --- roll call --------------------------------------------------------------------------

  private rollCallControls(): HTMLElement {
    const team = h("select", { id: "roll-call-team", "data-testid": "roll-call-team" });
    this.els.rollCallTeam = team;
    const timeout = h("input", { id: "roll-call-timeout", type: "number", min: 10, max: 86400, value: 300, "data-testid": "roll-call-timeout" });
    const err = h("p", { class: "field-error", "data-testid": "field-error-timeout", hidden: true });
    const button = h("button", { type: "submit", "data-testid": "roll-call-start", "data-write": true, class: "primary" }, "Start roll call");
    const form = h(
      "form",
      { class: "inline-form", novalidate: true, "aria-label": "Start a roll call" },
      h("div", { class: "field" }, h("label", { for: "roll-call-team" }, "Who"), team),
      h("div", { class: "field" }, h("label", { for: "roll-call-timeout" }, "Answer within (s)"), timeout, err),
      button,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const t = Number(timeout.value);
      if (!Number.isInteger(t) || t < 10 || t > 86400) {
        err.textContent = "Give whole seconds between 10 and 86400.";
        err.hidden = false;
        timeout.setAttribute("aria-invalid", "true");
        timeout.focus();
        return;
      }
      err.hidden = true;
      timeout.setAttribute("aria-invalid", "false");
      button.disabled = true;
      try {
        const rc = await api<RollCall>(`/incidents/${this.state.incidentId}/roll-calls`, {
          body: { team_id: team.value ? Number(team.value) : null, timeout_seconds: t },
        });
        const i = this.state.rollCalls.findIndex((x) => x.id === rc.id);
        if (i < 0) this.state.rollCalls.push(rc);
        this.renderRollCall();
        announce("Roll call started");
      } catch (ex) {
        this.alert(`Roll call not started: ${errorText(ex)}`);
      } finally {
        button.disabled = this.readOnly;
      }
    });
    return form;
  }

  renderRollCall(): void {
    const s = this.state;
    const team = this.els.rollCallTeam as HTMLSelectElement | undefined;
    if (team) {
      const keep = team.value;
      fill(team, h("option", { value: "" }, "Everyone in the field"), ...s.teams.map((t) => h("option", { value: t.id }, `Team ${t.name}`)));
      team.value = keep;
    }
    const rc = [...s.rollCalls].sort((a, b) => b.id - a.id)[0];
    if (!rc) {
      fill(this.els.rollcall, h("p", { class: "empty" }, "No roll call yet."));
      return;
    }
    const answered = rc.answers.filter((a) => a.status === "answered").length;
    const body = h("tbody");
    for (const a of rc.answers) {
      const state = a.status === "answered" ? "answered" : a.status === "escalated" ? "missing" : "pending";
      const m = s.members.get(a.member_id);
      const by = a.answered_by !== null && a.answered_by !== a.member_id ? ` (by ${s.members.get(a.answered_by)?.name ?? a.answered_by})` : "";
      body.append(
        h(
          "tr",
          { "data-testid": `roll-call-answer-${a.member_id}`, "data-state": state, class: `rc-${state}` },
          h("td", {}, m?.name ?? `member ${a.member_id}`),
          h("td", {}, h("span", { class: `badge rc-${state}` }, state === "missing" ? "MISSING" : state), a.answered_at ? ` ${clockTime(a.answered_at)}${by}` : ""),
        ),
      );
    }
    fill(
      this.els.rollcall,
      h(
        "p",
        { "data-testid": "roll-call-summary", "data-roll-call-id": rc.id },
        `Roll call #${rc.id}${rc.team_id ? ` (team ${s.teams.find((t) => t.id === rc.team_id)?.name ?? rc.team_id})` : ""}, started ${clockTime(rc.started_at)}, due ${clockTime(rc.due_at)}: `,
        h("strong", {}, `${answered} of ${rc.answers.length} answered`),
      ),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Member"), h("th", { scope: "col" }, "Answer"))), body),
    );
  }

  // --- signals ----------------------------------------------------------------------------

  private signalControls(): HTMLElement {
    const code = h("select", { id: "cp-signal-code", "data-testid": "cp-signal-select" });
    const to = h("select", { id: "cp-signal-to", "data-testid": "cp-signal-to" });
    this.els.signalCode = code;
    this.els.signalTo = to;
    const button = h("button", { type: "submit", "data-testid": "cp-signal-send", "data-write": true, class: "primary" }, "Send signal");
    const form = h(
      "form",
      { class: "inline-form", novalidate: true, "aria-label": "Send a signal" },
      h("div", { class: "field" }, h("label", { for: "cp-signal-code" }, "Signal"), code),
      h("div", { class: "field" }, h("label", { for: "cp-signal-to" }, "To"), to),
      button,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!code.value) return;
      const [kind, id] = to.value.split(":");
      button.disabled = true;
      try {
        const sig = await api<Signal>(`/incidents/${this.state.incidentId}/signals`, {
          body: { code: code.value, member_id: kind === "m" ? Number(id) : null, team_id: kind === "t" ? Number(id) : null },
        });
        if (!this.state.signals.some((x) => x.id === sig.id)) this.state.signals.push(sig);
        this.renderSignals();
        announce(`Signal ${sig.code} sent`);
      } catch (ex) {
        this.alert(`Signal not sent: ${errorText(ex)}`);
      } finally {
        button.disabled = this.readOnly;
      }
    });
    return form;
  }

  renderSignals(): void {
    const s = this.state;
    const code = this.els.signalCode as HTMLSelectElement | undefined;
    if (code && code.options.length !== s.codebook.length) {
      fill(code, ...s.codebook.map((c) => h("option", { value: c.code }, `${c.code}: ${c.meaning}`)));
    }
    const to = this.els.signalTo as HTMLSelectElement | undefined;
    if (to) {
      const keep = to.value;
      fill(
        to,
        h("option", { value: "" }, "Everyone in the field"),
        ...s.teams.map((t) => h("option", { value: `t:${t.id}` }, `Team ${t.name}`)),
        ...[...s.members.values()].map((m) => h("option", { value: `m:${m.id}` }, m.name)),
      );
      to.value = keep;
    }
    const rows = [...s.signals].sort((a, b) => b.id - a.id).slice(0, 15);
    if (!rows.length) {
      fill(this.els.signals, h("p", { class: "empty" }, "No signals sent."));
      return;
    }
    fill(this.els.signals, h("ul", { class: "signal-list" }, ...rows.map((sig) => this.signalItem(sig))));
  }

  private signalItem(sig: Signal): HTMLElement {
    const s = this.state;
    const acked = sig.deliveries.filter((d) => d.status === "acknowledged").length;
    const target = sig.member_id
      ? s.members.get(sig.member_id)?.name ?? `member ${sig.member_id}`
      : sig.team_id
        ? `team ${s.teams.find((t) => t.id === sig.team_id)?.name ?? sig.team_id}`
        : "everyone";
    const waiting = sig.deliveries.filter((d) => d.status !== "acknowledged").map((d) => s.members.get(d.member_id)?.name ?? `#${d.member_id}`);
    return h(
      "li",
      { "data-testid": `signal-${sig.id}`, "data-acked": acked, "data-recipients": sig.deliveries.length },
      h("strong", {}, sig.code),
      ` → ${target} · ${clockTime(sig.sent_at)} · `,
      sig.requires_ack
        ? h("span", { class: acked === sig.deliveries.length ? "badge ok" : "badge warn" }, `${acked}/${sig.deliveries.length} acknowledged`)
        : h("span", { class: "badge" }, `${sig.deliveries.length} delivered`),
      sig.requires_ack && waiting.length ? h("div", { class: "hint" }, `waiting for: ${waiting.join(", ")}`) : null,
    );
  }

  // --- clues ------------------------------------------------------------------------------

  private async submitClue(): Promise<void> {
    const f = this.clue;
    if (!f) return;
    if (!f.applyPosition()) {
      f.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    const { errors, value } = validateClue(
      { lat: f.lat.value, lon: f.lon.value, kind: f.kind.value, note: f.note.value },
      this.map.bounds,
    );
    f.showErrors(errors);
    if (!value) {
      f.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    const submit = f.form.querySelector<HTMLButtonElement>("[data-testid=clue-submit]");
    if (submit) submit.disabled = true;
    try {
      const clue = await api<Clue>(`/incidents/${this.state.incidentId}/clues`, {
        body: { id: uuid(), kind: value.kind, lat: value.lat, lon: value.lon, bearing_deg: null, time: new Date().toISOString(), note: value.note, member_id: null },
      });
      if (!this.state.clues.some((c) => c.id === clue.id)) this.state.clues.push(clue);
      this.map.setClues(this.state.clues);
      this.renderClues();
      f.reset();
      f.status.textContent = "Clue reported.";
    } catch (e) {
      f.status.textContent = `Clue not reported: ${errorText(e)}`;
    } finally {
      if (submit) submit.disabled = false;
    }
  }

  renderClues(): void {
    const rows = [...this.state.clues].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, 20);
    fill(
      this.els.clues,
      ...rows.map((c) =>
        h(
          "li",
          { "data-testid": `clue-${c.id}` },
          h("button", { type: "button", class: "link", onclick: (() => this.map.flyTo(c.lon, c.lat)) as EventListener }, `${c.kind.replace("_", " ")}`),
          ` ${clockTime(c.time)} ${c.note} `,
          c.evidence_id !== null && c.evidence_id !== undefined
            ? h("span", { class: "badge ok", "data-testid": `clue-applied-${c.id}` }, "in the plan")
            : this.readOnly || !mayPlan(this.state)
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    class: "small",
                    "data-testid": `clue-apply-${c.id}`,
                    "aria-label": `Apply to plan: fold the ${c.kind.replace("_", " ")} clue into the probability map`,
                    onclick: (() => void this.applyClue(c)) as EventListener,
                  },
                  "Apply to plan",
                ),
        ),
      ),
    );
  }

  private async applyClue(c: Clue): Promise<void> {
    try {
      const applied = await api<Clue>(`/incidents/${this.state.incidentId}/clues/${c.id}/apply`, { method: "POST" });
      const i = this.state.clues.findIndex((x) => x.id === c.id);
      if (i >= 0) this.state.clues[i] = applied;
      this.renderClues();
      announce("Clue applied: the probability map is updated");
      await this.map.refreshPlan();
    } catch (e) {
      this.alert(`Clue not applied: ${errorText(e)}`);
    }
  }

  /** Put a clicked map point into the clue form (planners click where the clue is). */
  fillClueAt(lon: number, lat: number): void {
    if (!this.clue) return;
    this.clue.position.value = "";
    this.clue.position.dispatchEvent(new Event("input"));
    this.clue.lat.value = lat.toFixed(6);
    this.clue.lon.value = lon.toFixed(6);
  }

  // --- activity ---------------------------------------------------------------------------

  renderActivity(): void {
    const rows = [...this.state.activity].sort((a, b) => b.id - a.id).slice(0, 150);
    fill(
      this.els.activity,
      ...rows.map((r) =>
        h("li", { "data-activity-id": r.id }, h("time", { datetime: r.time }, clockTime(r.time)), " ", h("span", { class: "actor" }, r.actor), ": ", r.text),
      ),
    );
  }
}

function order(a: Assignment): number {
  return { in_progress: 0, planned: 1, completed: 2, aborted: 3 }[a.status] ?? 4;
}
