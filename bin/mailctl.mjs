#!/usr/bin/env node
// The `mailctl` command of the package: runs cli/mailctl.ts through tsx.
import { register } from "tsx/esm/api";

register();
process.argv[1] = new URL("../cli/mailctl.ts", import.meta.url).pathname;
await import("../cli/mailctl.ts");
