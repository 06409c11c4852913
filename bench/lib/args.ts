/** Tiny `--name value` / `--flag` parser for the benchmarks (no dependency). */

export interface OptionSpec {
  /** "int" options must be positive whole numbers; "flag" options take no value. */
  type: "int" | "string" | "flag";
  default?: number | string | boolean;
  help: string;
}

export type Options = Record<string, number | string | boolean | undefined>;

export class UsageError extends Error {}

export function parseOptions(argv: string[], spec: Record<string, OptionSpec>): Options {
  const out: Options = {};
  for (const [name, s] of Object.entries(spec)) out[name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq !== -1) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === "flag") {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (s.type === "int") {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}

export function usage(spec: Record<string, OptionSpec>): string {
  return Object.entries(spec)
    .map(([name, s]) => {
      const left = s.type === "flag" ? `--${name}` : `--${name} ${s.type === "int" ? "N" : "VALUE"}`;
      const def = s.default !== undefined && s.type !== "flag" ? ` (default ${s.default})` : "";
      return `  ${left.padEnd(22)} ${s.help}${def}`;
    })
    .join("\n");
}
