import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { mvn } from "./maven.ts";
import { ensureDir, type StackPaths } from "./paths.ts";
import { run, stopPid } from "./process.ts";
import { endpointOf } from "./targets.ts";
import { healthy, type LocalServer, unhealthy } from "./types.ts";

export const KAFKA_VERSION = "3.9.1";
const SLF4J_RELOAD4J = "1.7.36";

const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>holdfast.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>${SLF4J_RELOAD4J}</version></dependency>
  </dependencies>
</project>
`;

/**
 * Kafka 3.9 in KRaft mode, one combined broker+controller node on loopback. The broker comes from
 * Maven Central (kafka_2.13 + slf4j-reload4j, copied into a cached lib/ directory); its data and logs
 * live under `.holdfast/kafka`. Topic auto-creation is OFF: holdfast's topics have meaningful partition
 * counts (one partition per SKU key space), so code must create them explicitly rather than get a
 * silently wrong default.
 */
export const kafkaServer = (brokers: ReadonlyArray<string>, paths: StackPaths): LocalServer => {
  const first = brokers[0] ?? "127.0.0.1:9092";
  const [host = "127.0.0.1", portText = "9092"] = first.split(":");
  const ep = endpointOf(host, Number(portText));
  const controllerPort = ep.port + 1;
  const dir = paths.server("kafka");
  const dataDir = join(dir, "data");
  const home = join(paths.cache, `kafka-${KAFKA_VERSION}`);
  const lib = join(home, "lib");

  const probe: LocalServer["probe"] = async () => {
    const kafka = new Kafka({
      clientId: "holdfast-stack",
      brokers: [...brokers],
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return healthy(
        `${cluster.brokers.length} broker(s), controller ${cluster.controller}, cluster ${cluster.clusterId}`,
      );
    } catch (e) {
      return unhealthy(String((e as Error).message ?? e));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };

  const install = async (progress: (l: string) => void) => {
    if (existsSync(join(lib, ".complete"))) return;
    progress(`kafka: fetching Kafka ${KAFKA_VERSION} from Maven Central into ${lib}`);
    ensureDir(home);
    writeFileSync(join(home, "pom.xml"), pom);
    await mvn(
      ["-f", join(home, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${lib}`],
      progress,
      "kafka",
    );
    writeFileSync(join(lib, ".complete"), `${new Date().toISOString()}\n`);
  };

  const configure = () => {
    ensureDir(dataDir);
    const props = [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${ep.host}:${controllerPort}`,
      `listeners=PLAINTEXT://${ep.host}:${ep.port},CONTROLLER://${ep.host}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${ep.host}:${ep.port}`,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      `log.dirs=${dataDir}`,
      "num.partitions=1",
      "auto.create.topics.enable=false",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "transaction.state.log.num.partitions=1",
      "min.insync.replicas=1",
      "default.replication.factor=1",
      "group.initial.rebalance.delay.ms=0",
      // Let the command handler ask for a 2 s session (fast failover, infra/kafka/failover.ts); the
      // broker's default minimum is 6 s.
      "group.min.session.timeout.ms=1000",
      "",
    ].join("\n");
    writeFileSync(join(dir, "server.properties"), props);
    writeFileSync(
      join(dir, "log4j.properties"),
      [
        "log4j.rootLogger=INFO, file",
        "log4j.appender.file=org.apache.log4j.RollingFileAppender",
        `log4j.appender.file.File=${join(dir, "server.log")}`,
        "log4j.appender.file.MaxFileSize=20MB",
        "log4j.appender.file.MaxBackupIndex=2",
        "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
        "log4j.logger.kafka=INFO",
        "log4j.logger.org.apache.kafka=INFO",
        "",
      ].join("\n"),
    );
  };

  const start: LocalServer["start"] = async (progress) => {
    await install(progress);
    configure();
    const classpath = `${lib}/*`;
    if (!existsSync(join(dataDir, "meta.properties"))) {
      // A KRaft cluster id is 16 random bytes in URL-safe base64 (22 characters).
      // (never starting with "-", which kafka-storage's argument parser takes for an option).
      let clusterId = randomBytes(16).toString("base64url");
      while (clusterId.startsWith("-")) clusterId = randomBytes(16).toString("base64url");
      progress(`kafka: formatting storage (cluster ${clusterId})`);
      const r = await run("java", [
        "-cp",
        classpath,
        `-Dlog4j.configuration=file:${join(dir, "log4j.properties")}`,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        clusterId,
        "-c",
        join(dir, "server.properties"),
      ]);
      if (r.code !== 0) throw new Error(`kafka storage format failed: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    progress(`kafka: starting on ${ep.host}:${ep.port} (controller ${controllerPort})`);
    const out = openSync(join(dir, "kafka.out"), "a");
    const child = spawn(
      "java",
      [
        "-Xms512m",
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-Djava.awt.headless=true",
        `-Dlog4j.configuration=file:${join(dir, "log4j.properties")}`,
        `-Dkafka.logs.dir=${dir}`,
        "-cp",
        classpath,
        "kafka.Kafka",
        join(dir, "server.properties"),
      ],
      { detached: true, stdio: ["ignore", out, out] },
    );
    child.unref();
    if (child.pid === undefined) throw new Error("java did not start");
    return child.pid;
  };

  return {
    name: "kafka",
    processMarker: join(dir, "server.properties"),
    local: ep.local,
    url: brokers.join(","),
    probe,
    prepare: async () => {},
    start,
    stop: (pid) => stopPid(pid, 60_000),
    startTimeoutMs: 120_000,
  };
};
