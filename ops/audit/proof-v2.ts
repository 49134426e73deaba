import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  Checkpoint,
  type Cosignature,
  cosignatureValid,
  checkpointSignatureValid,
  decodeEnvelope,
  decodeEvent,
  type EventEnvelope,
  eventLeafHash,
  hashEvent,
  HASH_SIZE,
  isTreeHead,
  type MerkleTree,
  type TreeHead,
  toHex,
  verifyInclusion,
} from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import type { ProofFacts } from "./proof.ts";
import { streamTree } from "./stream-tree.ts";

/**
 * A `holdfast-proof/2` bundle: a reservation's own events, exactly as stored, each with an RFC 9162
 * inclusion proof against one signed tree head. It is O(log n): for a reservation of a
 * 1,000,000-event stream about 20 hashes per event, fewer when its events are close together (their
 * paths share the upper nodes, which are stored once).
 *
 * `nodes` is the base64 of the distinct proof hashes, 32 bytes each, concatenated (the compact form:
 * hex strings would double the bundle); each event's `path` lists indexes into them, nearest the leaf
 * first, and `leafIndex` is the event's revision. `cosignatures` are witnesses' co-signatures of the same
 * head (`{witness, signature}`; the head is the bundle's).
 */
export const PROOF_V2_FORMAT = "holdfast-proof/2";

export const ProofBundleV2 = t.intersection([
  t.type({
    format: t.literal(PROOF_V2_FORMAT),
    reservationId: t.string,
    head: Checkpoint,
    events: t.array(t.UnknownRecord),
    proofs: t.array(t.type({ leafIndex: t.number, path: t.array(t.number) })),
    nodes: t.string,
  }),
  t.partial({ cosignatures: t.array(t.type({ witness: t.string, signature: t.string })) }),
]);
export type ProofBundleV2 = t.TypeOf<typeof ProofBundleV2>;

export type ProveV2Error =
  | StoreError
  | { readonly _tag: "ChainBroken"; readonly message: string }
  | { readonly _tag: "CheckpointDiverged"; readonly message: string }
  | { readonly _tag: "NotATreeHead"; readonly message: string }
  | { readonly _tag: "ReservationNotFound"; readonly message: string };

const mentions = (e: EventEnvelope, reservationId: string) => e.data.reservationId === reservationId;

/** The bundle for `events` (the reservation's envelopes, in revision order) from a tree that has `head`'s root. */
export const bundleFor = (
  head: TreeHead,
  tree: MerkleTree,
  reservationId: string,
  events: ReadonlyArray<EventEnvelope>,
  cosignatures: ReadonlyArray<Pick<Cosignature, "witness" | "signature">> = [],
): ProofBundleV2 => {
  const index = new Map<string, number>();
  const nodes: Buffer[] = [];
  const proofs = events.map((e) => ({
    leafIndex: e.revision,
    path: tree.inclusionProof(e.revision, head.size).map((d) => {
      const key = toHex(d);
      let i = index.get(key);
      if (i === undefined) {
        i = nodes.length;
        index.set(key, i);
        nodes.push(Buffer.from(d));
      }
      return i;
    }),
  }));
  return {
    format: PROOF_V2_FORMAT,
    reservationId,
    head,
    events: events as unknown as Array<Record<string, unknown>>,
    proofs,
    nodes: Buffer.concat(nodes).toString("base64"),
    ...(cosignatures.length === 0
      ? {}
      : { cosignatures: cosignatures.map((c) => ({ witness: c.witness, signature: c.signature })) }),
  };
};

/** `holdfast audit prove` (v2): read the head's stream up to its revision, check the tree, bundle. */
export const buildProofV2 = async (
  store: EventStore,
  head: Checkpoint,
  reservationId: string,
  cosignatures: ReadonlyArray<Cosignature> = [],
): Promise<E.Either<ProveV2Error, ProofBundleV2>> => {
  if (!isTreeHead(head))
    return E.left({
      _tag: "NotATreeHead",
      message:
        "the checkpoint has no size and root (signed before tree heads); sign a new one with `audit checkpoint`",
    });
  const mine: EventEnvelope[] = [];
  const r = await streamTree(store, head.streamId, {
    to: head.revision,
    onEvent: ({ envelope }) => {
      if (mentions(envelope, reservationId)) mine.push(envelope);
    },
  });
  if (E.isLeft(r)) return r;
  const first = r.right.violations[0];
  if (first !== undefined)
    return E.left({
      _tag: "ChainBroken",
      message: `revision ${first.revision}: ${first.rule}: ${first.message}`,
    });
  const { tree } = r.right;
  if (tree.size < head.size || toHex(tree.root(head.size)) !== head.root)
    return E.left({
      _tag: "CheckpointDiverged",
      message: `${head.streamId}'s tree over ${head.size} events ${tree.size < head.size ? `cannot be built (the stream has ${tree.size})` : `has root ${toHex(tree.root(head.size))}, not the signed ${head.root}`}`,
    });
  if (mine.length === 0)
    return E.left({
      _tag: "ReservationNotFound",
      message: `no event of reservation ${reservationId} in ${head.streamId} up to revision ${head.revision}`,
    });
  const sameHead = cosignatures.filter((c) => JSON.stringify(c.head) === JSON.stringify(head));
  return E.right(bundleFor(head, tree, reservationId, mine, sameHead));
};

