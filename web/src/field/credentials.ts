// Member credentials checked on the phone, with no network: the same checks, in the same
// order and with the same verdict codes, as wayhome.access.credentials.verify_credential.
//
// A credential is "WH1:" + base45(COSE_Sign1) (optionally zlib-compressed): a tagged CBOR
// array [protected header {1: -8 (EdDSA), 4: key id}, {}, payload, Ed25519 signature]; the
// signature covers the CBOR of ["Signature1", protected, b"", payload]. The payload is a
// CBOR map {1: credential id, 2: member id, 3: name, 4: agency, 5: roles, 6: [[name, days
// since 1970 | null]], 7: issued (s), 8: valid until (s)}.
//
// The trust list (issuer keys) and the revocation lists come from the server when online
// (GET /trust-list, GET /revocations) and are kept in localStorage for offline checks.

import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { decode, encode } from "cborg";
import { api } from "../shared/api";

// Synchronous SHA-512: verification works in any context (also plain http on a LAN,
// where WebCrypto is not available).
ed.hashes.sha512 = sha512;

export const PREFIX = "WH1:";
const LEEWAY_S = 5 * 60;
const MAX_TEXT = 4296;
const CACHE_KEY = "wayhome.field.trust";

export type VerdictCode =
  | "valid"
  | "malformed"
  | "altered"
  | "unknown_issuer"
  | "untrusted_key"
  | "wrong_agency"
  | "revoked"
  | "not_yet_valid"
  | "expired"
  | "no_trust_list";

export interface Qualification {
  name: string;
  /** YYYY-MM-DD, or null: does not expire. */
  expires: string | null;
  expired: boolean;
}

export interface Claims {
  credentialId: string;
  memberId: string;
  name: string;
  agency: string;
  roles: string[];
  qualifications: Qualification[];
  issued: Date;
  validUntil: Date;
}

export interface Verdict {
  valid: boolean;
  code: VerdictCode;
  reason: string;
  claims: Claims | null;
  keyId: string | null;
  issuer: string | null;
  revocationNote: string;
}

export interface TrustedIssuer {
  agency: string;
  key_id: string;
  /** Raw 32-byte Ed25519 key, base64url. */
  public_key: string;
}

export interface HeldRevocationList {
  key_id: string;
  version: number;
  issued: string;
  revoked: number;
  revoked_ids: string[];
}

/** What the phone holds to check credentials offline. */
export interface TrustCache {
  version: number;
  issuers: TrustedIssuer[];
  revocations: HeldRevocationList[];
  /** When this copy came from the server (ISO). */
  fetchedAt: string;
}

export class CredentialFormatError extends Error {}

// --- the cached trust list ------------------------------------------------------------------

export function cachedTrust(): TrustCache | null {
  try {
    const raw = localStorage.getItem(CACHE_KEY);
    if (!raw) return null;
    const t = JSON.parse(raw) as TrustCache;
    return Array.isArray(t.issuers) && Array.isArray(t.revocations) ? t : null;
  } catch {
    return null;
  }
}

/** Fetch the trust list and revocation lists; keep them. Throws when offline. */
export async function refreshTrust(): Promise<TrustCache> {
  const [trust, revocations] = await Promise.all([
    api<{ version: number; issuers: TrustedIssuer[] }>("/trust-list"),
    api<HeldRevocationList[]>("/revocations"),
  ]);
  const held = cachedTrust();
  // Never go back to an older revocation list (a stale server answer must not un-revoke).
  const merged = revocations.map((rl) => {
    const old = held?.revocations.find((o) => o.key_id === rl.key_id);
    return old && old.version > rl.version ? old : rl;
  });
  const cache: TrustCache = {
    version: trust.version,
    issuers: trust.issuers.filter((i) => typeof i.public_key === "string" && i.public_key),
    revocations: merged,
    fetchedAt: new Date().toISOString(),
  };
  localStorage.setItem(CACHE_KEY, JSON.stringify(cache));
  return cache;
}

// --- bytes ----------------------------------------------------------------------------------

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

export function base45Decode(text: string): Uint8Array {
  const values: number[] = [];
  for (const ch of text) {
    const v = B45.indexOf(ch);
    if (v < 0) throw new CredentialFormatError(`base45: ${JSON.stringify(ch)} is not a base45 character`);
    values.push(v);
  }
  if (values.length % 3 === 1) throw new CredentialFormatError("base45: one character too many or too few (cut short?)");
  const out: number[] = [];
  for (let i = 0; i < values.length; i += 3) {
    if (i + 2 < values.length) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
      if (n > 0xffff) throw new CredentialFormatError(`base45: ${JSON.stringify(text.slice(i, i + 3))} encodes more than two bytes`);
      out.push(n >> 8, n & 0xff);
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new CredentialFormatError(`base45: ${JSON.stringify(text.slice(i))} encodes more than one byte`);
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate"));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length > 16 * 1024) throw new CredentialFormatError("its compressed data is too large");
    return out;
  } catch (e) {
    if (e instanceof CredentialFormatError) throw e;
    throw new CredentialFormatError("its compressed data is damaged or cut short");
  }
}

