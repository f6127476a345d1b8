// Alerts on the command post: the overdue banner (stays while teams are overdue) and toasts
// for hazard-zone entries and trespass (each stays until dismissed: Escape or its button).

import { announce, clockTime, fill, h } from "../shared/dom";
import type { OverdueTeam } from "../shared/types";

/** A hazard event's alert (``HazardAlertPublic``): trespass adds owner, contact, reason. */
export interface HazardAlert {
  zone_name: string;
  kind: string;
  member_id: number;
  member_name: string;
  lat: number;
  lon: number;
  time: string;
  owner?: string | null;
  contact?: string | null;
  reason?: string | null;
}

const MAX_TOASTS = 6;

export class Alerts {
  private overdue = new Map<number, OverdueTeam>();

  constructor(
    private readonly banner: HTMLElement,
    private readonly toasts: HTMLElement,
    private readonly now: () => number,
    private readonly onShow: (lon: number, lat: number) => void,
  ) {
    toasts.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      const t = (e.target as HTMLElement).closest<HTMLElement>(".toast");
      if (t) this.dismiss(t);
    });
  }

  /** The overdue teams now (from GET /overdue): replaces the banner's list. */
  setOverdue(teams: OverdueTeam[]): void {
    this.overdue = new Map(teams.map((t) => [t.id, t]));
    this.renderBanner();
  }

  overdueChanged(event: string, team: OverdueTeam): void {
    if (event === "raised") this.overdue.set(team.id, team);
    else this.overdue.delete(team.id);
    this.renderBanner();
    announce(event === "raised" ? `Team ${team.name} is overdue: ${team.reason}` : `Team ${team.name} is no longer overdue`);
  }

  isOverdue(teamId: number): boolean {
    return this.overdue.has(teamId);
  }

  renderBanner(): void {
    const teams = [...this.overdue.values()].sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
    this.banner.hidden = teams.length === 0;
    this.banner.dataset.count = String(teams.length);
    if (!teams.length) {
      fill(this.banner);
      return;
    }
    fill(
      this.banner,
      h("strong", {}, teams.length === 1 ? "1 team overdue: " : `${teams.length} teams overdue: `),
      ...teams.map((t) =>
        h(
          "span",
          { class: "overdue-team", "data-testid": `overdue-team-${t.id}` },
          `Team ${t.name} — ${t.reason} (since ${clockTime(t.since)})`,
        ),
      ),
    );
  }

  /** A hazard-zone entry or a trespass (kind ``trespass``) as a toast. */
  hazard(a: HazardAlert): void {
    const trespass = a.kind === "trespass";
    const title = trespass ? "Trespass" : "Hazard";
    const what = trespass
      ? `${a.member_name} is in ${a.zone_name} without leave${a.reason ? ` (${a.reason})` : ""}` +
        `${a.owner ? `; owner ${a.owner}` : ""}${a.contact ? `, call ${a.contact}` : ""}`
      : `${a.member_name} entered ${a.zone_name} (${a.kind.replace(/_/g, " ")})`;
    this.toast(trespass ? "trespass" : "hazard", title, what, a.member_id, () => this.onShow(a.lon, a.lat));
  }

  toast(kind: string, title: string, text: string, memberId: number | null, show?: () => void): void {
    const dismiss = h("button", { type: "button", class: "small", "data-testid": "toast-dismiss", "aria-label": `Dismiss: ${title}: ${text}` }, "Dismiss");
    const el = h(
      "div",
      { class: `toast toast-${kind}`, "data-testid": `toast-${kind}`, "data-member-id": memberId ?? "", role: "alert" },
      h("div", {}, h("strong", {}, `${title} `), h("time", {}, clockTime(new Date(this.now()).toISOString())), h("div", {}, text)),
      h(
        "div",
        { class: "toast-actions" },
        show ? h("button", { type: "button", class: "small", onclick: show as EventListener }, "Show") : null,
        dismiss,
      ),
    );
    dismiss.addEventListener("click", () => this.dismiss(el));
    this.toasts.prepend(el);
    while (this.toasts.children.length > MAX_TOASTS) this.toasts.lastElementChild?.remove();
    announce(`${title}: ${text}`);
  }

  private dismiss(el: HTMLElement): void {
    const next = (el.nextElementSibling ?? el.previousElementSibling) as HTMLElement | null;
    el.remove();
    next?.querySelector<HTMLButtonElement>("[data-testid=toast-dismiss]")?.focus();
  }
}
