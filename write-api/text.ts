import * as t from "io-ts";

/**
 * Text a person writes (names, descriptions, tags) and opaque tokens, as the write API accepts them:
 * no control characters (Unicode category Cc: U+0000–U+001F, U+007F, U+0080–U+009F), except the line
 * breaks and tabs a multi-line text may hold. A control character is never part of what a person means
 * to say, and some (NUL) cannot be stored by every view. These refine only the request bodies: the event
 * and command codecs still decode whatever the log already holds.
 */
const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_LINES = /[^\P{Cc}\t\n\r]/u;

export const personText = (
  name: string,
  opts: { readonly min: number; readonly max: number; readonly multiline?: boolean },
) => {
  const control = opts.multiline === true ? CONTROL_EXCEPT_LINES : CONTROL;
  const lines = opts.multiline === true ? ", line breaks and tabs allowed" : "";
  return t.refinement(
    t.string,
    (s) => s.length >= opts.min && s.length <= opts.max && !control.test(s),
    `${name} (${opts.min}–${opts.max} characters, no control characters${lines})`,
  );
};
