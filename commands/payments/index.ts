export * from "./attempts-store.ts";
export * from "./gateway-port.ts";
export * from "./outcome.ts";
export * from "./policy.ts";
export * from "./progress.ts";
export * from "./resolve.ts";
export { makePaymentsRole, type PaymentsRoleOptions, paymentsRole } from "./role.ts";
export * from "./saga.ts";
export * from "./settle-order.ts";
