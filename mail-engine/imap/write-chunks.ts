/**
 * How a session writes a response built from many pieces: the text pieces joined, the
 * literals (Buffers, a message's bytes) as they are, in one corked write that the socket
 * sends with one writev, instead of copying a message's bytes into a new Buffer first.
 */
import type { Writable } from "node:stream";

/** Writes `chunks` to `socket`; false when it wants a drain (as Writable.write). */
export function writeChunks(socket: Writable, chunks: Array<string | Buffer>): boolean {
  const pieces: Array<string | Buffer> = [];
  let text: string[] = [];
  for (const c of chunks) {
    if (typeof c === "string") text.push(c);
    else {
      if (text.length) pieces.push(text.join(""));
      text = [];
      pieces.push(c);
    }
  }
  if (text.length) pieces.push(text.join(""));
  if (pieces.length === 1) return socket.write(pieces[0]);
  socket.cork();
  let ok = true;
  for (const p of pieces) ok = socket.write(p);
  socket.uncork();
  return ok;
}
