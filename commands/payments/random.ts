/** A uniform draw in [0, 1): `Math.random` in production, seeded in tests. */
export type RandomSource = () => number;
