import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { describeDecodeErrors } from "./decode-errors.ts";
import { Count, IsoInstant, Sha256Hex, Uuid } from "./primitives.ts";
import { currentVersions, type SkuEvent } from "./sku/events.ts";
import { type UpcastError, upcastEvent } from "./sku/upcasters.ts";

const SchemaVersion = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 1, "SchemaVersion");

/**
 * The envelope every stored event carries, exactly as hashed and stored. `data` is kept as stored (at
 * its `schemaVersion`); `decodeEvent` upcasts it for the domain.
 *
 * - `revision`: 0-based position in the stream, no gaps.
 * - `requestId`: the command that caused the event; `correlationId`/`causationId` trace the flow.
 * - `queuePosition`: the command's position on the SKU's command queue (its Kafka offset), so a
 *   redelivered command is recognised and an auditor can replay decisions in arrival order.
 * - `hash = SHA-256(prevHash ‖ canonical JSON of the envelope without "hash")`, genesis prevHash = 64 zeros.
 */
export const EventEnvelope = t.type({
  eventId: Uuid,
  type: t.string,
  schemaVersion: SchemaVersion,
  streamId: t.string,
  revision: Count,
  occurredAt: IsoInstant,
  requestId: t.string,
  correlationId: t.string,
  causationId: t.string,
  queuePosition: Count,
  data: t.UnknownRecord,
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
export type EventEnvelope = t.TypeOf<typeof EventEnvelope>;
export type UnsealedEnvelope = Omit<EventEnvelope, "hash">;

/** An event the writer is about to seal: everything but its place in the chain. */
export interface EventDraft {
  readonly eventId: string;
  readonly event: SkuEvent;
  readonly occurredAt: string;
  readonly requestId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly queuePosition: number;
}

/** A stored envelope together with its event lifted to the current schema version. */
export interface DecodedEvent {
  readonly envelope: EventEnvelope;
  readonly event: SkuEvent;
}

export type DecodeError = { readonly _tag: "InvalidEnvelope"; readonly message: string } | UpcastError;

export const decodeEnvelope = (raw: unknown): E.Either<DecodeError, EventEnvelope> => {
  const r = EventEnvelope.decode(raw);
  if (E.isRight(r)) return r;
  return E.left({ _tag: "InvalidEnvelope", message: describeDecodeErrors(r.left, 1) });
};

/** Decode an envelope and upcast its data: what readers of the log use. */
export const decodeEvent = (raw: unknown): E.Either<DecodeError, DecodedEvent> => {
  const env = decodeEnvelope(raw);
  if (E.isLeft(env)) return env;
  const ev = upcastEvent(env.right.type, env.right.schemaVersion, env.right.data);
  return E.isLeft(ev) ? ev : E.right({ envelope: env.right, event: ev.right });
};

/**
 * The envelope fields of a draft at a given place in a stream (not yet hashed). Keys are written in
 * canonical (sorted) order so that hashing can serialise the envelope without reordering it.
 */
export const unsealed = (
  streamId: string,
  revision: number,
  prevHash: string,
  draft: EventDraft,
): UnsealedEnvelope => ({
  causationId: draft.causationId,
  correlationId: draft.correlationId,
  data: draft.event.data as Record<string, unknown>,
  eventId: draft.eventId as EventEnvelope["eventId"],
  occurredAt: draft.occurredAt as EventEnvelope["occurredAt"],
  prevHash: prevHash as EventEnvelope["prevHash"],
  queuePosition: draft.queuePosition,
  requestId: draft.requestId,
  revision,
  schemaVersion: currentVersions[draft.event.type],
  streamId,
  type: draft.event.type,
});
