import { Command } from "commander";
import { registerAudit } from "./commands/audit.ts";
import { registerHandler } from "./commands/handler.ts";
import { registerPayments } from "./commands/payments.ts";
import { registerProjections } from "./commands/projections.ts";
import { registerRehearse } from "./commands/rehearse.ts";
import { registerReplay } from "./commands/replay.ts";
import { registerServe } from "./commands/serve.ts";
import { registerStack } from "./commands/stack.ts";
import { registerSubscribe } from "./commands/subscribe.ts";
import { registerToken } from "./commands/token.ts";

// Each command group lives in its own file under commands/ and registers itself here.
const program = new Command()
  .name("holdfast")
  .description(
    "holdfast: event-sourced flash-sale engine (stack, serve, audit, replay, projections, subscribe)",
  )
  .showHelpAfterError();

for (const register of [
  registerStack,
  registerServe,
  registerToken,
  registerAudit,
  registerReplay,
  registerProjections,
  registerSubscribe,
  registerPayments,
  registerHandler,
  registerRehearse,
])
  register(program);

await program.parseAsync(process.argv);
