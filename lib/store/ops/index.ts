/**
 * Every change the store makes to mailboxes and messages, by name. Each op runs inside
 * one transaction given by a driver (runner.ts); the names let the engine send an op to
 * its SQLite writer thread as a message.
 */
import { dropOrphanFiles, sweepBlobs } from "./blobs";
import { copyMessages } from "./copy";
import { appendAll, deliverRows } from "./deliver";
import { expunge } from "./expunge";
import { setFlags } from "./flags";
import { createMailbox, deleteMailbox, renameMailbox, setSubscribed } from "./mailboxes";
import { claimRecent } from "./recent";
import { pruneVanished } from "./vanished";
import { indexBlobTexts } from "../search-index";
import { fillImapCache } from "../imap-cache";
import { claimQueue, finishQueued, recordQueueResults, releaseQueued } from "./queue";

export const ops = {
  deliver: deliverRows,
  appendAll,
  setFlags,
  expunge,
  copy: copyMessages,
  createMailbox,
  renameMailbox,
  deleteMailbox,
  setSubscribed,
  claimRecent,
  pruneVanished,
  sweepBlobs,
  dropOrphanFiles,
  indexBlobTexts,
  fillImapCache,
  claimQueue,
  recordQueueResults,
  finishQueued,
  releaseQueued,
};

export type Ops = typeof ops;
export type OpName = keyof Ops;
export type OpArgs<K extends OpName> = Parameters<Ops[K]>[1];
export type OpResult<K extends OpName> = Awaited<ReturnType<Ops[K]>>;
