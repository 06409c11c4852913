// Thread entry under tsx only (see start-thread.ts): worker threads do not inherit the
// parent's TypeScript loader, so register tsx here, then run the real entry, whose URL
// start-thread.ts passed as the first argument.
import { register } from "tsx/esm/api";

const entry = process.argv.splice(2, 1)[0];
register();
await import(entry);
