import * as E from "fp-ts/lib/Either.js";
import type { Context } from "hono";
import { type Outcome, QueuedCommand } from "../event-schemas/index.ts";
import type { QueueError, QueuePosition } from "../infra/command-queue/port.ts";
import { problem, problemFor } from "../infra/http/problem.ts";
import type { BucketCheck } from "../infra/redis/rate-limit.ts";
import type { Admission, RecordedAnswer } from "../infra/redis/idempotency.ts";
import type { WriteApiDeps } from "./deps.ts";
import { ipOf } from "./request.ts";
import { respondPending, respondWithOutcome } from "./respond.ts";
import { messageOf } from "../infra/errors/message-of.ts";

/**
 * The claim → enqueue part of every write route (see infra/redis/idempotency.ts for the claim states).
 * Every wait is bounded, so an outage is answered, never left holding the socket:
 * - the admission call (rate limits + claim, one Redis round trip) gets the wait budget; a Redis that
 *   is not connected fails at once (the write API's Redis client has no offline queue);
 * - the produce acknowledgement gets the wait budget too; without it the claim stays `claimed` and the
 *   answer is 503 `unavailable` with Retry-After: the retry with the same key takes over and enqueues
 *   the same request id again (the handler decides it once, whichever copy lands);
 * - a claim is presumed on its way to the queue for `leaseMsFor(budget)`, longer than both waits.
 * The bounds are the budget, not less: under load a slow answer is still an answer, and only an
 * outage should turn into a 503.
 */
export const boundMsFor = (waitBudgetMs: number): number => Math.max(1000, waitBudgetMs);
export const leaseMsFor = (waitBudgetMs: number): number => 2 * boundMsFor(waitBudgetMs) + 1000;
const POLL_MS = 25;

/** `HOLDFAST_TEST_FAULT=kill-after-claim`: SIGKILL the process right after claiming such a key. */
export const FAULT_KEY_PREFIX = "test-fault-kill-";

export const respondUnavailable = (c: Context, detail: string, retryAfterSeconds = 1): Response => {
  c.header("Retry-After", String(retryAfterSeconds));
  return problem(c, "unavailable", detail);
};

/** `p`, or `late()` once `ms` have passed first (one promise and one timer per call, no race). */
const within = <A>(p: Promise<A>, ms: number, late: () => A): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => resolve(late()), ms);
    p.then(
      (a) => {
        clearTimeout(timer);
        resolve(a);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });

/** The write-side token buckets of this request (per shopper, per IP), or none when limiting is off. */
export const writeBuckets = (c: Context, deps: WriteApiDeps, userId: string): BucketCheck[] =>
  deps.rateLimits === null
    ? []
    : [
        { key: `w:shopper:${userId}`, bucket: deps.rateLimits.limits.shopperWrite },
        { key: `w:ip:${ipOf(c)}`, bucket: deps.rateLimits.limits.ipWrite },
      ];

