// MapLibre with its worker served from this origin (bundled by Vite as a hashed asset).

import * as maplibregl from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";

maplibregl.setWorkerUrl(new URL(workerUrl, location.href).href);
// Every raster tile of a screen asked for at once: with the default 16 in flight, the POA
// heat's tiles waited for the relief's (#6, first paint; 256 px tiles, 16 of each).
maplibregl.setMaxParallelImageRequests(32);

export { maplibregl };
