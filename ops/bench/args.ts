/** `--name value` from the bench's argv, or `undefined`. */
export const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** `--name N` as a positive whole number (`fallback` when absent); anything else stops the bench. */
export const positiveIntArg = (name: string, fallback: number): number => {
  const raw = argValue(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
};
