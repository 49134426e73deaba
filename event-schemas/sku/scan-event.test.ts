import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical-json.ts";
import { type DecodedEvent, decodeEvent, type EventDraft, type EventEnvelope } from "../envelope.ts";
import { sealEvents } from "../hash-chain.ts";
import { chainHash } from "../chain-hash.ts";
import * as t from "io-ts";
import * as P from "../primitives.ts";
import { dataCodecs, RejectionReason, type SkuEvent } from "./events.ts";
import { HASH_MEMBER_LENGTH } from "../sealed-text.ts";
import { type ScannedEvent, scanEvent, scannedHashMatches } from "./scan-event.ts";

// The reference: the whole text parsed, then the io-ts codecs (envelope, upcast, data).
const reference = (text: string): DecodedEvent | null => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const d = decodeEvent(raw);
  return E.isRight(d) ? d.right : null;
};

/** The stored text's own hash check, as the store makes it (the last `,"hash":"` member, cut out). */
const storedHashMatches = (text: string, env: EventEnvelope): boolean => {
  const at = text.lastIndexOf(',"hash":"');
  return (
    at >= 0 &&
    text.startsWith(env.hash, at + 9) &&
    text.charCodeAt(at + HASH_MEMBER_LENGTH - 1) === 34 &&
    chainHash(env.prevHash, text.slice(0, at) + text.slice(at + HASH_MEMBER_LENGTH)) === env.hash
  );
};

/** Same value and the same member order as the reference (what `JSON.stringify` would show). */
const expectSame = (s: ScannedEvent, r: DecodedEvent) => {
  expect(s.envelope).toStrictEqual(r.envelope);
  expect(s.event).toStrictEqual(r.event);
  expect(JSON.stringify(s.envelope)).toBe(JSON.stringify(r.envelope));
  expect(s.envelope.data).toBe(s.event.data);
};

