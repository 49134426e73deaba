import * as TE from "fp-ts/lib/TaskEither.js";
import type { EventEnvelope, SkuEvent } from "../../event-schemas/index.ts";
import type { GlobalPosition } from "../../infra/event-store/port.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

/** An event as projectors see it: the stored envelope, its upcast event and its place in the global feed. */
export interface ProjectedEvent {
  readonly envelope: EventEnvelope;
  readonly event: SkuEvent;
  readonly position: GlobalPosition;
  /** The stored canonical text, when the store handed it over (see `RecordedEvent.storedText`). */
  readonly storedText?: string;
}

export type ProjectionError =
  /** The target store failed (network, constraint, script error). Retried with backoff, then parks. */
  | { readonly _tag: "ProjectionFailed"; readonly message: string }
  /** A rebuild swapped in another generation: this instance must reload its generation and checkpoint. */
  | { readonly _tag: "GenerationSuperseded"; readonly generation: string };

export const projectionFailed = (e: unknown): ProjectionError => ({
  _tag: "ProjectionFailed",
  message: messageOf(e),
});

/** Run a store call of a projection; a thrown driver error becomes `ProjectionFailed` (retried by the runner). */
export const tryProjection = <A>(f: () => Promise<A>): TE.TaskEither<ProjectionError, A> =>
  TE.tryCatch(f, projectionFailed);

/**
 * A read model the runtime feeds (one per target store and generation).
 *
 * Contract: `applyBatch` writes the effect of `events` and the checkpoint `position` atomically (same
 * PostgreSQL transaction, same Redis script), and skips every event whose stream revision is not above
 * the revision the model already recorded for that stream, so delivering a batch twice, or resuming from
 * an older checkpoint after a crash, never double-counts. Events arrive in global-feed order, which is
 * stream order within each stream.
 *
 * @example
 *   runProjector({ store, projection: availabilityProjection(redis, { namespace }), ... })
 */
export interface Projection {
  readonly name: string;
  /** The generation this instance writes (resolved lazily for the live one). */
  generation(): TE.TaskEither<ProjectionError, string>;
  readCheckpoint(): TE.TaskEither<ProjectionError, GlobalPosition | null>;
  applyBatch(
    events: ReadonlyArray<ProjectedEvent>,
    position: GlobalPosition,
  ): TE.TaskEither<ProjectionError, void>;
}
