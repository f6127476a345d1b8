#!/usr/bin/env bash
# The demo incident through two operational periods:
#   plan → segments → period-1 assignments → the teams' GPS tracks (their briefed sweep
#   routes stand in for real tracks) → debrief → the dog's alert and a child's call →
#   period-2 assignments on the updated map.
# Usage: scripts/demo_loop.sh [OUT_DIR]   (default: demo-plan)
set -euo pipefail
W="${WAYHOME:-.venv/bin/wayhome}"
OUT="${1:-demo-plan}"
P1="$OUT/period-1"
P2="$OUT/period-2"

"$W" plan --demo --out "$OUT"
"$W" segment --plan "$OUT" --target-km2 0.5 --out "$P1"
"$W" assign --plan "$P1" --demo-teams --out "$P1"

# Debrief each resource type with the tracks of its teams.
tracks_of() {  # resource -> --tracks args
  python3 - "$P1" "$1" <<'PY'
import json, sys
plan = json.load(open(f"{sys.argv[1]}/assignments.json"))
for a in plan["assignments"]:
    if a["resource"] == sys.argv[2]:
        print(f"--tracks {sys.argv[1]}/assignments/{a['assignment']}.geojson", end=" ")
PY
}
rm -rf "$P2.tmp"
cp -r "$P1" "$P2.tmp"
for res in ground_grid ground_hasty dog_air_scent; do
  args=$(tracks_of "$res")
  [ -n "$args" ] || continue
  # shellcheck disable=SC2086
  "$W" debrief --plan "$P2.tmp" $args --resource "$res" --searchers 2 --team "$res teams"
done
"$W" clue --plan "$P2.tmp" --kind dog_alert --at 36.5470,-84.2800 --bearing 345 --spread 35 \
  --range-m 800 --confidence 0.6 --note "Juno alerts above the creek, scent cone to the NNW"
"$W" clue --plan "$P2.tmp" --kind sound --at 36.5500,-84.2790 --bearing 315 --spread 25 \
  --range-m 450 --confidence 0.5 --note "T3 hears what may be a child's call to the NW"
"$W" assign --plan "$P2.tmp" --demo-teams --hours 3
rm -rf "$P2" && mv "$P2.tmp" "$P2"
echo "demo: plan in $OUT, period 1 in $P1, updated map and period-2 assignments in $P2"