// Free strings: any Unicode, escapes included (quotes, backslashes, control characters, U+2028).
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", '"', "\\", "\n\t\u0000\u001f", "\u2028\u2029", "é€😀", 'a"b\\c', "\u007f"),
);
const uuid = fc.uuid();
const identifier = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const instant = fc
  .date({
    min: new Date("1970-01-01T00:00:00.000Z"),
    max: new Date("9999-12-31T23:59:59.999Z"),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());
const quantity = fc.integer({ min: 1, max: 1_000_000 });
const count = fc.oneof(fc.nat({ max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.nat());
const cents = fc.integer({ min: 0, max: 1_000_000_000_00 });
const currency = fc.stringMatching(/^[A-Z]{3}$/);
const tag = fc.string({ unit: "binary", minLength: 1, maxLength: 64 }).filter((s) => s.length <= 64);
const reason = fc.constantFrom(
  "sold-out",
  "insufficient-stock",
  "limit-exceeded",
  "sale-not-open",
  "sale-closed",
);

/** What each codec of the data codecs accepts, as an arbitrary (composite ones by their name). */
const arbitraries = new Map<unknown, fc.Arbitrary<unknown>>([
  [P.Uuid, uuid],
  [P.Identifier, identifier],
  [P.IsoInstant, instant],
  [P.Currency, currency],
  [RejectionReason, reason],
  [t.string, text],
  [t.boolean, fc.boolean()],
  [P.Quantity, quantity],
  [P.PerUserLimit, quantity],
  [P.Count, count],
  [P.Cents, cents],
  [P.HoldSeconds, fc.integer({ min: 1, max: 86_400 })],
  ["(IsoInstant | null)", fc.option(instant, { nil: null })],
  ["ReadonlyArray<Tag>", fc.array(tag, { maxLength: 4 })],
]);
const arbitraryOf = (codec: t.Mixed): fc.Arbitrary<unknown> => {
  const a = arbitraries.get(codec) ?? arbitraries.get(codec.name);
  if (a === undefined) throw new Error(`no arbitrary for ${codec.name}: add one`);
  return a;
};

/** Any current-version event: its data built member by member from the type's codec. */
const event: fc.Arbitrary<SkuEvent> = fc.oneof(
  ...Object.entries(dataCodecs).map(([type, codec]) => {
    const props = (codec as unknown as { readonly props: Readonly<Record<string, t.Mixed>> }).props;
    const members = Object.fromEntries(Object.entries(props).map(([k, c]) => [k, arbitraryOf(c)]));
    return fc.record(members).map((data) => ({ type, data }) as unknown as SkuEvent);
  }),
);

const draft: fc.Arbitrary<EventDraft> = fc.record({
  eventId: uuid,
  event,
  occurredAt: instant,
  requestId: text,
  correlationId: text,
  causationId: text,
  queuePosition: count,
});

/** The stored text of a sealed event, on a stream whose name is any string. */
const stored = fc
  .tuple(
    draft,
    fc.oneof(
      identifier.map((s) => `sku-${s}`),
      text,
    ),
    fc.nat({ max: 5000 }),
  )
  .map(([d, streamId, revision]) => {
    const [env] = sealEvents(
      streamId,
      revision === 0 ? null : { revision: revision - 1, hash: "ab".repeat(32) },
      [d],
    );
    return canonicalJson(env);
  });

// Properties over thousands of sealed events: seconds on a busy machine, not the default 5.
describe("scanEvent", { timeout: 60_000 }, () => {
  it("reads every sealed current-version event exactly as JSON.parse + the codecs do", () => {
    fc.assert(
      fc.property(stored, (t) => {
        const r = reference(t);
        const s = scanEvent(t);
        expect(r).not.toBeNull();
        expect(s).not.toBeNull();
        expectSame(s!, r!);
        expect(s!.hashAt).toBe(t.lastIndexOf(',"hash":"'));
        expect(scannedHashMatches(t, s!)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  // A near miss: one character deleted, inserted or replaced, at any place, by one that matters to JSON.
  const edit = fc.tuple(
    stored,
    fc.nat(),
    fc.constantFrom("delete", "insert", "replace"),
    fc.constantFrom(
      '"',
      "\\",
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      " ",
      "0",
      "1",
      "9",
      "-",
      ".",
      "e",
      "a",
      "F",
      "n",
      "t",
      "\u0001",
      "é",
      "\ud800",
    ),
  );

  it("never accepts a near miss the full decode would refuse, nor reads one differently", () => {
    let accepted = 0;
    fc.assert(
      fc.property(edit, ([t, n, how, c]) => {
        const i = n % t.length;
        const m =
          how === "delete"
            ? t.slice(0, i) + t.slice(i + 1)
            : how === "insert"
              ? t.slice(0, i) + c + t.slice(i)
              : t.slice(0, i) + c + t.slice(i + 1);
        const s = scanEvent(m);
        if (s === null) return; // the full decode answers
        accepted += 1;
        const r = reference(m);
        expect(r).not.toBeNull();
        expectSame(s, r!);
        expect(scannedHashMatches(m, s)).toBe(storedHashMatches(m, s.envelope));
      }),
      { numRuns: 2000 },
    );
    // Some edits keep the text valid (a digit for a digit, a letter inside a free string): the test saw them.
    expect(accepted).toBeGreaterThan(0);
  });

  it("never accepts a value the codecs refuse, put in canonical form", () => {
    const odd = fc.constantFrom<unknown>(
      null,
      true,
      0,
      -1,
      1.5,
      2 ** 53,
      "",
      "x",
      "A".repeat(65),
      [],
      {},
      ["a"],
      [1],
      1e21,
    );
    fc.assert(
      fc.property(stored, odd, fc.nat(), (t, value, n) => {
        const raw = JSON.parse(t) as Record<string, unknown>;
        const data = raw.data as Record<string, unknown>;
        const keys = [
          ...Object.keys(raw).filter((k) => k !== "data"),
          ...Object.keys(data).map((k) => `data.${k}`),
        ];
        const key = keys[n % keys.length]!;
        if (key.startsWith("data.")) data[key.slice(5)] = value;
        else raw[key] = value;
        const m = canonicalJson(raw);
        const s = scanEvent(m);
        const r = reference(m);
        if (s !== null) {
          expect(r).not.toBeNull();
          expectSame(s, r!);
        }
      }),
      { numRuns: 3000 },
    );
  });

  const sample = (): string =>
    fc.sample(
      stored.filter((t) => !t.includes("\\") && t.includes('"type":"ReservationPlaced"')),
      { numRuns: 1, seed: 7 },
    )[0]!;

  it("leaves text that is not in canonical form to the full decode", () => {
    const t = sample();
    const parsed = JSON.parse(t) as Record<string, unknown>;
    for (const other of [
      JSON.stringify(parsed, null, 1), // whitespace
      t.replace('"revision":', ' "revision":'),
      t.replace(/"quantity":(\d+)/, '"quantity":$1.0'),
      t.replace(/"quantity":(\d+)/, '"quantity":$1e0'),
      t.replace(/"queuePosition":(\d+)/, '"queuePosition":0$1'),
      t.replace('"data":{', '"data":{"extra":1,'), // the codecs accept an extra member; the scanner leaves it
      t.replace(',"type":', ',"zzz":1,"type":'),
      t.replace('"schemaVersion":2', '"schemaVersion":1'), // an older version, to upcast
      `${t} `,
      t.slice(0, -1),
    ]) {
      expect(other).not.toBe(t);
      expect(scanEvent(other)).toBeNull();
    }
  });

  it("reads escapes and Unicode in free strings exactly", () => {
    const t = sample();
    const r = JSON.parse(t) as EventEnvelope;
    for (const requestId of ['a"b', "back\\slash", "line\nbreak", "\u0000", "\u2028", "😀 é", "\\u0041"]) {
      const m = canonicalJson({ ...r, requestId });
      const s = scanEvent(m);
      expect(s?.envelope.requestId).toBe(requestId);
      expectSame(s!, reference(m)!);
    }
  });

  it("refuses what JSON.parse refuses inside a string (a raw control character, a bad escape)", () => {
    const t = sample();
    const at = t.indexOf('"requestId":"') + 13;
    for (const bad of ["\u0001", "\\x", "\\u12", "\\"]) {
      const m = t.slice(0, at) + bad + t.slice(at);
      expect(reference(m)).toBeNull();
      expect(scanEvent(m)).toBeNull();
    }
  });

  it("refuses a hash or prevHash with any digit that is not lower-case hex, as the codec does", () => {
    // The pattern takes any 64 characters but a quote there; the digits are checked after the match.
    const t = sample();
    const r = JSON.parse(t) as EventEnvelope;
    for (const member of ["hash", "prevHash"] as const) {
      const at = t.indexOf(`"${member}":"`) + member.length + 4;
      expect(t.slice(at, at + 64)).toBe(r[member]);
      for (const i of [0, 1, 31, 62, 63])
        for (const bad of ["A", "g", "-", "\\", " ", "é", "\u0001"]) {
          const m = t.slice(0, at + i) + bad + t.slice(at + i + 1);
          expect(reference(m)).toBeNull();
          expect(scanEvent(m)).toBeNull();
        }
    }
  });

  it("refuses an instant of the right shape that is no real time, as the codec does", () => {
    const t = sample();
    const occurred = (JSON.parse(t) as EventEnvelope).occurredAt;
    for (const bad of ["2026-13-01T00:00:00.000Z", "2026-01-01T25:00:00.000Z", "2026-01-01T00:60:00.000Z"]) {
      const m = t.replace(occurred, bad);
      expect(reference(m)).toBeNull();
      expect(scanEvent(m)).toBeNull();
    }
  });
});
