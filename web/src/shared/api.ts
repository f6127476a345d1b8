// The HTTP side: the session (token in localStorage), authorised requests, problem bodies.

export const SESSION_KEY = "wayhome.session";
const LOGIN_SHAPE_KEY = "wayhome.loginShape";

export interface Session {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  expires_in?: number;
  /** When the access token was obtained (ms since the epoch). */
  obtained_at?: number;
  login?: string;
}

/** An answer that was not 2xx: status and the problem body's detail. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly detail: string,
    public readonly body: unknown = null,
  ) {
    super(detail);
  }
}

/** The request never got an answer (offline, server down): the outcome is unknown. */
export class NetworkError extends Error {}

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return typeof s.access_token === "string" ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

let onSignedOut: (() => void) | null = null;
/** Called when the server refuses the token and it cannot be refreshed. */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

async function problemOf(res: Response): Promise<ApiError> {
  let detail = `${res.status} ${res.statusText}`;
  let body: unknown = null;
  try {
    body = await res.json();
    const b = body as { detail?: unknown; title?: unknown };
    if (typeof b.detail === "string") detail = b.detail;
    else if (Array.isArray(b.detail)) detail = JSON.stringify(b.detail);
    else if (typeof b.title === "string") detail = b.title;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, detail, body);
}

/** Sign in: JSON {login, password} (the server's shape), falling back to the OAuth2 form. */
export async function signIn(username: string, password: string): Promise<Session> {
  const form = (): Promise<Response> =>
    fetch("/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password }).toString(),
    });
  const json = (): Promise<Response> =>
    fetch("/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: username, password }),
    });
  // The server takes one of the two shapes; remember which, so the next sign-in asks once.
  const jsonFirst = localStorage.getItem(LOGIN_SHAPE_KEY) !== "form"; // the server's today
  let res: Response;
  try {
    res = await (jsonFirst ? json() : form());
    if (res.status === 422 || res.status === 415) {
      res = await (jsonFirst ? form() : json());
      if (res.status !== 422 && res.status !== 415) {
        localStorage.setItem(LOGIN_SHAPE_KEY, jsonFirst ? "form" : "json");
      }
    }
  } catch {
    throw new NetworkError("cannot reach the server; check the connection and try again");
  }
  if (!res.ok) {
    const err = await problemOf(res);
    if (res.status === 401) throw new ApiError(401, "wrong login or password", err.body);
    throw err;
  }
  const body = (await res.json()) as Session;
  const session: Session = { ...body, obtained_at: Date.now(), login: username };
  saveSession(session);
  return session;
}

export function signOut(): void {
  saveSession(null);
}

let refreshing: Promise<boolean> | null = null;

/** Trade the refresh token for a new access token; false when there is none or it is refused. */
export function refreshSession(): Promise<boolean> {
  return refresh();
}

/** The access token runs out within a minute (the server says how long it lives). */
function expiring(): boolean {
  const s = loadSession();
  if (!s?.refresh_token || !s.expires_in || !s.obtained_at) return false;
  return Date.now() > s.obtained_at + (s.expires_in - 60) * 1000;
}

async function refresh(): Promise<boolean> {
  const s = loadSession();
  if (!s?.refresh_token) return false;
  refreshing ??= (async () => {
    try {
      const res = await fetch("/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
      });
      if (!res.ok) return false;
      const body = (await res.json()) as Session;
      saveSession({ ...s, ...body, obtained_at: Date.now() });
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

/** The bearer token for requests and the live socket ("" when signed out). */
export function token(): string {
  return loadSession()?.access_token ?? "";
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** A JSON request to the server with the bearer token; throws ApiError / NetworkError. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const send = (): Promise<Response> => {
    const headers: Record<string, string> = { Accept: "application/json" };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      cache: "no-store",
    });
  };
  let res: Response;
  try {
    if (expiring()) await refresh();
    res = await send();
    if (res.status === 401 && (await refresh())) res = await send();
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new NetworkError("no answer from the server");
  }
  if (res.status === 401) {
    const err = await problemOf(res);
    onSignedOut?.();
    throw err;
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** True for a URL on this page's origin: only those get the bearer token. */
export function sameOrigin(url: string): boolean {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}
