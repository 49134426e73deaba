import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { describeDecodeErrors } from "../decode-errors.ts";
import { Identifier, IsoInstant, Quantity, Uuid } from "../primitives.ts";
import { currentVersions, dataCodecs, isSkuEventType, type SkuEvent } from "./events.ts";

/**
 * Old event versions and the steps that lift each to the next. Stored bytes are never rewritten:
 * events are upcast when read, after the hash chain has been checked over the stored form.
 *
 * ReservationPlaced v1 (the first release) recorded only what was allocated; v2 also records the
 * request's terms (`quantityRequested`, `allowPartial`) so an auditor can replay partial allocations.
 * A v1 hold was always a full, non-partial allocation, so the upcast is exact.
 */
export const ReservationPlacedV1Data = t.type({
  reservationId: Uuid,
  userId: Identifier,
  quantity: Quantity,
  expiresAt: IsoInstant,
});

type Step = (data: unknown) => E.Either<t.Errors, unknown>;

const upcastSteps: Readonly<Record<string, Readonly<Record<number, Step>>>> = {
  ReservationPlaced: {
    1: (data) =>
      E.map((v1: t.TypeOf<typeof ReservationPlacedV1Data>) => ({
        ...v1,
        quantityRequested: v1.quantity,
        allowPartial: false,
      }))(ReservationPlacedV1Data.decode(data)),
  },
};

export type UpcastError =
  | { readonly _tag: "UnknownEventType"; readonly type: string }
  | { readonly _tag: "UnknownSchemaVersion"; readonly type: string; readonly schemaVersion: number }
  | {
      readonly _tag: "InvalidEventData";
      readonly type: string;
      readonly schemaVersion: number;
      readonly message: string;
    };

/** Decode stored event data at `schemaVersion` and lift it through every step to the current version. */
export const upcastEvent = (
  type: string,
  schemaVersion: number,
  data: unknown,
): E.Either<UpcastError, SkuEvent> => {
  if (!isSkuEventType(type)) return E.left({ _tag: "UnknownEventType", type });
  const current = currentVersions[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current)
    return E.left({ _tag: "UnknownSchemaVersion", type, schemaVersion });
  let value: unknown = data;
  for (let v = schemaVersion; v < current; v++) {
    const step = upcastSteps[type]?.[v];
    if (step === undefined) return E.left({ _tag: "UnknownSchemaVersion", type, schemaVersion });
    const next = step(value);
    if (E.isLeft(next))
      return E.left({
        _tag: "InvalidEventData",
        type,
        schemaVersion,
        message: describeDecodeErrors(next.left),
      });
    value = next.right;
  }
  const decoded = dataCodecs[type].decode(value);
  if (E.isLeft(decoded))
    return E.left({
      _tag: "InvalidEventData",
      type,
      schemaVersion,
      message: describeDecodeErrors(decoded.left),
    });
  return E.right({ type, data: decoded.right } as SkuEvent);
};
