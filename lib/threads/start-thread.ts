/**
 * Starts a worker thread from its TypeScript entry, the same call under tsx (tests,
 * development) and in the compiled build (production, dist/):
 *
 *   const w = startWorker(new URL("./writer-worker.ts", import.meta.url), { workerData });
 *
 * Rules for a worker entry: its file name ends in `-worker.ts` and it lives under lib/
 * or mail-engine/ (scripts/build.mjs compiles every such file to its own entry,
 * lib/x/y-worker.ts -> dist/<build>/lib.x.y-worker.js, next to the calling code); pass its URL built from
 * `import.meta.url` of the calling module, with the `.ts` extension. Nothing else:
 * no per-worker .mjs shim.
 *
 * Why: compiled, the worker runs its bundle directly (no loader in the thread's memory);
 * under tsx, worker threads do not inherit the parent's `--import tsx`, so the thread
 * starts in tsx-worker.mjs, which registers tsx and then imports the entry (passed as
 * the thread's first argv, removed again before the entry runs).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** Replaced by `true` in the compiled build (scripts/build.mjs, esbuild `define`). */
declare const __MAILSUITE_COMPILED__: boolean | undefined;
const compiled = typeof __MAILSUITE_COMPILED__ !== "undefined" && __MAILSUITE_COMPILED__;

// import.meta.url is this source file's URL in both modes (the build keeps it so).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The compiled entry of a worker: <path of the .ts, "/" as ".">.js (outName in
 * scripts/build.mjs) in the build folder this code runs from (import.meta.dirname is the
 * real folder of the output file; the build rewrites only import.meta.url), so a
 * process always starts workers of its own build.
 */
export function compiledWorkerPath(entry: URL): string {
  const rel = path.relative(root, fileURLToPath(entry));
  if (rel.startsWith("..") || !/-worker\.ts$/.test(rel)) {
    throw new Error(`worker entry ${entry.href} must be a *-worker.ts file inside the project (see lib/threads/start-thread.ts)`);
  }
  return path.join(import.meta.dirname, `${rel.replace(/\.ts$/, "").split(path.sep).join(".")}.js`);
}

export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (compiled) {
    const file = compiledWorkerPath(entry);
    if (!fs.existsSync(file)) throw new Error(`the compiled worker ${file} is missing; run \`npm run build\``);
    return new Worker(pathToFileURL(file), options);
  }
  return new Worker(new URL("./tsx-worker.mjs", import.meta.url), { ...options, argv: [entry.href, ...(options.argv ?? [])] });
}
