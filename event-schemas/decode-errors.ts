import type * as t from "io-ts";

/**
 * A short, readable account of io-ts decode errors: the first `max` failing paths and the values found
 * there (`quantity: got 0; tags.1: got null`). Used wherever a decoder refuses stored or queued data.
 */
export const describeDecodeErrors = (errors: t.Errors, max = 3): string =>
  errors
    .slice(0, max)
    .map((e) => {
      const path = e.context
        .map((c) => c.key)
        .filter(Boolean)
        .join(".");
      return `${path || "(root)"}: got ${JSON.stringify(e.value)}`;
    })
    .join("; ");
