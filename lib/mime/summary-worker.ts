/** Worker thread body for summary-pool.ts: parses messages off the engine's main thread. */
import { parentPort } from "node:worker_threads";
import { summarise } from "./summary";

parentPort!.on("message", (msg: { id: number; raw: Uint8Array }) => {
  summarise(Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength)).then(
    (summary) => parentPort!.postMessage({ id: msg.id, summary }),
    (err: Error) => parentPort!.postMessage({ id: msg.id, error: err.message }),
  );
});
