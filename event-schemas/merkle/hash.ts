import { hash as digest } from "node:crypto";

/**
 * RFC 9162 §2.1.1 hashing with SHA-256: a leaf is `SHA-256(0x00 ‖ leaf input)`, an interior node is
 * `SHA-256(0x01 ‖ left ‖ right)`, the empty tree is `SHA-256()`. The prefixes keep a leaf from ever
 * being taken for a node (second-preimage resistance), so any RFC 6962/9162 implementation computes the
 * same root over the same leaf inputs.
 *
 * holdfast's leaf input for an event is the 32 raw bytes of its chain hash (the hex `hash` decoded), so
 * the tree commits to exactly what the chain commits to, and a verifier needs nothing but the hash.
 */
export type Digest = Buffer;

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One scratch buffer per kind: node hashing is the tree's inner loop, and a fresh 65-byte concat per
// node would cost as much as the hash itself. Safe because hashing is synchronous.
const leafScratch = Buffer.alloc(1 + HASH_SIZE);
const nodeScratch = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeScratch[0] = NODE_PREFIX;

/** `SHA-256(0x00 ‖ input)` for any leaf input. */
export const hashLeaf = (input: Uint8Array): Digest => {
  if (input.length === HASH_SIZE) {
    leafScratch[0] = LEAF_PREFIX;
    leafScratch.set(input, 1);
    return digest("sha256", leafScratch, "buffer");
  }
  const b = Buffer.alloc(1 + input.length);
  b[0] = LEAF_PREFIX;
  b.set(input, 1);
  return digest("sha256", b, "buffer");
};

/** `SHA-256(0x01 ‖ left ‖ right)`. */
export const hashChildren = (left: Uint8Array, right: Uint8Array): Digest => {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return digest("sha256", nodeScratch, "buffer");
};

/** The root of the empty tree: `SHA-256()` of no bytes. */
export const EMPTY_ROOT: Digest = digest("sha256", Buffer.alloc(0), "buffer");

/** The leaf hash of one event: its 64-hex chain hash as 32 raw bytes, leaf-hashed. */
export const eventLeafHash = (eventHashHex: string): Digest => hashLeaf(Buffer.from(eventHashHex, "hex"));

export const toHex = (d: Uint8Array): string =>
  Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("hex");
export const fromHex = (s: string): Digest => Buffer.from(s, "hex");

/** The largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k. */
export const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
