import type { Role } from './roles.ts';

/**
 * The caller of an operation: a token's holder, the open-mode caller (auth off, loopback
 * only), or the local operator running the CLI. Audit entries name it.
 */
export interface Principal {
  /** Token id; `open` for the open-mode caller; `cli:<os user>` for the local operator. */
  id: string;
  /** Token name, or a description of the caller. */
  name: string;
  /** The role whose permissions apply; the local operator has none (`operator`). */
  role: Role | 'operator';
  /** Teams a team-scoped caller acts for; empty = not limited to teams. */
  teams: readonly string[];
  kind: 'token' | 'open' | 'operator';
}

/** The caller when auth is off (SLUICE_AUTH=off, or auto on loopback without tokens): may do everything. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({
  id: 'open',
  name: 'anonymous (auth off, loopback only)',
  role: 'admin',
  teams: [],
  kind: 'open',
});

/** The local operator of the CLI (`sluice token …`), who reaches storage directly. */
export function operatorPrincipal(osUser: string, host: string): Principal {
  return { id: `cli:${osUser}`, name: `${osUser}@${host}`, role: 'operator', teams: [], kind: 'operator' };
}
