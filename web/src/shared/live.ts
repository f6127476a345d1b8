// The incident's live WebSocket: reconnects with backoff, hands every event to the listener.

import { refreshSession, token } from "./api";

export type LiveEvent = { type: string; [key: string]: unknown };
export type LiveState = "connecting" | "live" | "down";

export interface LiveOptions {
  onEvent: (e: LiveEvent) => void;
  /** Called on every (re)connect: reload what may have been missed while down. */
  onConnected?: () => void;
  onState?: (s: LiveState) => void;
}

export class LiveSocket {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer: number | undefined;
  private closed = false;

  constructor(
    private readonly incidentId: number,
    private readonly opts: LiveOptions,
  ) {
    window.addEventListener("online", this.reconnectNow);
    window.addEventListener("offline", this.dropNow);
    this.connect();
  }

  private reconnectNow = (): void => {
    if (this.closed || this.ws?.readyState === WebSocket.OPEN) return;
    window.clearTimeout(this.timer);
    this.retry = 0;
    this.connect();
  };

  /** The device says it is offline: do not pretend the socket is still live. */
  private dropNow = (): void => {
    const ws = this.ws;
    if (!ws || this.closed) return;
    this.ws = null;
    ws.close();
    this.opts.onState?.("down");
    window.clearTimeout(this.timer);
    this.schedule();
  };

  private connect(): void {
    if (this.closed) return;
    this.opts.onState?.("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${proto}//${location.host}/incidents/${this.incidentId}/live?access_token=${encodeURIComponent(token())}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onmessage = (m) => {
      let e: LiveEvent;
      try {
        e = JSON.parse(String(m.data)) as LiveEvent;
      } catch {
        return;
      }
      if (e.type === "subscribed") {
        this.retry = 0;
        this.opts.onState?.("live");
        this.opts.onConnected?.();
        return;
      }
      this.opts.onEvent(e);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onState?.("down");
      if (ev.code === 4401) {
        // The access token ran out: refresh it and come back at once (else retry slowly).
        void refreshSession().then((ok) => (ok ? this.reconnectNow() : this.schedule(30_000)));
        return;
      }
      // 4403/4404: no role / no incident. Retry slowly then.
      this.schedule(ev.code >= 4400 && ev.code < 4500 ? 30_000 : undefined);
    };
    ws.onerror = () => ws.close();
  }

  private schedule(min?: number): void {
    if (this.closed) return;
    // 0.5 s, 1 s, 2 s ... up to 30 s, with jitter so a room of phones does not stampede.
    const base = Math.min(30_000, 500 * 2 ** this.retry);
    this.retry += 1;
    const delay = Math.max(min ?? 0, base * (0.75 + Math.random() * 0.5));
    this.timer = window.setTimeout(() => this.connect(), delay);
  }

  /** Send a message up the socket (positions); false when it is not open. */
  send(message: unknown): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get isLive(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.closed = true;
    window.removeEventListener("online", this.reconnectNow);
    window.removeEventListener("offline", this.dropNow);
    window.clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }
}
