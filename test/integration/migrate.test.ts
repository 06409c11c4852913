import { test, after } from "node:test";
import assert from "node:assert/strict";
import { testDatabase } from "../helpers/db";
import { migrate, listMigrations } from "../../lib/db/migrate";

const t = await testDatabase();
after(() => t.cleanup());

test("migrations apply once and the schema takes rows", async () => {
  assert.deepEqual(await migrate(t.config), [], "a second run applies nothing");
  assert.ok(listMigrations(t.config.provider).length >= 1);
  const d = await t.db.domain.create({ data: { name: "example.com" } });
  assert.equal((await t.db.domain.findUnique({ where: { id: d.id } }))?.name, "example.com");
});
