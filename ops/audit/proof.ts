import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  chainVerifier,
  decodeEnvelope,
  decodeEvent,
  type EventEnvelope,
  type SkuEvent,
} from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { walkChain } from "./walk-chain.ts";
import { Checkpoint, checkpointSignatureValid } from "./checkpoint.ts";

/**
 * A proof bundle: everything needed to show, offline, that a reservation's events are in a stream whose
 * chain an auditor signed. `path` is every envelope from the reservation's first event to the
 * checkpoint's revision, exactly as stored. Recomputing each hash along the path and following the links
 * must end at the signed hash, so none of those events can have been changed, dropped or reordered
 * without breaking the signature. (What came before the first event is anchored only by its `prevHash`:
 * the bundle proves inclusion, not the whole history.)
 */
export const PROOF_FORMAT = "holdfast-proof/1";

export const ProofBundle = t.type({
  format: t.literal(PROOF_FORMAT),
  reservationId: t.string,
  checkpoint: Checkpoint,
  path: t.array(t.UnknownRecord),
});
export type ProofBundle = t.TypeOf<typeof ProofBundle>;

export type ProveError =
  | StoreError
  | { readonly _tag: "ChainBroken"; readonly message: string }
  | { readonly _tag: "CheckpointDiverged"; readonly message: string }
  | { readonly _tag: "ReservationNotFound"; readonly message: string };

const mentions = (e: EventEnvelope, reservationId: string) => e.data.reservationId === reservationId;

/** `holdfast audit prove`: build the bundle for `reservationId` from the checkpoint's stream. */
export const buildProof = async (
  store: EventStore,
  checkpoint: Checkpoint,
  reservationId: string,
): Promise<E.Either<ProveError, ProofBundle>> => {
  const path: EventEnvelope[] = [];
  const r = await walkChain(store, checkpoint.streamId, {
    at: checkpoint.revision,
    to: checkpoint.revision,
    onEvent: ({ envelope }) => {
      if (path.length > 0 || mentions(envelope, reservationId)) path.push(envelope);
    },
  });
  if (E.isLeft(r)) return r;
  const first = r.right.violations[0];
  if (first !== undefined)
    return E.left({
      _tag: "ChainBroken",
      message: `revision ${first.revision}: ${first.rule}: ${first.message}`,
    });
  if (r.right.hashAt !== checkpoint.hash)
    return E.left({
      _tag: "CheckpointDiverged",
      message: `${checkpoint.streamId} revision ${checkpoint.revision} hashes to ${r.right.hashAt ?? "(missing)"}, not the signed ${checkpoint.hash}`,
    });
  if (path.length === 0)
    return E.left({
      _tag: "ReservationNotFound",
      message: `no event of reservation ${reservationId} in ${checkpoint.streamId} up to revision ${checkpoint.revision}`,
    });
  return E.right({
    format: PROOF_FORMAT,
    reservationId,
    checkpoint,
    path: path as unknown as Array<Record<string, unknown>>,
  });
};

export interface ProofFacts {
  readonly streamId: string;
  readonly reservationId: string;
  readonly checkpointRevision: number;
  /** The reservation's events, proven to be in the signed chain. */
  readonly events: ReadonlyArray<{
    readonly revision: number;
    readonly occurredAt: string;
    readonly event: SkuEvent;
  }>;
}

/**
 * `holdfast audit check-proof`: verify a bundle with no server — the checkpoint's signature under
 * `publicPem`, every envelope's hash, every link, contiguous revisions of one stream ending at the
 * checkpoint's revision with its hash, and the reservation's events among them (the first one opening
 * the path). Left: why the bundle must be rejected.
 */
export const checkProof = (raw: unknown, publicPem: string): E.Either<string, ProofFacts> => {
  const b = ProofBundle.decode(raw);
  if (E.isLeft(b)) return E.left("not a holdfast proof bundle (holdfast-proof/1)");
  const { checkpoint: cp, reservationId, path } = b.right;
  const sig = checkpointSignatureValid(cp, publicPem);
  if (E.isLeft(sig)) return E.left(sig.left.message);
  if (!sig.right) return E.left("the checkpoint's signature is not valid for this public key");
  if (path.length === 0) return E.left("the bundle's path is empty");
  const envelopes: EventEnvelope[] = [];
  for (const [i, p] of path.entries()) {
    const env = decodeEnvelope(p);
    if (E.isLeft(env))
      return E.left(
        `path[${i}] is not an event envelope: ${"message" in env.left ? env.left.message : env.left._tag}`,
      );
    envelopes.push(env.right);
  }
  const head = envelopes[0]!;
  // The path is anchored on its first event's own prevHash: the signature covers everything after it.
  const v = chainVerifier(cp.streamId, { revision: head.revision - 1, hash: head.prevHash });
  for (const e of envelopes) {
    const r = v.push(e);
    if (E.isLeft(r)) return E.left(`revision ${r.left.revision}: ${r.left.kind}: ${r.left.message}`);
  }
  const last = envelopes[envelopes.length - 1]!;
  if (last.revision !== cp.revision)
    return E.left(`the path ends at revision ${last.revision}, the checkpoint is at ${cp.revision}`);
  if (last.hash !== cp.hash)
    return E.left(`the path ends at hash ${last.hash}, the checkpoint signed ${cp.hash}`);
  const events: Array<ProofFacts["events"][number]> = [];
  for (const e of envelopes) {
    if (!mentions(e, reservationId)) continue;
    const d = decodeEvent(e);
    if (E.isLeft(d)) return E.left(`revision ${e.revision} does not decode: ${d.left._tag}`);
    events.push({ revision: e.revision, occurredAt: e.occurredAt, event: d.right.event });
  }
  const opening = events[0];
  if (opening === undefined || opening.revision !== head.revision)
    return E.left(`the path does not open with an event of reservation ${reservationId}`);
  if (opening.event.type !== "ReservationPlaced" && opening.event.type !== "ReservationRejected")
    return E.left(`the reservation's first event is ${opening.event.type}, not its placement or rejection`);
  return E.right({ streamId: cp.streamId, reservationId, checkpointRevision: cp.revision, events });
};
