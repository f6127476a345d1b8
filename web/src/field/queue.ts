// The field view's outbox: every write is stored on the device (IndexedDB) first, then sent,
// and kept until the server has it. Ids are made on the device, so a replay is harmless:
// positions and clues are idempotent by id, roll-call answers by (roll call, member).
// Signals and injuries have no client id on the server: before re-sending one whose first
// attempt may have reached the server, the server's list is checked for it.

import { createStore, del, entries, set } from "idb-keyval";
import { ApiError, NetworkError, api } from "../shared/api";
import { uuid } from "../shared/dom";
import type { Signal } from "../shared/types";

export type OutboxKind = "position" | "clue" | "roll_call_answer" | "signal" | "signal_ack" | "injury";

export interface OutboxItem {
  key: string;
  kind: OutboxKind;
  incidentId: number;
  path: string;
  body: Record<string, unknown>;
  created: string;
  /** Sent at least once without an answer: it may already be on the server. */
  uncertain?: boolean;
  tries?: number;
}

export interface Rejected {
  item: OutboxItem;
  reason: string;
}

const store = createStore("wayhome-field", "outbox");
const MAX_BATCH = 500;

export class Outbox {
  private items: OutboxItem[] = [];
  private flushing = false;
  private retry = 0;
  private timer: number | undefined;
  /** The server answered the last attempt (or none was needed). */
  reachable = navigator.onLine;
  onChange: (() => void) | null = null;
  onRejected: ((r: Rejected) => void) | null = null;
  onDelivered: ((item: OutboxItem, answer: unknown) => void) | null = null;

  async init(): Promise<void> {
    try {
      const all = await entries<string, OutboxItem>(store);
      this.items = all.map(([, v]) => v).sort((a, b) => a.key.localeCompare(b.key));
    } catch {
      this.items = [];
    }
    window.addEventListener("online", () => {
      this.retry = 0;
      void this.flush();
    });
    window.addEventListener("offline", () => {
      this.reachable = false;
      this.onChange?.();
    });
    this.onChange?.();
    void this.flush();
  }

  get count(): number {
    return this.items.length;
  }

  get pending(): readonly OutboxItem[] {
    return this.items;
  }

  /** Keep a write on the device, then try to send it. */
  async add(kind: OutboxKind, incidentId: number, path: string, body: Record<string, unknown>): Promise<OutboxItem> {
    const item: OutboxItem = {
      key: `${String(Date.now()).padStart(15, "0")}-${uuid()}`,
      kind,
      incidentId,
      path,
      body,
      created: new Date().toISOString(),
    };
    this.items.push(item);
    try {
      await set(item.key, item, store);
    } catch {
      /* private mode without IndexedDB: it stays in memory */
    }
    this.onChange?.();
    void this.flush();
    return item;
  }

  private async remove(item: OutboxItem): Promise<void> {
    this.items = this.items.filter((x) => x.key !== item.key);
    try {
      await del(item.key, store);
    } catch {
      /* gone from memory anyway */
    }
    this.onChange?.();
  }

  private async save(item: OutboxItem): Promise<void> {
    try {
      await set(item.key, item, store);
    } catch {
      /* memory copy is enough */
    }
  }

  /** Send what is queued, oldest first; on no answer, try again later (backoff). */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    window.clearTimeout(this.timer);
    try {
      while (this.items.length) {
        const head = this.items[0];
        if (head.kind === "position") await this.sendPositions();
        else await this.sendOne(head);
      }
      this.retry = 0;
      this.reachable = true;
    } catch (e) {
      if (e instanceof NetworkError || (e instanceof ApiError && (e.status >= 500 || e.status === 401 || e.status === 429))) {
        this.reachable = !(e instanceof NetworkError);
        this.schedule();
      } else {
        throw e;
      }
    } finally {
      this.flushing = false;
      this.onChange?.();
    }
  }

  private schedule(): void {
    const delay = Math.min(60_000, 1000 * 2 ** this.retry) * (0.75 + Math.random() * 0.5);
    this.retry = Math.min(this.retry + 1, 10);
    this.timer = window.setTimeout(() => void this.flush(), delay);
  }

  private async sendPositions(): Promise<void> {
    const run: OutboxItem[] = [];
    for (const it of this.items) {
      if (it.kind !== "position" || run.length >= MAX_BATCH) break;
      if (run.length && it.incidentId !== run[0].incidentId) break;
      run.push(it);
    }
    try {
      await api(`/incidents/${run[0].incidentId}/positions/batch`, {
        body: { positions: run.map((r) => r.body) },
      });
    } catch (e) {
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429) {
        // A bad position poisons the batch: send them one by one to drop only the bad ones.
        for (const r of run) await this.sendOne(r);
        return;
      }
      throw e;
    }
    for (const r of run) await this.remove(r);
    this.reachable = true;
  }

  private async sendOne(item: OutboxItem): Promise<void> {
    if (item.uncertain && (await this.alreadyThere(item))) {
      await this.remove(item);
      return;
    }
    item.tries = (item.tries ?? 0) + 1;
    try {
      const answer = await api(item.path, { body: item.body });
      this.reachable = true;
      await this.remove(item);
      this.onDelivered?.(item, answer);
    } catch (e) {
      if (e instanceof NetworkError) {
        // Offline (the browser says so): it never left. Else it may have reached the server.
        if (navigator.onLine && !item.uncertain) {
          item.uncertain = true;
          await this.save(item);
        }
        throw e;
      }
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429) {
        // The server will never take it (bad input, no right, closed incident): drop it, say so.
        await this.remove(item);
        this.onRejected?.({ item, reason: e.detail });
        return;
      }
      throw e;
    }
  }

  /** For writes the server cannot deduplicate: is this one already stored? */
  private async alreadyThere(item: OutboxItem): Promise<boolean> {
    const since = Date.parse(item.created) - 120_000;
    if (item.kind === "signal") {
      const rows = await api<Signal[]>(`/incidents/${item.incidentId}/signals`);
      const b = item.body;
      return rows.some(
        (s) =>
          s.code === b.code &&
          (s.team_id ?? null) === (b.team_id ?? null) &&
          (s.member_id ?? null) === (b.member_id ?? null) &&
          Date.parse(s.sent_at) >= since,
      );
    }
    if (item.kind === "injury") {
      const rows = await api<{ member_id: number; severity: string; treatment: string }[]>(
        `/incidents/${item.incidentId}/injuries`,
      );
      const b = item.body;
      return rows.some((r) => r.member_id === b.member_id && r.severity === b.severity && r.treatment === b.treatment);
    }
    return false; // idempotent on the server: just send again
  }
}
