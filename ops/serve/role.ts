// The Role interface lives in infra/ so every process role (commands/, projections/, read-api/) can
// implement it without importing upwards; `holdfast serve` composes them.
export type { Role, RoleContext, RunningRole } from "../../infra/process/role.ts";
