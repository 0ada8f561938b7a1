/**
 * Which teams own a service — what a team-scoped token (role team-owner, or any token
 * created with `--team`) is checked against for operations on a service (roles.ts,
 * `OperationRule.service`). Ownership must come from reviewed configuration (policy
 * files), never from telemetry an ingest token could forge.
 */
export interface ServiceOwnership {
  /** Teams owning `service`; empty when none is known (team-scoped callers are then refused). */
  teamsOf(service: string): Promise<readonly string[]>;
}

/** No service has a known owner: team-scoped callers may not act on any service (fail closed). */
export const NO_KNOWN_OWNERS: ServiceOwnership = { teamsOf: async () => [] };

/** Ownership from a fixed map (service → teams), e.g. loaded from policy files. */
export function staticOwnership(owners: Readonly<Record<string, readonly string[]>>): ServiceOwnership {
  return { teamsOf: async (service) => (Object.hasOwn(owners, service) ? owners[service]! : []) };
}
