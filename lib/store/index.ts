/**
 * The store: the one module that changes mailboxes and messages, used by SMTP delivery,
 * IMAP, the web app and mailctl alike. Each change is an op (ops/*) run in one
 * transaction by a driver (runner.ts) and journalled in the same transaction
 * (journal.ts); reads for listing live in read.ts, live notifications in change-feed.ts.
 *
 *   const store = openStore(config, db);           // in-process driver (web, mailctl, tests)
 *   const store = openStore(config, db, { runner: new SqliteThreadRunner(file) });  // the engine
 *   await store.deliver({ raw, queueId, targets: [{ accountId }] });
 */
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type pg from "pg";
import type { Config } from "../config";
import { sqlitePath } from "../config";
import type { Db } from "../db/client";
import type { MessageSummary } from "../mime/summary";
import { createBlobStore, type BlobRef, type BlobStore } from "./blob-store";
import { StoreError } from "./errors";
import { ops, type OpArgs, type OpName, type OpResult } from "./ops";
import type { DeliverArgs, Delivered, DeliveryTarget, QueueRows } from "./ops/deliver";
import { unpackFlags, type SetFlagsResult, type SystemFlag } from "./ops/flags";
import { extractSearchText, type SearchText } from "../mime/search-text";
import { parseForStore, readStructure } from "./parse";
import type { ImapRendering } from "./imap-cache";
import { PgRunner, SqliteRunner, type OpRunner } from "./runner";

export type { Delivered, DeliveryTarget } from "./ops/deliver";
export type { SystemFlag } from "./ops/flags";
export { StoreError, isStoreError } from "./errors";

/** Parses summaries off the calling thread (the engine's MIME worker). */
export interface Summariser {
  parse(raw: Buffer): Promise<{ summary: MessageSummary; structure: string | null; imap?: ImapRendering | null; text?: SearchText }>;
}

export interface DeliveryRequest {
  /** The message as stored (for SMTP: with Return-Path and Received); may be absent when `blob` is given. */
  raw?: Buffer | null;
  /** A blob already made durable (streamed DATA): then `raw` is not stored again. */
  blob?: BlobRef;
  queueId: string;
  targets: DeliveryTarget[];
  /** Remote recipients of the same message, queued in the same transaction. */
  queue?: Omit<QueueRows, "bodyOffset"> & { bodyOffset?: number };
  receivedFrom?: string;
  internalDate?: Date;
  summary?: MessageSummary;
  structure?: string | null;
  /** IMAP ENVELOPE and BODYSTRUCTURE when the caller parsed the message (StoreParse.imap). */
  imap?: ImapRendering | null;
  /** The words for SEARCH TEXT/BODY when the caller extracted them (StoreParse.text). */
  text?: SearchText;
  quota?: "strict" | "grace";
  event?: string;
}

export interface AppendRequest {
  accountId: string;
  mailbox: string;
  raw: Buffer;
  flags?: SystemFlag[];
  keywords?: string[];
  internalDate?: Date;
}

export interface StoreOptions {
  /** The driver to use on SQLite instead of an in-process one (the engine's writer thread, thread-runner.ts). */
  runner?: OpRunner;
  /** A PostgreSQL pool to share (the engine's); otherwise one is made. */
  pool?: pg.Pool;
  summaries?: Summariser | null;
}

export class MailStore {
  private readonly ownsPool: pg.Pool | null;
  /** "queued" (queue id) after a delivery committed rows for remote recipients: this process's queue worker starts at once. */
  readonly events = new EventEmitter();

  constructor(
    readonly config: Config,
    readonly db: Db,
    readonly blobs: BlobStore,
    readonly runner: OpRunner,
    private readonly summaries: Summariser | null,
    ownsPool: pg.Pool | null,
  ) {
    this.ownsPool = ownsPool;
  }

