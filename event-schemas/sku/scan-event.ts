import * as t from "io-ts";
import { chainHash } from "../chain-hash.ts";
import type { EventEnvelope } from "../envelope.ts";
import {
  HASH_DIGITS_OFFSET,
  HASH_MEMBER_LENGTH,
  PREV_HASH_DIGITS_OFFSET,
  withoutHashMember,
} from "../sealed-text.ts";
import { isHexAt, isRealInstant } from "../envelope-check.ts";
import {
  CURRENCY_PATTERN,
  Count,
  Currency,
  IDENTIFIER_PATTERN,
  ISO_INSTANT_PATTERN,
  Identifier,
  IsoInstant,
  Sha256Hex,
  Tag,
  UUID_PATTERN,
  Uuid,
} from "../primitives.ts";
import { currentVersions, dataCodecs, RejectionReason, type SkuEvent, type SkuEventType } from "./events.ts";

/**
 * A reader of stored event text that needs no `JSON.parse`: `scanEvent(text)` reads the RFC 8785
 * (JCS) text of a sealed envelope, the very string the event store keeps and the feed hands out, and
 * returns what `JSON.parse` followed by the envelope and current-version data checks would return
 * (`decodeStored` in infra/event-store/stored-text.ts, then `currentEventOf` in event-check.ts): the
 * envelope, its event at the current schema version, and where its `hash` member sits so the reader
 * can check the stored bytes against the chain (`scannedHashMatches`).
 *
 * How: one regular expression per event type, made from the codecs at load, matches the only text
 * JCS can write for an envelope of that type at its current version (top-level keys sorted, no
 * whitespace, exactly the 13 envelope members and exactly the members of the type's data codec), each
 * value in its codec's own pattern (UUID, instant, identifier, currency, hash, reason, canonical
 * integer, JSON string). What a pattern cannot say is then checked by the codec itself (number ranges
 * with the codec's `is`, real calendar instants, tag lengths). One native match replaces the generic
 * parse and the field-by-field checks; only the decoded envelope's objects are built. Whatever it
 * cannot read with certainty it does not guess at: it returns `null` and the caller takes the full
 * decode, which then accepts, upcasts or explains. `null` for: text not in canonical form
 * (whitespace, other key order, numbers such as `1.0`, `-0` or `1e3`), extra or missing members,
 * nested objects, an older schema version (to upcast), an unknown type, or any value the checks
 * refuse. Strings with escapes or any Unicode are read exactly (an escaped string is decoded by
 * `JSON.parse` of that string alone). So for every text it accepts,
 * `JSON.parse` + the codecs give the same value; `scan-event.test.ts` checks that against `decodeEvent`
 * (io-ts) on random events and on near-misses of them.
 *
 * What it does not check: the hash (call `scannedHashMatches`) and which stream the reader expected.
 *
 * Memory: V8 cuts strings of 13 characters or more out of the text as slices that keep the whole text
 * alive. The event's data strings (what a fold keeps for a whole stream: ids as map keys) are copied
 * (`own`); the envelope's own strings (ids, hashes, instants) are slices, so a reader that keeps those
 * long after the event keeps the row's text with them and should copy what it keeps.
 *
 * @example
 *   const s = scanEvent(row.storedText);
 *   if (s === null || !scannedHashMatches(row.storedText, s)) return decodeStoredEvent(row); // the full road
 *   use(s.envelope, s.event);
 */
export interface ScannedEvent {
  /** Equal to `JSON.parse(text)` (same members, same order); `envelope.data === event.data`. */
  readonly envelope: EventEnvelope;
  /** The event at its current schema version, as `currentEventOf` returns it. */
  readonly event: SkuEvent;
  /**
   * Where the top-level `,"hash":"<64 hex>"` member starts: the envelope's text without it (what the
   * chain hashes) is `withoutHashMember(text, hashAt)` (sealed-text.ts, where the member's layout lives).
   */
  readonly hashAt: number;
}

/** Whether the stored text's bytes without its hash member hash, after its prevHash, to its hash. */
export const scannedHashMatches = (text: string, s: ScannedEvent): boolean =>
  chainHash(s.envelope.prevHash, withoutHashMember(text, s.hashAt)) === s.envelope.hash;

/** Returned by a value reader whose codec refuses the value (never a JSON value). */
const NO = Symbol("refused");
type Refused = typeof NO;

/**
 * How one member's value is written: a regex fragment with exactly one capture group, and what the
 * capture becomes (`escapes`: the text holds a backslash somewhere, so a string may need decoding).
 */
interface Form {
  readonly pattern: string;
  readonly read: (raw: string | undefined, escapes: boolean) => unknown;
}

