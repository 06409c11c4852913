/**
 * "BlobImap": each blob's IMAP ENVELOPE and BODYSTRUCTURE as the text FETCH sends
 * (lib/imap/structure.ts), written with the blob at delivery and read by FETCH with the
 * message rows (fetch-rows.ts), as Dovecot answers from its cache file. Rendering them
 * per FETCH (address lists parsed, parts walked) was most of a 10,000-message FETCH's
 * time (bench/imap.ts). Blobs stored before the table existed get theirs on their first
 * FETCH (fillImapCache). The rows go with their Blob (trigger / cascade, migration 0009).
 */
import { renderForImap, type ImapRendering } from "../imap/structure";
import { readStructure } from "./parse";
import type { StoreTx } from "./tx";

export type { ImapRendering } from "../imap/structure";

/** The rendering of a stored structure (Blob.structure JSON); null when there is none. */
export function renderingOf(structureJson: string | null | undefined): ImapRendering | null {
  const st = readStructure(structureJson);
  return st ? renderForImap(st) : null;
}

const INSERT = `INSERT INTO "BlobImap" ("hash", "envelope", "bodyStructure") VALUES ($1, $2, $3) ON CONFLICT ("hash") DO NOTHING`;

/** With the Blob row, in the delivery's transaction. */
export async function writeImapRendering(tx: StoreTx, hash: string, r: ImapRendering): Promise<void> {
  await tx.run(INSERT, [hash, r.envelope, r.bodyStructure]);
}

export interface FillImapCacheArgs {
  entries: Array<{ hash: string } & ImapRendering>;
}

/** The op that stores renderings FETCH made for blobs without one; a blob swept meanwhile gets none. */
export async function fillImapCache(tx: StoreTx, a: FillImapCacheArgs): Promise<number> {
  let n = 0;
  for (const e of a.entries) {
    n += await tx.run(
      `INSERT INTO "BlobImap" ("hash", "envelope", "bodyStructure") SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT) WHERE EXISTS (SELECT 1 FROM "Blob" WHERE "hash" = $1) ON CONFLICT ("hash") DO NOTHING`,
      [e.hash, e.envelope, e.bodyStructure],
    );
  }
  return n;
}