  /** Runs one op in its own transaction (tests and callers that need an op without a wrapper). */
  run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.runner.run(op, args);
  }

  /**
   * Delivers one message to local targets and queues it for remote ones. The blob is
   * made durable first (a file, fsynced) or travels with the rows (small messages); when
   * this resolves, bytes and rows are committed (synchronous=FULL / PostgreSQL commit).
   */
  async deliver(req: DeliveryRequest): Promise<Delivered[]> {
    const args = await this.prepare(req);
    if (!args) return [];
    try {
      const delivered = await this.runner.run("deliver", args);
      if (args.queue) this.events.emit("queued", req.queueId);
      return delivered;
    } catch (err) {
      this.dropFiles([args]);
      throw err;
    }
  }

  /** A file blob written for a delivery that failed is removed at once, not left to the orphan scan. */
  private dropFiles(args: DeliverArgs[]): void {
    const hashes = args.filter((a) => a.blob.file).map((a) => a.blob.hash);
    if (hashes.length) void this.runner.run("dropOrphanFiles", { fileRoot: this.blobs.files!.root, hashes, graceMs: 0 }).catch(() => undefined);
  }

  /** The blob made durable and the message's summary, structure and words: the op's arguments (null: nothing to deliver). */
  private async prepare(req: DeliveryRequest): Promise<DeliverArgs | null> {
    const queue = req.queue && req.queue.recipients.length ? { ...req.queue, bodyOffset: req.queue.bodyOffset ?? 0 } : null;
    if (req.targets.length === 0 && !queue) return null;
    if (!req.blob && !req.raw) throw new Error("deliver() needs the message or its blob");
    const blob = req.blob ?? (await this.blobs.put(req.raw!));
    let summary = req.summary ?? null;
    let structure = req.structure ?? null;
    let imap = req.imap ?? null;
    let text = req.text;
    // On SQLite small messages are parsed by the writer itself (runner.ts); the rest here,
    // or by the caller while they arrived (streamed DATA).
    if (!summary && req.targets.length && (!blob.inlineData || !this.runner.parsesInline)) {
      const raw = req.raw ?? blob.inlineData;
      if (!raw) throw new Error("deliver() of a file blob needs its summary or its bytes");
      const parsed = await (this.summaries ?? { parse: parseForStore }).parse(raw);
      summary = parsed.summary;
      structure = parsed.structure;
      imap = parsed.imap ?? null;
      text ??= parsed.text;
    }
    // --- search index: the words of a message parsed without its bytes at hand (streamed DATA, the engine's parser thread).
    if (!text && summary && structure && req.targets.length) text = await this.searchText(blob, req.raw ?? blob.inlineData, structure);
    // --- end search index
    return {
      queueId: req.queueId,
      blob: { ...blob, structure, imap, text },
      summary,
      targets: req.targets,
      queue,
      internalDate: req.internalDate ?? new Date(),
      receivedFrom: req.receivedFrom,
      quota: req.quota ?? "strict",
      event: req.event,
    };
  }

  /** The search words of a stored message (its text parts read by range when it is a file); undefined when it cannot be read. */
  private async searchText(blob: BlobRef, raw: Buffer | null, structure: string): Promise<SearchText | undefined> {
    const st = readStructure(structure);
    if (!st) return undefined;
    const ranges = raw ? null : await this.blobs.rangeReader(blob.hash).catch(() => null);
    if (!raw && !ranges) return undefined;
    try {
      return await extractSearchText(st.structure, st.envelope, async (start, end) => (raw ? raw.subarray(start, end) : ranges!.read(start, end)));
    } catch {
      return undefined; // searched by scanning instead (lib/store/search.ts)
    } finally {
      await ranges?.close();
    }
  }

  /** IMAP APPEND and the web's drafts / sent copies: returns UIDVALIDITY and UID (RFC 4315 APPENDUID). */
  async append(req: AppendRequest): Promise<Delivered> {
    const [d] = await this.deliver(appendDelivery(req));
    if (!d) throw new StoreError("no-mailbox", `no such folder: ${req.mailbox}`);
    return d;
  }

  /** IMAP MULTIAPPEND (RFC 3502): every message stored, in order, in one transaction, or none. */
  async appendAll(reqs: AppendRequest[]): Promise<Delivered[]> {
    const args: DeliverArgs[] = [];
    for (const r of reqs) args.push((await this.prepare(appendDelivery(r)))!);
    try {
      return await this.runner.run("appendAll", { items: args });
    } catch (err) {
      this.dropFiles(args);
      throw err;
    }
  }

  async setFlags(args: OpArgs<"setFlags">): Promise<SetFlagsResult> {
    return unpackFlags(await this.runner.run("setFlags", args));
  }
  expunge(args: OpArgs<"expunge">) {
    return this.runner.run("expunge", args);
  }
  copy(args: Omit<OpArgs<"copy">, "move">) {
    return this.runner.run("copy", { ...args, move: false });
  }
  move(args: Omit<OpArgs<"copy">, "move">) {
    return this.runner.run("copy", { ...args, move: true });
  }
  createMailbox(args: OpArgs<"createMailbox">) {
    return this.runner.run("createMailbox", args);
  }
  renameMailbox(args: OpArgs<"renameMailbox">) {
    return this.runner.run("renameMailbox", args);
  }
  deleteMailbox(args: OpArgs<"deleteMailbox">) {
    return this.runner.run("deleteMailbox", args);
  }
  setSubscribed(args: OpArgs<"setSubscribed">) {
    return this.runner.run("setSubscribed", args);
  }
  claimRecent(args: OpArgs<"claimRecent">) {
    return this.runner.run("claimRecent", args);
  }
  /** Stores ENVELOPE and BODYSTRUCTURE renderings FETCH made for blobs delivered before they were kept (imap-cache.ts). */
  fillImapCache(entries: OpArgs<"fillImapCache">["entries"]) {
    return this.runner.run("fillImapCache", { entries });
  }

  /**
   * Sets or clears \Seen on one of the account's messages (the web). True when the flag
   * changed; false when it already had that value or the message is not the account's.
   */
  async setSeen(accountId: string, messageId: string, seen: boolean): Promise<boolean> {
    const msg = await this.db.message.findFirst({ where: { id: messageId, accountId }, select: { mailboxId: true } });
    if (!msg) return false;
    const r = await this.setFlags({ accountId, mailboxId: msg.mailboxId, messageIds: [messageId], mode: seen ? "add" : "remove", flags: ["seen"] });
    return r.changed.length > 0;
  }

  /**
   * Indexes up to `limit` blobs whose search words are pending (stored before the index
   * existed, or unreadable at delivery); the sweeper calls it each round. Returns how many.
   */
  async indexPending(limit = 100): Promise<number> {
    const pending = this.config.provider === "sqlite" ? `"pending" = 1` : `"pending"`;
    const rows = await this.db.$queryRawUnsafe<Array<{ hash: string; structure: string | null }>>(
      `SELECT t."hash", b."structure" FROM "BlobText" t JOIN "Blob" b ON b."hash" = t."hash" WHERE t.${pending} LIMIT ${Math.max(1, Math.floor(limit))}`,
    );
    const entries: Array<{ hash: string; text: SearchText }> = [];
    for (const r of rows) {
      let text: SearchText | undefined;
      try {
        // Blobs stored before the MIME structure was kept are parsed once more.
        const structure = r.structure ?? (await parseForStore(await this.blobs.get(r.hash))).structure;
        if (structure) text = await this.searchText({ hash: r.hash, size: 0, inlineData: null }, null, structure);
      } catch {
        /* unreadable: indexed with no words below, so it is not retried forever */
      }
      entries.push({ hash: r.hash, text: text ?? { head: "", body: "" } });
    }
    return entries.length ? this.runner.run("indexBlobTexts", { entries }) : 0;
  }

  /** Frees unreferenced blobs (rows and files); the engine calls it every few seconds. */
  sweep(limit = 500) {
    return this.runner.run("sweepBlobs", { fileRoot: this.blobs.files?.root ?? null, limit });
  }

  async close(): Promise<void> {
    await this.runner.close();
    this.blobs.close();
    if (this.ownsPool) await this.ownsPool.end();
  }
}