/** A JSON string's contents (RFC 8259: no raw `"`, `\` or control character; the escapes it allows). */
const STRING_CONTENT = '[^"\\\\\\x00-\\x1f]*(?:\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\\\\x00-\\x1f]*)*';
/** An integer as JCS writes it (no sign, fraction, exponent or leading zero; at most 16 digits). */
const NATURAL = "(0|[1-9][0-9]{0,15})";

const decodeString = (raw: string | undefined, escapes: boolean): string =>
  escapes && raw!.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw!;

const quoted = (pattern: string, read: Form["read"] = (raw) => raw): Form => ({
  pattern: `"(${pattern})"`,
  read,
});
const STRING = quoted(STRING_CONTENT, decodeString);
const INSTANT = quoted(ISO_INSTANT_PATTERN, (raw) => (isRealInstant(raw!) ? raw : NO));
const integer = (codec: t.Mixed): Form => ({
  pattern: NATURAL,
  read: (raw) => {
    const n = Number(raw);
    return codec.is(n) ? n : NO;
  },
});
const TAGS: Form = {
  pattern: `(\\[(?:"${STRING_CONTENT}"(?:,"${STRING_CONTENT}")*)?\\])`,
  read: (raw) => {
    const tags = JSON.parse(raw!) as string[];
    return tags.every((x) => Tag.is(x)) ? tags : NO;
  },
};

/**
 * A SHA-256 hex value: any 64 characters but a quote in the pattern, then `isHexAt` on them. The same
 * texts are accepted as with `[0-9a-f]{64}` in the pattern (a quote ends the value either way, so the
 * match is the same), at less than half the cost: on random hex digits the class test mispredicts
 * (measured: the two envelope hashes were ~0.43 µs of a ~1 µs match).
 */
const HEX64 = '"([^"]{64})"';
const SHA256: Form = { pattern: HEX64, read: (raw) => (isHexAt(raw!, 0, 64) ? raw : NO) };

const FORMS = new Map<unknown, Form>([
  [t.string, STRING],
  [t.boolean, { pattern: "(true|false)", read: (raw) => raw === "true" }],
  [Uuid, quoted(UUID_PATTERN)],
  [Identifier, quoted(IDENTIFIER_PATTERN)],
  [Currency, quoted(CURRENCY_PATTERN)],
  [Sha256Hex, SHA256],
  [IsoInstant, INSTANT],
  [RejectionReason, quoted(Object.keys(RejectionReason.keys).join("|"))],
  [
    t.union([IsoInstant, t.null]).name,
    {
      pattern: `(?:null|"(${ISO_INSTANT_PATTERN})")`,
      read: (raw) => (raw === undefined ? null : INSTANT.read(raw, false)),
    },
  ],
  [t.readonlyArray(Tag).name, TAGS],
]);

/** The form of a codec (by identity, or by name for the composite ones), or null: not scannable. */
const formOf = (codec: t.Mixed): Form | null => {
  const form = FORMS.get(codec) ?? FORMS.get(codec.name);
  if (form !== undefined) return form;
  return codec instanceof t.RefinementType && codec.type === t.number ? integer(codec) : null;
};

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An event type's pattern, the forms of its captures in order, and the fixed length of its tail. */
interface Layout {
  readonly pattern: RegExp;
  readonly data: ReadonlyArray<{ readonly key: string; readonly form: Form }>;
  /** Characters after the hash member besides the variable values (see `scanEvent`). */
  readonly tailFixed: number;
}

const layoutOf = (type: SkuEventType): Layout | null => {
  const props = (dataCodecs[type] as unknown as { readonly props: Readonly<Record<string, t.Mixed>> }).props;
  const data: { key: string; form: Form }[] = [];
  // JCS order: UTF-16 code units, as `Array.prototype.sort` compares.
  for (const key of Object.keys(props).sort()) {
    const form = formOf(props[key]!);
    if (form === null) return null;
    data.push({ key, form });
  }
  const member = (key: string, form: Form) => `"${escapeRegex(key)}":${form.pattern}`;
  const v = currentVersions[type];
  const tail = `,"schemaVersion":${v},"streamId":"","type":"${type}"}`;
  const pattern = [
    `^\\{${member("causationId", STRING)},${member("correlationId", STRING)}`,
    `,"data":\\{${data.map((m) => member(m.key, m.form)).join(",")}\\}`,
    `,${member("eventId", quoted(UUID_PATTERN))},${member("hash", SHA256)}`,
    `,${member("occurredAt", INSTANT)},${member("prevHash", SHA256)}`,
    `,"queuePosition":${NATURAL},${member("requestId", STRING)},"revision":${NATURAL}`,
    `,"schemaVersion":${v},${member("streamId", STRING)},"type":"${type}"\\}$`,
  ].join("");
  return {
    pattern: new RegExp(pattern),
    data,
    tailFixed:
      ',"occurredAt":"","prevHash":"","queuePosition":,"requestId":"","revision":'.length + tail.length,
  };
};