/** An edge refusal as it can be stored and replayed. */
export const recordAnswer = async (r: Response): Promise<RecordedAnswer> => {
  const headers: Record<string, string> = {};
  for (const h of ["Content-Type", "Retry-After"]) {
    const v = r.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  return { status: r.status, headers, body: await r.clone().text() };
};

export const replayAnswer = (a: RecordedAnswer): Response =>
  new Response(a.body, { status: a.status, headers: a.headers });

/** One admission call, bounded; `null` when Redis did not answer in time. */
export const admitWithin = async (
  deps: WriteApiDeps,
  req: Parameters<WriteApiDeps["idempotency"]["admit"]>[0],
): Promise<Admission | null> =>
  within(
    deps.idempotency
      .admit(req)()
      .then((r) => {
        if (E.isRight(r)) return r.right;
        deps.logger.error({ error: r.left }, "admission (rate limit + idempotency claim) failed");
        return null;
      }),
    boundMsFor(deps.waitBudgetMs),
    () => null,
  );

/** Enqueue, bounded by the wait budget (`boundMsFor`). */
export const enqueueWithin = (
  deps: WriteApiDeps,
  cmd: QueuedCommand,
): Promise<E.Either<QueueError, QueuePosition>> =>
  within(
    deps
      .enqueue(cmd)()
      .catch(
        (e: unknown): E.Either<QueueError, never> =>
          E.left({ _tag: "QueueUnavailable", message: messageOf(e) }),
      ),
    boundMsFor(deps.waitBudgetMs),
    () =>
      E.left({
        _tag: "QueueUnavailable",
        message: `the command queue did not acknowledge within ${boundMsFor(deps.waitBudgetMs)} ms`,
      }),
  );

/** The answer to an enqueue that failed: 404 for a SKU with no partition, else 503 (retry, same key). */
export const enqueueFailed = (c: Context, deps: WriteApiDeps, error: QueueError): Response => {
  if (error._tag === "UnknownSkuPartition") return problemFor(c, error, `no SKU ${error.skuId} is listed`);
  deps.logger.error({ error }, "enqueue failed");
  return respondUnavailable(
    c,
    "the command queue did not accept the request; retry with the same Idempotency-Key",
  );
};

/** Wait for a request's recorded outcome until `deadline` (ms since the epoch). */
export const pollOutcome = async (
  deps: WriteApiDeps,
  requestId: string,
  deadline: number,
  until: () => boolean = () => false,
): Promise<Outcome | null> => {
  for (;;) {
    const o = E.getOrElseW(() => null)(await deps.outcomes.read(requestId));
    if (o !== null || Date.now() >= deadline || until()) return o;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
};

/**
 * Enqueue a command this request owns (fresh claim or takeover) and wait for the outcome within the
 * budget: 201/409 from the outcome, 202 once it is on the queue (the claim marked queued first), 503 when
 * the queue did not acknowledge (the claim stays `claimed`: a retry enqueues it again).
 */
export const enqueueAndWait = async (
  c: Context,
  deps: WriteApiDeps,
  queued: QueuedCommand,
  claim: { readonly scope: string; readonly key: string } | null,
  pendingExtra?: Record<string, unknown>,
): Promise<Response> => {
  // Listen before enqueueing, so an answer faster than the produce acknowledgement is not missed.
  const answer = deps.outcomes.expect(queued.requestId, deps.waitBudgetMs);
  const started = performance.now();
  const enqueued = await enqueueWithin(deps, queued);
  deps.observe?.("enqueue", (performance.now() - started) / 1000);
  if (E.isLeft(enqueued)) return enqueueFailed(c, deps, enqueued.left);
  const outcome = (await answer) ?? E.getOrElseW(() => null)(await deps.outcomes.read(queued.requestId));
  deps.observe?.("decision", (performance.now() - started) / 1000);
  // Only an answer without the decision needs the claim marked queued (so duplicates answer 202 too):
  // once the outcome is stored, admission counts the claim as queued (infra/redis/idempotency.ts).
  if (outcome === null && claim !== null) {
    const marked = await deps.idempotency.markQueued(claim.scope, claim.key, queued.requestId)();
    if (E.isLeft(marked)) deps.logger.warn({ error: marked.left }, "could not mark the claim queued");
  }
  return outcome === null
    ? respondPending(c, queued.requestId, pendingExtra)
    : respondWithOutcome(c, outcome);
};

/** Take over a claim whose command may never have reached the queue: enqueue it again, same id. */
export const takeOver = async (
  c: Context,
  deps: WriteApiDeps,
  claim: { readonly scope: string; readonly key: string },
  requestId: string,
  command: string,
): Promise<Response> => {
  let decoded: E.Either<unknown, QueuedCommand>;
  try {
    decoded = QueuedCommand.decode(JSON.parse(command));
  } catch (e) {
    decoded = E.left(e);
  }
  if (E.isLeft(decoded) || decoded.right.requestId !== requestId) {
    deps.logger.error({ requestId }, "a claim holds an unreadable command");
    return respondUnavailable(c, "this request's claim is unreadable; retry later");
  }
  deps.logger.info({ requestId }, "re-enqueueing a claimed request that may never have reached the queue");
  return enqueueAndWait(c, deps, { ...decoded.right, replyTo: deps.outcomes.replyTo }, claim);
};

/**
 * A duplicate of a request that holds the claim and may still be enqueueing it: wait for its outcome;
 * once the lease is over, ask again (one call, no rate tokens), which may hand the command over to us.
 * Answers 202 only when the command is known to be on the queue, 503 otherwise.
 */
export const awaitInFlight = async (
  c: Context,
  deps: WriteApiDeps,
  claim: Parameters<WriteApiDeps["idempotency"]["admit"]>[0]["claim"] & object,
  first: { readonly requestId: string; readonly leaseLeftMs: number },
): Promise<Response> => {
  const deadline = Date.now() + deps.waitBudgetMs;
  let leaseEnds = Date.now() + first.leaseLeftMs;
  let queued = false;
  for (;;) {
    const o = await pollOutcome(deps, first.requestId, Math.min(deadline, queued ? deadline : leaseEnds));
    if (o !== null) return respondWithOutcome(c, o);
    if (Date.now() >= deadline)
      return queued
        ? respondPending(c, first.requestId)
        : respondUnavailable(c, "the first request with this Idempotency-Key is still being queued; retry");
    const again = await admitWithin(deps, { buckets: [], claim, leaseMs: leaseMsFor(deps.waitBudgetMs) });
    if (again === null) return respondUnavailable(c, "the idempotency store did not answer; retry");
    switch (again._tag) {
      case "InFlight":
        leaseEnds = Date.now() + again.leaseLeftMs;
        continue;
      case "Queued":
        queued = true;
        continue;
      case "Takeover":
        return takeOver(c, deps, claim, again.requestId, again.command);
      case "Answered":
        return replayAnswer(again.answer);
      case "Claimed":
        // The claim expired meanwhile and this request now holds it.
        return takeOver(c, deps, claim, claim.requestId, claim.command);
      default:
        return respondUnavailable(c, "this Idempotency-Key changed state; retry");
    }
  }
};
