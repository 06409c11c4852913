/** Thread body of sqlite-writer-thread.ts: one SqliteStoreWriter, fed by messages. */
import { parentPort, workerData } from "node:worker_threads";
import { SqliteStoreWriter, type PreparedDelivery } from "./sqlite-writer";

const writer = new SqliteStoreWriter((workerData as { file: string }).file);

parentPort!.on("message", (m: { id: number; d?: PreparedDelivery; close?: true }) => {
  if (m.close) {
    writer.close(); // flushes what is pending
    parentPort!.close();
    return;
  }
  writer.write(m.d!).then(
    (delivered) => parentPort!.postMessage({ id: m.id, delivered }),
    (err: NodeJS.ErrnoException) => parentPort!.postMessage({ id: m.id, error: { message: err.message, code: err.code } }),
  );
});
