// Planning on the command post: subject intake (the lost person) and new assignments.

import { ApiError, api } from "../shared/api";
import { positionFiller } from "../shared/clueform";
import { POSITION_FORMS } from "../shared/coords";
import { announce, clockTime, fill, h } from "../shared/dom";
import type { Assignment, Period, Subject } from "../shared/types";
import { checkPoint, errorText, field, isoToLocal, localToIso, parseNumber, placeServerError, showErrors, type Field } from "./forms";
import type { IncidentState } from "./main";
import type { CommandMap } from "./map";

/** The signed-in user's role in the open incident (null: none). */
export function roleOf(state: IncidentState): string | null {
  return state.me?.roles.find((r) => r.incident_id === state.incidentId)?.role ?? null;
}

export function mayPlan(state: IncidentState): boolean {
  return ["incident_commander", "operations", "planning"].includes(roleOf(state) ?? "");
}

export function mayOverride(state: IncidentState): boolean {
  return roleOf(state) === "incident_commander";
}

/** ISRID categories (wayhome.subject.categories), plus "child" (the age picks the band). */
const CATEGORIES = [
  "child", "hiker", "hunter", "dementia", "autism", "despondent", "angler", "camper", "climber",
  "gatherer", "runner", "mountain_biker", "horseback_rider", "intellectual_disability",
  "mental_illness", "substance_abuse", "skier_alpine", "skier_nordic", "snowboarder",
  "snowmobiler", "snowshoer", "atv", "vehicle", "vehicle_4wd", "abandoned_vehicle", "aircraft",
  "extreme_sport", "worker", "abduction",
];

const STATUS_LABEL: Record<Subject["status"], string> = {
  missing: "missing",
  found: "found",
  handed_over: "handed over",
  transferred: "transferred",
};

/** The subjects panel: the intake form and the list of subjects with their status. */
export class SubjectsPanel {
  readonly root: HTMLElement;
  private list = h("div", { class: "scroll", "data-testid": "subject-list" });
  private fields: Field[] = [];
  private codeBox = h("div", { class: "code-once", "data-testid": "handover-code-box", role: "alert", hidden: true });
  private status = h("p", { class: "form-status", role: "status", "data-testid": "subject-form-status" });
  private form!: HTMLFormElement;
  private picking = false;
  private details!: HTMLDetailsElement;
  private position!: { field: Field; apply(): string | null; clear(): void };

  constructor(
    private readonly state: IncidentState,
    private readonly map: CommandMap,
  ) {
    this.root = h("div", {}, this.buildForm(), this.codeBox, this.list);
  }

