/**
 * THREAD (RFC 5256 3): ORDEREDSUBJECT and REFERENCES over the messages a search found,
 * from stored columns (Message-ID, In-Reply-To, References, sent date, decoded subject).
 * Siblings and threads are ordered by sent date, equal dates by message number.
 */
import { baseSubject, compareKey } from "../../lib/mime/base-subject";

export interface ThreadInput {
  /** What the answer names: the message number, or the UID for UID THREAD. */
  id: number;
  /** Message number: the tie-breaker (RFC 5256 3). */
  seq: number;
  /** Sent date (the Date header, or the internal date without one), ms. */
  date: number;
  subject: string;
  messageId: string;
  inReplyTo: string;
  /** Message ids of the References header, in order. */
  references: string[];
}

export interface ThreadNode {
  msg: ThreadInput | null; // null: a dummy (a message referred to but not among those threaded)
  children: ThreadNode[];
  parent: ThreadNode | null;
}

const node = (msg: ThreadInput | null): ThreadNode => ({ msg, children: [], parent: null });

/** The date a node sorts by: its own, or for a dummy its first child's (RFC 5256 3, REFERENCES step 6). */
function sortDate(n: ThreadNode): [number, number] {
  if (n.msg) return [n.msg.date, n.msg.seq];
  return n.children.length ? sortDate(n.children[0]) : [0, 0];
}

function byDate(a: ThreadNode, b: ThreadNode): number {
  const [da, sa] = sortDate(a);
  const [db, sb] = sortDate(b);
  return da - db || sa - sb;
}

function sortTree(nodes: ThreadNode[]): void {
  for (const n of nodes) sortTree(n.children);
  nodes.sort(byDate);
}

/** ORDEREDSUBJECT: messages with the same base subject form one thread under the earliest. */
export function orderedSubject(msgs: ThreadInput[]): ThreadNode[] {
  const groups = new Map<string, ThreadNode>();
  const roots: ThreadNode[] = [];
  for (const m of [...msgs].sort((a, b) => a.date - b.date || a.seq - b.seq)) {
    const key = compareKey(baseSubject(m.subject).base);
    const root = groups.get(key);
    if (!root) {
      const n = node(m);
      groups.set(key, n);
      roots.push(n);
    } else root.children.push({ ...node(m), parent: root });
  }
  sortTree(roots);
  return roots;
}

/** Message ids without their angle brackets ("" when none). */
function msgIds(v: string): string[] {
  const out: string[] = [];
  for (const m of v.matchAll(/<([^<>\s]+)>|([^<>\s]+)/g)) out.push(m[1] ?? m[2]);
  return out;
}

