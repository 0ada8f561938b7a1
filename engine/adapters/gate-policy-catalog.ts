import type { Logger } from 'pino';
import { errorMessage, SluiceError } from '../../platform/errors/sluice-error.ts';
import { resolveGatePolicy, type GatePolicySet, type LoadedGatePolicy, type ResolvedGatePolicy } from '../core/gate/gate-policy-set.ts';
import { describePolicyErrors, loadGatePolicyDirectory, watchGatePolicyDirectory } from './gate-policy-directory-loader.ts';
import type { PolicyVersionRecord, PolicyVersionStore } from './policy-version-store.ts';

/**
 * The gate policies in force (SLUICE_POLICY_DIR): loaded at start — any invalid file stops
 * start-up, naming its path, document and field — and reloaded when files change: a reload
 * with errors is logged and the previous set kept (as for SLO files). Every version is
 * recorded (PolicyVersionStore) before it is used, so no decision names a version that
 * cannot be shown; a reload whose versions cannot be recorded is logged and not taken.
 * A version never seen before is announced to `onNewVersions` (the audit log) before it is
 * used; if that fails, the change is not taken either (start-up fails, a reload keeps the
 * previous set): no policy decides without its audit entry.
 */
/** Told of policy versions recorded for the first time, before they decide anything. */
export type NewPolicyVersions = (records: readonly PolicyVersionRecord[], how: 'loaded' | 'reloaded') => Promise<void> | void;

export class GatePolicyCatalog {
  private current: GatePolicySet;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly store: PolicyVersionStore;
  private readonly loadedBy: string;
  private readonly now: () => number;
  private watch: { close(): void } | undefined;
  private readonly listeners = new Set<(set: GatePolicySet) => void>();
  private readonly onNewVersions: NewPolicyVersions;

  private constructor(o: { set: GatePolicySet; dir: string; logger: Logger; store: PolicyVersionStore; loadedBy: string; now: () => number; onNewVersions: NewPolicyVersions }) {
    this.current = o.set;
    this.dir = o.dir;
    this.logger = o.logger;
    this.store = o.store;
    this.loadedBy = o.loadedBy;
    this.now = o.now;
    this.onNewVersions = o.onNewVersions;
  }

  /** Loads and records the directory's policies, then watches it (unless `watch: false`). */
  static async open(o: { dir: string; logger: Logger; store: PolicyVersionStore; loadedBy: string; now?: () => number; watch?: boolean; onNewVersions?: NewPolicyVersions }): Promise<GatePolicyCatalog> {
    const set = await loadGatePolicyDirectory(o.dir);
    if (set.errors.length > 0) {
      throw new SluiceError('GATE_POLICIES_INVALID', `invalid gate policies in ${o.dir} (SLUICE_POLICY_DIR):\n${describePolicyErrors(o.dir, set.errors)}`);
    }
    const now = o.now ?? Date.now;
    const onNewVersions = o.onNewVersions ?? (() => undefined);
    const added = await o.store.record(set.policies, { directory: o.dir, loadedAtMs: now(), loadedBy: o.loadedBy });
    if (added.length > 0) await onNewVersions(added, 'loaded');
    const catalog = new GatePolicyCatalog({ set, dir: o.dir, logger: o.logger, store: o.store, loadedBy: o.loadedBy, now, onNewVersions });
    catalog.logLoaded('gate policies loaded');
    if (o.watch !== false) {
      catalog.watch = watchGatePolicyDirectory(o.dir, (reloaded) => void catalog.take(reloaded), {
        onError: (err) => o.logger.warn({ err: errorMessage(err) }, 'watching the gate policy directory stopped'),
      });
    }
    return catalog;
  }

  /** Takes a reloaded set (what the watcher calls): errors or an unrecordable set keep the previous one. */
  async take(reloaded: GatePolicySet): Promise<boolean> {
    if (reloaded.errors.length > 0) {
      this.logger.error({ dir: this.dir, errors: describePolicyErrors(this.dir, reloaded.errors) }, 'gate policies changed but some are invalid; keeping the previous set');
      return false;
    }
    try {
      const added = await this.store.record(reloaded.policies, { directory: this.dir, loadedAtMs: this.now(), loadedBy: this.loadedBy });
      if (added.length > 0) await this.onNewVersions(added, 'reloaded');
    } catch (err) {
      this.logger.error({ dir: this.dir, err: errorMessage(err) }, 'gate policies changed but their versions could not be recorded or audited; keeping the previous set');
      return false;
    }
    this.current = reloaded;
    this.logLoaded('gate policies reloaded');
    for (const listener of this.listeners) listener(reloaded);
    return true;
  }

  /** The policy deciding for an environment (the built-in default is always in the set when no `'*'` document is). */
  resolve(environment: string): ResolvedGatePolicy {
    const resolved = resolveGatePolicy(this.current, environment);
    if (resolved === undefined) throw new SluiceError('GATE_POLICY_MISSING', `no gate policy decides for ${environment} and there is no default`);
    return resolved;
  }

  policies(): readonly LoadedGatePolicy[] {
    return this.current.policies;
  }

  /** The directory the policies come from. */
  get directory(): string {
    return this.dir;
  }

  onChange(listener: (set: GatePolicySet) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.watch?.close();
    this.listeners.clear();
  }

  private logLoaded(message: string): void {
    this.logger.info({ dir: this.dir, policies: this.current.policies.map((p) => ({ version: p.version, environments: p.document.spec.environments })) }, message);
  }
}
