import * as E from "fp-ts/lib/Either.js";
import { absurd } from "fp-ts/lib/function.js";
import type { Context } from "hono";
import { QueuedCommand, type SkuCommandBody } from "../event-schemas/index.ts";
import { queuedCommand } from "../infra/command-queue/queued-command.ts";
import { problemFor } from "../infra/http/problem.ts";
import { requestTraceparent } from "../infra/observability/http.ts";
import type { RequestRefs } from "../infra/redis/idempotency.ts";
import {
  admitWithin,
  awaitInFlight,
  enqueueAndWait,
  leaseMsFor,
  pollOutcome,
  recordAnswer,
  replayAnswer,
  respondUnavailable,
  takeOver,
  writeBuckets,
} from "./admission.ts";
import type { WriteApiDeps } from "./deps.ts";
import { fingerprintOf } from "./request.ts";
import { respondPending, respondWithOutcome } from "./respond.ts";

export interface Submission {
  readonly requestId: string;
  readonly skuId: string;
  readonly command: SkuCommandBody;
  readonly refs: RequestRefs;
  /** `Idempotency-Key` and the raw body, when the route is idempotent by key. */
  readonly idempotency: { readonly scope: string; readonly key: string; readonly body: unknown } | null;
  /** Extra fields for the 202 answer (e.g. the order id). */
  readonly pendingExtra?: Record<string, unknown>;
  /**
   * An edge refusal (e.g. 409 sold-out from the availability view), or `null` to go on. It is recorded
   * as the key's answer in the same Redis call as the claim, so a retry with the key replays it. A
   * plain `null` when no look was needed.
   */
  readonly edge?: () => Promise<Response | null> | null;
}

/**
 * Rate limits + idempotency claim (ONE Redis call), then enqueue and wait for the outcome up to the
 * budget: the shared tail of every write route. A duplicate (same key, same body) answers with the first
 * request's answer, waiting for it like the first one does, or takes over a claim whose command never
 * reached the queue (admission.ts, infra/redis/idempotency.ts).
 */
export const submit = async (c: Context, deps: WriteApiDeps, s: Submission): Promise<Response> => {
  const queued = queuedCommand(s.skuId, s.command, {
    requestId: s.requestId,
    // The request's W3C trace context: it rides in the command's Kafka headers and every event's envelope.
    correlationId: requestTraceparent(c) ?? s.requestId,
    replyTo: deps.outcomes.replyTo,
    now: deps.now(),
  });
  const edge = s.edge === undefined ? null : s.edge();
  const refused = edge === null ? null : await edge;
  const claim =
    s.idempotency === null
      ? null
      : {
          scope: s.idempotency.scope,
          key: s.idempotency.key,
          fingerprint: fingerprintOf(c.req.method, c.req.path, s.idempotency.body),
          requestId: s.requestId,
          refs: s.refs,
          command: JSON.stringify(QueuedCommand.encode(queued)),
          answer: refused === null ? null : await recordAnswer(refused),
        };
  const admitted = await admitWithin(deps, {
    buckets: writeBuckets(c, deps, s.refs.owner),
    claim,
    leaseMs: leaseMsFor(deps.waitBudgetMs),
  });
  if (admitted === null) return respondUnavailable(c, "the idempotency store did not answer; retry");
  switch (admitted._tag) {
    case "RateLimited":
      c.header("Retry-After", String(admitted.retryAfterSeconds));
      return problemFor(c, admitted, `too many requests; retry in ${admitted.retryAfterSeconds} s`);
    case "Allowed":
      if (refused !== null) return refused;
      if (E.isLeft(await deps.refs.note(s.requestId, s.refs)()))
        return respondUnavailable(c, "the reference store did not answer; retry");
      return enqueueAndWait(c, deps, queued, null, s.pendingExtra);
    case "Refused":
      return refused ?? respondUnavailable(c, "inconsistent admission; retry");
    case "Claimed":
      if (claim === null) return respondUnavailable(c, "inconsistent admission; retry");
      deps.faultAfterClaim?.(claim.key);
      return enqueueAndWait(c, deps, queued, claim, s.pendingExtra);
    case "Mismatch":
      return problemFor(c, admitted, "this Idempotency-Key was used with a different request");
    case "Answered":
      return replayAnswer(admitted.answer);
    case "Queued": {
      const o = await pollOutcome(deps, admitted.requestId, Date.now() + deps.waitBudgetMs);
      return o === null ? respondPending(c, admitted.requestId) : respondWithOutcome(c, o);
    }
    case "InFlight":
      if (claim === null) return respondUnavailable(c, "inconsistent admission; retry");
      return awaitInFlight(c, deps, { ...claim, answer: null }, admitted);
    case "Takeover":
      if (claim === null) return respondUnavailable(c, "inconsistent admission; retry");
      return takeOver(c, deps, claim, admitted.requestId, admitted.command);
    default:
      return absurd(admitted);
  }
};
