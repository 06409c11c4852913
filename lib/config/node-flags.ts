/**
 * Node options of the suite's processes (npm start, the benchmarks, tests that spawn the
 * engine).
 *
 * --max-semi-space-size=2: a small young generation keeps resident memory down. V8 sizes
 * each semi-space up to 16 MB under load by default, kept in RAM afterwards, where 2 MB
 * collects a server's short-lived garbage (one SMTP transaction's objects) at about the
 * same CPU cost.
 * --expose-gc (engine): lets the DATA reader ask for a minor collection while a large
 * message streams through (mail-engine/smtp/message-reader.ts), keeping RSS bounded.
 */
export const ENGINE_NODE_FLAGS = ["--max-semi-space-size=2", "--expose-gc"];

/**
 * Environment the supervisor gives its children unless the operator sets it.
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own malloc arena (64 MB
 * reserved, partly resident and rarely returned); the engine runs a dozen threads (V8's
 * helpers, libuv's pool, the store writer), and two arenas serve them with less memory
 * held idle, as many JVM and Node deployments set it.
 */
export const PROCESS_ENV_DEFAULTS: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
export const WEB_NODE_FLAGS = ["--max-semi-space-size=2"];

/** The flags less those the operator sets in NODE_OPTIONS (a command-line flag would win over it). */
export function withoutOperatorFlags(flags: string[], nodeOptions = process.env.NODE_OPTIONS ?? ""): string[] {
  return flags.filter((f) => !nodeOptions.includes(f.split("=")[0]));
}
