/**
 * What an idle engine loads: the packages reached from mail-engine/main.ts by static
 * imports are in memory from start-up in every engine; heavy ones used only on some paths
 * (the MIME parser's libraries, mailauth, the PostgreSQL driver) must be imported where
 * they are needed. esbuild's metafile gives the import graph the compiled build has.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";

const HEAVY = ["mailparser", "libmime", "html-to-text", "iconv-lite", "mailauth", "pg", "@prisma/adapter-pg"];

test("the engine's start-up imports leave out the MIME parser's libraries, mailauth and pg", async () => {
  const result = await build({
    entryPoints: ["mail-engine/main.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const inputs = result.metafile.inputs;
  const parent = new Map<string, string | null>([["mail-engine/main.ts", null]]);
  const queue = ["mail-engine/main.ts"];
  while (queue.length) {
    const file = queue.shift()!;
    for (const i of inputs[file]?.imports ?? []) {
      if (i.kind !== "import-statement" || parent.has(i.path)) continue;
      parent.set(i.path, file);
      if (inputs[i.path]) queue.push(i.path);
    }
  }
  const chain = (p: string) => {
    const out: string[] = [];
    for (let c: string | null | undefined = p; c; c = parent.get(c)) out.unshift(c);
    return out.join(" > ");
  };
  const packageOf = (spec: string) => spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");
  const external = [...parent.keys()].filter((p) => !inputs[p] && !p.startsWith("node:"));
  assert.ok(external.includes("smtp-server"), "the graph was read (smtp-server is a start-up import)");
  const heavy = external.filter((p) => HEAVY.includes(packageOf(p)));
  assert.deepEqual(heavy.map(chain), [], "import these where they are used (await import(...))");
});
