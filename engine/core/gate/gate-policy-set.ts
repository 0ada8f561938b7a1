import { formatIssues } from '../../../schema/events/v1/attributes.ts';
import {
  GATE_CHECK_KINDS,
  GATE_POLICY_API_VERSION,
  GATE_POLICY_DEFAULTS,
  GATE_POLICY_KIND,
  GatePolicyDocumentSchema,
  type GatePolicyDocument,
  type GatePolicyRules,
  type GatePolicySpec,
} from '../../../schema/policies/gate-policy.ts';
import { parseDurationMs } from '../time/duration.ts';
import { BURN_RATE_WINDOWS } from '../budget/burn-rate.ts';

/**
 * Gate policies as loaded: each document validated, its defaults applied, and named by
 * its version — the file it came from and the SHA-256 of its canonical JSON (sorted keys,
 * no whitespace), so a comment or a key order change is the same version and any change
 * of meaning is a new one. Pure: the caller parses YAML and computes the hash.
 */

/** One validated policy document. */
export interface LoadedGatePolicy {
  /** File it came from, relative to the policy directory (`(built-in)` for the built-in default). */
  file: string;
  /** 0-based index of the document in its file. */
  documentIndex: number;
  /** How many documents its file holds (the version names the document when more than one). */
  documentsInFile: number;
  document: GatePolicyDocument;
  /** SHA-256 (hex) of the document's canonical JSON. */
  sha256: string;
  /** `<file>[#<document number>]@sha256:<first 16 hex digits>`: what decisions name. */
  version: string;
  rules: GatePolicyRules;
}

/** A problem with one file or document; at start-up any stops sluice, on reload the previous set is kept. */
export interface GatePolicyFileError {
  file: string;
  documentIndex?: number;
  /** Path-precise reason, e.g. `spec.minBudgetRemaining: must be a ratio 0–1 (0.1 = 10 %)`. */
  message: string;
}

/** The policies of a directory: by environment, plus the default (`*`). */
export interface GatePolicySet {
  policies: LoadedGatePolicy[];
  errors: GatePolicyFileError[];
}

/** The policy a decision uses. */
export interface ResolvedGatePolicy {
  version: string;
  name: string;
  file: string;
  /** True when no document names the environment and the default (`*`) applies. */
  isDefault: boolean;
  rules: GatePolicyRules;
}

/** The document used when the directory has no `'*'` document: every default, every environment. */
export const BUILTIN_DEFAULT_POLICY: GatePolicyDocument = {
  apiVersion: GATE_POLICY_API_VERSION,
  kind: GATE_POLICY_KIND,
  metadata: { name: 'builtin-default' },
  spec: { environments: ['*'], description: 'sluice built-in default: every check blocks, INCONCLUSIVE blocks, an exhausted budget fails' },
};

export const BUILTIN_POLICY_FILE = '(built-in)';

/** The version text of a document. */
export function policyVersionOf(file: string, documentIndex: number, documentsInFile: number, sha256: string): string {
  return `${file}${documentsInFile > 1 ? `#${documentIndex + 1}` : ''}@sha256:${sha256.slice(0, 16)}`;
}

/** Every default applied to a validated spec. */
export function policyRules(spec: GatePolicySpec): GatePolicyRules {
  const d = GATE_POLICY_DEFAULTS;
  const journeyWindow = spec.journeys?.window ?? d.journeys.window;
  return {
    inconclusive: spec.inconclusive ?? d.inconclusive,
    minBudgetRemaining: spec.minBudgetRemaining ?? d.minBudgetRemaining,
    alerts: { page: spec.alerts?.page ?? d.alerts.page, ticket: spec.alerts?.ticket ?? d.alerts.ticket },
    checks: Object.fromEntries(GATE_CHECK_KINDS.map((k) => [k, spec.checks?.[k] ?? d.checkMode])) as GatePolicyRules['checks'],
    journeys: {
      window: journeyWindow,
      windowMs: BURN_RATE_WINDOWS.find((w) => w.window === journeyWindow)!.durationMs,
      minFailures: spec.journeys?.minFailures ?? d.journeys.minFailures,
    },
    attributionWindowMs: parseDurationMs(spec.attribution?.window ?? d.attributionWindow)!,
    baseline: {
      required: spec.baseline?.required ?? d.baseline.required,
      windowMs: parseDurationMs(spec.baseline?.window ?? d.baseline.window)!,
      canary: spec.baseline?.canary ?? {},
    },
    bake: spec.bake === undefined ? undefined : { environment: spec.bake.environment, minDurationMs: parseDurationMs(spec.bake.minDuration)! },
  };
}

