import * as E from "fp-ts/lib/Either.js";
import { upcastEvent } from "../../event-schemas/index.ts";
import { currentEventOf } from "../../event-schemas/sku/event-check.ts";
import type { RecordedEvent } from "../../infra/event-store/port.ts";
import { backoffMs } from "../../infra/retry/backoff.ts";
import type { ProjectedEvent, Projection, ProjectionError } from "./projection.ts";

export interface RetryPolicy {
  /** Attempts per batch (and per single event once a batch is split) before parking. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/** How a batch ended. `parked` names the first event that could not be applied, which stays unapplied. */
export type BatchOutcome =
  | { readonly _tag: "Applied"; readonly count: number }
  | { readonly _tag: "Superseded"; readonly generation: string }
  | {
      readonly _tag: "Parked";
      readonly event: RecordedEvent;
      readonly reason: string;
      readonly applied: number;
    };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const attempt = async (
  projection: Projection,
  events: ReadonlyArray<ProjectedEvent>,
  policy: RetryPolicy,
  onFailure: (e: ProjectionError, attempt: number) => void,
): Promise<E.Either<ProjectionError, void>> => {
  const last = events[events.length - 1] as ProjectedEvent;
  let error: ProjectionError = { _tag: "ProjectionFailed", message: "no attempt made" };
  for (let i = 0; i < policy.attempts; i += 1) {
    const r = await projection.applyBatch(events, last.position)();
    if (E.isRight(r) || r.left._tag === "GenerationSuperseded") return r;
    error = r.left;
    onFailure(error, i + 1);
    if (i + 1 < policy.attempts) await sleep(backoffMs(policy, i));
  }
  return E.left(error);
};

/**
 * A recorded event as projectors see it: the store hands over decoded (and hash-verified) envelopes;
 * only the data is lifted to the current schema version here. An event already at it passes the
 * hand-written check (event-check.ts), the codecs run for older versions and to say what is wrong.
 */
export const projectedOf = (r: RecordedEvent): E.Either<string, ProjectedEvent> => {
  const current = currentEventOf(r.envelope.type, r.envelope.schemaVersion, r.envelope.data);
  const d =
    current === null
      ? upcastEvent(r.envelope.type, r.envelope.schemaVersion, r.envelope.data)
      : E.right(current);
  if (E.isLeft(d)) return E.left(`undecodable event: ${JSON.stringify(d.left)}`);
  return E.right(
    r.storedText === undefined
      ? { envelope: r.envelope, event: d.right, position: r.position }
      : { envelope: r.envelope, event: d.right, position: r.position, storedText: r.storedText },
  );
};

/**
 * Apply decoded events, in order. Store failures are retried with backoff; when the whole batch keeps
 * failing it is split and applied event by event, so the one poison event is found and the events
 * before it are kept (`Parked` names it, and it stays unapplied).
 */
export const applyProjected = async (
  projection: Projection,
  decoded: ReadonlyArray<ProjectedEvent>,
  policy: RetryPolicy,
  onFailure: (e: ProjectionError, attempt: number) => void = () => {},
): Promise<BatchOutcome> => {
  if (decoded.length === 0) return { _tag: "Applied", count: 0 };
  const r = await attempt(projection, decoded, policy, onFailure);
  if (E.isLeft(r) && r.left._tag === "GenerationSuperseded")
    return { _tag: "Superseded", generation: r.left.generation };
  if (E.isRight(r)) return { _tag: "Applied", count: decoded.length };
  let applied = 0;
  for (const one of decoded) {
    const r1 = await attempt(projection, [one], policy, onFailure);
    if (E.isRight(r1)) {
      applied += 1;
      continue;
    }
    if (r1.left._tag === "GenerationSuperseded")
      return { _tag: "Superseded", generation: r1.left.generation };
    return { _tag: "Parked", event: one, reason: r1.left.message, applied };
  }
  return { _tag: "Applied", count: applied };
};

/**
 * Decode and apply one batch from the feed, in order (`applyProjected`). A poison event (undecodable,
 * or failing every attempt alone) is never skipped: the outcome is `Parked`, naming the very recorded
 * event, and the caller stops the projector there.
 */
export const applyRecorded = async (
  projection: Projection,
  recorded: ReadonlyArray<RecordedEvent>,
  policy: RetryPolicy,
  onFailure: (e: ProjectionError, attempt: number) => void = () => {},
): Promise<BatchOutcome> => {
  const decoded: ProjectedEvent[] = [];
  let poison: { event: RecordedEvent; reason: string } | null = null;
  for (const r of recorded) {
    const d = projectedOf(r);
    if (E.isLeft(d)) {
      poison = { event: r, reason: d.left };
      break;
    }
    decoded.push(d.right);
  }
  const outcome = await applyProjected(projection, decoded, policy, onFailure);
  if (outcome._tag === "Parked") {
    const event = recorded.find((x) => x.position === outcome.event.position) as RecordedEvent;
    return { ...outcome, event };
  }
  if (outcome._tag === "Applied" && poison !== null)
    return { _tag: "Parked", event: poison.event, reason: poison.reason, applied: outcome.count };
  return outcome;
};
