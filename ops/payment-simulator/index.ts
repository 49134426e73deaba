export * from "./app.ts";
export * from "./behaviour.ts";
export * from "./ledger.ts";
export * from "./server.ts";
