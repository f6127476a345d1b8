// The "Check a credential" screen: scan a member's QR code with the camera (or take/pick a
// photo of it), check it on the phone with no network, show whose it is and the verdict.

import jsQR from "jsqr";
import { ApiError, NetworkError, api } from "../shared/api";
import { announce, fill, h } from "../shared/dom";
import { cachedTrust, describeAge, refreshTrust, verifyCredential, type TrustCache, type Verdict } from "./credentials";
import "./credentials.css";

const HEADLINES: Record<Verdict["code"], string> = {
  valid: "Valid",
  malformed: "Not readable",
  altered: "Not valid: bad signature (altered)",
  unknown_issuer: "Not valid: unknown issuer",
  untrusted_key: "Not valid: key not in the trust list",
  wrong_agency: "Not valid: wrong agency",
  revoked: "Not valid: revoked",
  not_yet_valid: "Not valid yet",
  expired: "Not valid: expired",
  no_trust_list: "Cannot check: no trust list",
};

interface ServerVerification {
  valid: boolean;
  code: string;
  reason: string;
}

/** The QR text in an image (a photo or a video frame), or null. */
function decodeImage(source: CanvasImageSource, width: number, height: number, canvas: HTMLCanvasElement): string | null {
  // Large photos are scaled down: jsQR is quick on ~1000 px and a QR fills much of the frame.
  const scale = Math.min(1, 1200 / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const g = canvas.getContext("2d", { willReadFrequently: true });
  if (!g) return null;
  g.drawImage(source, 0, 0, canvas.width, canvas.height);
  const img = g.getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
  return found?.data || null;
}

export function credentialPanel(): HTMLElement {
  let trust: TrustCache | null = cachedTrust();
  let stream: MediaStream | null = null;
  let timer: number | undefined;
  const canvas = document.createElement("canvas");

  const trustInfo = h("p", { class: "hint", "data-testid": "credential-trust", "aria-live": "polite" });
  const video = h("video", { class: "cred-video", "data-testid": "credential-video", playsinline: true, muted: true, hidden: true, "aria-label": "Camera view: hold the QR code in the frame" });
  const scan = h("button", { type: "button", class: "primary", "data-testid": "credential-scan" }, "Scan with the camera");
  const stop = h("button", { type: "button", "data-testid": "credential-scan-stop", hidden: true }, "Stop the camera");
  const photo = h("input", { id: "credential-photo", type: "file", accept: "image/*", capture: "environment", "data-testid": "credential-photo" });
  const text = h("textarea", { id: "credential-text", rows: 2, "data-testid": "credential-text", spellcheck: "false", autocapitalize: "characters" });
  const check = h("button", { type: "button", "data-testid": "credential-text-check" }, "Check the text");
  const scanStatus = h("p", { class: "form-status", role: "status", "data-testid": "credential-scan-status" });
  const result = h("div", { class: "cred-result", "data-testid": "credential-verdict", "data-code": "", "aria-live": "assertive", hidden: true });

  const showTrust = (): void => {
    if (!trust) {
      trustInfo.dataset.state = "none";
      trustInfo.textContent = "No trust list on this phone yet: it is fetched when you are online.";
      return;
    }
    const age = describeAge(Date.now() - Date.parse(trust.fetchedAt));
    const rls = trust.revocations.length
      ? trust.revocations.map((r) => `version ${r.version}, ${describeAge(Date.now() - Date.parse(r.issued))} old`).join("; ")
      : "none held";
    trustInfo.dataset.state = "cached";
    trustInfo.dataset.issuers = String(trust.issuers.length);
    trustInfo.textContent = `Trust list version ${trust.version}: ${trust.issuers.length} issuer key(s), fetched ${age} ago. Revocation lists: ${rls}.`;
  };

  const refresh = async (): Promise<void> => {
    try {
      trust = await refreshTrust();
    } catch (e) {
      if (!(e instanceof NetworkError || e instanceof ApiError)) throw e;
      /* offline: keep the cached copy */
    }
    showTrust();
  };

  const crossCheck = async (code: string, verdict: Verdict, note: HTMLElement): Promise<void> => {
    if (!navigator.onLine) return;
    try {
      const server = await api<ServerVerification>("/credentials/verify", { body: { credential: code } });
      note.hidden = false;
      note.dataset.code = server.code;
      note.textContent =
        server.code === verdict.code
          ? `The server agrees (${server.code}).`
          : `The server says otherwise: ${server.reason}. Its lists may be newer than this phone's: they are refreshed now.`;
      if (server.code !== verdict.code) void refresh();
    } catch {
      /* offline after all: the phone's answer stands */
    }
  };

  const show = async (code: string): Promise<void> => {
    const verdict = await verifyCredential(code, trust);
    const c = verdict.claims;
    const server = h("p", { class: "hint", "data-testid": "credential-server", hidden: true });
    result.hidden = false;
    result.dataset.code = verdict.code;
    result.dataset.valid = String(verdict.valid);
    const fetched = trust ? ` (lists fetched ${describeAge(Date.now() - Date.parse(trust.fetchedAt))} ago)` : "";
    fill(
      result,
      h("p", { class: `cred-headline ${verdict.valid ? "ok" : "bad"}`, "data-testid": "credential-headline" }, verdict.valid ? "✔ " : "✖ ", HEADLINES[verdict.code]),
      h("p", { "data-testid": "credential-reason" }, verdict.reason),
      c
        ? h(
            "dl",
            { class: "cred-claims" },
            h("dt", {}, "Name"),
            h("dd", { "data-testid": "credential-name" }, c.name),
            h("dt", {}, "Agency"),
            h("dd", { "data-testid": "credential-agency" }, c.agency),
            h("dt", {}, "Member id"),
            h("dd", {}, c.memberId),
            h("dt", {}, "Roles"),
            h("dd", {}, c.roles.join(", ") || "—"),
            h("dt", {}, "Qualifications"),
            h(
              "dd",
              {},
              c.qualifications.length
                ? h(
                    "ul",
                    { "data-testid": "credential-qualifications" },
                    ...c.qualifications.map((q) =>
                      h("li", { "data-expired": String(q.expired) }, q.name, q.expires ? ` — until ${q.expires}` : " — no expiry", q.expired ? h("strong", {}, " (expired: does not count)") : ""),
                    ),
                  )
                : "none",
            ),
            h("dt", {}, "Valid until"),
            h("dd", { "data-testid": "credential-valid-until" }, `${c.validUntil.toISOString().slice(0, 16).replace("T", " ")}Z`),
            h("dt", {}, "Credential"),
            h("dd", {}, c.credentialId),
          )
        : null,
      h("p", { class: "hint", "data-testid": "credential-revocation" }, verdict.revocationNote, fetched),
      server,
    );
    announce(`${HEADLINES[verdict.code]}${c ? `: ${c.name}, ${c.agency}` : ""}`);
    navigator.vibrate?.(verdict.valid ? 100 : [100, 60, 100, 60, 100]);
    void crossCheck(code, verdict, server);
  };

  const stopCamera = (): void => {
    window.clearInterval(timer);
    timer = undefined;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stop.hidden = true;
    scan.hidden = false;
  };

  scan.addEventListener("click", async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      scanStatus.textContent = "This browser gives no camera here (it needs https): take a photo of the code instead.";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      scanStatus.textContent = `No camera: ${e instanceof Error ? e.message : String(e)}. Take a photo of the code instead.`;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    stop.hidden = false;
    scan.hidden = true;
    await video.play().catch(() => undefined);
    scanStatus.textContent = "Hold the QR code in the frame…";
    timer = window.setInterval(() => {
      if (video.readyState < 2 || !video.videoWidth) return;
      const found = decodeImage(video, video.videoWidth, video.videoHeight, canvas);
      if (found) {
        stopCamera();
        scanStatus.textContent = "Code read from the camera.";
        void show(found);
      }
    }, 250);
  });
  stop.addEventListener("click", () => {
    stopCamera();
    scanStatus.textContent = "Camera stopped.";
  });

  photo.addEventListener("change", async () => {
    const file = photo.files?.[0];
    if (!file) return;
    scanStatus.textContent = "Reading the photo…";
    let found: string | null = null;
    try {
      const bitmap = await createImageBitmap(file);
      found = decodeImage(bitmap, bitmap.width, bitmap.height, canvas);
      bitmap.close();
    } catch {
      found = null;
    }
    photo.value = "";
    if (!found) {
      scanStatus.textContent = "No QR code found in the photo: take it again, closer and sharp, with the whole code in view.";
      result.hidden = true;
      return;
    }
    scanStatus.textContent = "Code read from the photo.";
    await show(found);
  });

  check.addEventListener("click", () => {
    if (text.value.trim()) void show(text.value.trim());
  });

  showTrust();
  void refresh();
  window.addEventListener("online", () => void refresh());

  return h(
    "section",
    { class: "panel", "aria-labelledby": "cred-title", "data-testid": "credential-check" },
    h("h2", { id: "cred-title" }, "Check a credential"),
    h("p", { class: "hint" }, "Scan the QR code on a member's badge: it is checked on this phone, also with no network."),
    trustInfo,
    h("div", { class: "cred-actions" }, scan, stop),
    video,
    h("div", { class: "field" }, h("label", { for: "credential-photo" }, "Or take / pick a photo of the code"), photo),
    h("details", {}, h("summary", {}, "Type or paste the code"), h("div", { class: "field" }, h("label", { for: "credential-text" }, "Code (starts WH1:)"), text), check),
    scanStatus,
    result,
  );
}
