import { expect } from "vitest";
import { verifyChain } from "../../../event-schemas/index.ts";
import type { FinalAnswer } from "./answers.ts";
import type { Harness } from "./harness.ts";

/**
 * What every reservation run must keep, checked from the answers AND from the log: exactly `stock` held,
 * every request answered once (201 or 409), nobody twice, the chain intact, the log agreeing.
 */
export const checkReservationInvariants = async (
  h: Harness,
  skuId: string,
  stock: number,
  answers: ReadonlyArray<FinalAnswer>,
): Promise<void> => {
  const held = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status === 409);
  expect(held.length + refused.length).toBe(answers.length);
  expect(held).toHaveLength(stock);
  expect(
    refused.every((a) => ["/problems/sold-out", "/problems/limit-exceeded"].includes(String(a.body.type))),
  ).toBe(true);
  expect(new Set(held.map((a) => a.userId)).size).toBe(held.length);
  expect(new Set(held.map((a) => a.body.reservationId)).size).toBe(held.length);
  const envelopes = await h.envelopes(skuId);
  expect(verifyChain(envelopes)._tag).toBe("Right");
  const events = await h.stream(skuId);
  const placed = events.filter((e) => e.event.type === "ReservationPlaced");
  expect(placed).toHaveLength(stock);
  expect(new Set(placed.map((e) => (e.event.data as { reservationId: string }).reservationId))).toEqual(
    new Set(held.map((a) => a.body.reservationId)),
  );
  const answering = events.filter(
    (e) => e.event.type === "ReservationPlaced" || e.event.type === "ReservationRejected",
  );
  expect(new Set(answering.map((e) => e.envelope.requestId)).size).toBe(answering.length);
  expect(answering).toHaveLength(answers.length);
};
