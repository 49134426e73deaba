import * as E from "fp-ts/lib/Either.js";
import type { Tracing } from "../../infra/observability/tracing.ts";
import type { Projection } from "./projection.ts";

/**
 * A projection whose batches are traced: one `project <name>` span per event, a child of the trace of
 * the request that caused it (the envelope's correlationId, a W3C traceparent), ended when the batch is
 * applied. Tracing off: the projection itself, untouched.
 */
export const tracedProjection = (projection: Projection, tracing: Tracing): Projection => {
  if (!tracing.enabled) return projection;
  return {
    name: projection.name,
    generation: () => projection.generation(),
    readCheckpoint: () => projection.readCheckpoint(),
    applyBatch: (events, position) => async () => {
      const spans = events.map((e) =>
        tracing.start(`project ${projection.name}`, {
          kind: "consumer",
          parent: e.envelope.correlationId,
          attributes: {
            "holdfast.projection": projection.name,
            "holdfast.stream": e.envelope.streamId,
            "holdfast.revision": e.envelope.revision,
            "holdfast.event": e.envelope.type,
          },
        }),
      );
      const r = await projection.applyBatch(events, position)();
      for (const s of spans) {
        if (E.isLeft(r)) s.fail(r.left._tag);
        s.end();
      }
      return r;
    },
  };
};
