import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import {
  BUILTIN_DEFAULT_POLICY,
  BUILTIN_POLICY_FILE,
  buildGatePolicySet,
  hasDefaultPolicy,
  type GatePolicyFileError,
  type GatePolicySet,
  type PolicyDocumentInput,
} from '../core/gate/gate-policy-set.ts';
import { watchDirectory, type DirectoryWatch, type DirectoryWatchOptions } from './directory-watch.ts';
import { sortedJson } from './slo-definition-recorder.ts';

/**
 * Loads gate policies (schema/policies/gate-policy.ts) from a directory of YAML files
 * (`*.yaml`, `*.yml`, not recursive, in name order), one or more documents per file.
 * Each document's version is the SHA-256 of its canonical JSON (object keys sorted, no
 * whitespace: comments, key order and formatting are not part of a version; any change of
 * meaning is) plus its file name. Without a `'*'` document the built-in default applies
 * to environments no document names, and is versioned the same way.
 */

/** SHA-256 (hex) of a document's canonical JSON. */
export function policyFingerprint(value: unknown): string {
  return createHash('sha256').update(sortedJson(value)).digest('hex');
}

/** The canonical JSON of a document: what its version hashes, and what `policy_versions.content` stores. */
export function canonicalPolicyJson(value: unknown): string {
  return sortedJson(value);
}

/** Parses one file's YAML text into document inputs (syntax errors per document). */
export function parsePolicyYaml(file: string, text: string): { inputs: PolicyDocumentInput[]; errors: GatePolicyFileError[] } {
  const inputs: PolicyDocumentInput[] = [];
  const errors: GatePolicyFileError[] = [];
  const docs = parseAllDocuments(text);
  const values: { index: number; value: unknown }[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      errors.push({ file, documentIndex: index, message: `invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push({ index, value });
  });
  for (const { index, value } of values) inputs.push({ file, documentIndex: index, documentsInFile: values.length, value, sha256: policyFingerprint(value) });
  return { inputs, errors };
}

/** The built-in default as a document input. */
export function builtinPolicyInput(): PolicyDocumentInput {
  return { file: BUILTIN_POLICY_FILE, documentIndex: 0, documentsInFile: 1, value: BUILTIN_DEFAULT_POLICY, sha256: policyFingerprint(BUILTIN_DEFAULT_POLICY) };
}

/** Loads and validates every policy file of `dir`; a directory that cannot be read is one error naming it. */
export async function loadGatePolicyDirectory(dir: string): Promise<GatePolicySet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    return { policies: [], errors: [{ file: dir, message: `cannot read the policy directory: ${errorMessage(err)}` }] };
  }
  const inputs: PolicyDocumentInput[] = [];
  const errors: GatePolicyFileError[] = [];
  for (const name of names) {
    try {
      const parsed = parsePolicyYaml(name, await readFile(join(dir, name), 'utf8'));
      inputs.push(...parsed.inputs);
      errors.push(...parsed.errors);
    } catch (err) {
      errors.push({ file: name, message: `cannot read file: ${errorMessage(err)}` });
    }
  }
  const set = buildGatePolicySet(inputs, errors);
  if (set.errors.length === 0 && !hasDefaultPolicy(set)) return buildGatePolicySet([...inputs, builtinPolicyInput()]);
  return set;
}

/** Errors as lines for a log or a start-up message: `file (document n): path: reason`. */
export function describePolicyErrors(dir: string, errors: readonly GatePolicyFileError[]): string {
  return errors.map((e) => `  ${e.file === dir ? dir : join(dir, e.file)}${e.documentIndex !== undefined ? ` (document ${e.documentIndex + 1})` : ''}: ${e.message}`).join('\n');
}

/**
 * Calls `onChange` with the reloaded set after files of `dir` change (changes within
 * `debounceMs` are reloaded once). Reload errors arrive in the set; a failure of the watch
 * itself goes to `onError`.
 */
export function watchGatePolicyDirectory(dir: string, onChange: (set: GatePolicySet) => void, options: DirectoryWatchOptions = {}): DirectoryWatch {
  return watchDirectory(dir, loadGatePolicyDirectory, onChange, options);
}
