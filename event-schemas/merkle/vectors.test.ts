import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { EMPTY_ROOT, hashLeaf, toHex } from "./hash.ts";
import { MerkleTree } from "./tree.ts";
import { verifyConsistency, verifyInclusion } from "./verify.ts";

/** Published RFC 6962 test data (see testdata/README.md): our tree must agree with every other one. */
const hex = (s: string) => Buffer.from(s, "hex");
const b64 = (s: string | null) => Buffer.from(s ?? "", "base64");

// The eight reference leaf inputs and the root of every tree size 0…8 over them.
const LEAF_INPUTS = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
];
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const INCLUSION_PATHS: Array<[number, number, string[]]> = [
  [0, 1, []],
  [0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]],
  [1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]],
  [2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [
    1,
    5,
    [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  ],
  [
    0,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    5,
    8,
    [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
];
const CONSISTENCY_PATHS: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    2,
    5,
    [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  ],
  [
    6,
    8,
    [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
];

const reference = () => MerkleTree.fromLeafHashes(LEAF_INPUTS.map((l) => hashLeaf(hex(l))));

describe("RFC 6962 generation vectors", () => {
  it("the empty root is SHA-256 of nothing", () => {
    expect(toHex(EMPTY_ROOT)).toBe(ROOTS[0]);
  });

  it("computes the published root of every tree size 0…8", () => {
    const tree = reference();
    expect(ROOTS.map((_, size) => toHex(tree.root(size)))).toEqual(ROOTS);
  });

  it.each(INCLUSION_PATHS)("inclusion path of leaf %i in a tree of %i", (index, size, want) => {
    const tree = reference();
    expect(tree.inclusionProof(index, size).map(toHex)).toEqual(want);
    expect(verifyInclusion(index, size, tree.leafHash(index), want.map(hex), hex(ROOTS[size]!))).toEqual(
      E.right(true),
    );
  });

  it.each(CONSISTENCY_PATHS)("consistency proof from size %i to %i", (size1, size2, want) => {
    const tree = reference();
    expect(tree.consistencyProof(size1, size2).map(toHex)).toEqual(want);
    expect(verifyConsistency(size1, size2, hex(ROOTS[size1]!), hex(ROOTS[size2]!), want.map(hex))).toEqual(
      E.right(true),
    );
  });
});

const probes = (dir: string): Array<[string, Record<string, unknown>]> => {
  const out: Array<[string, Record<string, unknown>]> = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".json"))
        out.push([p.slice(p.indexOf("testdata")), JSON.parse(readFileSync(p, "utf8"))]);
    }
  };
  walk(new URL(`./testdata/${dir}`, import.meta.url).pathname);
  return out;
};

describe("transparency-dev/merkle verification probes", () => {
  const inclusion = probes("inclusion");
  const consistency = probes("consistency");

  it("has the whole published set", () => {
    expect(inclusion.length).toBeGreaterThanOrEqual(90);
    expect(consistency.length).toBeGreaterThanOrEqual(90);
    expect(inclusion.some(([, p]) => p.wantErr === false)).toBe(true);
    expect(inclusion.some(([, p]) => p.wantErr === true)).toBe(true);
  });

  it.each(inclusion)("%s", (_name, p) => {
    const r = verifyInclusion(
      p.leafIdx as number,
      p.treeSize as number,
      b64(p.leafHash as string | null),
      ((p.proof as string[] | null) ?? []).map(b64),
      b64(p.root as string | null),
    );
    expect(E.isLeft(r)).toBe(p.wantErr);
  });

  it.each(consistency)("%s", (_name, p) => {
    const r = verifyConsistency(
      p.size1 as number,
      p.size2 as number,
      b64(p.root1 as string | null),
      b64(p.root2 as string | null),
      ((p.proof as string[] | null) ?? []).map(b64),
    );
    expect(E.isLeft(r)).toBe(p.wantErr);
  });
});