  private buildForm(): HTMLElement {
    const text = (max: number): HTMLInputElement => h("input", { type: "text", autocomplete: "off", maxlength: max });
    const category = h("select", {}, ...CATEGORIES.map((c) => h("option", { value: c }, c.replace(/_/g, " "))));
    const lastSeen = h("input", { type: "datetime-local" });
    lastSeen.value = isoToLocal(new Date());
    const f = {
      name: field("subject-name", "Name", text(200), "Or a description if unknown (\u201cboy, 6\u201d)"),
      category: field("subject-category", "Category (ISRID)", category),
      age: field("subject-age", "Age (years)", h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }), "Needed for a child"),
      position: field("intake-position", "Last seen: position (any format)", h("input", { type: "text", autocomplete: "off", spellcheck: "false" }), `Optional; fills latitude and longitude. ${POSITION_FORMS}`),
      lat: field("subject-lat", "Last seen: latitude", h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }), "Decimal degrees or DMS, WGS 84"),
      lon: field("subject-lon", "Last seen: longitude", h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }), "Decimal degrees or DMS, WGS 84"),
      at: field("subject-last-seen-at", "Last seen: time", lastSeen),
      description: field("subject-description", "Description (clothing, build…)", h("textarea", { rows: 2, maxlength: 2000 })),
      guardian: field("guardian-name", "Guardian's name", text(200), "Who the subject is handed to"),
      relation: field("guardian-relation", "Guardian's relation", text(100), "e.g. mother, teacher"),
      document: field("guardian-id-document", "Guardian's ID document checked", text(200), "e.g. driver's licence TN …0421"),
      code: field("handover-code", "Handover code (optional)", text(100), "At least 6 characters; left empty, one is generated"),
    };
    this.fields = Object.values(f);
    f.position.error.dataset.testid = "field-error-position";
    this.position = {
      field: f.position,
      ...positionFiller(f.position.control as HTMLInputElement, f.lat.control as HTMLInputElement, f.lon.control as HTMLInputElement),
    };
    const pick = h(
      "button",
      { type: "button", class: "small", "data-testid": "subject-pick-point", "aria-pressed": "false" },
      "Pick the last-seen point on the map",
    );
    pick.addEventListener("click", () => this.setPicking(!this.picking));
    const submit = h("button", { type: "submit", class: "primary", "data-testid": "subject-submit", "data-write": true, "data-plan": true }, "Record the subject");
    this.form = h(
      "form",
      { "data-testid": "subject-form", novalidate: true, "aria-label": "Subject intake" },
      f.name.wrap,
      h("div", { class: "row" }, f.category.wrap, f.age.wrap),
      f.position.wrap,
      h("div", { class: "row" }, f.lat.wrap, f.lon.wrap),
      pick,
      f.at.wrap,
      f.description.wrap,
      f.guardian.wrap,
      h("div", { class: "row" }, f.relation.wrap, f.document.wrap),
      f.code.wrap,
      submit,
      this.status,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit(f, submit);
    });
    this.form.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.picking) {
        e.stopPropagation();
        this.setPicking(false);
      }
    });
    this.details = h("details", { class: "intake", "data-testid": "subject-intake" }, h("summary", {}, "Subject intake (lost person)"), this.form);
    return this.details;
  }

  private setPicking(on: boolean): void {
    this.picking = on;
    const b = this.form.querySelector<HTMLButtonElement>("[data-testid=subject-pick-point]");
    b?.setAttribute("aria-pressed", String(on));
    if (b) b.textContent = on ? "Click the map… (Escape to cancel)" : "Pick the last-seen point on the map";
    this.map.map.getCanvas().style.cursor = on ? "crosshair" : "";
  }

  /** A map click: taken as the last-seen point when picking (true: consumed). */
  takeMapClick(lon: number, lat: number): boolean {
    if (!this.picking) return false;
    this.position.clear();
    (this.fields.find((x) => x.name === "subject-lat")!.control as HTMLInputElement).value = lat.toFixed(6);
    (this.fields.find((x) => x.name === "subject-lon")!.control as HTMLInputElement).value = lon.toFixed(6);
    this.setPicking(false);
    announce("Last-seen point set from the map");
    return true;
  }

  private async submit(f: Record<string, Field>, button: HTMLButtonElement): Promise<void> {
    const v = (x: Field): string => x.control.value;
    const errors: Record<string, string> = {};
    const positionError = this.position.apply();
    if (positionError) {
      showErrors(this.fields, { "intake-position": positionError });
      this.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    if (!v(f.name).trim()) errors["subject-name"] = "Name is required: give the subject's name, or a description such as \u201cboy, 6\u201d.";
    const age = v(f.age).trim() === "" ? null : parseNumber(v(f.age));
    if (v(f.age).trim() !== "" && (age === null || age < 0 || age > 120)) errors["subject-age"] = "Age must be a number of years between 0 and 120.";
    else if (v(f.category) === "child" && age === null) errors["subject-age"] = "A child needs an age: it picks the ISRID age band.";
    const point = checkPoint(v(f.lat), v(f.lon), this.map.bounds);
    if (point.lat) errors["subject-lat"] = point.lat;
    if (point.lon) errors["subject-lon"] = point.lon;
    const at = localToIso(v(f.at));
    if (!at) errors["subject-last-seen-at"] = "Give the date and time the subject was last seen.";
    else if (Date.parse(at) > Date.now() + this.state.clockOffset + 5 * 60_000) errors["subject-last-seen-at"] = "The last-seen time is in the future: check the date and time.";
    if (!v(f.guardian).trim()) errors["guardian-name"] = "Give the name of the guardian the subject will be handed to.";
    if (!v(f.relation).trim()) errors["guardian-relation"] = "Say how the guardian is related (e.g. mother, teacher).";
    if (!v(f.document).trim()) errors["guardian-id-document"] = "Note the guardian's identity document you checked.";
    const code = v(f.code).trim();
    if (code && code.length < 6) errors["handover-code"] = "Use at least 6 characters, or leave it empty to have one generated.";
    if (!showErrors(this.fields, errors) || !point.value || !at) {
      this.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    button.disabled = true;
    this.status.textContent = "Sending…";
    try {
      const created = await api<Subject & { handover_code: string }>(`/incidents/${this.state.incidentId}/subjects`, {
        body: {
          name: v(f.name).trim(),
          category: v(f.category),
          age,
          description: v(f.description).trim(),
          last_seen_lat: point.value[0],
          last_seen_lon: point.value[1],
          last_seen_at: at,
          guardian_name: v(f.guardian).trim(),
          guardian_relation: v(f.relation).trim(),
          guardian_id_document: v(f.document).trim(),
          handover_code: code || null,
        },
      });
      this.upsert(created);
      this.showCode(created.name, created.handover_code);
      this.status.textContent = `${created.name} recorded as missing.`;
      for (const x of this.fields) if (x.control.tagName !== "SELECT" && x.name !== "subject-last-seen-at") x.control.value = "";
      this.position.clear();
    } catch (e) {
      const placed = placeServerError(this.fields, e, {
        name: "subject-name",
        category: "subject-category",
        age: "subject-age",
        last_seen_lat: "subject-lat",
        last_seen_lon: "subject-lon",
        last_seen_at: "subject-last-seen-at",
        description: "subject-description",
        guardian_name: "guardian-name",
        guardian_relation: "guardian-relation",
        guardian_id_document: "guardian-id-document",
        handover_code: "handover-code",
      });
      this.status.textContent = placed ? "Not recorded: the server refused the marked field." : `Not recorded: ${errorText(e)}`;
    } finally {
      button.disabled = !mayPlan(this.state) || this.state.incident?.status === "closed";
    }
  }

  /** The handover code, shown this once: the planner gives it to the guardian, then closes it. */
  private showCode(name: string, code: string): void {
    const done = h("button", { type: "button", class: "primary", "data-testid": "handover-code-done" }, "Given to the guardian: hide it");
    const close = (): void => {
      fill(this.codeBox);
      this.codeBox.hidden = true;
      this.form.querySelector<HTMLElement>("[data-testid=subject-submit]")?.focus();
    };
    done.addEventListener("click", close);
    this.codeBox.onkeydown = (e) => {
      if (e.key === "Escape") close();
    };
    fill(
      this.codeBox,
      h("p", {}, `Handover code for ${name}: give it to the guardian now. It is shown this once and never again.`),
      h("p", { class: "code", "data-testid": "handover-code-once" }, code),
      done,
    );
    this.codeBox.hidden = false;
    done.focus();
  }

  upsert(s: Subject): void {
    const list = this.state.subjects;
    const i = list.findIndex((x) => x.id === s.id);
    if (i >= 0) list[i] = s;
    else list.push(s);
    this.render();
  }

  render(): void {
    const rows = [...this.state.subjects].sort((a, b) => a.id - b.id);
    const submit = this.form.querySelector<HTMLButtonElement>("[data-testid=subject-submit]");
    if (submit) submit.disabled = !mayPlan(this.state) || this.state.incident?.status === "closed";
    if (!rows.length) {
      fill(this.list, h("p", { class: "empty" }, "No subject recorded yet."));
      return;
    }
    fill(
      this.list,
      h(
        "ul",
        { class: "subject-list" },
        ...rows.map((s) =>
          h(
            "li",
            { "data-testid": `subject-${s.id}`, "data-status": s.status },
            h("span", { class: `badge subject-${s.status}`, "data-testid": `subject-status-${s.id}` }, STATUS_LABEL[s.status]),
            " ",
            h("button", { type: "button", class: "link", onclick: (() => this.map.flyTo(s.last_seen_lon, s.last_seen_lat)) as EventListener, "aria-label": `Show where ${s.name} was last seen` }, s.name),
            ` (${s.category.replace(/_/g, " ")}${s.age !== null ? `, ${s.age}` : ""}), last seen ${clockTime(s.last_seen_at)}`,
            s.status === "found" && s.found_at ? ` · found ${clockTime(s.found_at)}${s.condition ? `: ${s.condition}` : ""}` : "",
            (s.status === "handed_over" || s.status === "transferred") && s.handed_to ? ` · to ${s.handed_to}` : "",
            h("div", { class: "hint" }, `Guardian: ${s.guardian_name} (${s.guardian_relation})`),
          ),
        ),
      ),
    );
    this.map.setSubjects(rows);
  }
}

/** The new-assignment form: a segment (clicked on the map or chosen), a team, the details. */
export class AssignmentForm {
  readonly root: HTMLDetailsElement;
  private form: HTMLFormElement;
  private fields: Record<string, Field>;
  private refusal = h("div", { class: "refusal", "data-testid": "assign-refusal", role: "alert", hidden: true });
  private overrideWrap: HTMLElement;
  private status = h("p", { class: "form-status", role: "status", "data-testid": "assign-status" });

  constructor(
    private readonly state: IncidentState,
    private readonly map: CommandMap,
    private readonly onCreated: (a: Assignment) => void,
  ) {
    const turnaround = h("input", { type: "datetime-local" });
    this.fields = {
      segment: field("assign-segment", "Segment", h("select", {}), "Or click the segment on the map"),
      team: field("assign-team", "Team", h("select", {})),
      period: field("assign-period", "Operational period", h("select", {})),
      instructions: field("assign-instructions", "Instructions", h("textarea", { rows: 2, maxlength: 5000 })),
      rendezvous: field("assign-rendezvous", "Rendezvous", h("select", {})),
      turnaround: field("assign-turnaround", "Turnaround time", turnaround, "Past it, the team is overdue"),
      override: field("assign-override", "Override reason (incident commander)", h("textarea", { rows: 2, maxlength: 2000 }), "Why the team goes without the owner's leave (logged)"),
    };
    this.overrideWrap = this.fields.override.wrap;
    this.overrideWrap.hidden = true;
    const submit = h("button", { type: "submit", class: "primary", "data-testid": "assign-submit", "data-write": true, "data-plan": true }, "Assign");
    const cancel = h("button", { type: "button", "data-testid": "assign-cancel" }, "Cancel");
    cancel.addEventListener("click", () => this.close());
    this.form = h(
      "form",
      { "data-testid": "assignment-form", novalidate: true, "aria-label": "New assignment" },
      h("div", { class: "row" }, this.fields.segment.wrap, this.fields.team.wrap),
      h("div", { class: "row" }, this.fields.period.wrap, this.fields.rendezvous.wrap),
      this.fields.turnaround.wrap,
      this.fields.instructions.wrap,
      this.refusal,
      this.overrideWrap,
      h("div", { class: "row buttons" }, submit, cancel),
      this.status,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit(submit);
    });
    this.form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    });
    this.root = h("details", { class: "intake", "data-testid": "assignment-new" }, h("summary", { "data-testid": "assignment-new-toggle" }, "New assignment"), this.form);
  }

  private close(): void {
    this.root.open = false;
    this.clearRefusal();
    this.root.querySelector("summary")?.focus();
  }

  private clearRefusal(): void {
    this.refusal.hidden = true;
    fill(this.refusal);
    this.overrideWrap.hidden = true;
    (this.fields.override.control as HTMLTextAreaElement).value = "";
  }

  /** Fill the selects from the state (keeping what is chosen). */
  render(): void {
    const s = this.state;
    const keep = (f: Field, ...options: HTMLOptionElement[]): void => {
      const old = f.control.value;
      fill(f.control, ...options);
      if ([...(f.control as HTMLSelectElement).options].some((o) => o.value === old)) f.control.value = old;
    };
    const segs = [...this.map.segments.features]
      .map((x) => x.properties ?? {})
      .filter((p) => p.id !== undefined && p.id !== null)
      .sort((a, b) => Number(b.poa ?? 0) - Number(a.poa ?? 0));
    keep(
      this.fields.segment,
      h("option", { value: "" }, segs.length ? "Choose a segment…" : "No segments in the plan"),
      ...segs.map((p) => h("option", { value: String(p.id) }, `${p.id} — POA ${(Number(p.poa ?? 0) * 100).toFixed(1)}%, POD ${(Number(p.pod_cumulative ?? 0) * 100).toFixed(0)}%`)),
    );
    keep(this.fields.team, h("option", { value: "" }, "Choose a team…"), ...s.teams.map((t) => h("option", { value: t.id }, `Team ${t.name}${t.capability === "reduced" ? " (reduced)" : ""}`)));
    keep(this.fields.period, h("option", { value: "" }, "None"), ...s.periods.map((p) => h("option", { value: p.id }, `Period ${p.number} (${clockTime(p.starts_at)} – ${clockTime(p.ends_at)})`)));
    keep(
      this.fields.rendezvous,
      h("option", { value: "" }, "None"),
      ...s.places.filter((p) => p.kind === "rendezvous" || p.kind === "staging").map((p) => h("option", { value: p.id }, `${p.name} (${p.kind})`)),
    );
    const submit = this.form.querySelector<HTMLButtonElement>("[data-testid=assign-submit]");
    if (submit) submit.disabled = !mayPlan(s) || s.incident?.status === "closed";
  }

  /** A segment clicked on the map: open the form with it chosen. */
  chooseSegment(id: string): void {
    this.render();
    this.fields.segment.control.value = id;
    this.clearRefusal();
    this.root.open = true;
    this.fields.team.control.focus();
    announce(`Segment ${id} chosen for a new assignment`);
  }

  private segmentArea(id: string): GeoJSON.Polygon | GeoJSON.MultiPolygon | null {
    const f = this.map.segments.features.find((x) => String((x.properties ?? {}).id) === id);
    const g = f?.geometry;
    return g && (g.type === "Polygon" || g.type === "MultiPolygon") ? g : null;
  }

  private async submit(button: HTMLButtonElement): Promise<void> {
    const f = this.fields;
    const errors: Record<string, string> = {};
    const segment = f.segment.control.value;
    if (!segment) errors["assign-segment"] = "Choose the segment to search (or click it on the map).";
    if (!f.team.control.value) errors["assign-team"] = "Choose the team to send.";
    const turnRaw = f.turnaround.control.value;
    const turnaround = localToIso(turnRaw);
    if (turnRaw && !turnaround) errors["assign-turnaround"] = "Give a date and time, or leave it empty.";
    const overriding = !this.overrideWrap.hidden;
    const reason = (f.override.control as HTMLTextAreaElement).value.trim();
    if (overriding && !reason) errors["assign-override"] = "Give the reason for sending the team without leave (it is logged).";
    const all = Object.values(f);
    if (!showErrors(all, errors)) {
      this.status.textContent = "Nothing was sent: fix the marked fields.";
      return;
    }
    button.disabled = true;
    this.status.textContent = "Sending…";
    try {
      const a = await api<Assignment>(`/incidents/${this.state.incidentId}/assignments`, {
        body: {
          team_id: Number(f.team.control.value),
          segment,
          period_id: f.period.control.value ? Number(f.period.control.value) : null,
          instructions: f.instructions.control.value.trim(),
          rendezvous_id: f.rendezvous.control.value ? Number(f.rendezvous.control.value) : null,
          turnaround_at: turnaround,
          area: this.segmentArea(segment),
          override: overriding ? reason : "",
        },
      });
      this.clearRefusal();
      this.onCreated(a);
      const team = this.state.teams.find((t) => t.id === a.team_id)?.name ?? a.team_id;
      this.status.textContent = `Assignment ${a.id}: team ${team} to segment ${a.segment}${a.grant_override ? " (override logged)" : ""}.`;
      f.instructions.control.value = "";
      f.turnaround.control.value = "";
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && /^(area|override):/.test(e.detail)) {
        this.showRefusal(e.detail);
        this.status.textContent = "Not assigned: the team has no leave there.";
      } else if (!placeServerError(all, e, { segment: "assign-segment", team_id: "assign-team", period_id: "assign-period", rendezvous_id: "assign-rendezvous", turnaround_at: "assign-turnaround", instructions: "assign-instructions", override: "assign-override" })) {
        this.status.textContent = `Not assigned: ${errorText(e)}`;
      } else {
        this.status.textContent = "Not assigned: the server refused the marked field.";
      }
    } finally {
      button.disabled = !mayPlan(this.state) || this.state.incident?.status === "closed";
    }
  }

  private showRefusal(detail: string): void {
    const text = detail.replace(/^(area|override):\s*/, "");
    const canOverride = mayOverride(this.state);
    fill(
      this.refusal,
      h("strong", {}, "No leave to search there. "),
      h("span", { "data-testid": "assign-refusal-detail" }, text),
      h(
        "p",
        { class: "hint" },
        canOverride
          ? "As incident commander you may assign anyway: give the reason below and press Assign (it is logged)."
          : "Record the owner's grant first, or ask the incident commander to assign with an override.",
      ),
    );
    this.refusal.hidden = false;
    this.overrideWrap.hidden = !canOverride;
    if (canOverride) this.fields.override.control.focus();
    else this.refusal.setAttribute("tabindex", "-1");
    announce(`Not assigned: ${text}`);
  }
}

export type { Period };
