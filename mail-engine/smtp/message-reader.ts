/**
 * Reads the DATA stream of one transaction into memory, counting bytes and noting
 * bare line endings: a LF not preceded by CR, or a CR not followed by LF. smtp-server
 * ends DATA only at <CR><LF>.<CR><LF>, so <LF>.<CR><LF>, <CR><LF>.<LF> and <LF>.<LF>
 * arrive here as message content; we then refuse the message whole (550 5.6.0, as
 * Postfix's smtpd_forbid_bare_newline does) so no downstream server can read it as
 * two messages.
 */
import type { Readable } from "node:stream";

export interface ReadMessage {
  data: Buffer;
  bareLineEnding: boolean;
  sizeExceeded: boolean;
}

const CR = 13;
const LF = 10;

export function readMessage(stream: Readable & { sizeExceeded?: boolean }): Promise<ReadMessage> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let bare = false;
    let prevWasCr = false; // the last byte of the previous chunk was CR
    stream.on("data", (chunk: Buffer) => {
      if (!bare) bare = hasBareLineEnding(chunk, prevWasCr);
      prevWasCr = chunk.length > 0 && chunk[chunk.length - 1] === CR;
      if (!stream.sizeExceeded) {
        chunks.push(chunk);
        length += chunk.length;
      }
    });
    stream.once("error", reject);
    stream.once("end", () => {
      if (prevWasCr) bare = true; // a CR that ends the data is bare
      resolve({ data: Buffer.concat(chunks, length), bareLineEnding: bare, sizeExceeded: !!stream.sizeExceeded });
    });
  });
}

function hasBareLineEnding(chunk: Buffer, prevWasCr: boolean): boolean {
  if (prevWasCr && chunk.length > 0 && chunk[0] !== LF) return true;
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    if (i === 0 ? !prevWasCr : chunk[i - 1] !== CR) return true;
  }
  for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
    if (i + 1 < chunk.length && chunk[i + 1] !== LF) return true;
  }
  return false;
}
