// The field view's outbox: every write is stored on the device (IndexedDB) first, then sent,
// and kept until the server has it. Ids are made on the device, so a replay is harmless:
// positions and clues are idempotent by id, signals and injuries by their client_id, and
// roll-call answers and signal acknowledgements by (record, member).

import { createStore, del, entries, set } from "idb-keyval";
import { ApiError, NetworkError, api } from "../shared/api";
import { uuid } from "../shared/dom";

export type OutboxKind = "position" | "clue" | "roll_call_answer" | "signal" | "signal_ack" | "injury";

export interface OutboxItem {
  key: string;
  kind: OutboxKind;
  incidentId: number;
  path: string;
  body: Record<string, unknown>;
  created: string;
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
    item.tries = (item.tries ?? 0) + 1;
    try {
      const answer = await api(item.path, { body: item.body });
      this.reachable = true;
      await this.remove(item);
      this.onDelivered?.(item, answer);
    } catch (e) {
      if (e instanceof NetworkError) {
        // It may have reached the server: sending it again later is harmless (idempotent).
        await this.save(item);
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
}
