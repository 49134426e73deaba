import canonicalize from "canonicalize";

/**
 * RFC 8785 (JCS) canonical JSON, from the reference implementation's author (`canonicalize`).
 * The hash chain is computed over these bytes, so two writers that agree on the value agree on the hash.
 *
 * @example canonicalJson({ b: 1, a: 2 }) === '{"a":2,"b":1}'
 */
export const canonicalJson = (value: unknown): string => {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError("value has no JSON representation");
  return out;
};
