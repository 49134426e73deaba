import { type Digest, EMPTY_ROOT, eventLeafHash, hashChildren } from "./hash.ts";

/**
 * The root of a growing tree in O(log n) memory: the roots of its perfect subtrees ("peaks", largest
 * first), as a log or a publisher keeps them to sign a head every few events without storing the leaves.
 * Appending merges equal-sized peaks (amortised one node hash per leaf); `root()` folds the peaks right
 * to left, which is exactly RFC 9162's MTH (the right part of every split is the smaller peaks).
 */
export class CompactRange {
  private readonly peaks: Digest[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leafHash: Uint8Array): void {
    let node: Digest = Buffer.from(leafHash);
    // Each trailing 1 bit of the old size is a peak the new leaf completes.
    for (let n = this.count; n % 2 === 1; n = Math.floor(n / 2)) node = hashChildren(this.peaks.pop()!, node);
    this.peaks.push(node);
    this.count += 1;
  }

  appendEventHash(hex: string): void {
    this.append(eventLeafHash(hex));
  }

  root(): Digest {
    if (this.peaks.length === 0) return Buffer.from(EMPTY_ROOT);
    let acc = this.peaks[this.peaks.length - 1]!;
    for (let i = this.peaks.length - 2; i >= 0; i--) acc = hashChildren(this.peaks[i]!, acc);
    return acc;
  }
}
