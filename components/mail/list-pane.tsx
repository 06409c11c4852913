"use client";

/**
 * Opening a message from the list without leaving it: the message comes as JSON
 * (/api/messages/<id>: session and owner checked, the HTML sanitised on the server) and
 * shows in place of the list, which stays mounted (its selection, cursor and scroll
 * kept; nothing of the list is rendered again). The open message is in the address
 * (`?open=<id>` on the list's own URL, pushed to the history), so Back returns to the list
 * at once, Forward and a reload open it again, and a refresh of the page (new mail, a
 * change elsewhere) renders the same list with the message still open. Its own page,
 * /mail/<folder>/<id>, stays for links, "Show images" and the plain-text view. Anything
 * that fails falls back to loading that page.
 */
import { useEffect, useRef, useState } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { MessagePaneData } from "@/lib/web/mail";
import type { ListRow } from "./mail-list";
import type { ListNeighbours } from "./message-actions";
import { messageHref } from "@/lib/web/format";
import { OpenMessage } from "./open-message";
import { SideList } from "./side-list";

async function fetchPane(id: string): Promise<MessagePaneData> {
  const res = await fetch(`/api/messages/${encodeURIComponent(id)}`, { cache: "no-store", headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as MessagePaneData;
}

/** Rows shown beside an open message: the virtual list may have fetched thousands; these are around it. */
const SIDE_ROWS = 100;

function near(rows: ListRow[], id: string): ListRow[] {
  if (rows.length <= SIDE_ROWS) return rows;
  const i = Math.max(0, rows.findIndex((r) => r.id === id));
  const from = Math.max(0, Math.min(i - SIDE_ROWS / 2, rows.length - SIDE_ROWS));
  return rows.slice(from, from + SIDE_ROWS);
}

/** `rows`: the list's, shown beside the message on wide screens as the message page does. */
export function useMessagePane(rows: ListRow[]) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const openId = params.get("open");
  const [pane, setPane] = useState<MessagePaneData | null>(null);
  const wanted = useRef<string | null>(null);
  /** Whether this page pushed the entry now shown (then Back is the way to the list). */
  const pushed = useRef(false);
  const showing = pane && pane.id === openId ? pane : null;

  const withOpen = (id: string | null) => {
    const q = new URLSearchParams(params.toString());
    if (id) q.set("open", id);
    else q.delete("open");
    const s = q.toString();
    return s ? `${pathname}?${s}` : pathname;
  };

  /** A row clicked (or o / Enter): the list stays until the message is here. */
  const open = async (href: string, id: string) => {
    wanted.current = id;
    try {
      const data = await fetchPane(id);
      if (wanted.current !== id) return; // another row was opened meanwhile
      // Images always shown for this sender: only the message's own page may load them.
      if (data.senderAllowed) return void router.push(href);
      setPane(data);
      window.history.pushState(null, "", withOpen(id));
      pushed.current = true;
    } catch {
      if (wanted.current === id) router.push(href);
    }
  };

  // Reached through the history or a reload: fetch what the address names.
  useEffect(() => {
    if (!openId || wanted.current === openId) return;
    wanted.current = openId;
    fetchPane(openId).then(
      (data) => {
        if (wanted.current !== openId) return;
        if (data.senderAllowed) router.replace(messageHref(data.folder, data.id));
        else setPane(data);
      },
      () => wanted.current === openId && router.replace(withOpen(null)), // gone meanwhile: the list
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [openId]);

  // The tab's title follows the open message, as the message page's does.
  const subject = showing ? showing.subject.trim() || "(no subject)" : null;
  useEffect(() => {
    if (subject === null) return;
    const before = document.title;
    document.title = `${subject} · Mail`;
    return () => {
      document.title = before;
    };
  }, [subject]);

  /** j / k in the pane: the rows below and above the open one, opened in the pane too. */
  const neighbours = (id: string) => {
    const i = rows.findIndex((r) => r.id === id);
    const at = (j: number) => (i >= 0 && rows[j] ? () => void open(rows[j].href, rows[j].id) : null);
    return { next: at(i + 1), prev: at(i - 1) };
  };

  const back = () => {
    if (pushed.current) window.history.back();
    else window.history.pushState(null, "", withOpen(null));
    pushed.current = false;
  };

  const element = showing ? (
    <div className="flex min-h-full" data-pane-open="" data-testid="message-pane">
      <SideList folder={showing.folder} rows={near(rows, showing.id)} current={showing.id} onOpen={(r) => void open(r.href, r.id)} />
      <MessagePane key={showing.id} data={showing} onBack={back} neighbours={neighbours(showing.id)} />
    </div>
  ) : null;
  return { open, showing: showing !== null, element };
}

function MessagePane({ data, onBack, neighbours }: { data: MessagePaneData; onBack: () => void; neighbours: ListNeighbours }) {
  const [now] = useState(() => new Date());
  return (
    <OpenMessage
      {...data}
      date={new Date(data.date)}
      rendered={{ ...data.rendered, date: data.rendered.date ? new Date(data.rendered.date) : null }}
      srcDoc={data.srcDoc}
      thread={data.thread.map((t) => ({ ...t, internalDate: new Date(t.internalDate), sentDate: t.sentDate ? new Date(t.sentDate) : null }))}
      view="html"
      remoteImages={false}
      now={now}
      onBack={onBack}
      neighbours={neighbours}
    />
  );
}
