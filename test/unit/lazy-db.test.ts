/** lazyDb: the Prisma client is created on first use only, and behaves as the client. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lazyDb } from "../../lib/db/lazy";
import { createDb } from "../../lib/db/client";
import { testDatabase } from "../helpers/db";

test("lazyDb opens the client on the first query, batches deferred calls in $transaction, and closes only what it opened", async () => {
  const t = await testDatabase();
  try {
    let opens = 0;
    const lazy = lazyDb(() => {
      opens++;
      return createDb(t.config);
    });
    await lazy.close();
    assert.equal(opens, 0, "closing a client that was never used does not open it");
    const pending = lazy.db.domain.findMany();
    assert.equal(opens, 0, "a call is deferred until awaited, like a PrismaPromise");
    assert.deepEqual(await pending, []);
    assert.equal(opens, 1);
    assert.ok(lazy.opened());

    const lazy2 = lazyDb(() => createDb(t.config));
    const [created, count] = await lazy2.db.$transaction([lazy2.db.domain.create({ data: { name: "lazy.example" } }), lazy2.db.domain.count()]);
    assert.equal(created.name, "lazy.example");
    assert.equal(count, 1, "both calls ran in one transaction, in order");
    assert.equal(await lazy2.db.domain.count(), 1, "after opening, calls go to the real client");
    await lazy2.close();
    await lazy.close();
  } finally {
    await t.cleanup();
  }
});