/** REFERENCES (RFC 5256 3): the message ids link messages, then roots with one base subject are gathered. */
export function referencesThreads(msgs: ThreadInput[]): ThreadNode[] {
  const byId = new Map<string, ThreadNode>();
  const all: ThreadNode[] = [];
  const isAncestor = (a: ThreadNode, b: ThreadNode): boolean => {
    for (let p: ThreadNode | null = b; p; p = p.parent) if (p === a) return true;
    return false;
  };
  const link = (parent: ThreadNode, child: ThreadNode) => {
    if (child.parent === parent || parent === child || isAncestor(child, parent)) return;
    if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
    child.parent = parent;
    parent.children.push(child);
  };
  const container = (id: string): ThreadNode => {
    let n = byId.get(id);
    if (!n) {
      n = node(null);
      byId.set(id, n);
      all.push(n);
    }
    return n;
  };
  // (1) Containers by Message-ID; a duplicate id (or none) makes the message its own container.
  const own = new Map<ThreadInput, ThreadNode>();
  for (const m of [...msgs].sort((a, b) => a.seq - b.seq)) {
    const id = msgIds(m.messageId)[0];
    let n = id ? byId.get(id) : undefined;
    if (n && !n.msg) n.msg = m;
    else {
      n = node(m);
      all.push(n);
      if (id && !byId.has(id)) byId.set(id, n);
    }
    own.set(m, n);
  }
  for (const m of msgs) {
    const self = own.get(m)!;
    // (1A) References, or the first id of In-Reply-To without them.
    const refs = (m.references.length ? m.references.flatMap(msgIds) : msgIds(m.inReplyTo).slice(0, 1)).filter((r) => r !== msgIds(m.messageId)[0]);
    let prev: ThreadNode | null = null;
    for (const r of refs) {
      const c = container(r);
      // Each reference is the child of the one before it, unless it already has a parent.
      if (prev && !c.parent && prev !== c && !isAncestor(c, prev)) link(prev, c);
      prev = c;
    }
    // (1B) The last reference is the message's parent: a parent it had (from another's
    // truncated References) is dropped first; a link that would make a loop is not made.
    if (self.parent && self.parent !== prev) {
      self.parent.children = self.parent.children.filter((c) => c !== self);
      self.parent = null;
    }
    if (prev && prev !== self && !isAncestor(self, prev)) link(prev, self);
  }
  // (2) The root set; (4) dummies pruned.
  let roots = prune(all.filter((n) => !n.parent), true);
  sortTree(roots);
  // (5) Roots with the same base subject are gathered.
  const subjectOf = (n: ThreadNode) => baseSubject((n.msg ?? n.children[0]?.msg)?.subject ?? "");
  const table = new Map<string, ThreadNode>();
  for (const r of roots) {
    const s = subjectOf(r);
    const key = compareKey(s.base);
    if (!key) continue;
    const old = table.get(key);
    if (!old || (!r.msg && old.msg) || (old.msg && subjectOf(old).reply && r.msg && !s.reply)) table.set(key, r);
  }
  const out: ThreadNode[] = [];
  for (const r of roots) {
    const key = compareKey(subjectOf(r).base);
    const t = key ? table.get(key) : undefined;
    if (!t || t === r) {
      if (!out.includes(r)) out.push(r);
      continue;
    }
    if (!t.msg && !r.msg) {
      for (const c of r.children) link(t, c);
    } else if (!t.msg && r.msg) {
      link(t, r);
    } else if (r.msg && subjectOf(r).reply && !subjectOf(t).reply) {
      link(t, r);
    } else {
      // Neither is the other's reply: both go under a new dummy, which takes t's place.
      const d = node(null);
      const at = out.indexOf(t);
      link(d, t);
      link(d, r);
      table.set(key, d);
      if (at >= 0) out[at] = d;
      else out.push(d);
    }
  }
  roots = out.filter((r) => !r.parent);
  // (6) Siblings by date.
  sortTree(roots);
  return roots;
}

/** RFC 5256 3 (REFERENCES step 4): dummies without children go; a dummy's children take its place, except one at the root with several. */
function prune(nodes: ThreadNode[], atRoot: boolean): ThreadNode[] {
  const out: ThreadNode[] = [];
  for (const n of nodes) {
    n.children = prune(n.children, false);
    for (const c of n.children) c.parent = n;
    if (n.msg) out.push(n);
    else if (n.children.length === 0) continue;
    else if (atRoot && n.children.length > 1) out.push(n);
    else
      for (const c of n.children) {
        c.parent = atRoot ? null : n.parent;
        out.push(c);
      }
  }
  return out;
}

/** The thread-list of RFC 5256 4: "(1 2 (3)(4 5))". */
export function renderThreads(roots: ThreadNode[]): string {
  return roots.map((r) => `(${renderNode(r)})`).join("");
}

function renderNode(n: ThreadNode): string {
  const parts: string[] = [];
  let cur: ThreadNode = n;
  // A chain of single children is written flat; a dummy writes no number.
  for (;;) {
    if (cur.msg) parts.push(String(cur.msg.id));
    if (cur.children.length !== 1) break;
    cur = cur.children[0];
  }
  let s = parts.join(" ");
  if (cur.children.length > 1) s += (s ? " " : "") + cur.children.map((c) => `(${renderNode(c)})`).join("");
  return s;
}
