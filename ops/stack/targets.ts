import type * as E from "fp-ts/lib/Either.js";
import { type Config, type ConfigError, decodeConfig } from "../../infra/config/config.ts";

/** Host and port of one configured server, plus whether `stack` may start it here (loopback only). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly local: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export const endpointOf = (host: string, port: number): Endpoint => ({
  host: host === "localhost" ? "127.0.0.1" : host,
  port,
  local: LOOPBACK.has(host),
});

export const urlEndpoint = (url: string, defaultPort: number): Endpoint => {
  const u = new URL(url);
  return endpointOf(u.hostname, u.port === "" ? defaultPort : Number(u.port));
};

/**
 * The stack reads the same configuration as every process, in dev mode: it never needs the JWT
 * secret, so a missing HOLDFAST_JWT_SECRET must not stop `holdfast stack`.
 */
export const stackConfig = (
  env: Readonly<Record<string, string | undefined>>,
): E.Either<ConfigError, Config> => decodeConfig(env, { dev: true });
