import type { ExpectedRevision } from "../port.ts";
import type { PreparedAppend } from "../validate-append.ts";

/** The one statement of an append: a call of `event_store.append` (migration 1). */
export const APPEND_SQL = `select o_status, o_actual, o_position
  from event_store.append($1, $2, $3, $4, $5, $6, $7::uuid[], $8::text[], string_to_array($9, E'\n'))`;

/** Parameters of `APPEND_SQL` for a validated batch. Exported so tests can run it inside held transactions. */
export const appendParams = (p: PreparedAppend, expected: ExpectedRevision): unknown[] => [
  p.streamId,
  expected.kind,
  expected.kind === "exact" ? expected.revision : null,
  p.firstRevision,
  p.firstPrevHash,
  p.lastHash,
  p.events.map((e) => e.envelope.eventId),
  p.events.map((e) => e.envelope.type),
  // One newline-joined text instead of a text[]: canonical JSON escapes every control character, so a
  // stored text never contains a raw newline, and node-pg's per-element array escaping of ~0.5 KiB of
  // quotes per event was the largest client-side cost of an append.
  p.events.map((e) => e.text).join("\n"),
];
