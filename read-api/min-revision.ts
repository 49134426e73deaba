import { IDENTIFIER_PATTERN } from "../event-schemas/index.ts";

/**
 * `X-Min-Revision: <skuId>@<revision>` (read-your-writes): the client saw a write answered at that
 * revision of the SKU's stream and wants a view that includes it.
 */
export interface MinRevision {
  readonly skuId: string;
  readonly revision: number;
}

const HEADER = new RegExp(`^(${IDENTIFIER_PATTERN})@(\\d{1,15})$`);

/** `undefined` when the header is absent, `null` when it is malformed. */
export const parseMinRevision = (value: string | undefined): MinRevision | null | undefined => {
  if (value === undefined) return undefined;
  const m = HEADER.exec(value.trim());
  return m === null ? null : { skuId: m[1] as string, revision: Number(m[2]) };
};

/**
 * Poll `current` until it reaches `revision` or `timeoutMs` passes. Resolves `true` when reached.
 * Polling (every `intervalMs`) keeps this independent of which view is asked; the wait is bounded so a
 * stalled projector turns into a 504 `view-behind`, never a hung request.
 */
export const waitForRevision = async (
  current: () => Promise<number | null>,
  revision: number,
  timeoutMs: number,
  intervalMs = 15,
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await current().catch(() => null);
    if (r !== null && r >= revision) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(1, deadline - Date.now()))),
    );
  }
};