export interface WitnessRequirement {
  /** At least this many distinct witnesses must have co-signed the head. */
  readonly count: number;
  /** The witnesses' public keys (PEM) the co-signatures are checked against. */
  readonly keys: ReadonlyArray<string>;
}

export interface ProofV2Facts extends ProofFacts {
  readonly treeSize: number;
  readonly root: string;
  readonly witnesses: ReadonlyArray<string>;
}

/**
 * `holdfast audit check-proof` for v2, offline: the head's signature, each event's own hash (so its
 * bytes are exactly what was sealed), each inclusion proof against the head's root at the event's
 * revision, one stream, one reservation opening with its placement or rejection, and (when asked) K
 * distinct witnesses' valid co-signatures of the same head. Left: why the bundle must be rejected.
 */
export const checkProofV2 = (
  raw: unknown,
  publicPem: string,
  witnesses: WitnessRequirement | null = null,
): E.Either<string, ProofV2Facts> => {
  const b = ProofBundleV2.decode(raw);
  if (E.isLeft(b)) return E.left(`not a ${PROOF_V2_FORMAT} bundle`);
  const { head, reservationId, events, proofs } = b.right;
  if (!isTreeHead(head)) return E.left("the bundle's head has no size and root");
  if (head.size !== head.revision + 1) return E.left("the head's size is not its revision + 1");
  const sig = checkpointSignatureValid(head, publicPem);
  if (E.isLeft(sig)) return E.left(sig.left.message);
  if (!sig.right) return E.left("the head's signature is not valid for this public key");
  const nodes = Buffer.from(b.right.nodes, "base64");
  if (nodes.length % HASH_SIZE !== 0 || nodes.toString("base64") !== b.right.nodes)
    return E.left("the bundle's nodes are not base64 of 32-byte hashes");
  const node = (i: number) =>
    Number.isInteger(i) && i >= 0 && (i + 1) * HASH_SIZE <= nodes.length
      ? nodes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)
      : null;
  if (events.length === 0) return E.left("the bundle has no events");
  if (proofs.length !== events.length) return E.left("the bundle needs one inclusion proof per event");
  const facts: Array<ProofFacts["events"][number]> = [];
  let previous = -1;
  for (const [i, raw] of events.entries()) {
    const env = decodeEnvelope(raw);
    if (E.isLeft(env))
      return E.left(
        `events[${i}] is not an event envelope: ${"message" in env.left ? env.left.message : env.left._tag}`,
      );
    const e = env.right;
    if (e.streamId !== head.streamId) return E.left(`events[${i}] is of ${e.streamId}, not ${head.streamId}`);
    if (e.revision <= previous) return E.left(`events[${i}] (r${e.revision}) is not after r${previous}`);
    previous = e.revision;
    let own: string;
    try {
      own = hashEvent(e.prevHash, e);
    } catch {
      return E.left(`r${e.revision} has no canonical form`);
    }
    if (own !== e.hash)
      return E.left(`r${e.revision} was changed: it hashes to ${own}, not its sealed ${e.hash}`);
    const p = proofs[i]!;
    if (p.leafIndex !== e.revision)
      return E.left(`the proof of r${e.revision} is for leaf ${p.leafIndex}: the leaf index is the revision`);
    const path: Buffer[] = [];
    for (const n of p.path) {
      const d = node(n);
      if (d === null)
        return E.left(`the proof of r${e.revision} names node ${n}, which the bundle does not have`);
      path.push(d);
    }
    const inc = verifyInclusion(
      p.leafIndex,
      head.size,
      eventLeafHash(e.hash),
      path,
      Buffer.from(head.root, "hex"),
    );
    if (E.isLeft(inc)) return E.left(`r${e.revision} is not in the signed tree: ${inc.left.message}`);
    if (!mentions(e, reservationId))
      return E.left(`r${e.revision} is not an event of reservation ${reservationId}`);
    const d = decodeEvent(e);
    if (E.isLeft(d)) return E.left(`r${e.revision} does not decode: ${d.left._tag}`);
    facts.push({ revision: e.revision, occurredAt: e.occurredAt, event: d.right.event });
  }
  const opening = facts[0]!;
  if (opening.event.type !== "ReservationPlaced" && opening.event.type !== "ReservationRejected")
    return E.left(`the reservation's first event is ${opening.event.type}, not its placement or rejection`);
  const cosigned = new Set<string>();
  for (const c of b.right.cosignatures ?? [])
    for (const pem of witnesses?.keys ?? []) {
      const ok = cosignatureValid({ head, witness: c.witness, signature: c.signature }, pem);
      if (E.isRight(ok) && ok.right) cosigned.add(c.witness);
    }
  if (witnesses !== null && cosigned.size < witnesses.count)
    return E.left(
      `the head has ${cosigned.size} valid co-signature(s) by the given witnesses, ${witnesses.count} required`,
    );
  return E.right({
    streamId: head.streamId,
    reservationId,
    checkpointRevision: head.revision,
    events: facts,
    treeSize: head.size,
    root: head.root,
    witnesses: [...cosigned],
  });
};
