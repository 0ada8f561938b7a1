import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { parseAllDocuments } from 'yaml';
import { watchDirectory, type DirectoryWatch, type DirectoryWatchOptions } from './directory-watch.ts';
import { addToSet, combineSloSets, validateSloDocument, type SloSet } from '../core/slo/slo-set.ts';

/**
 * Parses the YAML text of one SLO file (one or more documents split by `---`) and
 * validates each document. A YAML syntax error is reported for its document; empty
 * documents (e.g. after a trailing `---`) are skipped.
 */
export function parseSloYaml(file: string, text: string): SloSet {
  const set: SloSet = { slos: [], errors: [] };
  parseAllDocuments(text).forEach((doc, documentIndex) => {
    if (doc.errors.length > 0) {
      set.errors.push({ file, documentIndex, message: `invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    addToSet(set, validateSloDocument(file, documentIndex, value));
  });
  return set;
}

/**
 * Loads SLO definitions from a directory of YAML files (`*.yaml`, `*.yml`, not
 * recursive, in name order). Every file is parsed and validated on its own: a bad file
 * or document is reported in `errors` (file, document index, path-precise message) and
 * the others still load. Duplicate SLO names are errors; the first in name order wins.
 * A directory that cannot be read is one error with file = the directory.
 */
export async function loadSloDirectory(dir: string): Promise<SloSet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    return { slos: [], errors: [{ file: dir, message: `cannot read SLO directory: ${errorMessage(err)}` }] };
  }
  const sets = await Promise.all(
    names.map(async (name): Promise<SloSet> => {
      const file = join(dir, name);
      try {
        return parseSloYaml(file, await readFile(file, 'utf8'));
      } catch (err) {
        return { slos: [], errors: [{ file, message: `cannot read file: ${errorMessage(err)}` }] };
      }
    }),
  );
  return combineSloSets(sets);
}

/** A running watch of an SLO directory. */
export type SloDirectoryWatch = DirectoryWatch;

/**
 * Watches a directory and calls `onChange` with the whole reloaded set after files
 * change (changes within `debounceMs`, default 200 ms, are reloaded once). Does not load
 * at start: call loadSloDirectory first. Reload failures arrive as `errors` in the set;
 * a failure of the watch itself goes to `onError`.
 */
export function watchSloDirectory(dir: string, onChange: (set: SloSet) => void, options: DirectoryWatchOptions = {}): SloDirectoryWatch {
  return watchDirectory(dir, loadSloDirectory, onChange, options);
}
