import { SluiceError } from '../../platform/errors/sluice-error.ts';

/** A flag of a one-shot command (`sluice token create --name …`). */
export interface FlagSpec {
  /** Without dashes: `name` is `--name`. */
  name: string;
  /** Environment variable that supplies it when the flag is absent. */
  env?: string;
  /** May be given several times (`--team a --team b`). */
  repeatable?: boolean;
  /** Takes no value (`--json`). */
  boolean?: boolean;
  /** For `--help`: what it means, its unit and default. */
  doc: string;
}

/** A command line that cannot be understood; the message names the option at fault. */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

export interface ParsedFlags {
  /** Values by flag name: string, string[] for repeatable flags, true for boolean ones. */
  values: Record<string, string | string[] | true>;
  /** Arguments that are not flags, in order. */
  positional: string[];
  /** Flags this command does not define (left for the shared configuration parser, e.g. --clickhouse-url). */
  passthrough: string[];
}

/**
 * Splits a one-shot command's arguments into its own flags (`--flag value`, `--flag=value`,
 * env fallback), positional arguments, and the remaining flags, which are handed to
 * platform/config/sluice-config.ts (storage options) when `passthrough` is allowed.
 */
export function parseCommandFlags(argv: readonly string[], specs: readonly FlagSpec[], env: Readonly<Record<string, string | undefined>>, opts: { passthrough: boolean }): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: ParsedFlags['values'] = {};
  const positional: string[] = [];
  const passthrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      if (!opts.passthrough) throw new UsageError(`unknown option --${name} (see --help)`);
      passthrough.push(arg);
      // a following value belongs to the passed-through flag
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') && !name.startsWith('no-')) passthrough.push(argv[++i]!);
      continue;
    }
    if (spec.boolean) {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      values[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`option --${name} needs a value`);
    if (spec.repeatable) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else if (values[name] !== undefined) throw new UsageError(`option --${name} given twice`);
    else values[name] = value;
  }
  for (const spec of specs) {
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (values[spec.name] === undefined && fromEnv !== undefined && fromEnv !== '') values[spec.name] = spec.repeatable ? fromEnv.split(',').map((v) => v.trim()).filter(Boolean) : fromEnv;
  }
  return { values, positional, passthrough };
}

/** A string flag's value. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A required string flag's value, or a UsageError naming it (and its env var). */
export function requiredFlag(flags: ParsedFlags, spec: FlagSpec): string {
  const v = stringFlag(flags, spec.name);
  if (v === undefined) throw new UsageError(`option --${spec.name}${spec.env ? ` (or ${spec.env})` : ''} is required`);
  return v;
}

/** `--help` lines for a command's flags. */
export function flagsHelp(specs: readonly FlagSpec[]): string {
  const label = (s: FlagSpec) => `--${s.name}${s.boolean ? '' : ' <value>'}${s.env ? `  ${s.env}` : ''}`;
  const width = Math.max(...specs.map((s) => label(s).length));
  return specs.map((s) => `  ${label(s).padEnd(width)}  ${s.doc}`).join('\n');
}
