import crypto from "node:crypto";

const ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXZ"; // no vowels: ids never spell words

/** A queue id, as given in the SMTP 250 reply and in every log line about the message. */
export function newQueueId(): string {
  const bytes = crypto.randomBytes(12);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
