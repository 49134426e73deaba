import * as E from "fp-ts/lib/Either.js";
import { expect } from "vitest";
import type { SkuCommand, SkuCommandBody, SkuEvent } from "../../event-schemas/index.ts";
import { listed as listedEvent } from "../../event-schemas/testing/sku-events.ts";
import { decide } from "./decide.ts";
import type { DomainErrorTag } from "./errors.ts";
import { type FoldInput, foldEvents } from "./evolve.ts";
import type { SkuState } from "./state.ts";

/**
 * Test support for the SKU decider (imported by `*.test.ts` only): given/when/then specs and the
 * commands they send. The events come from `event-schemas/testing/sku-events.ts`.
 *
 * @example given(listed()).when(reserve("u1", 1)).then([placed("u1", 1)])
 */

/** A deterministic UUID for test number `n`. */
export const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export const T0 = "2026-11-21T12:00:00.000Z";
/** `T0` plus `seconds`, as an ISO instant. */
export const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

let requestCounter = 0;
/** A command with a fresh requestId, decided at `now` (default T0). */
export const cmd = (body: SkuCommandBody, now: string = T0, requestId?: string): SkuCommand => {
  requestCounter += 1;
  return { ...body, requestId: requestId ?? `req-${requestCounter}`, now } as SkuCommand;
};

type ListSku = Extract<SkuCommandBody, { type: "ListSku" }>;

/** The `SkuListed` event of `listSku(over)`: the shared listing of SKU `tee`, with this spec's defaults. */
export const listed = (over: Partial<Omit<ListSku, "type">> = {}): SkuEvent =>
  listedEvent("tee", { name: "Tee", description: "A tee", tags: ["apparel"], ...over } as never);

/** The listing command whose decision is `listed(over)`. */
export const listSku = (over: Partial<Omit<ListSku, "type">> = {}): ListSku =>
  ({ type: "ListSku", ...listed(over).data }) as ListSku;

export const reserveBody = (userId: string, quantity: number, reservationId: string, allowPartial = false) =>
  ({ type: "PlaceReservation", reservationId, userId, quantity, allowPartial }) as SkuCommandBody;

/** given(history).when(command).then(events) | .thenError(tag) — decide against the folded history. */
export const given = (history: ReadonlyArray<FoldInput>) => {
  const state: SkuState = foldEvents(history);
  return {
    state,
    when: (command: SkuCommand) => {
      const outcome = decide(command, state);
      return {
        outcome,
        // biome-ignore lint/suspicious/noThenProperty: the given/when/then shape of STYLE.md; never awaited
        then: (expected: ReadonlyArray<SkuEvent>) => {
          expect(outcome).toEqual(E.right(expected));
        },
        thenError: (tag: DomainErrorTag) => {
          expect(E.isLeft(outcome) ? outcome.left._tag : `Right(${JSON.stringify(outcome.right)})`).toBe(tag);
        },
      };
    },
  };
};
