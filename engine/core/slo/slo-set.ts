import { formatIssues } from '../../../schema/events/v1/attributes.ts';
import { buildSlo, SloDefinitionSchema, type Slo, type SloDefinition } from './slo-definition.ts';

/** One SLO read from a file. */
export interface ParsedSlo {
  /** File it came from (as given by the caller). */
  file: string;
  /** 0-based index of the YAML document within the file (files may hold several, split by `---`). */
  documentIndex: number;
  definition: SloDefinition;
  slo: Slo;
}

/** A problem with one file or document; other documents and files still load. */
export interface SloFileError {
  file: string;
  documentIndex?: number;
  /** Path-precise reason, e.g. `spec.objectives.0.target: must be < 1 (…)`. */
  message: string;
}

/** The SLOs of one or more files, and what was wrong with the rest. */
export interface SloSet {
  slos: ParsedSlo[];
  errors: SloFileError[];
}

/**
 * Validates one already-parsed document (plain JS value from YAML or JSON) against
 * SloDefinitionSchema and builds its runtime SLO. Pure; YAML parsing happens in the
 * adapter (engine/adapters/slo-directory-loader.ts).
 */
export function validateSloDocument(file: string, documentIndex: number, value: unknown): ParsedSlo | SloFileError {
  const parsed = SloDefinitionSchema.safeParse(value);
  if (!parsed.success) return { file, documentIndex, message: formatIssues(parsed.error) };
  return { file, documentIndex, definition: parsed.data, slo: buildSlo(parsed.data) };
}

/** Adds a validation outcome to a set. */
export function addToSet(set: SloSet, outcome: ParsedSlo | SloFileError): void {
  if ('slo' in outcome) set.slos.push(outcome);
  else set.errors.push(outcome);
}

/**
 * Combines the sets of several files; an SLO name defined twice is an error for every
 * later occurrence (the first one, in the given file order, is kept).
 */
export function combineSloSets(sets: readonly SloSet[]): SloSet {
  const out: SloSet = { slos: [], errors: [] };
  const firstFile = new Map<string, string>();
  for (const set of sets) {
    out.errors.push(...set.errors);
    for (const parsed of set.slos) {
      const seen = firstFile.get(parsed.slo.name);
      if (seen !== undefined) {
        out.errors.push({
          file: parsed.file,
          documentIndex: parsed.documentIndex,
          message: `metadata.name: SLO "${parsed.slo.name}" is already defined in ${seen}`,
        });
        continue;
      }
      firstFile.set(parsed.slo.name, parsed.file);
      out.slos.push(parsed);
    }
  }
  return out;
}
