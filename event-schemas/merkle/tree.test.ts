import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Digest, EMPTY_ROOT, eventLeafHash, hashChildren, hashLeaf, splitPoint } from "./hash.ts";
import { CompactRange } from "./compact-range.ts";
import { MerkleTree } from "./tree.ts";
import { verifyConsistency, verifyInclusion } from "./verify.ts";

/** RFC 9162 §2.1.1 MTH written as the RFC writes it: the slow reference the fast tree must match. */
const mth = (leaves: ReadonlyArray<Digest>): Digest => {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
};

const leavesOf = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`leaf ${seed} ${i}`)));

const flip = (d: Digest, bit: number): Digest => {
  const c = Buffer.from(d);
  c[(bit >> 3) % 32]! ^= 1 << (bit & 7);
  return c;
};

const sizes = fc.integer({ min: 1, max: 300 });

describe("MerkleTree", () => {
  it("every root of every prefix equals the RFC's recursive MTH", () => {
    fc.assert(
      fc.property(sizes, fc.nat(), (n, seed) => {
        const leaves = leavesOf(n, seed);
        const tree = MerkleTree.fromLeafHashes(leaves);
        for (const m of [0, 1, Math.floor(n / 2), n - 1, n])
          expect(tree.root(m).equals(mth(leaves.slice(0, m)))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("every inclusion proof verifies, and one flipped bit, another index or another leaf does not", () => {
    fc.assert(
      fc.property(
        sizes.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        fc.nat(),
        fc.nat(),
        ([n, m], pick, bit) => {
          const tree = MerkleTree.fromLeafHashes(leavesOf(n, pick));
          const i = pick % m;
          const proof = tree.inclusionProof(i, m);
          const root = tree.root(m);
          expect(verifyInclusion(i, m, tree.leafHash(i), proof, root)).toEqual(E.right(true));
          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(m)));
          if (proof.length > 0) {
            const j = bit % proof.length;
            const bad = proof.map((p, k) => (k === j ? flip(p, bit) : p));
            expect(E.isLeft(verifyInclusion(i, m, tree.leafHash(i), bad, root))).toBe(true);
          }
          if (m > 1) {
            const other = (i + 1 + (bit % (m - 1))) % m;
            expect(E.isLeft(verifyInclusion(other, m, tree.leafHash(i), proof, root))).toBe(true);
            expect(E.isLeft(verifyInclusion(i, m, tree.leafHash(other), proof, root))).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("every consistency proof verifies, and fails against a rewritten old tree or a flipped bit", () => {
    fc.assert(
      fc.property(
        sizes.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        fc.nat(),
        fc.nat(),
        ([n, m], seed, bit) => {
          const leaves = leavesOf(n, seed);
          const tree = MerkleTree.fromLeafHashes(leaves);
          const proof = tree.consistencyProof(m, n);
          expect(verifyConsistency(m, n, tree.root(m), tree.root(), proof)).toEqual(E.right(true));
          // The same first m leaves but one of them rewritten: the new tree no longer extends the old one.
          const rewritten = [...leaves];
          const at = bit % m;
          rewritten[at] = hashLeaf(Buffer.from(`rewritten ${seed}`));
          const forged = MerkleTree.fromLeafHashes(rewritten);
          const forgedProof = forged.consistencyProof(m, n);
          expect(E.isLeft(verifyConsistency(m, n, tree.root(m), forged.root(), forgedProof))).toBe(true);
          if (proof.length > 0) {
            const j = bit % proof.length;
            const bad = proof.map((p, k) => (k === j ? flip(p, bit) : p));
            expect(E.isLeft(verifyConsistency(m, n, tree.root(m), tree.root(), bad))).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a tree over event hashes has the RFC's root over their leaf hashes (and odd hex takes the general path)", () => {
    fc.assert(
      fc.property(sizes, fc.nat(), (n, seed) => {
        const hexes = leavesOf(n, seed).map((d) => d.toString("hex"));
        hexes[seed % n] =
          seed % 3 === 0 ? hexes[seed % n]!.toUpperCase() : `${hexes[seed % n]!.slice(0, 63)}z`;
        const tree = MerkleTree.fromEventHashes(hexes);
        expect(tree.root().equals(mth(hexes.map(eventLeafHash)))).toBe(true);
        expect(tree.leafHash(seed % n).equals(eventLeafHash(hexes[seed % n]!))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("appending one leaf at a time gives the same tree as building at once", () => {
    const leaves = leavesOf(1025, 7);
    const t = new MerkleTree();
    for (const [i, l] of leaves.entries()) {
      t.append(l);
      if (i % 97 === 0 || i > 1020) expect(t.root().equals(mth(leaves.slice(0, i + 1)))).toBe(true);
    }
  });

  it("refuses sizes and indexes beyond the leaves it has", () => {
    const t = MerkleTree.fromLeafHashes(leavesOf(5, 1));
    expect(() => t.root(6)).toThrow(RangeError);
    expect(() => t.inclusionProof(5, 5)).toThrow(RangeError);
    expect(() => t.consistencyProof(6, 5)).toThrow(RangeError);
  });
});

describe("CompactRange", () => {
  it("has the same root as the full tree at every size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.nat(), (n, seed) => {
        const leaves = leavesOf(n, seed);
        const c = new CompactRange();
        for (const l of leaves) c.append(l);
        expect(c.size).toBe(n);
        expect(c.root().equals(mth(leaves))).toBe(true);
      }),
      { numRuns: 80 },
    );
  });
});
