/**
 * ISO instants (`YYYY-MM-DDTHH:mm:ss.sssZ`, what `Date.prototype.toISOString` writes) to epoch
 * milliseconds and back, by integer arithmetic on the calendar: every command's `now` and every hold's
 * deadline goes through these, and `Date.parse` / `toISOString` were a tenth of decision replay's time.
 * Same answers as the engine's, by construction and by `instant.test.ts` on random instants: the
 * arithmetic takes only what is plainly one instant (years 1970–9999, real calendar dates, times below
 * 24:00:00, whole milliseconds); anything else is left to `Date`. Pure: no caches.
 */

/** Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
};

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!);

/** The number written by `length` ASCII digits at `at`, or -1 if any is not a digit. */
const digits = (s: string, at: number, length: number): number => {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
};

const SEPARATORS: ReadonlyArray<readonly [number, number]> = [
  [4, 45], // -
  [7, 45], // -
  [10, 84], // T
  [13, 58], // :
  [16, 58], // :
  [19, 46], // .
  [23, 90], // Z
];

/** `Date.parse(iso)`: the same number, NaN included. */
export const parseInstant = (iso: string): number => {
  if (iso.length !== 24) return Date.parse(iso);
  for (const [at, c] of SEPARATORS) if (iso.charCodeAt(at) !== c) return Date.parse(iso);
  const y = digits(iso, 0, 4);
  const m = digits(iso, 5, 2);
  const d = digits(iso, 8, 2);
  const h = digits(iso, 11, 2);
  const mi = digits(iso, 14, 2);
  const s = digits(iso, 17, 2);
  const ms = digits(iso, 20, 3);
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || h < 0 || h > 23 || mi < 0 || mi > 59)
    return Date.parse(iso);
  if (s < 0 || s > 59 || ms < 0) return Date.parse(iso);
  return ((daysFromCivil(y, m, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms;
};

/** The largest instant of year 9999, the last `toISOString` writes with four year digits. */
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;
/** "00"…"99" and "000"…"999": the fields of an instant, written without formatting a number each time. */
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `new Date(ms).toISOString()`: the same text (and the same RangeError for an invalid time). */
export const formatInstant = (ms: number): string => {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  // civil_from_days (H. Hinnant), for days >= 0.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(inDay / 3_600_000);
  const mi = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${TWO[Math.floor(y / 100)]}${TWO[y % 100]}-${TWO[m]}-${TWO[d]}T${TWO[h]}:${TWO[mi]}:${TWO[s]}.${THREE[inDay % 1000]}Z`;
};
