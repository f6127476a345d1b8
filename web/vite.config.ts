// Multi-page build: the command post (index.html) and the field view (field/index.html, a PWA)
// into the Python package, where `wayhome serve` finds them (src/wayhome/web/static/).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  base: "/",
  // `npm run dev`: the pages from Vite, the API from a local `wayhome serve` (port 8000).
  server: {
    proxy: {
      "^/(auth|incidents|users|health|openapi\\.json|docs)": {
        target: "http://127.0.0.1:8000",
        ws: true,
      },
    },
  },
  build: {
    outDir: here("../src/wayhome/web/static"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { main: here("index.html"), field: here("field/index.html") },
      output: {
        // MapLibre in a chunk of its own: both pages share it and it rarely changes.
        manualChunks: (id: string) => (id.includes("node_modules/maplibre-gl") ? "maplibre" : undefined),
      },
    },
  },
  plugins: [
    // The field view's service worker (scope /field/): precaches the app shell so the page
    // opens with no network; API calls are never cached (the offline queue handles writes).
    VitePWA({
      strategies: "generateSW",
      filename: "sw.js",
      injectRegister: false, // registered by src/field/main.ts with scope /field/
      manifest: false, // web/public/field/manifest.webmanifest
      workbox: {
        globPatterns: ["field/**/*.{html,webmanifest,png,svg}", "assets/**/*.{js,mjs,css}"],
        navigateFallback: "/field/index.html",
        navigateFallbackAllowlist: [/^\/field\//],
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        // The incident's map (tiles and GeoJSON) is kept as it was last seen, for offline use.
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /^\/incidents\/\d+\/map(\/|$)/.test(url.pathname),
            handler: "StaleWhileRevalidate",
            options: {
              cacheName: "wayhome-map",
              expiration: { maxEntries: 3000, purgeOnQuotaError: true },
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
      },
    }),
  ],
});
