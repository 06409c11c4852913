/** Worker thread body for summary-pool.ts: parses messages off the engine's main thread. */
import { parentPort } from "node:worker_threads";
import { parseMessage } from "./message-parser";

parentPort!.on("message", (msg: { id: number; raw: Uint8Array }) => {
  // parseMessage() never throws: a message it cannot parse gets a minimal, reduced result
  const parsed = parseMessage(Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength));
  parentPort!.postMessage({ id: msg.id, parsed });
});