const CBOR_OPTIONS = { useMaps: true, tags: { 18: (inner: () => unknown) => inner() } } as const;

function readCbor(data: Uint8Array, what: string): unknown {
  try {
    return decode(data, CBOR_OPTIONS as unknown as Parameters<typeof decode>[1]);
  } catch (e) {
    throw new CredentialFormatError(`${what} is not valid CBOR (${e instanceof Error ? e.message : String(e)})`);
  }
}

interface Sign1 {
  kid: string;
  payload: Uint8Array;
  signature: Uint8Array;
  toBeSigned: Uint8Array;
}

/** The COSE bytes inside a "WH1:" text (decompressed). */
async function credentialMessage(text: string): Promise<Uint8Array> {
  const t = text.trim();
  if (t.slice(0, PREFIX.length).toUpperCase() !== PREFIX) {
    throw new CredentialFormatError(`it does not start with "${PREFIX}" (is it a wayhome credential?)`);
  }
  if (t.length > MAX_TEXT) throw new CredentialFormatError(`it is ${t.length} characters long, more than a QR code holds`);
  const data = base45Decode(t.slice(PREFIX.length));
  return data[0] === 0x78 ? inflate(data) : data;
}

function openSign1(data: Uint8Array): Sign1 {
  const what = "the credential";
  const message = readCbor(data, what);
  const ok =
    Array.isArray(message) &&
    message.length === 4 &&
    message[0] instanceof Uint8Array &&
    message[1] instanceof Map &&
    message[1].size === 0 &&
    message[2] instanceof Uint8Array &&
    message[3] instanceof Uint8Array;
  if (!ok) throw new CredentialFormatError(`${what} is not a COSE_Sign1 message (with an empty unprotected header)`);
  const [protectedBytes, , payload, signature] = message as [Uint8Array, Map<unknown, unknown>, Uint8Array, Uint8Array];
  const header = protectedBytes.length ? readCbor(protectedBytes, `${what}'s header`) : new Map();
  if (!(header instanceof Map) || header.get(1) !== -8) {
    const alg = header instanceof Map ? header.get(1) : undefined;
    throw new CredentialFormatError(`${what} is signed with algorithm ${String(alg)}, not EdDSA (-8)`);
  }
  const raw = header.get(4);
  if (!(raw instanceof Uint8Array) || !raw.length) throw new CredentialFormatError(`${what} names no key id`);
  const kid = new TextDecoder().decode(raw).replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  const toBeSigned = encode(["Signature1", protectedBytes, new Uint8Array(0), payload]);
  return { kid, payload, signature, toBeSigned };
}

// --- claims ---------------------------------------------------------------------------------

function dayString(daysSinceEpoch: number): string {
  return new Date(daysSinceEpoch * 86_400_000).toISOString().slice(0, 10);
}

function claimsFromPayload(payload: Uint8Array, now: Date): Claims {
  const body = readCbor(payload, "the credential's content");
  const bad = (why: string): CredentialFormatError => new CredentialFormatError(`the credential's content is not a wayhome credential (${why})`);
  if (!(body instanceof Map)) throw bad("not a map of claims");
  const texts = [1, 2, 3, 4].map((k) => body.get(k));
  const [roles, quals, issued, until] = [5, 6, 7, 8].map((k) => body.get(k));
  if (
    !texts.every((t) => typeof t === "string" && t) ||
    !Array.isArray(roles) ||
    !roles.every((r) => typeof r === "string") ||
    !Array.isArray(quals) ||
    !Number.isInteger(issued) ||
    !Number.isInteger(until)
  ) {
    throw bad("a claim has the wrong type");
  }
  const today = now.toISOString().slice(0, 10);
  const qualifications = (quals as unknown[]).map((q) => {
    if (!Array.isArray(q) || q.length !== 2 || typeof q[0] !== "string" || !(q[1] === null || Number.isInteger(q[1]))) {
      throw bad("a qualification has the wrong type");
    }
    const expires = q[1] === null ? null : dayString(q[1] as number);
    return { name: q[0], expires, expired: expires !== null && expires < today };
  });
  return {
    credentialId: texts[0] as string,
    memberId: texts[1] as string,
    name: texts[2] as string,
    agency: texts[3] as string,
    roles: roles as string[],
    qualifications,
    issued: new Date((issued as number) * 1000),
    validUntil: new Date((until as number) * 1000),
  };
}

// --- verification ---------------------------------------------------------------------------

