import { z } from 'zod';
import type { ApiAccess } from '../auth/api-access.ts';
import { verifyAuditEntries } from '../audit/audit-chain-verifier.ts';
import type { AuditEntry } from '../audit/audit-entry.ts';
import { paginate, pageSize } from './cursor-pagination.ts';

const AuditKey = z.object({ atMs: z.number(), chain: z.string(), seq: z.number() });

function entryView(e: AuditEntry) {
  return { chain: e.chain, seq: e.seq, at: e.atMs, actor: e.actor, operation: e.operation, input: e.input, outcome: e.outcome, detail: e.detail, prevHash: e.prevHash, hash: e.hash };
}

/** auditLog (newest first, cursor-paginated) and verifyAuditChain. Access checks wrap them. */
export function auditResolvers(access: ApiAccess) {
  return {
    Query: {
      auditLog: (_: unknown, args: { first?: number | null; after?: string | null }) =>
        paginate({
          kind: 'auditLog',
          first: pageSize(args.first, { default: 50, max: 500 }),
          after: args.after,
          keySchema: AuditKey,
          keyOf: (node: ReturnType<typeof entryView>) => ({ atMs: node.at, chain: node.chain, seq: node.seq }),
          fetch: async (limit, after) => (await access.auditStore.page({ limit, after })).map(entryView),
        }),
      verifyAuditChain: async () => {
        const v = await verifyAuditEntries(access.auditStore.scan());
        return { ...v, heads: v.heads.map((h) => ({ ...h, at: h.atMs })) };
      },
    },
  };
}
