import { randomUUID } from "node:crypto";
import { type client, waitFor } from "./harness.ts";

/** The final answer of one reservation request: 201 or 409, after following a 202 to its outcome. */
export interface FinalAnswer {
  readonly userId: string;
  readonly first: number;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Send one reservation; on 202, poll `GET /v1/requests/{id}` until it is decided. */
export const reserveToTheEnd = async (
  c: ReturnType<typeof client>,
  token: string,
  userId: string,
  skuId: string,
  opts: { readonly retryUnavailable?: boolean } = {},
): Promise<FinalAnswer> => {
  const key = randomUUID();
  let lastError: unknown = null;
  const send = () =>
    c.reserve(token, skuId, { quantity: 1 }, key).catch((e: unknown) => {
      lastError = e;
      return null;
    });
  let r = await send();
  // A dropped connection (a loaded 2-core machine can time out a connect among 2,000) or a 503 leaves
  // the request undecided: a client retries with the SAME key, which idempotency makes safe.
  for (
    let retries = 0;
    retries < 5 && (r === null || (opts.retryUnavailable === true && r.status === 503));
    retries++
  ) {
    await new Promise((res) => setTimeout(res, 200));
    r = await send();
  }
  if (r === null)
    throw new Error(`no answer: ${String(lastError)} ${String((lastError as { cause?: unknown })?.cause)}`);
  if (r.status !== 202) return { userId, first: r.status, status: r.status, body: r.body };
  const requestId = String(r.body.requestId);
  const final = await waitFor(
    `request ${requestId} to be decided`,
    async () => {
      const p = await c.request(token, requestId);
      return p.body.status === "pending" ? null : p;
    },
    90_000,
    250,
  );
  return { userId, first: 202, status: final.status, body: { ...final.body, requestId } };
};