const sameAgency = (name: string): string => name.toLowerCase().split(/\s+/).filter(Boolean).join(" ");

/** An age in words, as the server says it: "3 days", "5 hours", "less than an hour". */
export function describeAge(ms: number): string {
  const hours = Math.floor(Math.max(ms, 0) / 3_600_000);
  if (hours < 1) return "less than an hour";
  if (hours < 48) return `${hours} hour${hours !== 1 ? "s" : ""}`;
  return `${Math.floor(hours / 24)} days`;
}

function when(t: Date): string {
  return `${t.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

function verdict(code: VerdictCode, reason: string, extra: Partial<Verdict> = {}): Verdict {
  return { valid: code === "valid", code, reason, claims: null, keyId: null, issuer: null, revocationNote: "revocation not checked", ...extra };
}

function unknownKey(kid: string, payload: Uint8Array, trust: TrustCache): Verdict {
  let claimed: string | null = null;
  try {
    const body = decode(payload, CBOR_OPTIONS as unknown as Parameters<typeof decode>[1]) as unknown;
    const a = body instanceof Map ? body.get(4) : null;
    claimed = typeof a === "string" && a.trim() ? a : null;
  } catch {
    claimed = null;
  }
  const known = claimed ? trust.issuers.filter((i) => sameAgency(i.agency) === sameAgency(claimed as string)) : [];
  if (known.length) {
    return verdict(
      "untrusted_key",
      `signed by key ${kid}, which is not in your trust list (it holds ${known.map((k) => k.key_id).join(", ")} for ${known[0].agency}): the credential may be forged, or ${known[0].agency} has a new key; update your trust list`,
      { keyId: kid },
    );
  }
  const named = claimed ? ` of "${claimed}"` : "";
  return verdict(
    "unknown_issuer",
    `signed by key ${kid}${named}, which is not in your trust list: an unknown issuer; get a trust list that holds this agency, or do not accept the credential`,
    { keyId: kid },
  );
}

/** Check a credential against the held trust list and revocation lists; never throws. */
export async function verifyCredential(text: string, trust: TrustCache | null, now: Date = new Date()): Promise<Verdict> {
  if (!trust) {
    return verdict("no_trust_list", "no trust list on this phone yet: open this screen once while online so it can fetch one");
  }
  let message: Sign1;
  try {
    message = openSign1(await credentialMessage(text));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return verdict("malformed", `cannot read the credential: ${why}; scan it again or ask for a new one`);
  }
  const issuer = trust.issuers.find((i) => i.key_id === message.kid);
  if (!issuer) return unknownKey(message.kid, message.payload, trust);
  let good = false;
  try {
    good = ed.verify(message.signature, message.toBeSigned, fromBase64Url(issuer.public_key), { zip215: false });
  } catch {
    good = false; // a signature of the wrong length or a damaged key
  }
  const base = { keyId: message.kid, issuer: issuer.agency };
  if (!good) return verdict("altered", "the signature does not match: the credential was altered or damaged", base);
  let claims: Claims;
  try {
    claims = claimsFromPayload(message.payload, now);
  } catch (e) {
    return verdict("malformed", `signed by ${issuer.agency}, but cannot be read: ${e instanceof Error ? e.message : String(e)}`, base);
  }
  const rl = trust.revocations.find((r) => r.key_id === message.kid);
  const note = rl
    ? `revocation list ${describeAge(now.getTime() - Date.parse(rl.issued))} old (version ${rl.version})`
    : `revocation not checked: no revocation list from ${issuer.agency} held`;
  const extra = { ...base, claims, revocationNote: note };
  const nowS = now.getTime() / 1000;
  if (sameAgency(claims.agency) !== sameAgency(issuer.agency)) {
    return verdict("wrong_agency", `signed by key ${message.kid} of ${issuer.agency}, but it names agency "${claims.agency}": do not accept it`, extra);
  }
  if (rl && rl.revoked_ids.includes(claims.credentialId)) return verdict("revoked", `revoked by ${issuer.agency}; ${note}`, extra);
  if (nowS + LEEWAY_S < claims.issued.getTime() / 1000) {
    return verdict("not_yet_valid", `not yet valid: issued for ${when(claims.issued)}; check this device's clock`, extra);
  }
  if (nowS > claims.validUntil.getTime() / 1000) return verdict("expired", `expired: it was valid until ${when(claims.validUntil)}`, extra);
  let reason = `valid: ${claims.name} (${claims.memberId}), ${issuer.agency}`;
  const stale = claims.qualifications.filter((q) => q.expired);
  if (stale.length) reason += `; expired qualification(s): ${stale.map((q) => `${q.name} (${q.expires})`).join(", ")}`;
  return verdict("valid", `${reason}; ${note}`, extra);
}
