// The shapes the API answers with (see /openapi.json); only the fields the app reads.

export interface Incident {
  id: number;
  name: string;
  status: "open" | "closed";
  created_at: string;
  closed_at: string | null;
}

export interface Role {
  id: number;
  incident_id: number;
  role: string;
  member_id: number | null;
}

export interface Me {
  user: { id: number; login: string; name: string; is_admin: boolean };
  roles: Role[];
}

export interface Member {
  id: number;
  name: string;
  status: string;
  needs_protection: boolean;
  resource_type: string;
  qualifications: string;
  contact: string;
}

export interface TeamMember {
  member_id: number;
  pair: number;
  protects_id: number | null;
  leader: boolean;
  march: "lead" | "middle" | "rear" | null;
}

export interface Team {
  id: number;
  name: string;
  capability: "full" | "reduced";
  members: TeamMember[];
}

export interface Assignment {
  id: number;
  team_id: number;
  segment: string;
  status: "planned" | "in_progress" | "completed" | "aborted";
  instructions: string;
  rendezvous_id: number | null;
  turnaround_at: string | null;
  reported_pod: number | null;
  grant_override?: string;
}

export interface Place {
  id: number;
  kind: string;
  name: string;
  lat: number;
  lon: number;
}

export interface Position {
  id: string;
  member_id: number;
  lat: number;
  lon: number;
  time: string;
  seconds_since_contact?: number;
}

export interface RollCallAnswer {
  member_id: number;
  status: "pending" | "answered" | "escalated";
  answered_at: string | null;
  answered_by: number | null;
}

export interface RollCall {
  id: number;
  team_id: number | null;
  started_at: string;
  due_at: string;
  answers: RollCallAnswer[];
}

export interface SignalDelivery {
  member_id: number;
  status: "delivered" | "acknowledged";
  acknowledged_at: string | null;
}

export interface Signal {
  id: number;
  code: string;
  meaning: string;
  requires_ack: boolean;
  member_id: number | null;
  team_id: number | null;
  sent_at: string;
  deliveries: SignalDelivery[];
}

export interface CodebookEntry {
  code: string;
  meaning: string;
  requires_ack: boolean;
}

export interface Hazard {
  id: number;
  name: string;
  kind: string;
  geometry: { type: "Polygon"; coordinates: number[][][] };
}

export interface Clue {
  id: string;
  kind: string;
  lat: number;
  lon: number;
  note: string;
  time: string;
  member_id: number | null;
  evidence_id?: string | number | null;
}

export interface Activity {
  id: number;
  time: string;
  actor: string;
  kind: string;
  text: string;
}

export interface MapInfo {
  bounds: [number, number, number, number];
  center: [number, number];
  crs?: string;
  cell_size_m?: number;
  poa_models?: string[];
  has_terrain?: boolean;
  has_segments?: boolean;
  has_layers?: boolean;
  contour_interval_m?: number;
  poa_max?: number;
  version?: string | number;
}

export const CLUE_KINDS = [
  "item",
  "footprint",
  "sighting",
  "dog_alert",
  "scent_track",
  "sound",
] as const;

export interface Subject {
  id: number;
  name: string;
  category: string;
  age: number | null;
  description: string;
  last_seen_lat: number;
  last_seen_lon: number;
  last_seen_at: string;
  guardian_name: string;
  guardian_relation: string;
  status: "missing" | "found" | "handed_over" | "transferred";
  found_at: string | null;
  handed_over_at: string | null;
  handed_to: string;
  condition: string;
}

export interface Period {
  id: number;
  number: number;
  starts_at: string;
  ends_at: string;
  objectives: string;
}

export interface OverdueTeam {
  id: number;
  name: string;
  reason: string;
  since: string;
}
