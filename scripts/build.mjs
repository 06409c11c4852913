#!/usr/bin/env node
/**
 * Compiles the Node side of the suite (engine, mailctl, start supervisor and every
 * worker thread entry) to JavaScript under dist/ with esbuild, so production runs plain
 * `node dist/...` with no TypeScript loader in memory. `npm run build` runs it before
 * `next build`; `npm start` and `mailctl` run it (`--if-stale`) when a source is newer
 * than the build.
 *
 * Layout: one bundle per entry at the entry's own path (mail-engine/main.ts ->
 * dist/mail-engine/main.js); node_modules stay external (loaded by Node as installed).
 * Worker entries are the files named `*-worker.ts` under lib/ and mail-engine/: they
 * are started with lib/threads/start-thread.ts, which maps a worker's source URL to its
 * bundle here.
 *
 * `import.meta.url` keeps meaning "this source file" inside a bundle: the plugin below
 * rewrites it, per source module, to that module's source path resolved against the
 * output file's own URL. Code that finds files next to itself (prisma/migrations, Prisma's
 * generated client, worker entries) therefore works the same compiled and under tsx,
 * wherever the checkout lives.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(root, "dist");
/** The build in use: a symbolic link to one of the build folders dist/b-<id>. */
export const CURRENT = path.join(DIST, "current");
const INFO = "build-info.json";
/** Builds kept (the current one and the ones before), for processes started from them. */
const KEEP_BUILDS = 3;

/** Where a source change makes the build stale. */
const SOURCE_DIRS = ["lib", "mail-engine", "cli", "scripts", "generated"];
const SOURCE_FILES = ["package.json", "package-lock.json", "tsconfig.json"];
const FIXED_ENTRIES = ["mail-engine/main.ts", "cli/mailctl.ts", "scripts/start.ts", "scripts/prepare.ts"];

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function sources() {
  const files = [];
  for (const d of SOURCE_DIRS) walk(path.join(root, d), files);
  for (const f of SOURCE_FILES) files.push(path.join(root, f));
  return files;
}

function workerEntries() {
  const out = [];
  for (const d of ["lib", "mail-engine"]) for (const f of walk(path.join(root, d), [])) if (f.endsWith("-worker.ts")) out.push(path.relative(root, f));
  return out.sort();
}

/** Newest modification time among the sources, in ms. */
function newestSource() {
  let newest = 0;
  for (const f of sources()) {
    try {
      newest = Math.max(newest, fs.statSync(f).mtimeMs);
    } catch {}
  }
  return newest;
}

/** True when dist/ exists and no source is newer than it (a few ms: stats ~300 files). */
export function isFresh() {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(CURRENT, INFO), "utf8"));
    return typeof info.sourcesMtimeMs === "number" && newestSource() <= info.sourcesMtimeMs;
  } catch {
    return false;
  }
}

/** dist/ file of an entry: its path with "/" as "." (lib/store/x-worker.ts -> dist/lib.store.x-worker.js). */
export function outName(entry) {
  return entry.replace(/\.m?ts$/, "").split("/").join(".");
}

/**
 * The esbuild plugin that keeps `import.meta.url` pointing at each module's source file.
 * Every output file (entries and shared chunks) sits directly in dist/b-<id>/, so the
 * project root is "../../" from any of them. (`import.meta.dirname` is left alone: it
 * is the build folder, which start-thread.ts uses to find worker entries of its own build.)
 */
const sourceImportMetaUrl = {
  name: "source-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.(m?ts|m?js)$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await fs.promises.readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = path.relative(root, args.path).split(path.sep).join("/");
      const expr = `new URL(${JSON.stringify(`../../${rel}`)}, import.meta.url).href`;
      const loader = /\.m?ts$/.test(args.path) ? "ts" : "js";
      return { contents: text.replaceAll("import.meta.url", expr), loader };
    });
  },
};

export async function build() {
  const esbuild = await import("esbuild");
  const started = Date.now();
  const sourcesMtimeMs = newestSource();
  // Each build in its own folder; dist/current is switched to it only once it is whole
  // (renaming a symbolic link is atomic). A running process keeps using the folder it was
  // started from (Node runs the real path of dist/current/...), so a rebuild never pulls
  // a lazily loaded chunk or a worker entry from under it; the last KEEP_BUILDS are kept.
  fs.mkdirSync(DIST, { recursive: true });
  const id = `b-${Date.now().toString(36)}-${process.pid}`;
  const tmp = path.join(DIST, id);
  const entries = [...FIXED_ENTRIES, ...workerEntries()];
  try {
    await esbuild.build({
      entryPoints: Object.fromEntries(entries.map((e) => [outName(e), path.join(root, e)])),
      outdir: tmp,
      bundle: true,
      // Shared code in chunks, and a dynamic import() stays a separate file loaded on
      // demand: a module imported lazily (Prisma, node-postgres) costs nothing until used.
      splitting: true,
      chunkNames: "chunk-[hash]",
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "warning",
      // lib/threads/start-thread.ts starts compiled worker entries when this is true.
      define: { __MAILSUITE_COMPILED__: "true" },
      plugins: [sourceImportMetaUrl],
    });
    fs.writeFileSync(path.join(tmp, INFO), JSON.stringify({ sourcesMtimeMs, builtAt: new Date().toISOString(), entries }, null, 2) + "\n");
    const link = path.join(DIST, `.current-${process.pid}`);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(id, link);
    fs.renameSync(link, CURRENT);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await esbuild.stop?.();
  }
  const builds = fs.readdirSync(DIST).filter((d) => /^b-/.test(d)).sort((a, b) => fs.statSync(path.join(DIST, b)).mtimeMs - fs.statSync(path.join(DIST, a)).mtimeMs);
  for (const old of builds.slice(KEEP_BUILDS)) if (old !== id) fs.rmSync(path.join(DIST, old), { recursive: true, force: true });
  return { entries, ms: Date.now() - started };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes("--if-stale");
  if (ifStale && isFresh()) process.exit(0);
  build().then(
    ({ entries, ms }) => console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", event: "build.done", proc: "build", dir: "dist", entries: entries.length, ms })),
    (err) => {
      console.error(`build failed: ${err?.message ?? err}\nfix the error above, then run \`npm run build\``);
      process.exit(1);
    },
  );
}
