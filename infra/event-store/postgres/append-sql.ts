import type { ExpectedRevision } from "../port.ts";
import type { PreparedAppend } from "../validate-append.ts";

/** The one statement of an append: a call of `event_store.append` (migration 1). */
export const APPEND_SQL = `select o_status, o_actual, o_position
  from event_store.append($1, $2, $3, $4, $5, $6,
    string_to_array($7, E'\n')::uuid[], string_to_array($8, E'\n'), string_to_array($9, E'\n'))`;

/** Parameters of `APPEND_SQL` for a validated batch. Exported so tests can run it inside held transactions. */
export const appendParams = (p: PreparedAppend, expected: ExpectedRevision): unknown[] => [
  p.streamId,
  expected.kind,
  expected.kind === "exact" ? expected.revision : null,
  p.firstRevision,
  p.firstPrevHash,
  p.lastHash,
  // Newline-joined texts instead of arrays: node-pg escapes an array element by element (the stored
  // texts' ~0.5 KiB of quotes per event was the largest client-side cost of an append). No element can
  // hold a newline: event ids are UUIDs (checked by the envelope codec or `sealEvents`' caller), types are
  // identifiers, and canonical JSON escapes every control character.
  p.events.map((e) => e.envelope.eventId).join("\n"),
  p.events.map((e) => e.envelope.type).join("\n"),
  p.events.map((e) => e.text).join("\n"),
];
