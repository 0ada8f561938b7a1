import type { Principal } from '../auth/principal.ts';
import { apiError } from './api-error.ts';

/** What every GraphQL operation runs with: the authenticated caller. */
export interface ApiContext {
  principal: Principal;
}

/**
 * The caller of an operation. Requests reach execution only after authentication
 * (graphql-admission.ts, subscription onConnect); a context without a principal is a
 * wiring mistake, refused rather than trusted.
 */
export function principalOf(context: unknown): Principal {
  const principal = (context as Partial<ApiContext> | null | undefined)?.principal;
  if (!principal) throw apiError('UNAUTHENTICATED', 'no authenticated caller');
  return principal;
}
