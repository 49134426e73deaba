import * as E from "fp-ts/lib/Either.js";
import { decide, decideBatch, foldEvents, initialState, type SkuState } from "../../domain/sku/index.ts";
import type { DecodedEvent, SkuCommand, SkuEvent } from "../../event-schemas/index.ts";
import { jsonEqual } from "./json-equal.ts";
import { reconstructCommand } from "./reconstruct.ts";
import type { Issue } from "./violation.ts";

type Group = ReadonlyArray<DecodedEvent>;
type Decision = E.Either<{ readonly _tag: string }, ReadonlyArray<SkuEvent>>;

/**
 * Decision replay: for each command's group of events, rebuild the command (`reconstruct.ts`), run the
 * decider on the state before the group with `now` = the group's occurredAt and the envelope's
 * requestId, and require the same events (type and data, in order). The state then advances by the
 * RECORDED events, so one wrong decision is reported once and the rest is judged on what happened.
 *
 * Speed: groups are replayed a batch at a time with `decideBatch` (one state fork per batch instead of
 * one per command). When every decision of the batch matches, the batch's state is exactly the state
 * after the recorded events; when one does not, the batch is replayed again one group at a time.
 */
export class DecisionReplay {
  private state: SkuState = initialState;
  private stopped = false;

  /** Replay one group; returns what differs. */
  group(group: Group): Issue[] {
    return this.groups([group]);
  }

  /** Replay consecutive groups; returns what differs. */
  groups(groups: ReadonlyArray<Group>): Issue[] {
    if (this.stopped || groups.length === 0) return [];
    const commands: SkuCommand[] = [];
    for (const g of groups) {
      const c = commandOf(g);
      if (E.isLeft(c)) return this.slow(groups);
      commands.push(c.right);
    }
    let batch: ReturnType<typeof decideBatch>;
    try {
      batch = decideBatch(this.state, commands);
    } catch {
      return this.slow(groups);
    }
    for (let i = 0; i < groups.length; i++)
      if (differs(groups[i]!, batch.outcomes[i]!) !== null) return this.slow(groups);
    this.state = batch.state;
    return [];
  }

  private slow(groups: ReadonlyArray<Group>): Issue[] {
    const issues: Issue[] = [];
    for (const group of groups) {
      if (this.stopped) break;
      issues.push(...this.one(group));
    }
    return issues;
  }

  private one(group: Group): Issue[] {
    const first = group[0]!.envelope;
    const issues: Issue[] = [];
    const fail = (revision: number, message: string) =>
      issues.push({ revision, rule: "replay/decision-mismatch", message });
    const command = commandOf(group);
    if (E.isLeft(command)) fail(command.left.revision, command.left.message);
    else {
      let decided: Decision;
      try {
        decided = decide(command.right, this.state);
      } catch (e) {
        decided = E.left({ _tag: `the decider threw: ${(e as Error).message}` });
      }
      const at = differs(group, decided);
      if (at !== null) {
        const recorded = describe(group.map((d) => d.event));
        fail(
          at,
          E.isLeft(decided)
            ? `${command.right.type} of request ${first.requestId} is refused on replay (${decided.left._tag}), but the log records ${recorded}`
            : `${command.right.type} of request ${first.requestId} decides ${describe(decided.right)}; the log records ${recorded}`,
        );
      }
    }
    try {
      this.state = foldEvents(group, this.state);
    } catch (e) {
      const why = `the recorded events cannot follow the state (${(e as Error).message}), so decision replay stops here`;
      const last = issues.pop();
      fail(last?.revision ?? first.revision, last === undefined ? why : `${last.message}; ${why}`);
      this.stopped = true;
    }
    return issues;
  }
}

/** The command a group answers, with its requestId and `now`; Left names what makes it unreplayable. */
const commandOf = (
  group: Group,
): E.Either<{ readonly revision: number; readonly message: string }, SkuCommand> => {
  const first = group[0]!.envelope;
  for (const d of group)
    if (d.envelope.occurredAt !== first.occurredAt)
      return E.left({
        revision: d.envelope.revision,
        message: `events of request ${first.requestId} carry different times (${first.occurredAt}, ${d.envelope.occurredAt})`,
      });
  const command = reconstructCommand(group, first.requestId, first.occurredAt);
  return E.isLeft(command) ? E.left({ revision: first.revision, message: command.left }) : command;
};

/** The revision of the first recorded event the decision does not reproduce, or null when all match. */
const differs = (group: Group, decided: Decision): number | null => {
  if (E.isLeft(decided)) return group[0]!.envelope.revision;
  const got = decided.right;
  const n = Math.max(got.length, group.length);
  for (let i = 0; i < n; i++) {
    const want = group[i]?.event;
    const have = got[i];
    if (
      want !== undefined &&
      have !== undefined &&
      want.type === have.type &&
      jsonEqual(want.data, have.data)
    )
      continue;
    return group[Math.min(i, group.length - 1)]!.envelope.revision;
  }
  return null;
};

const describe = (events: ReadonlyArray<SkuEvent>): string =>
  events.length === 0 ? "no events" : events.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join(", ");
