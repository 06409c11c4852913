/**
 * The content-addressed blob store for raw RFC 5322 messages (SHA-256 of the bytes);
 * one copy however many mailboxes hold the message. Two tiers:
 *
 * - Small messages (up to BLOB_INLINE_MAX bytes, 64 KiB by default: most mail) are kept
 *   in Blob.data and written in the same database transaction as the message rows, so
 *   one commit (one fsync for a whole group of messages) makes bytes and rows durable
 *   together, and a failed transaction leaves nothing behind. Creating a file per
 *   message cost 30 us to 1.3 ms of kernel time each on our machines, more than
 *   everything else the engine does for a 4 KB message (see README, benchmark).
 * - Larger ones are files: DATA_DIR/blobs/ab/<hash> (256 folders made at start, so
 *   storing a message never creates a folder), written to blobs/tmp, fsynced, renamed
 *   into place and the folder fsynced, all before the rows commit.
 *
 * BLOB_STORE=database keeps every message in the database (nodes without a shared disk).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { Db } from "../db/client";

export interface BlobRef {
  hash: string;
  size: number;
  /** Bytes to store in the Blob row (small messages); null when they are in a file. */
  inlineData: Buffer | null;
  /** The file of a file-tier blob. */
  file?: string | null;
}

export function sha256(data: Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

const HASH = /^[0-9a-f]{64}$/;

/** The file tier: DATA_DIR/blobs. */
export class FileBlobStore {
  private readonly tmpDir: string;
  /** Open descriptors of the 256 folders, to fsync a folder after a rename without reopening it. */
  private readonly dirFds = new Map<string, number>();

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, "tmp");
    fs.mkdirSync(this.tmpDir, { recursive: true });
    let created = false;
    for (let i = 0; i < 256; i++) {
      const dir = path.join(root, i.toString(16).padStart(2, "0"));
      if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir);
        created = true;
      }
    }
    if (created) fsyncDirSync(root);
  }

  pathOf(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not a blob hash: ${hash}`);
    return path.join(this.root, hash.slice(0, 2), hash);
  }

  async put(data: Buffer): Promise<BlobRef> {
    const hash = sha256(data);
    const final = this.pathOf(hash);
    const ref = { hash, size: data.length, inlineData: null, file: final };
    // No existence check first: stored messages start with a unique trace header, so a
    // repeat is rare, and renaming identical bytes over identical bytes is harmless.
    const dir = path.dirname(final);
    // turbopackIgnore: a run-time file under DATA_DIR; keeps Next's file tracing from copying the whole project.
    const tmp = path.join(/* turbopackIgnore: true */ this.tmpDir, `${hash}.${process.pid}.${crypto.randomBytes(6).toString("hex")}`);
    try {
      await fs.promises.writeFile(tmp, data, { flag: "wx", mode: 0o640, flush: true }); // flush: fsync before close
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await fs.promises.rename(tmp, final);
    await fsync(this.dirFd(dir));
    return ref;
  }

  /** A new temporary file for a blob being received (IncomingBlob). */
  async openTemp(): Promise<{ path: string; fh: fs.promises.FileHandle }> {
    const tmp = path.join(this.tmpDir, `in.${process.pid}.${crypto.randomBytes(8).toString("hex")}`);
    return { path: tmp, fh: await fs.promises.open(tmp, "wx", 0o640) };
  }

  /** Moves a fsynced temporary file into place as blob `hash` and makes the rename durable. */
  async place(tmp: string, hash: string): Promise<string> {
    const final = this.pathOf(hash);
    await fs.promises.rename(tmp, final);
    await fsync(this.dirFd(path.dirname(final)));
    return final;
  }

  private dirFd(dir: string): number {
    let fd = this.dirFds.get(dir);
    if (fd === undefined) {
      fd = fs.openSync(dir, "r");
      this.dirFds.set(dir, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.dirFds.values()) fs.closeSync(fd);
    this.dirFds.clear();
  }

  async get(hash: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(hash));
  }

  /**
   * One open file for many ranges (a message's text parts one after another): a message
   * of 20,000 parts costs one open, not 20,000. close() when done.
   */
  async rangeReader(hash: string): Promise<RangeReader> {
    const fh = await fs.promises.open(this.pathOf(hash), "r");
    return { read: (start, end) => readRange(fh, start, end), close: () => fh.close() };
  }

  /** Bytes [start, end) of the file: only they are read, so a part of a 50 MB message costs its own size. */
  async getRange(hash: string, start: number, end: number): Promise<Buffer> {
    const fh = await fs.promises.open(this.pathOf(hash), "r");
    try {
      return await readRange(fh, start, end);
    } finally {
      await fh.close();
    }
  }
}

/** Reads ranges of one blob through one open file (or its row's bytes). */
export interface RangeReader {
  read(start: number, end: number): Promise<Buffer>;
  close(): Promise<void>;
}

async function readRange(fh: fs.promises.FileHandle, start: number, end: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(Math.max(0, end - start));
  let off = 0;
  while (off < out.length) {
    const { bytesRead } = await fh.read(out, off, out.length - off, start + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return out.subarray(0, off);
}

export interface BlobStoreOptions {
  /** The file tier's folder (DATA_DIR/blobs); null keeps everything in the database. */
  dir: string | null;
  /** Largest message kept in the database row; larger ones become files. */
  inlineMax: number;
}

export class BlobStore {
  readonly files: FileBlobStore | null;
  readonly inlineMax: number;

  constructor(private readonly db: Db, opts: BlobStoreOptions) {
    this.files = opts.dir ? new FileBlobStore(opts.dir) : null;
    this.inlineMax = this.files ? opts.inlineMax : Infinity;
  }

  /** The address of the bytes; a file-tier blob is durable when this resolves, an inline one once its row commits. */
  async put(data: Buffer): Promise<BlobRef> {
    if (!this.files || data.length <= this.inlineMax) return { hash: sha256(data), size: data.length, inlineData: data };
    return this.files.put(data);
  }

  /** Receives a blob as it arrives (SMTP DATA): small ones stay in memory, larger ones go to a temporary file. */
  begin(): IncomingBlob {
    return new IncomingBlob(this);
  }

  /** Bytes [start, end) of a blob: a file is read only there, so a part of a 50 MB message costs its own size. */
  async getRange(hash: string, start: number, end: number): Promise<Buffer> {
    const row = await this.db.blob.findUnique({ where: { hash }, select: { data: true } });
    if (row?.data) return Buffer.from(row.data).subarray(start, end);
    if (!this.files) throw new Error(`blob ${hash} is not in the database${row ? "" : " (no Blob row)"}`);
    return this.files.getRange(hash, start, end);
  }

  /** Ranges of one blob, its row looked up once (see FileBlobStore.rangeReader). */
  async rangeReader(hash: string): Promise<RangeReader> {
    const row = await this.db.blob.findUnique({ where: { hash }, select: { data: true } });
    if (row?.data) {
      const data = Buffer.from(row.data);
      return { read: async (start, end) => data.subarray(start, end), close: async () => {} };
    }
    if (!this.files) throw new Error(`blob ${hash} is not in the database${row ? "" : " (no Blob row)"}`);
    return this.files.rangeReader(hash);
  }

  async get(hash: string): Promise<Buffer> {
    const row = await this.db.blob.findUnique({ where: { hash }, select: { data: true } });
    if (row?.data) return Buffer.from(row.data);
    if (!this.files) throw new Error(`blob ${hash} is not in the database${row ? "" : " (no Blob row)"}`);
    return this.files.get(hash);
  }

  close(): void {
    this.files?.close();
  }
}

/**
 * A blob being received: hashed as it arrives (SHA-256), kept in memory up to the
 * store's inline limit and spilled to a temporary file past it, so a large message is
 * never whole in memory. commit() makes it durable (fsync, rename, folder fsync) and
 * returns its address; discard() removes what was written.
 */
export class IncomingBlob {
  private readonly hash = crypto.createHash("sha256");
  private size = 0;
  private chunks: Buffer[] = [];
  private file: { path: string; fh: fs.promises.FileHandle } | null = null;
  private done = false;

  constructor(private readonly store: BlobStore) {}

  get bytes(): number {
    return this.size;
  }

  /** Whether the bytes went to a temporary file (the message is larger than the inline limit). */
  get spilled(): boolean {
    return this.file !== null;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.done) throw new Error("blob already committed or discarded");
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.file) return writeAll(this.file.fh, chunk);
    this.chunks.push(chunk);
    if (this.store.files && this.size > this.store.inlineMax) {
      this.file = await this.store.files.openTemp();
      const pending = this.chunks;
      this.chunks = [];
      for (const c of pending) await writeAll(this.file.fh, c);
    }
  }

  /** The bytes, when the blob is small enough to stay in memory; null once spilled to a file. */
  get inline(): Buffer | null {
    return this.file ? null : Buffer.concat(this.chunks, this.size);
  }

  /** The bytes written so far from `start`, while neither committed nor discarded (to check a message before accepting it). */
  read(start = 0): Readable {
    if (this.done) throw new Error("blob already committed or discarded");
    if (this.file) return fs.createReadStream(this.file.path, { start });
    return Readable.from([Buffer.concat(this.chunks, this.size).subarray(start)]);
  }

  async commit(): Promise<BlobRef> {
    this.done = true;
    const hash = this.hash.digest("hex");
    if (!this.file) return { hash, size: this.size, inlineData: Buffer.concat(this.chunks, this.size) };
    const { fh, path: tmp } = this.file;
    try {
      await fh.sync();
      await fh.close();
      const file = await this.store.files!.place(tmp, hash);
      return { hash, size: this.size, inlineData: null, file };
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  async discard(): Promise<void> {
    this.done = true;
    this.chunks = [];
    if (!this.file) return;
    await this.file.fh.close().catch(() => undefined);
    await fs.promises.rm(this.file.path, { force: true });
  }
}

async function writeAll(fh: fs.promises.FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}

export function createBlobStore(config: { blobStore: "file" | "database"; blobInlineMax: number; dataDir: string }, db: Db): BlobStore {
  return new BlobStore(db, { dir: config.blobStore === "database" ? null : path.join(config.dataDir, "blobs"), inlineMax: config.blobInlineMax });
}

function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}
