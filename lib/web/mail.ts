/**
 * Server-side helpers of the webmail pages: the process's store handles and "open a
 * message" (load it for its owner, parse and sanitise it). Opening never marks it read:
 * a GET must not change state (link prefetchers, scanners); the page marks it read with
 * a POST once shown (app/mail/actions.ts markReadAction). No Next or React here; the
 * pages call these after requireSession().
 */
import { loadConfig, type Config } from "../config";
import { getDb, type Db } from "../db/client";
import type { BlobStore } from "../store/blob-store";
import { openStore, type MailStore } from "../store";
import { ChangeFeed } from "../store/change-feed";
import { getMessage, type MessageDetail } from "../store/read";
import { extractAttachment, renderMessage, type RenderedMessage } from "../mime/render";

export interface Store {
  config: Config;
  db: Db;
  blobs: BlobStore;
  /** Every change (flags, moves, deletes) goes through here. */
  mail: MailStore;
}

let store: Promise<Store> | null = null;

export function getStore(): Promise<Store> {
  store ??= (async () => {
    const config = loadConfig();
    const db = await getDb();
    const mail = openStore(config, db);
    return { config, db, blobs: mail.blobs, mail };
  })();
  store.catch(() => {
    store = null;
  });
  return store;
}

/** The process's change feed (server-sent events), made on first use. */
export function getChangeFeed(): ChangeFeed {
  const g = globalThis as unknown as { __mailFeed?: ChangeFeed };
  return (g.__mailFeed ??= new ChangeFeed(loadConfig()));
}

export interface OpenedMessage {
  message: MessageDetail;
  rendered: RenderedMessage;
}

/** Ids are ours (cuid-like); anything else is not found without asking the database. */
export function isMessageId(id: string): boolean {
  return /^[a-z0-9_-]{1,64}$/i.test(id);
}

/** One of the account's messages, parsed for display, unchanged. Null when the account has no such message. */
export async function openMessage(accountId: string, messageId: string): Promise<OpenedMessage | null> {
  if (!isMessageId(messageId)) return null;
  const { db, blobs } = await getStore();
  const message = await getMessage(db, accountId, messageId);
  if (!message) return null;
  const rendered = await renderMessage(await blobs.get(message.blobHash));
  return { message, rendered };
}

/** One attachment of one of the account's messages, or null. */
export async function openAttachment(accountId: string, messageId: string, index: number) {
  if (!isMessageId(messageId)) return null;
  const { db, blobs } = await getStore();
  const message = await getMessage(db, accountId, messageId);
  if (!message) return null;
  return extractAttachment(await blobs.get(message.blobHash), index);
}
