import type * as E from "fp-ts/lib/Either.js";
import {
  type ConfigError,
  type ConfigOf,
  decodeConfigSlice,
  serverSettings,
} from "../../infra/config/config.ts";

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

/** The stack's slice of the config: the four servers' addresses (never the JWT secret). */
export type StackConfig = ConfigOf<typeof serverSettings>;

export const stackConfig = (
  env: Readonly<Record<string, string | undefined>>,
): E.Either<ConfigError, StackConfig> => decodeConfigSlice(serverSettings, env);
