/**
 * COMPRESS=DEFLATE (RFC 4978) as a stream the session reads and writes like its socket:
 * what comes in is inflated (raw deflate, RFC 1951), what goes out is deflated and
 * flushed with Z_SYNC_FLUSH once per burst of writes (RFC 4978 4: the client must be able
 * to read each response when it is sent), so a response never waits in the compressor.
 * Backpressure is kept: writes wait while the socket is full, the socket is paused while
 * the session reads no more. Over TLS the socket is the TLS socket (compress, then encrypt).
 */
import { Duplex } from "node:stream";
import zlib from "node:zlib";
import type net from "node:net";

export class DeflateStream extends Duplex {
  private readonly inflate = zlib.createInflateRaw();
  private readonly deflate = zlib.createDeflateRaw({ level: 6 });
  private flushQueued = false;

  constructor(private readonly raw: net.Socket, pending: Buffer) {
    super();
    raw.on("data", (d: Buffer) => this.inflate.write(d));
    raw.on("close", () => this.destroy());
    raw.on("error", (err) => this.destroy(err));
    // Bad compressed input cannot be resynchronised: the connection ends.
    this.inflate.on("error", (err) => this.destroy(err));
    this.inflate.on("data", (d: Buffer) => {
      if (!this.push(d)) raw.pause();
    });
    this.deflate.on("error", (err) => this.destroy(err));
    this.deflate.on("data", (d: Buffer) => {
      if (!raw.write(d)) {
        this.deflate.pause();
        raw.once("drain", () => this.deflate.resume());
      }
    });
    if (pending.length) this.inflate.write(pending);
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.deflate.write(chunk, cb);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        if (!this.deflate.destroyed) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
      });
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.deflate.once("end", () => {
      this.raw.end();
      cb();
    });
    this.deflate.end();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inflate.destroy();
    this.deflate.destroy();
    this.raw.destroy();
    cb(err);
  }
}
