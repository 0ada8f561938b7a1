import type { Logger } from 'pino';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import type { SloFileError } from '../core/slo/slo-set.ts';
import { loadSloDirectory, watchSloDirectory, type SloDirectoryWatch } from './slo-directory-loader.ts';

function describeErrors(errors: readonly SloFileError[]): string {
  return errors.map((e) => `  ${e.file}${e.documentIndex !== undefined ? ` (document ${e.documentIndex + 1})` : ''}: ${e.message}`).join('\n');
}

/**
 * The SLOs in force: loaded from the SLO directory at start (any invalid file stops
 * start-up with its path and reason), reloaded on change (a reload with errors keeps the
 * previous set), and each SLO's `notes` — what loading changed about it, e.g. default
 * rules dropped or lowered — logged when it is loaded.
 */
export class SloCatalog {
  private current: readonly Slo[];
  private readonly listeners = new Set<(slos: readonly Slo[]) => void>();
  private watch: SloDirectoryWatch | undefined;

  private constructor(slos: readonly Slo[]) {
    this.current = slos;
  }

  static async open(dir: string, logger: Logger): Promise<SloCatalog> {
    const set = await loadSloDirectory(dir);
    if (set.errors.length > 0) throw new SluiceError('SLO_DEFINITIONS_INVALID', `invalid SLO definitions in ${dir} (SLUICE_SLO_DIR):\n${describeErrors(set.errors)}`);
    const catalog = new SloCatalog(set.slos.map((p) => p.slo));
    logNotes(catalog.current, logger);
    logger.info({ slos: catalog.current.map((s) => s.name) }, 'SLO definitions loaded');
    catalog.watch = watchSloDirectory(dir, (reloaded) => {
      if (reloaded.errors.length > 0) {
        logger.error({ errors: reloaded.errors }, 'SLO definitions changed but some are invalid; keeping the previous set');
        return;
      }
      const before = new Map(catalog.current.map((s) => [s.name, JSON.stringify(s)]));
      catalog.current = reloaded.slos.map((p) => p.slo);
      logNotes(catalog.current.filter((s) => before.get(s.name) !== JSON.stringify(s)), logger);
      logger.info({ slos: catalog.current.map((s) => s.name) }, 'SLO definitions reloaded');
      for (const listener of catalog.listeners) listener(catalog.current);
    }, { onError: (err) => logger.warn({ err }, 'watching the SLO directory stopped') });
    return catalog;
  }

  /** A catalog of fixed SLOs (tests, benchmarks). */
  static of(slos: readonly Slo[]): SloCatalog {
    return new SloCatalog(slos);
  }

  slos(): readonly Slo[] {
    return this.current;
  }

  /** Calls `listener` with the whole new set after every successful reload. */
  onChange(listener: (slos: readonly Slo[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.watch?.close();
    this.listeners.clear();
  }
}

function logNotes(slos: readonly Slo[], logger: Logger): void {
  for (const slo of slos) {
    for (const note of slo.notes) logger.info({ slo: slo.name, note }, 'SLO adapted at load');
  }
}
