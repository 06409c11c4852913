/**
 * Receives the DATA of one transaction straight into the blob store: each chunk is
 * scanned, hashed and written as it arrives (lib/store/blob-store.ts IncomingBlob), so a
 * 50 MB message is never whole in memory. Only the header section (up to
 * MAX_HEADER_BYTES) is kept, for the submission checks and for the trace headers put in
 * front of it.
 *
 * Bare line endings: a LF not preceded by CR, or a CR not followed by LF. smtp-server
 * ends DATA only at <CR><LF>.<CR><LF>, so <LF>.<CR><LF>, <CR><LF>.<LF> and <LF>.<LF>
 * arrive here as message content; the message is then refused whole (550 5.6.0, as
 * Postfix's smtpd_forbid_bare_newline does) so no downstream server can read it as two.
 *
 * Long lines (over RFC 5321 4.5.3.1.6's 1,000 octets) are stored as they came: a DKIM
 * signature covers them, so rewriting would break it. The longest line is reported so
 * that relaying can re-encode such a message instead of sending illegal lines.
 */
import type { Readable } from "node:stream";
import type { BlobRef, BlobStore, IncomingBlob } from "../../lib/store/blob-store";

export const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * The chunks of a large message are garbage once written, but V8 frees their memory only
 * at a young-generation collection, which JavaScript allocation (not buffer memory)
 * triggers: without help, tens of MB of received chunks wait in RSS. When the engine
 * runs with --expose-gc (as npm start runs it), a cheap minor collection every few MB of
 * a large message keeps that bounded.
 */
const GC_EVERY_BYTES = 4 * 1024 * 1024;
const collectGarbage = (globalThis as { gc?: (o: { type: "minor" | "major" }) => void }).gc;

const CR = 13;
const LF = 10;

/** Something fed the stored bytes as they arrive (the MIME parser of large messages). */
export interface ByteSink {
  write(chunk: Buffer): void;
}

export interface ReceiveOptions {
  blobs: BlobStore;
  /**
   * The bytes stored before the message (Return-Path, Received, added Date/Message-ID),
   * given its header section; `complete` is false when the header section passed
   * MAX_HEADER_BYTES without ending.
   */
  prefix(header: Buffer, complete: boolean): Buffer;
  /**
   * Given every stored byte (prefix included), in order, once the message is too large to
   * stay in memory: small messages are parsed later from their bytes, in one go.
   */
  sink?: ByteSink;
  maxHeaderBytes?: number;
}

export interface ReceivedMessage {
  /** The header section as received, with its terminating empty line when complete. */
  header: Buffer;
  headerComplete: boolean;
  /** Octets of DATA received (without the prefix). */
  size: number;
  bareLineEnding: boolean;
  sizeExceeded: boolean;
  longestLine: number;
  /** The whole stored message when it stayed in memory (small messages); null when spilled to a file. */
  inline: Buffer | null;
  /** The stored bytes (prefix included) from `start`, before commit or discard: for checks that need the whole message. */
  read(start?: number): Readable;
  /** Makes the blob durable; call once the message is accepted. */
  commit(): Promise<BlobRef>;
  /** Drops what was written; call when the message is refused. */
  discard(): Promise<void>;
}

/** Scans CRLF discipline and line lengths across chunk boundaries. */
export class LineScanner {
  bare = false;
  longest = 0;
  private prevWasCr = false;
  private lineLength = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.bare) this.bare = hasBareLineEnding(chunk, this.prevWasCr);
    this.prevWasCr = chunk[chunk.length - 1] === CR;
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      this.longest = Math.max(this.longest, this.lineLength + (i - start) + 1);
      this.lineLength = 0;
      start = i + 1;
    }
    this.lineLength += chunk.length - start;
  }

  end(): void {
    if (this.prevWasCr) this.bare = true; // a CR that ends the data is bare
    this.longest = Math.max(this.longest, this.lineLength);
  }
}

export async function receiveMessage(stream: Readable & { sizeExceeded?: boolean }, opts: ReceiveOptions): Promise<ReceivedMessage> {
  const maxHeader = opts.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const scan = new LineScanner();
  const headerChunks: Buffer[] = [];
  let headerLength = 0;
  let header: Buffer | null = null;
  let headerComplete = false;
  let size = 0;
  let blob: IncomingBlob | null = null;
  let overflowed = false;

  let sinceGc = 0;
  // Chunks the sink has not seen yet, while the blob is still in memory.
  let unsunk: Buffer[] | null = opts.sink ? [] : null;
  const store = async (chunk: Buffer) => {
    await blob!.write(chunk);
    if (unsunk) {
      unsunk.push(chunk);
      if (!blob!.spilled) return;
      for (const c of unsunk) opts.sink!.write(c);
      unsunk = null;
    } else opts.sink?.write(chunk);
    sinceGc += chunk.length;
    if (sinceGc >= GC_EVERY_BYTES) {
      sinceGc = 0;
      collectGarbage?.({ type: "minor" });
    }
  };
  const startBody = async (complete: boolean) => {
    const all = Buffer.concat(headerChunks, headerLength);
    const found = headerEnd(all);
    const end = complete ? (found === -1 ? all.length : found) : Math.min(all.length, maxHeader);
    header = all.subarray(0, end);
    headerComplete = complete;
    blob = opts.blobs.begin();
    await store(opts.prefix(header, complete));
    await store(all);
  };

  try {
    for await (const c of stream) {
      const chunk = c as Buffer;
      scan.push(chunk);
      size += chunk.length;
      if (stream.sizeExceeded) overflowed = true;
      if (overflowed) continue; // refused at the end; keep reading so the client gets its answer
      if (blob) {
        await store(chunk);
        continue;
      }
      headerChunks.push(chunk);
      headerLength += chunk.length;
      // Looking from a little before the new chunk finds a separator split across chunks.
      const all = headerChunks.length === 1 ? chunk : Buffer.concat(headerChunks, headerLength);
      if (headerChunks.length > 1) headerChunks.splice(0, headerChunks.length, all);
      if (headerEnd(all) !== -1) await startBody(true);
      else if (headerLength > maxHeader) await startBody(false);
    }
    scan.end();
    if (stream.sizeExceeded) overflowed = true;
    // Ended within the header limit: the header section is all there is (a message without a body).
    if (!blob && !overflowed) await startBody(true);
  } catch (err) {
    await (blob as IncomingBlob | null)?.discard();
    throw err;
  }
  const b = blob as IncomingBlob | null;
  const refused = overflowed || scan.bare;
  if (refused) await b?.discard();
  return {
    header: header ?? Buffer.alloc(0),
    headerComplete,
    size,
    bareLineEnding: scan.bare,
    sizeExceeded: overflowed,
    longestLine: scan.longest,
    inline: refused || !b ? null : b.inline,
    read: (start = 0) => {
      if (!b || refused) throw new Error("the message was refused; nothing to read");
      return b.read(start);
    },
    commit: async () => {
      if (!b || refused) throw new Error("the message was refused; nothing to commit");
      return b.commit();
    },
    discard: async () => {
      await b?.discard();
    },
  };
}

/**
 * Where the header section ends: after the first empty line (RFC 5322 2.1), or 0 when
 * the message starts with one (no header fields); -1 when not found yet.
 */
export function headerEnd(buf: Buffer): number {
  if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) return 2;
  const i = buf.indexOf("\r\n\r\n");
  return i === -1 ? -1 : i + 4;
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
