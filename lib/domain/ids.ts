import crypto from "node:crypto";

const ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXZ"; // no vowels: ids never spell words

/** A queue id, as given in the SMTP 250 reply and in every log line about the message. */
export function newQueueId(): string {
  const bytes = crypto.randomBytes(12);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** A row id for rows whose id is needed before insert (lower-case, 25 characters, sortable by time). */
export function createId(): string {
  const time = Date.now().toString(36).padStart(9, "0");
  return "c" + time + crypto.randomBytes(10).toString("hex").slice(0, 15);
}
