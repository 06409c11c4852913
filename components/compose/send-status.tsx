"use client";
/**
 * After Send: "Sending in N s — Undo" (undo send) or "Scheduled for …" with Cancel. Undo
 * takes the pending send back and reopens it as a draft. A live region announces it.
 */
import { useEffect, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";

export function SendStatus({ pendingId, sendAt, scheduled }: { pendingId: string | null; sendAt: string | null; scheduled: boolean }) {
  const router = useRouter();
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState("");
  const due = sendAt ? new Date(sendAt).getTime() : 0;
  const left = Math.max(0, Math.ceil((due - now) / 1000));
  const canUndo = pendingId !== null && (scheduled || left > 0);

  useEffect(() => {
    if (!pendingId || scheduled) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [pendingId, scheduled]);

  const undo = async () => {
    const res = await fetch("/api/compose/undo", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: pendingId }) });
    const body = (await res.json().catch(() => ({}))) as { draftId?: string; error?: string };
    if (res.ok && body.draftId) router.push(`/mail/compose?draft=${encodeURIComponent(body.draftId)}`);
    else setError(body.error ?? "Could not undo");
  };

  let text = "Message sent.";
  if (pendingId && scheduled && sendAt) text = `Scheduled for ${new Date(sendAt).toLocaleString()}.`;
  else if (pendingId && left > 0) text = `Sending in ${left} s…`;
  return (
    <div className="mx-auto mt-10 max-w-lg rounded-xl border border-slate-200 bg-white p-6 text-center shadow-sm" data-testid="send-status">
      <p role="status" aria-live="polite" className="text-base font-medium text-slate-800" data-testid="send-status-text">
        {text}
      </p>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="mt-4 flex justify-center gap-3">
        {canUndo && (
          <button type="button" onClick={undo} className="rounded-full bg-slate-800 px-4 py-1.5 text-sm font-medium text-white hover:bg-slate-700" data-testid="undo-send">
            {scheduled ? "Cancel and edit" : "Undo"}
          </button>
        )}
        {scheduled && (
          <Link href="/settings/writing" className="rounded-full px-4 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
            Scheduled messages
          </Link>
        )}
        <Link href="/mail/INBOX" className="rounded-full px-4 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
          Back to Inbox
        </Link>
      </div>
    </div>
  );
}
