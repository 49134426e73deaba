import * as E from "fp-ts/lib/Either.js";
import type { Context } from "hono";
import type { Outcome, QueuedCommand, SkuCommandBody } from "../event-schemas/index.ts";
import { problem } from "../infra/http/problem.ts";
import type { RequestRefs } from "../infra/redis/idempotency.ts";
import type { WriteApiDeps } from "./deps.ts";
import { fingerprintOf } from "./request.ts";
import { respondPending, respondWithOutcome } from "./respond.ts";

/** How often a duplicate request polls the first request's outcome key while it waits. */
const POLL_MS = 25;

export interface Submission {
  readonly requestId: string;
  readonly skuId: string;
  readonly command: SkuCommandBody;
  readonly refs: RequestRefs;
  /** `Idempotency-Key` and the raw body, when the route is idempotent by key. */
  readonly idempotency: { readonly scope: string; readonly key: string; readonly body: unknown } | null;
  /** Extra fields for the 202 answer (e.g. the order id). */
  readonly pendingExtra?: Record<string, unknown>;
}

const waitByPolling = async (
  deps: WriteApiDeps,
  requestId: string,
  budgetMs: number,
): Promise<Outcome | null> => {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const o = await deps.outcomes.read(requestId);
    if (o !== null || Date.now() >= deadline) return o;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
};

/**
 * Claim the idempotency key, enqueue the command, wait for its outcome up to the budget: the shared
 * tail of every write route. A duplicate (same key, same body) never enqueues: it answers with the first
 * request's outcome, waiting for it like the first one does.
 */
export const submit = async (c: Context, deps: WriteApiDeps, s: Submission): Promise<Response> => {
  const fingerprint =
    s.idempotency === null ? "" : fingerprintOf(c.req.method, c.req.path, s.idempotency.body);
  if (s.idempotency !== null) {
    let claim: Awaited<ReturnType<typeof deps.idempotency.claim>>;
    try {
      claim = await deps.idempotency.claim(
        s.idempotency.scope,
        s.idempotency.key,
        fingerprint,
        s.requestId,
        s.refs,
      );
    } catch (e) {
      deps.logger.error({ err: e }, "idempotency claim failed");
      return problem(c, "unavailable", "the idempotency store did not answer; retry");
    }
    switch (claim._tag) {
      case "Claimed":
        break;
      case "Mismatch":
        return problem(c, "idempotency-mismatch", "this Idempotency-Key was used with a different request");
      case "Replay": {
        const o = await waitByPolling(deps, claim.requestId, deps.waitBudgetMs);
        return o === null ? respondPending(c, claim.requestId) : respondWithOutcome(c, o);
      }
      default:
        return absurd(claim);
    }
  } else await deps.refs.note(s.requestId, s.refs);

  const queued: QueuedCommand = {
    requestId: s.requestId as QueuedCommand["requestId"],
    skuId: s.skuId as QueuedCommand["skuId"],
    issuedAt: deps.now().toISOString() as QueuedCommand["issuedAt"],
    correlationId: s.requestId,
    causationId: s.requestId,
    replyTo: deps.outcomes.replyTo,
    command: s.command,
  };
  // Listen before enqueueing, so an answer faster than the produce acknowledgement is not missed.
  const answer = deps.outcomes.expect(s.requestId, deps.waitBudgetMs);
  const started = performance.now();
  const enqueued = await deps.enqueue(queued)();
  deps.observe?.("enqueue", (performance.now() - started) / 1000);
  if (E.isLeft(enqueued)) {
    if (s.idempotency !== null)
      await deps.idempotency
        .release(s.idempotency.scope, s.idempotency.key, fingerprint, s.requestId)
        .catch(() => undefined);
    if (enqueued.left._tag === "UnknownSkuPartition")
      return problem(c, "unknown-sku", `no SKU ${enqueued.left.skuId} is listed`);
    deps.logger.error({ error: enqueued.left }, "enqueue failed");
    return problem(c, "unavailable", "the command queue did not accept the request; retry");
  }
  const outcome = (await answer) ?? (await deps.outcomes.read(s.requestId));
  deps.observe?.("decision", (performance.now() - started) / 1000);
  return outcome === null ? respondPending(c, s.requestId, s.pendingExtra) : respondWithOutcome(c, outcome);
};

const absurd = (value: never): never => {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
};
