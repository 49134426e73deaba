import type * as t from "io-ts";

/**
 * Where a decode error points: the dotted path of keys from the root (`tags.1`, `data.quantity`).
 * `numericKeys: false` leaves out array indices and the member numbers io-ts gives unions and
 * intersections, for messages meant for people (`tags must be Tag`).
 *
 * @example decodeErrorPath(errors[0]) // "data.quantity"
 */
export const decodeErrorPath = (
  e: t.ValidationError,
  opts: { readonly numericKeys?: boolean } = {},
): string =>
  e.context
    .map((c) => c.key)
    .filter((k) => k !== "" && (opts.numericKeys !== false || !/^\d+$/.test(k)))
    .join(".");

/** The name of the codec a decode error's value failed (the innermost one), e.g. `Quantity`. */
export const decodeErrorExpected = (e: t.ValidationError): string =>
  e.context[e.context.length - 1]?.type.name ?? "a valid value";

/**
 * A short, readable account of io-ts decode errors: the first `max` failing paths and the values found
 * there (`quantity: got 0; tags.1: got null`). Used wherever a decoder refuses stored or queued data;
 * the HTTP APIs word their 400s from the same `decodeErrorPath`.
 */
export const describeDecodeErrors = (errors: t.Errors, max = 3): string =>
  errors
    .slice(0, max)
    .map((e) => `${decodeErrorPath(e) || "(root)"}: got ${JSON.stringify(e.value)}`)
    .join("; ");