/** Layouts by the length of their type's name (a few names share a length): no string is cut or hashed to pick one. */
const layoutsByLength: Array<Array<readonly [SkuEventType, Layout]>> = [];
for (const type of Object.keys(currentVersions) as SkuEventType[]) {
  const layout = layoutOf(type);
  if (layout === null) continue;
  const sameLength = layoutsByLength[type.length] ?? [];
  sameLength.push([type, layout]);
  layoutsByLength[type.length] = sameLength;
}

const TYPE_MEMBER = ',"type":';

/**
 * The type an envelope's text names at its end (`…,"type":"<Type>"}`), as the codec's own string (so
 * later comparisons of `type` are cheap), with its layout: which pattern to try. A type's name has no
 * quote, so its opening quote is the last one before the closing `"}` (a search of a few characters
 * back from the end, not through the whole text).
 */
const typeAtEnd = (text: string): readonly [SkuEventType, Layout] | null => {
  if (text.charCodeAt(text.length - 1) !== 125 || text.charCodeAt(text.length - 2) !== 34) return null;
  const quote = text.lastIndexOf('"', text.length - 3);
  if (quote < TYPE_MEMBER.length || !text.startsWith(TYPE_MEMBER, quote - TYPE_MEMBER.length)) return null;
  const from = quote + 1;
  const candidates = layoutsByLength[text.length - 2 - from];
  if (candidates === undefined) return null;
  for (const c of candidates) if (text.startsWith(c[0], from)) return c;
  return null;
};

/**
 * A string of the event's data as a copy of its own, not a slice of the text: the facts are what a fold
 * keeps (reservation and user ids as map keys for a whole stream), and V8 makes any cut of 13 characters
 * or more a slice that keeps the whole row's text alive (~0.8 KB per kept id, measured).
 */
const own = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

const count = (raw: string): number | Refused => {
  const n = Number(raw);
  return Count.is(n) ? n : NO;
};

/**
 * The envelope and current-version event a stored canonical text holds, or `null` when only the full
 * decode may answer (see the file's comment). Never throws.
 */
export const scanEvent = (text: string): ScannedEvent | null => {
  const typed = typeAtEnd(text);
  if (typed === null) return null;
  const [type, layout] = typed;
  const m = layout.pattern.exec(text);
  if (m === null) return null;
  const escapes = text.includes("\\");
  const data: Record<string, unknown> = {};
  const fields = layout.data;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = f.form.read(m[3 + i], escapes);
    if (v === NO) return null;
    data[f.key] = typeof v === "string" ? own(v) : v;
  }
  let g = 3 + fields.length;
  const eventId = m[g++]!;
  const hash = m[g++]!;
  const occurredAt = m[g++]!;
  const prevHash = m[g++]!;
  const queuePositionText = m[g++]!;
  const requestIdText = m[g++]!;
  const revisionText = m[g++]!;
  const streamIdText = m[g]!;
  const queuePosition = count(queuePositionText);
  const revision = count(revisionText);
  if (queuePosition === NO || revision === NO || !isRealInstant(occurredAt)) return null;
  // The hash member starts where the tail after it (fixed text and these values, as written) begins.
  const hashAt =
    text.length -
    HASH_MEMBER_LENGTH -
    layout.tailFixed -
    occurredAt.length -
    prevHash.length -
    queuePositionText.length -
    requestIdText.length -
    revisionText.length -
    streamIdText.length;
  // The two hashes' digits (the pattern took any 64 characters but a quote, see SHA256), checked in
  // the text itself: reading characters of a slice of it cost twice as much.
  const digitsAt = hashAt + HASH_DIGITS_OFFSET;
  const prevDigitsAt = hashAt + PREV_HASH_DIGITS_OFFSET;
  if (!isHexAt(text, digitsAt, digitsAt + 64) || !isHexAt(text, prevDigitsAt, prevDigitsAt + 64)) return null;
  const envelope = {
    causationId: decodeString(m[1], escapes),
    correlationId: decodeString(m[2], escapes),
    data,
    eventId,
    hash,
    occurredAt,
    prevHash,
    queuePosition,
    requestId: decodeString(requestIdText, escapes),
    revision,
    schemaVersion: currentVersions[type],
    streamId: decodeString(streamIdText, escapes),
    type,
  } as unknown as EventEnvelope;
  return { envelope, event: { type, data } as SkuEvent, hashAt };
};
