/**
 * The message of whatever was thrown or rejected: an `Error`'s `message`, anything else as text. For
 * turning a caught value into the `message` of an error value, a log line or a CLI's one-line answer.
 */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
