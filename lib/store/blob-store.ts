/**
 * The content-addressed blob store for raw RFC 5322 messages (SHA-256 of the bytes).
 *
 * File backend (default): DATA_DIR/blobs/ab/<hash> (256 folders made at start, so
 * storing a message never creates a folder). A blob is written to
 * blobs/tmp, fsynced, renamed into place and its directory fsynced, so once put()
 * resolves the bytes survive a crash; writing the same bytes twice stores them once.
 * Database backend (BLOB_STORE=database): the bytes go into Blob.data in the same
 * transaction as the message rows, for nodes without a shared disk.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db/client";

export interface BlobRef {
  hash: string;
  size: number;
  /** Bytes to store in the Blob row (database backend only). */
  inlineData: Buffer | null;
}

export interface BlobStore {
  readonly kind: "file" | "database";
  /** Makes the bytes durable (file backend) and returns their address. */
  put(data: Buffer): Promise<BlobRef>;
  get(hash: string): Promise<Buffer>;
  /** Releases what the store holds open. */
  close?(): void;
}

export function sha256(data: Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

const HASH = /^[0-9a-f]{64}$/;

export class FileBlobStore implements BlobStore {
  readonly kind = "file" as const;
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
    const ref = { hash, size: data.length, inlineData: null };
    // No existence check first: stored messages start with a unique trace header, so a
    // repeat is rare, and renaming identical bytes over identical bytes is harmless.
    const dir = path.dirname(final);
    const tmp = path.join(this.tmpDir, `${hash}.${process.pid}.${crypto.randomBytes(6).toString("hex")}`);
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
}

export class DatabaseBlobStore implements BlobStore {
  readonly kind = "database" as const;
  constructor(private readonly db: Db) {}

  async put(data: Buffer): Promise<BlobRef> {
    return { hash: sha256(data), size: data.length, inlineData: data };
  }

  async get(hash: string): Promise<Buffer> {
    const row = await this.db.blob.findUnique({ where: { hash }, select: { data: true } });
    if (!row?.data) throw new Error(`blob ${hash} is not in the database`);
    return Buffer.from(row.data);
  }
}

export function createBlobStore(config: { blobStore: "file" | "database"; dataDir: string }, db: Db): BlobStore {
  return config.blobStore === "database" ? new DatabaseBlobStore(db) : new FileBlobStore(path.join(config.dataDir, "blobs"));
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
