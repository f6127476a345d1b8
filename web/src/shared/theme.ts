// The high-contrast "sunlight" theme: a toggle on both views, remembered on the device.

const KEY = "wayhome.theme";

export function applyStoredTheme(): void {
  const sunlight = localStorage.getItem(KEY) === "sunlight";
  document.documentElement.dataset.theme = sunlight ? "sunlight" : "normal";
}

/** Wire a button (aria-pressed) to switch the theme. */
export function wireThemeToggle(button: HTMLButtonElement): void {
  const sync = (): void => {
    const on = document.documentElement.dataset.theme === "sunlight";
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Sunlight theme: on" : "Sunlight theme: off";
  };
  button.addEventListener("click", () => {
    const on = document.documentElement.dataset.theme !== "sunlight";
    localStorage.setItem(KEY, on ? "sunlight" : "normal");
    applyStoredTheme();
    sync();
    document.dispatchEvent(new CustomEvent("wayhome:theme"));
  });
  sync();
}

export function isSunlight(): boolean {
  return document.documentElement.dataset.theme === "sunlight";
}
