import * as E from "fp-ts/lib/Either.js";
import { type Digest, HASH_SIZE, hashChildren } from "./hash.ts";

/** Why a proof does not verify. */
export interface ProofRejected {
  readonly _tag: "ProofRejected";
  readonly message: string;
}

const reject = (message: string): E.Either<ProofRejected, never> =>
  E.left({ _tag: "ProofRejected", message });

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;
const badNode = (ds: ReadonlyArray<Uint8Array>) => ds.findIndex((d) => d.length !== HASH_SIZE);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * RFC 9162 §2.1.3.2: the root an inclusion proof leads to from `leafHash` at `index` in a tree of
 * `size` leaves, or why the proof cannot be one (too long or too short for that index and size).
 */
export const rootFromInclusionProof = (
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: ReadonlyArray<Uint8Array>,
): E.Either<ProofRejected, Digest> => {
  if (!isSize(index) || !isSize(size)) return reject("the leaf index and tree size must be whole numbers");
  if (index >= size) return reject(`leaf index ${index} is not below tree size ${size}`);
  if (leafHash.length !== HASH_SIZE)
    return reject(`the leaf hash has ${leafHash.length} bytes, not ${HASH_SIZE}`);
  const bad = badNode(proof);
  if (bad >= 0) return reject(`proof node ${bad} has ${proof[bad]!.length} bytes, not ${HASH_SIZE}`);
  // fn and sn exceed 2^31 only in trees of over two billion leaves; plain division keeps them exact.
  let fn = index;
  let sn = size - 1;
  let r: Digest = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return reject("the inclusion proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = hashChildren(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return reject("the inclusion proof is shorter than the path from the leaf to the root");
  return E.right(r);
};

/** RFC 9162 §2.1.3.2: is `leafHash` the leaf at `index` of the tree of `size` leaves with `root`? */
export const verifyInclusion = (
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: ReadonlyArray<Uint8Array>,
  root: Uint8Array,
): E.Either<ProofRejected, true> =>
  E.chain((r: Digest) =>
    same(r, root)
      ? E.right(true as const)
      : reject(
          `the inclusion proof leads to root ${Buffer.from(r).toString("hex")}, not the head's ${Buffer.from(root).toString("hex")}`,
        ),
  )(rootFromInclusionProof(index, size, leafHash, proof));

/**
 * RFC 9162 §2.1.4.2: does the tree of `size2` leaves with `root2` extend (keep unchanged as its first
 * `size1` leaves) the tree of `size1` leaves with `root1`? Edge cases as RFC 6962-bis verifiers treat
 * them: size1 = size2 needs an empty proof and equal roots; size1 = 0 is refused (a proof from the
 * empty tree is meaningless; transparency-dev/merkle refuses it too).
 */
export const verifyConsistency = (
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: ReadonlyArray<Uint8Array>,
): E.Either<ProofRejected, true> => {
  if (!isSize(size1) || !isSize(size2)) return reject("tree sizes must be whole numbers");
  if (size2 < size1) return reject(`the new tree (${size2} leaves) is smaller than the old one (${size1})`);
  const bad = badNode(proof);
  if (bad >= 0) return reject(`proof node ${bad} has ${proof[bad]!.length} bytes, not ${HASH_SIZE}`);
  // As transparency-dev/merkle: a proof from the empty tree proves nothing, so none is accepted.
  if (size1 === 0) return reject("a consistency proof from the empty tree is meaningless");
  if (size1 === size2) {
    if (proof.length > 0) return reject("trees of the same size need an empty consistency proof");
    return same(root1, root2)
      ? E.right(true)
      : reject(`two different roots for the same size ${size1}: the history was rewritten`);
  }
  if (proof.length === 0) return reject("the consistency proof is empty");
  // Step 2: when size1 is a power of two the old root is itself a node of the new tree and opens the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Digest = Buffer.from(path[0]!);
  let sr: Digest = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return reject("the consistency proof is longer than needed");
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else sr = hashChildren(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return reject("the consistency proof is shorter than needed");
  if (!same(fr, root1))
    return reject("the proof does not lead to the old root: the old tree is not a prefix of the new one");
  if (!same(sr, root2)) return reject("the proof does not lead to the new root");
  return E.right(true);
};
