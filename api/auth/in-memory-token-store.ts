import type { TokenRecord, TokenStore } from './token-store.ts';

/** A TokenStore in memory, for tests and tools. */
export class InMemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, TokenRecord>();

  async put(record: TokenRecord): Promise<void> {
    const current = this.records.get(record.id);
    if (!current || current.version < record.version) this.records.set(record.id, { ...record, teams: [...record.teams] });
  }

  async all(): Promise<TokenRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r, teams: [...r.teams] }));
  }
}
