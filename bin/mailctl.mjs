#!/usr/bin/env node
// The `mailctl` command of the package. Runs the compiled build (dist/, made by
// `npm run build` or `npm start`) when it is up to date with the sources, else
// cli/mailctl.ts through tsx (development: a checkout being edited).
import { pathToFileURL } from "node:url";
import path from "node:path";
import { CURRENT, isFresh } from "../scripts/build.mjs";

if (isFresh()) {
  await import(pathToFileURL(path.join(CURRENT, "cli.mailctl.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  process.argv[1] = new URL("../cli/mailctl.ts", import.meta.url).pathname;
  await import("../cli/mailctl.ts");
}
