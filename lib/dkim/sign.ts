/**
 * The signing hook outbound delivery calls before every send (mail-engine/queue). Until
 * DKIM keys exist this returns the message unchanged; DKIM signing replaces the body.
 */
import type { Db } from "../db/client";

export async function signOutbound(db: Db, message: Buffer): Promise<Buffer> {
  void db;
  return message;
}
