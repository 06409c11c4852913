/** Thread body of sqlite-writer-thread.ts: one SqliteStoreWriter, fed by messages; parses the summaries of small messages. */
import { parentPort, workerData } from "node:worker_threads";
import { SqliteStoreWriter } from "./sqlite-writer";
import type { PreparedDelivery } from "./deliver";
import { summarise } from "../mime/summary-lazy";

const writer = new SqliteStoreWriter((workerData as { file: string }).file);

parentPort!.on("message", (m: { id: number; d?: PreparedDelivery; close?: true }) => {
  if (m.close) {
    writer.close(); // flushes what is pending
    parentPort!.close();
    return;
  }
  const d = m.d!;
  // Small messages arrive without a summary: parse it here (RowWriter in deliver.ts).
  const ready = !d.summary && d.targets.length && d.blob?.inlineData
    ? summarise(Buffer.from(d.blob.inlineData.buffer, d.blob.inlineData.byteOffset, d.blob.inlineData.byteLength)).then((summary) => ({ ...d, summary }))
    : Promise.resolve(d);
  ready.then((ready) => writer.write(ready)).then(
    (delivered) => parentPort!.postMessage({ id: m.id, delivered }),
    (err: NodeJS.ErrnoException) => parentPort!.postMessage({ id: m.id, error: { message: err.message, code: err.code } }),
  );
});
