import * as E from "fp-ts/lib/Either.js";
import type { SkuCommand, SkuEvent } from "../../event-schemas/index.ts";
import { decide } from "./decide.ts";
import type { DomainError } from "./errors.ts";
import { evolveMut } from "./evolve.ts";
import { forkState, type SkuState } from "./state.ts";

export interface BatchResult {
  readonly state: SkuState;
  /** outcomes[i] answers commands[i]. */
  readonly outcomes: ReadonlyArray<E.Either<DomainError, ReadonlyArray<SkuEvent>>>;
}

/**
 * Decide commands in arrival order (FIFO: the queue order is the fairness order), each against the state
 * left by the previous, exactly as folding `decide` + `evolve` would. `state` is unchanged.
 *
 * Cost: the state is forked once per batch (O(1), see `state.ts`) and the fork is mutated in place, so a
 * decision costs what its own events cost, not the size of the SKU. The returned state is the fork; it
 * is never mutated again.
 */
export const decideBatch = (state: SkuState, commands: ReadonlyArray<SkuCommand>): BatchResult => {
  let work = forkState(state);
  const outcomes: E.Either<DomainError, ReadonlyArray<SkuEvent>>[] = new Array(commands.length);
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i]!;
    const outcome = decide(command, work);
    if (E.isRight(outcome))
      for (const event of outcome.right) work = evolveMut(work, event, command.requestId);
    outcomes[i] = outcome;
  }
  return { state: work, outcomes };
};
