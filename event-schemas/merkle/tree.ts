import { hash as digest } from "node:crypto";
import { type Digest, EMPTY_ROOT, eventLeafHash, HASH_SIZE, hashChildren, splitPoint } from "./hash.ts";

/** One level of the tree: its complete nodes, left to right, 32 bytes each, in one growable buffer. */
class Level {
  buf = Buffer.alloc(HASH_SIZE * 64);
  count = 0;
  private room(): void {
    if ((this.count + 1) * HASH_SIZE > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.count * HASH_SIZE);
      this.buf = bigger;
    }
  }
  push(d: Uint8Array): void {
    this.room();
    this.buf.set(d, this.count * HASH_SIZE);
    this.count += 1;
  }
  /**
   * Push SHA-256(input). The digest comes back as a "binary" (latin1) string and is written straight into the
   * level: a Buffer result per hash cost about as much as the hash itself (tree building is two
   * hashes per leaf).
   */
  pushHashOf(input: Uint8Array): void {
    this.room();
    this.buf.write(digest("sha256", input, "binary"), this.count * HASH_SIZE, HASH_SIZE, "binary");
    this.count += 1;
  }
  at(i: number): Digest {
    return this.buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

// Scratch inputs for the tree's own hashing (synchronous, so one of each is enough).
const leafScratch = Buffer.alloc(1 + HASH_SIZE); // 0x00 ‖ event hash
const nodeScratch = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;

/**
 * An append-only RFC 9162 Merkle tree that keeps every complete subtree (about 2n hashes, 64 MB for a
 * million leaves), so the root of any earlier size and every inclusion or consistency proof come in
 * O(log n) hash operations, and appending costs one leaf plus, amortised, one node hash.
 *
 * The node covering leaves [i·2^l, (i+1)·2^l) is stored at level l, index i, once all its leaves are in.
 * Every subtree RFC 9162's recursion asks for is either such a complete node or splits at its largest
 * power of two into one complete node and a smaller right part, so `subtreeHash` needs at most
 * log2(n) hashes.
 *
 * @example
 *   const tree = MerkleTree.fromEventHashes(events.map((e) => e.hash));
 *   const proof = tree.inclusionProof(13);          // siblings, leaf first
 *   verifyInclusion(13, tree.size, tree.leafHash(13), proof, tree.root()); // Right(true)
 */
export class MerkleTree {
  private readonly levels: Level[] = [new Level()];

  static fromLeafHashes(leaves: Iterable<Uint8Array>): MerkleTree {
    const t = new MerkleTree();
    for (const l of leaves) t.append(l);
    return t;
  }

  /** A tree over events' chain hashes (hex), in revision order. */
  static fromEventHashes(hashes: Iterable<string>): MerkleTree {
    const t = new MerkleTree();
    for (const h of hashes) t.appendEventHash(h);
    return t;
  }

  get size(): number {
    return this.levels[0]!.count;
  }

  /** Add the next leaf (its leaf hash, `hashLeaf(input)`). */
  append(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) throw new Error(`a leaf hash has ${HASH_SIZE} bytes`);
    this.levels[0]!.push(leafHash);
    this.closeSubtrees();
  }

  /** Add the next event by its chain hash (hex): the leaf is `SHA-256(0x00 ‖ the hash's 32 bytes)`. */
  appendEventHash(hex: string): void {
    if (hex.length === 2 * HASH_SIZE && leafScratch.write(hex, 1, HASH_SIZE, "hex") === HASH_SIZE) {
      this.levels[0]!.pushHashOf(leafScratch);
      this.closeSubtrees();
    } else this.append(eventLeafHash(hex)); // not 64 hex digits: whatever the general path makes of it
  }

  /**
   * Close every subtree the new leaf completes: while a level has an even count, its last two nodes
   * are siblings whose parent, `SHA-256(0x01 ‖ left ‖ right)`, is now complete. The siblings are
   * adjacent in their level's buffer, so they are copied behind the prefix in one go.
   */
  private closeSubtrees(): void {
    for (let l = 0; this.levels[l]!.count % 2 === 0; l++) {
      const lv = this.levels[l]!;
      lv.buf.copy(nodeScratch, 1, (lv.count - 2) * HASH_SIZE, lv.count * HASH_SIZE);
      if (this.levels.length === l + 1) this.levels.push(new Level());
      this.levels[l + 1]!.pushHashOf(nodeScratch);
    }
  }

  leafHash(index: number): Digest {
    this.checkRange(index, this.size - 1, "leaf index");
    return this.levels[0]!.at(index);
  }

  /** The tree head's root hash over the first `size` leaves (default all). */
  root(size = this.size): Digest {
    this.checkRange(size, this.size, "tree size");
    return size === 0 ? Buffer.from(EMPTY_ROOT) : this.subtreeHash(0, size);
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path, nearest the leaf first. */
  inclusionProof(index: number, size = this.size): Digest[] {
    this.checkRange(size, this.size, "tree size");
    if (!(index >= 0 && index < size))
      throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
    const out: Digest[] = [];
    this.path(index, 0, size, out);
    return out;
  }

  /** RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]); empty when size1 is 0 or equals size2. */
  consistencyProof(size1: number, size2 = this.size): Digest[] {
    this.checkRange(size2, this.size, "tree size");
    if (!(size1 >= 0 && size1 <= size2)) throw new RangeError(`size ${size1} is not within 0…${size2}`);
    const out: Digest[] = [];
    if (size1 > 0 && size1 < size2) this.subproof(size1, 0, size2, true, out);
    return out;
  }

  private path(m: number, start: number, end: number, out: Digest[]): void {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < start + k) {
      this.path(m, start, start + k, out);
      out.push(this.subtreeHash(start + k, end));
    } else {
      this.path(m, start + k, end, out);
      out.push(this.subtreeHash(start, start + k));
    }
  }

  /** SUBPROOF(m, D[start:end], b) with m counted from `start`. */
  private subproof(m: number, start: number, end: number, b: boolean, out: Digest[]): void {
    const n = end - start;
    if (m === n) {
      if (!b) out.push(this.subtreeHash(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, start + k, b, out);
      out.push(this.subtreeHash(start + k, end));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(this.subtreeHash(start, start + k));
    }
  }

  /** MTH(D[start:end]) for the subtrees RFC 9162's recursion visits (see the class comment). */
  private subtreeHash(start: number, end: number): Digest {
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = 31 - Math.clz32(n);
      if (level < this.levels.length) return this.levels[level]!.at(start / n);
    }
    const k = splitPoint(n);
    return hashChildren(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  }

  private checkRange(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} ${v} is not within 0…${max}`);
  }
}
