import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../event-schemas/index.ts";
import { headerText, integrationMessage } from "../../infra/kafka/integration-topic.ts";
import { skuScenario } from "../testing/scenario.ts";
import { saleWorkload } from "../testing/workload.ts";
import { linkChecker } from "./link-checker.ts";

/** A sale's events as the relay sends them: the stored canonical text and the CloudEvents headers. */
const messages = () => {
  const s = skuScenario(null, "tee");
  return s.seal(...saleWorkload("tee").next(30)).map((e) => {
    const m = integrationMessage(e, canonicalJson(e));
    return { envelope: e, value: String(m.value), headers: headerText(m.headers) };
  });
};

describe("linkChecker", () => {
  it("links every event of a stream sent as its stored text, and a redelivery is a duplicate", () => {
    const check = linkChecker({ fromEarliest: true });
    const ms = messages();
    expect(ms.map((m) => check(m.value, m.headers)._tag)).toEqual(ms.map(() => "Linked"));
    expect(check(ms[4]!.value, ms[4]!.headers)._tag).toBe("Duplicate");
  });

  it("links the same events sent as equivalent but not canonical JSON", () => {
    const check = linkChecker({ fromEarliest: true });
    const verdicts = messages().map((m) => {
      const { hash, ...rest } = m.envelope;
      return check(JSON.stringify({ hash, ...rest }, null, 1), m.headers);
    });
    expect(verdicts.map((v) => v._tag)).toEqual(verdicts.map(() => "Linked"));
  });

  it("reports a changed value as broken, by its stream and revision", () => {
    const check = linkChecker({ fromEarliest: true });
    const ms = messages();
    for (const m of ms.slice(0, 3)) check(m.value, m.headers);
    const m = ms[3]!;
    const tampered = m.value.replace(`"revision":3`, `"revision":4`);
    expect(tampered).not.toBe(m.value);
    expect(check(tampered, m.headers)).toEqual({
      _tag: "Broken",
      streamId: m.envelope.streamId,
      revision: 4,
      reason: "hash does not match the envelope",
    });
    expect(check("{not json", m.headers)).toMatchObject({ _tag: "Broken", reason: "value is not JSON" });
  });
});
