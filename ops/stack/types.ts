/**
 * The shapes `holdfast stack` works with: a local server it can probe, start and stop, and the
 * progress sink it reports through. Each server module (postgres.ts, redis.ts, kafka.ts,
 * elasticsearch.ts) builds one `LocalServer` from the decoded configuration.
 */

export type ServerName = "postgresql" | "redis" | "kafka" | "elasticsearch";

/** Result of one health probe: `detail` is what `status` prints (version, cluster colour, error). */
export type Health =
  | { readonly _tag: "Healthy"; readonly detail: string }
  | { readonly _tag: "Unhealthy"; readonly detail: string; readonly reachable: boolean };

export const healthy = (detail: string): Health => ({ _tag: "Healthy", detail });
/** `reachable`: something answers at the URL but is not usable yet (database missing, cluster red). */
export const unhealthy = (detail: string, reachable = false): Health => ({
  _tag: "Unhealthy",
  detail,
  reachable,
});

/** Where progress lines go (stderr in the CLI, a buffer in tests). */
export type Progress = (line: string) => void;

/** A failure `stack up` reports for one server; the others still get their turn. */
export class StackFailure extends Error {
  readonly _tag = "StackFailure";
  constructor(
    readonly server: ServerName,
    message: string,
  ) {
    super(`${server}: ${message}`);
  }
}

/** A server on this machine, as `holdfast stack` sees it. */
export interface LocalServer {
  readonly name: ServerName;
  /** The configured URL (as printed by `status`). */
  readonly url: string;
  /** Whether the URL is a loopback address, i.e. one this stack may start a server on. */
  readonly local: boolean;
  /** Text in the server process's command line, so a recycled PID is never taken for ours. */
  readonly processMarker: string;
  /** Does something answer at the URL, and is it usable (e.g. the holdfast database exists)? */
  readonly probe: () => Promise<Health>;
  /** Makes an answering server usable (creates the holdfast database); no-op for most servers. */
  readonly prepare: (progress: Progress) => Promise<void>;
  /** Installs what is missing, starts the server under `.holdfast/` and returns the PID to record. */
  readonly start: (progress: Progress) => Promise<number>;
  /** Stops a server this stack started (by its recorded PID). */
  readonly stop: (pid: number, progress: Progress) => Promise<void>;
  /** How long a start may take before `up` gives up waiting for health. */
  readonly startTimeoutMs: number;
}
