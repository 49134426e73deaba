/**
 * A map with cheap persistent versions, so that a batch of decisions can work on "a copy" of a large SKU
 * state without copying it (fat-node persistence over a linear history).
 *
 * All versions of one lineage share one `Map` whose entries are short chains of (version, value) nodes,
 * newest first. A view reads the newest node not newer than its own version, so an older view keeps
 * seeing exactly what it saw. `fork()` of the newest view is O(1): it opens the next version. Forking an
 * older view (a branch, e.g. a handler retrying from the state before a failed append) copies that
 * version out in O(n) — correct, just slower, and rare.
 *
 * Ownership: only the holder of the newest view, fresh from `fork()` and not yet handed out, may `set`.
 * Writing through an older view is a bug and throws. Entries are never deleted (reservations, orders,
 * shoppers and decided requests only accumulate); values are never `undefined`. History costs one node
 * per write, i.e. memory in proportion to the events applied, like the state itself.
 */
interface Node<V> {
  readonly version: number;
  value: V;
  readonly prev: Node<V> | undefined;
}

interface Lineage<K, V> {
  readonly entries: Map<K, Node<V>>;
  /** The newest version opened by `fork()`. */
  newest: number;
  /**
   * The key looked up last and its chain's head (`undefined`: no entry), so that the usual
   * read-then-write of one key (`has` in a decision, `set` when its event is applied) looks the key up
   * once. Only a write of that same key changes its head, and every write updates this.
   */
  lastKey: K | undefined;
  lastHead: Node<V> | undefined;
  hasLast: boolean;
}

const newLineage = <K, V>(entries: Map<K, Node<V>>, newest: number): Lineage<K, V> => ({
  entries,
  newest,
  lastKey: undefined,
  lastHead: undefined,
  hasLast: false,
});

export class VersionedMap<K, V> {
  private constructor(
    private readonly lineage: Lineage<K, V>,
    private readonly version: number,
  ) {}

  static empty<K, V>(): VersionedMap<K, V> {
    return new VersionedMap<K, V>(newLineage(new Map(), 0), 0);
  }

  /** The newest node of `key`'s chain, in any version. */
  private head(key: K): Node<V> | undefined {
    const l = this.lineage;
    if (l.hasLast && l.lastKey === key) return l.lastHead;
    const node = l.entries.get(key);
    l.lastKey = key;
    l.lastHead = node;
    l.hasLast = true;
    return node;
  }

  private setHead(key: K, node: Node<V>): void {
    const l = this.lineage;
    l.entries.set(key, node);
    l.lastKey = key;
    l.lastHead = node;
    l.hasLast = true;
  }

  get(key: K): V | undefined {
    let node = this.head(key);
    while (node !== undefined && node.version > this.version) node = node.prev;
    return node?.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Write in this version. Only on the newest view, by its owner (see the class comment). */
  set(key: K, value: V): void {
    if (this.version !== this.lineage.newest)
      throw new Error("VersionedMap: write through a superseded version");
    const node = this.head(key);
    if (node !== undefined && node.version === this.version) node.value = value;
    else this.setHead(key, { version: this.version, value, prev: node });
  }

  /**
   * `set(key, f(get(key)))` with one lookup instead of two (the maps of a large SKU are big, and each
   * lookup is a cache miss). Same ownership rule as `set`.
   */
  update(key: K, f: (current: V | undefined) => V): void {
    if (this.version !== this.lineage.newest)
      throw new Error("VersionedMap: write through a superseded version");
    const node = this.head(key);
    if (node !== undefined && node.version === this.version) node.value = f(node.value);
    else this.setHead(key, { version: this.version, value: f(node?.value), prev: node });
  }

  /** A writable successor sharing every entry; its writes never show through this view. */
  fork(): VersionedMap<K, V> {
    if (this.version === this.lineage.newest) {
      this.lineage.newest += 1;
      return new VersionedMap<K, V>(this.lineage, this.lineage.newest);
    }
    const entries = new Map<K, Node<V>>();
    for (const [key, value] of this.toMap()) entries.set(key, { version: 0, value, prev: undefined });
    return new VersionedMap<K, V>(newLineage(entries, 0), 0);
  }

  /** Every entry of this version as a plain Map. O(n). */
  toMap(): Map<K, V> {
    const out = new Map<K, V>();
    for (const key of this.lineage.entries.keys()) {
      const value = this.get(key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }
}
