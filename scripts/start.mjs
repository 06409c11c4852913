#!/usr/bin/env node
// `npm start`: compiles the engine, mailctl and the supervisor to dist/ when a source is
// newer than the build (scripts/build.mjs, about a second), then runs the supervisor
// (dist/current/scripts.start.js) in this same process: no npm or TypeScript loader stays
// between the shell and the suite beyond npm's own wrapper.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isFresh, CURRENT } from "./build.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
if (!isFresh()) {
  // A separate process, so esbuild's memory and service process do not stay with the supervisor.
  const res = spawnSync(process.execPath, [path.join(here, "build.mjs")], { stdio: "inherit" });
  if (res.status !== 0) process.exit(1);
}
await import(pathToFileURL(path.join(CURRENT, "scripts.start.js")).href);
