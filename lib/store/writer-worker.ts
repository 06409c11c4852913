/** Thread body of SqliteThreadRunner: one SqliteRunner, fed ops as messages. */
import { parentPort, workerData } from "node:worker_threads";
import { SqliteRunner } from "./runner";
import type { OpName } from "./ops";

const runner = new SqliteRunner((workerData as { file: string }).file);

parentPort!.on("message", (m: { id: number; op?: OpName; args?: never; close?: true }) => {
  if (m.close) {
    void runner.close().then(() => parentPort!.close());
    return;
  }
  runner.run(m.op!, m.args!).then(
    (result) => parentPort!.postMessage({ id: m.id, result }),
    (err: Error & { code?: string; storeCode?: string }) => parentPort!.postMessage({ id: m.id, error: { message: err.message, code: err.code, storeCode: err.storeCode } }),
  );
});
