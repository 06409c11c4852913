import crypto from "node:crypto";

/**
 * Random bytes are drawn from a pool refilled 4 KiB at a time: a crypto.randomBytes()
 * call per id cost about 10 us, and a delivered message needs four or five ids.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomSlice(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = crypto.randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXZ"; // no vowels: ids never spell words

/** A queue id, as given in the SMTP 250 reply and in every log line about the message. */
export function newQueueId(): string {
  const bytes = randomSlice(12);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** A row id for rows whose id is needed before insert (lower-case, 25 characters, sortable by time). */
export function createId(): string {
  const time = Date.now().toString(36).padStart(9, "0");
  return "c" + time + randomSlice(8).toString("hex").slice(0, 15);
}
