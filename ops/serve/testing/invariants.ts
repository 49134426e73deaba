import { expect } from "vitest";
import { availabilityOf, foldEvents } from "../../../domain/sku/index.ts";
import { verifyChain } from "../../../event-schemas/index.ts";
import type { FinalAnswer } from "./answers.ts";
import type { Harness } from "./harness.ts";

/**
 * What every reservation run must keep, checked from the answers AND from the log: exactly `stock` held,
 * every request answered once (201 or 409), nobody twice, the chain intact, the log agreeing. A sold-out
 * refused at the edge (no request id: it never reached the queue) has no event; it must name a revision
 * at which the log had nothing available.
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
  const atEdge = refused.filter((a) => a.body.requestId === undefined);
  expect(answering).toHaveLength(answers.length - atEdge.length);
  const availableAt = new Map<number, number | undefined>();
  for (const a of atEdge) {
    expect(a.body.type).toBe("/problems/sold-out");
    const revision = Number(a.body.revision);
    if (!availableAt.has(revision)) {
      const state = foldEvents(events.slice(0, revision + 1));
      availableAt.set(revision, availabilityOf(state, events[revision]!.envelope.occurredAt)?.available);
    }
    expect(availableAt.get(revision)).toBe(0);
  }
};
