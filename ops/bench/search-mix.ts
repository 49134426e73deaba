/**
 * The product catalogue and the query mix of `npm run bench:read`: names made of a colour, a material, a
 * garment and a model code; queries drawn Zipf-like (s = 1) from the words and word pairs of those names,
 * some with a filter or asking for page 2, plus a 10 % long tail: a model code (matches one product)
 * or a misspelled word (the exact query finds nothing, the fuzzy one does). Seeded: every run asks the
 * same sequence.
 */
export const COLOURS = [
  "red",
  "blue",
  "black",
  "white",
  "green",
  "grey",
  "navy",
  "olive",
  "sand",
  "rust",
  "pink",
  "teal",
];
export const MATERIALS = [
  "cotton",
  "linen",
  "wool",
  "denim",
  "fleece",
  "silk",
  "hemp",
  "canvas",
  "jersey",
  "tweed",
];
export const GARMENTS = [
  "tee",
  "hoodie",
  "scarf",
  "cap",
  "sock",
  "jacket",
  "shirt",
  "sweater",
  "beanie",
  "shorts",
  "trousers",
  "dress",
  "parka",
  "gloves",
];

export const pick = <A>(xs: ReadonlyArray<A>, k: number): A => xs[k % xs.length] as A;

export const productName = (i: number): string =>
  `${pick(COLOURS, i)} ${pick(MATERIALS, Math.floor(i / 12))} ${pick(GARMENTS, Math.floor(i / 7))} hx${i}`;

/** mulberry32: a small seeded PRNG. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A generator of query strings (`q=…&…`) for `GET /v1/products`. */
export const queryMix = (products: number, seed: number): (() => string) => {
  const random = prng(seed);
  const pairs = new Set<string>();
  for (let i = 0; i < products; i++) {
    const [c, m, g] = productName(i).split(" ");
    pairs.add(`${c} ${g}`);
    pairs.add(`${m} ${g}`);
  }
  const candidates = [...COLOURS, ...MATERIALS, ...GARMENTS, ...pairs];
  // A fixed shuffle decides which candidates are popular.
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j] as string, candidates[i] as string];
  }
  const cdf: number[] = [];
  let sum = 0;
  for (let r = 1; r <= candidates.length; r++) {
    sum += 1 / r;
    cdf.push(sum);
  }
  const zipf = () => {
    const u = random() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return candidates[lo] as string;
  };
  const misspell = (word: string) => {
    const at = Math.floor(random() * word.length);
    const letter = String.fromCharCode(97 + Math.floor(random() * 26));
    return word.slice(0, at) + letter + word.slice(at + 1);
  };
  return () => {
    let q: string;
    const tail = random();
    if (tail < 0.05) q = `hx${Math.floor(random() * products)}`;
    else if (tail < 0.1) q = zipf().split(" ").map(misspell).join(" ");
    else q = zipf();
    const f = random();
    const filter =
      f < 0.75 ? "" : f < 0.9 ? "&inStock=true" : `&maxPriceCents=${(1 + Math.floor(random() * 5)) * 2000}`;
    const page = random() < 0.1 ? "&page=2" : "";
    return `q=${encodeURIComponent(q)}${filter}${page}&size=20`;
  };
};
