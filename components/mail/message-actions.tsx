"use client";

/**
 * The open message's toolbar and keys: archive (e), delete (#), junk (!), star (s),
 * unread (Shift+u), back (u), the next / previous message of the list (j / k), reply /
 * reply all / forward (r / a / f, the compose page).
 * After a move it goes back to the list; the toast offers undo (z).
 */
import { useRouter } from "next/navigation";
import type { BulkAction } from "@/lib/web/organise";
import { runAction } from "./mail-list";
import { useKeys } from "./keys";

/** The message below (j) and above (k) the open one in its list: a function (the list's pane) or a page to load. */
export interface ListNeighbours {
  next?: string | (() => void) | null;
  prev?: string | (() => void) | null;
}

export function MessageActions({
  id,
  messageHref,
  folderHref,
  flagged,
  inJunk,
  neighbours = {},
}: {
  id: string;
  messageHref: string;
  folderHref: string;
  flagged: boolean;
  inJunk: boolean;
  neighbours?: ListNeighbours;
}) {
  const router = useRouter();
  const act = (action: BulkAction, leave: boolean) =>
    void runAction({ ids: [id] }, action, () => {
      if (leave) router.push(folderHref);
      router.refresh();
    });
  const go = (to: string | (() => void) | null | undefined) => {
    if (typeof to === "function") to();
    else if (to) router.push(to);
    return !!to;
  };
  const compose = (param: "reply" | "replyAll" | "forward") => router.push(`/mail/compose?${param}=${encodeURIComponent(id)}`);

  useKeys((key) => {
    switch (key) {
      case "e":
        act("archive", true);
        return true;
      case "#":
        act("trash", true);
        return true;
      case "!":
        act(inJunk ? "notjunk" : "junk", true);
        return true;
      case "s":
        act(flagged ? "unstar" : "star", false);
        return true;
      case "U":
        act("unread", true);
        return true;
      case "u":
        router.push(folderHref);
        return true;
      case "j":
        return go(neighbours.next);
      case "k":
        return go(neighbours.prev);
      case "r":
        compose("reply");
        return true;
      case "a":
        compose("replyAll");
        return true;
      case "f":
        compose("forward");
        return true;
    }
    return false;
  });

  const button = "rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100";
  return (
    <div className="flex flex-wrap items-center gap-1" role="toolbar" aria-label="Message actions">
      <button type="button" className={button} onClick={() => act("archive", true)} data-testid="message-archive">
        Archive
      </button>
      <button type="button" className={button} onClick={() => act("trash", true)} data-testid="message-trash">
        Delete
      </button>
      <button type="button" className={button} onClick={() => act(inJunk ? "notjunk" : "junk", true)} data-testid="message-junk">
        {inJunk ? "Not junk" : "Junk"}
      </button>
      <button type="button" className={button} aria-pressed={flagged} onClick={() => act(flagged ? "unstar" : "star", false)} data-testid="message-star">
        {flagged ? "Unstar" : "Star"}
      </button>
      <button type="button" className={button} onClick={() => window.print()} data-testid="message-print">
        Print
      </button>
      <a className={button} href={`${messageHref}/original`} target="_blank" rel="noopener noreferrer" data-testid="message-original">
        Show original
      </a>
    </div>
  );
}
