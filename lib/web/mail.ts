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
import { getMessage, listThread, type MessageDetail, type ThreadItem } from "../store/read";
import { extractAttachment, htmlDocument, renderMessage, type RenderedAttachment, type RenderedMessage } from "../mime/render";
import { attachments, partAt, type AttachmentInfo, type MimePart } from "../mime/structure";
import { decodeBody } from "../mime/part-body";
import { readStructure } from "../store/parse";
import { MAGIC_LENGTH, previewKind } from "../mime/magic";
import { fromAuthenticated, isImageSender } from "./image-senders";

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

/**
 * One of the account's messages, parsed for display, unchanged. Null when the account has
 * no such message. `remoteImages`: the reader asked to load this message's remote images.
 */
export async function openMessage(accountId: string, messageId: string, opts: { remoteImages?: boolean } = {}): Promise<OpenedMessage | null> {
  if (!isMessageId(messageId)) return null;
  const { db, blobs } = await getStore();
  const message = await getMessage(db, accountId, messageId);
  if (!message) return null;
  const rendered = await renderMessage(await blobs.get(message.blobHash), opts);
  // The list (and its download indices) from the stored structure, as openAttachment reads it.
  const stored = await storedAttachments(db, message.blobHash);
  if (stored) rendered.attachments = await withPreviews(blobs, message.blobHash, stored);
  return { message, rendered };
}

/** Whether the message opens with its remote images by the account's sender list: a listed From, authenticated on arrival (image-senders.ts). */
export async function imagesAllowedFor(accountId: string, message: { fromAddress: string; blobHash: string }): Promise<boolean> {
  const { config, db, blobs } = await getStore();
  if (!(await isImageSender(db, accountId, message.fromAddress))) return false;
  return fromAuthenticated(await blobs.get(message.blobHash), config.hostname);
}

/** What an open message's toolbar needs to know of it (the message page and the list's pane). */
export interface MessageSummary {
  id: string;
  folder: string;
  subject: string;
  seen: boolean;
  flagged: boolean;
  inJunk: boolean;
}

export function messageSummary(m: MessageDetail, inJunk: boolean): MessageSummary {
  return { id: m.id, folder: m.mailboxName, subject: m.subject, seen: m.seen, flagged: m.flagged, inJunk };
}

/** Dates as ISO text: what JSON carries. */
type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/**
 * An opened message as the list's pane shows it (GET /api/messages/<id>): the fields the
 * message page renders, the frame's document made here (the HTML sanitised on the
 * server, as for the page), and its conversation. Remote images stay blocked: "Show
 * images" loads the message page.
 */
export interface MessagePaneData extends MessageSummary {
  date: string;
  /** Without the HTML itself (it is in srcDoc): "" when there is one. */
  rendered: Json<RenderedMessage>;
  srcDoc: string;
  thread: Array<Json<ThreadItem>>;
  /** The sender is on the "always show images" list: the pane cannot widen the list page's CSP, so the message page shows it. */
  senderAllowed: boolean;
}

export async function openMessagePane(accountId: string, messageId: string): Promise<MessagePaneData | null> {
  const opened = await openMessage(accountId, messageId);
  if (!opened) return null;
  const { message: m, rendered } = opened;
  const { db } = await getStore();
  const [thread, box, senderAllowed] = await Promise.all([
    listThread(db, accountId, m.threadId),
    db.mailbox.findUnique({ where: { id: m.mailboxId }, select: { specialUse: true } }),
    imagesAllowedFor(accountId, m),
  ]);
  return {
    ...messageSummary(m, box?.specialUse === "\\Junk"),
    date: (m.sentDate ?? m.internalDate).toISOString(),
    rendered: { ...rendered, html: rendered.html === null ? null : "", date: rendered.date?.toISOString() ?? null },
    srcDoc: rendered.html === null ? "" : htmlDocument(rendered.html),
    thread: thread.map((t) => ({ ...t, internalDate: t.internalDate.toISOString(), sentDate: t.sentDate?.toISOString() ?? null })),
    senderAllowed,
  };
}

/**
 * The title of a list page with a message open in its pane (`?open=<id>`): the message's
 * subject, as its own page's title, so a refresh of the list keeps it. Null without one.
 */
export async function openedTitle(accountId: string, open: string | undefined): Promise<string | null> {
  if (!open || !isMessageId(open)) return null;
  const m = await getMessage((await getStore()).db, accountId, open);
  return m ? m.subject.trim() || "(no subject)" : null;
}

/**
 * The attachments of a message from the MIME structure stored with its blob (no parse
 * of the message); null when the blob predates stored structures.
 */
async function storedAttachments(db: Db, blobHash: string): Promise<{ list: AttachmentInfo[]; root: MimePart } | null> {
  const row = await db.blob.findUnique({ where: { hash: blobHash }, select: { structure: true } });
  const stored = readStructure(row?.structure);
  return stored ? { list: attachments(stored.structure), root: stored.structure } : null;
}

function toRendered(list: AttachmentInfo[]): RenderedAttachment[] {
  return list.map((a, index) => ({
    index,
    filename: a.filename || `attachment-${index + 1}`,
    contentType: a.contentType,
    size: a.size,
    contentId: a.contentId || null,
    inline: a.inline,
  }));
}

/**
 * The listed attachments with what each can be previewed as, from the first bytes of its
 * content (a few bytes of the blob each, decoded: enough for lib/mime/magic.ts). The
 * attachment route checks the bytes again when it serves one inline.
 */
async function withPreviews(blobs: BlobStore, blobHash: string, stored: { list: AttachmentInfo[]; root: MimePart }): Promise<RenderedAttachment[]> {
  // Base64 needs 4 characters for 3 bytes plus line breaks, quoted-printable up to 3 a byte.
  const ENCODED_HEAD = MAGIC_LENGTH * 4;
  return Promise.all(
    toRendered(stored.list).map(async (a) => {
      const part = a.inline ? null : partAt(stored.root, stored.list[a.index].section);
      if (!part) return a;
      const raw = await blobs.getRange(blobHash, part.bodyStart, Math.min(part.bodyEnd, part.bodyStart + ENCODED_HEAD));
      const head = decodeBody(raw, part.encoding);
      return { ...a, preview: head ? previewKind(head) : null };
    }),
  );
}

/**
 * One attachment of one of the account's messages, or null. Read from its byte range in
 * the blob through the stored structure; the whole message is parsed only for blobs
 * stored before structures were.
 */
export async function openAttachment(accountId: string, messageId: string, index: number) {
  if (!isMessageId(messageId)) return null;
  const { db, blobs } = await getStore();
  const message = await getMessage(db, accountId, messageId);
  if (!message) return null;
  const stored = await storedAttachments(db, message.blobHash);
  if (!stored) return extractAttachment(await blobs.get(message.blobHash), index);
  const info = Number.isInteger(index) && index >= 0 ? stored.list[index] : undefined;
  const part = info ? partAt(stored.root, info.section) : null;
  if (!info || !part) return null;
  const content = decodeBody(await blobs.getRange(message.blobHash, part.bodyStart, part.bodyEnd), part.encoding);
  // An encoding we cannot undo is served as stored (still a download).
  return { filename: info.filename || `attachment-${index + 1}`, contentType: info.contentType, content: content ?? (await blobs.getRange(message.blobHash, part.bodyStart, part.bodyEnd)) };
}
