/**
 * The base subject of RFC 5256 2.1, which SORT SUBJECT and both THREAD algorithms
 * compare: the subject without its reply / forward leaders ("Re:", "Fwd:", "[list]"
 * blobs in front of them), "(fwd)" trailers and "[fwd: ...]" wrappers. The subject given
 * is already decoded from RFC 2047 encoded-words (step 1's first part: the stored summary
 * holds it decoded).
 */

/** subj-blob = "[" *BLOBCHAR "]" *WSP (RFC 5256 5). */
const BLOB = /^\[[^[\]]*\][ \t]*/;
/** subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":", after any blobs (subj-leader). */
const REFWD = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:/i;
/** subj-trailer = "(fwd)" / WSP. */
const TRAILER = /(?:\(fwd\)|[ \t])$/i;

export interface BaseSubject {
  /** The base subject, as found (compare with compareKey()). */
  base: string;
  /** Whether a reply/forward leader, "(fwd)" trailer or "[fwd: ...]" wrapper was removed (RFC 5256 2.1, used by THREAD=REFERENCES). */
  reply: boolean;
}

export function baseSubject(subject: string): BaseSubject {
  // (1) tabs and continuations become a space; runs of spaces one space.
  let s = subject.replace(/\r?\n/g, "").replace(/[ \t]+/g, " ");
  let reply = false;
  for (;;) {
    // (2) trailers, repeatedly.
    for (let m = TRAILER.exec(s); m; m = TRAILER.exec(s)) {
      if (m[0] !== " " && m[0] !== "\t") reply = true;
      s = s.slice(0, m.index);
    }
    // (3)-(5): leaders, then one blob when something is left after it, until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (;;) {
        if (s.startsWith(" ")) {
          s = s.slice(1);
          changed = true;
          continue;
        }
        const m = REFWD.exec(s);
        if (!m) break;
        s = s.slice(m[0].length);
        reply = changed = true;
      }
      const b = BLOB.exec(s);
      if (b && b[0].length < s.length) {
        s = s.slice(b[0].length);
        changed = true;
      }
    }
    // (6) "[fwd:" ... "]": unwrap and start again from (2).
    if (/^\[fwd:/i.test(s) && s.endsWith("]")) {
      s = s.slice(5, -1);
      reply = true;
      continue;
    }
    return { base: s, reply };
  }
}

/** The i;ascii-casemap form (RFC 4790 9.2): ASCII letters upper-cased, the rest as is. */
export function compareKey(s: string): string {
  return s.replace(/[a-z]+/g, (w) => w.toUpperCase());
}
