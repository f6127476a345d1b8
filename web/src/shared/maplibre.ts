// MapLibre with its worker served from this origin (bundled by Vite as a hashed asset).

import * as maplibregl from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";

maplibregl.setWorkerUrl(new URL(workerUrl, location.href).href);

export { maplibregl };