/** Validates one parsed document (a plain value from YAML). */
export function validateGatePolicyDocument(value: unknown): { document: GatePolicyDocument } | { message: string } {
  const parsed = GatePolicyDocumentSchema.safeParse(value);
  return parsed.success ? { document: parsed.data } : { message: formatIssues(parsed.error) };
}

/** One document of one file, validated, with its fingerprint. */
export interface PolicyDocumentInput {
  file: string;
  documentIndex: number;
  documentsInFile: number;
  /** The document as parsed from YAML. */
  value: unknown;
  /** SHA-256 (hex) of the document's canonical JSON. */
  sha256: string;
}

/**
 * Validates documents (in file name order) into a set. Errors: an invalid document; an
 * environment named by two documents (the later one is named, with the file of the first);
 * two defaults; two documents with the same metadata.name.
 */
export function buildGatePolicySet(inputs: readonly PolicyDocumentInput[], readErrors: readonly GatePolicyFileError[] = []): GatePolicySet {
  const set: GatePolicySet = { policies: [], errors: [...readErrors] };
  const byEnvironment = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const input of inputs) {
    const where = `${input.file}${input.documentsInFile > 1 ? ` (document ${input.documentIndex + 1})` : ''}`;
    const checked = validateGatePolicyDocument(input.value);
    if ('message' in checked) {
      set.errors.push({ file: input.file, documentIndex: input.documentIndex, message: checked.message });
      continue;
    }
    const { document } = checked;
    const clashes: string[] = [];
    const firstName = byName.get(document.metadata.name);
    if (firstName !== undefined) clashes.push(`metadata.name: policy "${document.metadata.name}" is already defined in ${firstName}`);
    document.spec.environments.forEach((env, i) => {
      const first = byEnvironment.get(env);
      if (first !== undefined) clashes.push(`spec.environments.${i}: ${env === '*' ? 'the default ("*")' : `environment "${env}"`} is already decided by ${first}`);
    });
    if (clashes.length > 0) {
      set.errors.push({ file: input.file, documentIndex: input.documentIndex, message: clashes.join('; ') });
      continue;
    }
    byName.set(document.metadata.name, where);
    for (const env of document.spec.environments) byEnvironment.set(env, where);
    set.policies.push({
      file: input.file,
      documentIndex: input.documentIndex,
      documentsInFile: input.documentsInFile,
      document,
      sha256: input.sha256,
      version: policyVersionOf(input.file, input.documentIndex, input.documentsInFile, input.sha256),
      rules: policyRules(document.spec),
    });
  }
  return set;
}

/** Whether the set has a default document (`'*'`); without one the caller adds BUILTIN_DEFAULT_POLICY. */
export function hasDefaultPolicy(set: GatePolicySet): boolean {
  return set.policies.some((p) => p.document.spec.environments.includes('*'));
}

/** The policy deciding for `environment`: the document naming it, else the default; undefined when there is neither. */
export function resolveGatePolicy(set: GatePolicySet, environment: string): ResolvedGatePolicy | undefined {
  const named = set.policies.find((p) => p.document.spec.environments.includes(environment));
  const chosen = named ?? set.policies.find((p) => p.document.spec.environments.includes('*'));
  if (chosen === undefined) return undefined;
  return { version: chosen.version, name: chosen.document.metadata.name, file: chosen.file, isDefault: named === undefined, rules: chosen.rules };
}
