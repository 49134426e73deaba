import * as E from "fp-ts/lib/Either.js";
import {
  type DecodedEvent,
  type DecodeError,
  decodeEvent,
  type EventEnvelope,
  upcastEvent,
} from "../../event-schemas/index.ts";
import { isEventEnvelope } from "../../event-schemas/envelope-check.ts";
import { currentEventOf } from "../../event-schemas/sku/event-check.ts";

/**
 * `decodeEvent` with the same answers, at a fraction of its cost: the hand-written checks equal to the
 * codecs (`envelope-check.ts`, `sku/event-check.ts`) decide the common case, and the codecs run only to
 * upcast an older version or to describe what is wrong.
 *
 * `envelopeChecked`: the envelope came through the event store port, which checked its shape on read
 * (`decodeStored`), so it is not checked a second time.
 */
export const decodeChecked = (
  env: EventEnvelope,
  envelopeChecked: boolean,
): E.Either<DecodeError, DecodedEvent> => {
  if (!envelopeChecked && !isEventEnvelope(env)) return decodeEvent(env);
  const current = currentEventOf(env.type, env.schemaVersion, env.data);
  if (current !== null) return E.right({ envelope: env, event: current });
  const up = upcastEvent(env.type, env.schemaVersion, env.data);
  return E.isLeft(up) ? up : E.right({ envelope: env, event: up.right });
};
