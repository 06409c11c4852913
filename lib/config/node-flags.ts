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
 * --no-allocation-site-pretenuring (engine): V8 allocates straight into the old generation
 * the objects of a code site whose objects once survived young collections. A FETCH 1:*
 * (10,000 rows held across a batch's writes) taught that to the row and response code that
 * every FETCH shares; the one-message FETCHes after it then filled the old generation with
 * garbage and paid a mark-compact every few hundred commands (5-15 ms each, four in 400 ms
 * on a loaded machine). Without it a request's objects die young whatever ran before, and
 * the engine's heap peak after a FETCH 1:* is lower (README, IMAP benchmark).
 */
export const ENGINE_NODE_FLAGS = ["--max-semi-space-size=2", "--expose-gc", "--no-allocation-site-pretenuring"];

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
