/** The store's search puts a query's cheap column tests before those that read the stored envelope (lib/store/search.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cheapFirst } from "../../lib/store/search";

test("conditions with a subquery go after the column comparisons, each group in its own order", () => {
  const from = `(m."fromAddress" LIKE $3 OR (SELECT json_extract(b."structure", '$.envelope.from') FROM "Blob" b WHERE b."hash" = m."blobHash") LIKE $4)`;
  const unread = `m."seen" = $5`;
  const attachment = `m."hasAttachments" = $6`;
  const keyword = `m."id" IN (SELECT k."messageId" FROM "MessageKeyword" k WHERE k."keyword" = $7)`;
  assert.deepEqual(cheapFirst([from, unread, keyword, attachment]), [unread, attachment, from, keyword]);
  assert.deepEqual(cheapFirst([unread, attachment]), [unread, attachment]);
  // "selected" in a value is not a subquery.
  assert.deepEqual(cheapFirst([`m."subject" LIKE 'selected'`, unread]), [`m."subject" LIKE 'selected'`, unread]);
});
