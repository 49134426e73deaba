import { Identifier } from "../../../event-schemas/index.ts";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { authSettings, decodeConfigSlice } from "../../../infra/config/config.ts";
import { parseLifetime, signToken } from "../../../infra/http/auth.ts";

/**
 * `holdfast token --user ID [--admin] [--dev] [--expires SPAN]`: print a signed HS256 token for local use.
 * Tokens are short-lived (1 h unless `--expires` says otherwise) and never longer than the server
 * accepts (`HOLDFAST_TOKEN_MAX_SECONDS`).
 */
export const registerToken = (program: Command): void => {
  program
    .command("token")
    .description("print a signed token (HOLDFAST_JWT_SECRET, or the development secret with --dev)")
    .requiredOption("--user <id>", "user id (the token's sub)")
    .option("--admin", "an admin token (role: admin)")
    .option("--dev", "use the development secret when HOLDFAST_JWT_SECRET is unset")
    .option(
      "--expires <span>",
      "lifetime: seconds, or 30m, 1h, 1d (at most HOLDFAST_TOKEN_MAX_SECONDS)",
      "1h",
    )
    .action(async (opts: { user: string; admin?: boolean; dev?: boolean; expires: string }) => {
      if (!Identifier.is(opts.user)) {
        process.stderr.write("holdfast token: --user must be 1-64 of letters, digits, '.', '_' and '-'\n");
        process.exit(1);
      }
      const config = decodeConfigSlice(authSettings, process.env, { dev: opts.dev === true });
      if (E.isLeft(config)) {
        process.stderr.write(`holdfast token: ${config.left.variable}: ${config.left.message}\n`);
        process.exit(1);
      }
      const lifetime = parseLifetime(opts.expires);
      if (lifetime === null) {
        process.stderr.write(
          `holdfast token: --expires must be seconds or 30m, 1h, 1d; got "${opts.expires}"\n`,
        );
        process.exit(1);
      }
      if (lifetime > config.right.tokenMaxSeconds) {
        process.stderr.write(
          `holdfast token: --expires ${opts.expires} is longer than HOLDFAST_TOKEN_MAX_SECONDS (${config.right.tokenMaxSeconds} s); the server would refuse it\n`,
        );
        process.exit(1);
      }
      const token = await signToken(config.right.jwtSecret, {
        userId: opts.user,
        admin: opts.admin === true,
        expiresIn: lifetime,
      });
      process.stdout.write(`${token}\n`);
    });
};