function appendDelivery(req: AppendRequest): DeliveryRequest {
  const flags = Object.fromEntries((req.flags ?? []).map((f) => [f, true]));
  return {
    raw: req.raw,
    queueId: "",
    targets: [{ accountId: req.accountId, mailbox: req.mailbox, flags, keywords: req.keywords }],
    internalDate: req.internalDate,
    quota: "strict",
    event: "appended",
  };
}

export function openStore(config: Config, db: Db, opts: StoreOptions = {}): MailStore {
  const blobs = createBlobStore(config, db);
  if (config.provider === "sqlite") {
    const file = sqlitePath(config.databaseUrl);
    const runner = opts.runner ?? new SqliteRunner(file);
    return new MailStore(config, db, blobs, runner, opts.summaries ?? null, null);
  }
  const pool = opts.pool ?? newPgPool(config.databaseUrl);
  return new MailStore(config, db, blobs, new PgRunner(pool), opts.summaries ?? null, opts.pool ? null : pool);
}

/**
 * A connection pool whose idle connections may die (server restart) without crashing the
 * process. node-postgres is loaded here, on first use, so a process on SQLite never loads it.
 */
function newPgPool(connectionString: string, max = 8): pg.Pool {
  const { Pool } = createRequire(import.meta.url)("pg") as typeof pg;
  const pool = new Pool({ connectionString, max });
  pool.on("error", () => undefined); // the next query reconnects
  return pool;
}

export async function createPgPool(connectionString: string, max = 8): Promise<pg.Pool> {
  return newPgPool(connectionString, max);
}

export { ops };
