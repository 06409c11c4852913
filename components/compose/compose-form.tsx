"use client";
/**
 * The compose form: From (the user's identities), To/Cc/Bcc with suggestions, Subject,
 * the body (rich text through a lazily loaded Tiptap editor, or plain text), attachments
 * by picker or drag and drop with upload progress and the server's size limit. Drafts
 * save themselves (debounced) into Drafts; Send (or Ctrl/⌘+Enter) and Schedule post to
 * /api/compose, which holds the message for undo send or until the scheduled time.
 */
import dynamic from "next/dynamic";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ComposeInitial, ComposeAttachmentInfo } from "@/lib/web/compose-initial";
import type { FromChoice } from "@/lib/compose/identities";
import { withSignature } from "@/lib/compose/reply";
import { AddressInput } from "./address-input";
import { postForm } from "./post-form";
import { SendStatus } from "./send-status";

const RichEditor = dynamic(() => import("./rich-editor"), { ssr: false, loading: () => <div className="min-h-64 px-4 py-3 text-sm text-slate-400">Loading the editor…</div> });

/** Autosave waits this long after the last change. */
const AUTOSAVE_MS = 1500;

const formatSize = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1048576).toFixed(1)} MB`);

function tomorrowAt8(): Date {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(8, 0, 0, 0);
  return d;
}

/** A Date as the value of <input type="datetime-local"> (local time, minutes). */
function localInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const htmlOfText = (text: string) => text.split(/\n{2,}/).map((p) => `<p>${p.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\n/g, "<br>")}</p>`).join("");

/** One attachment in the form: saved with the draft already, or waiting to be uploaded (tinted). */
function AttachmentChip({ name, size, uploaded, onRemove }: { name: string; size: number; uploaded: boolean; onRemove(): void }) {
  return (
    <li className={`flex items-center gap-1 rounded-full px-3 py-1 text-sm ${uploaded ? "bg-slate-100" : "bg-blue-50"}`}>
      {name} <span className="text-slate-500">({formatSize(size)})</span>
      <button type="button" aria-label={`Remove ${name}`} onClick={onRemove} className="ml-1 text-slate-500 hover:text-slate-900">
        ×
      </button>
    </li>
  );
}

export function ComposeForm({ initial, choices, maxBytes }: { initial: ComposeInitial; choices: FromChoice[]; maxBytes: number }) {
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  const [cc, setCc] = useState(initial.cc);
  const [bcc, setBcc] = useState(initial.bcc);
  const [showCc, setShowCc] = useState(!!(initial.cc || initial.bcc));
  const [subject, setSubject] = useState(initial.subject);
  const [mode, setMode] = useState(initial.mode);
  const body = useRef({ html: initial.html, text: initial.text || "" });
  const [editorKey, setEditorKey] = useState(0);
  const [plainText, setPlainText] = useState(initial.text);
  const [kept, setKept] = useState<ComposeAttachmentInfo[]>(initial.attachments);
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [dragging, setDragging] = useState(false);
  const [scheduling, setScheduling] = useState(false);
  const [scheduleAt, setScheduleAt] = useState(() => localInputValue(tomorrowAt8()));
  const [done, setDone] = useState<{ pendingId: string | null; sendAt: string | null; scheduled: boolean } | null>(null);
  // What the server holds (the current draft and its attachments): read by a send that
  // waited for a save, before React has re-rendered with that save's result.
  const server = useRef({ draftId: initial.draftId, attachFrom: initial.attachFrom, kept: initial.attachments, files: [] as File[] });
  const dirty = useRef(false);
  const saving = useRef<Promise<void> | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const sent = useRef(false);
  const picker = useRef<HTMLInputElement>(null);

  const total = kept.reduce((n, a) => n + a.size, 0) + files.reduce((n, f) => n + f.size, 0) + (initial.forwardAttachment ? 0 : 0);

  const formData = useCallback(
    (action: "save" | "send", sendAt?: Date) => {
      const f = new FormData();
      f.set("action", action);
      f.set("from", from);
      f.set("to", to);
      f.set("cc", cc);
      f.set("bcc", bcc);
      f.set("subject", subject);
      f.set("mode", mode);
      if (mode === "rich") f.set("html", body.current.html);
      f.set("text", mode === "plain" ? plainText : body.current.text);
      if (initial.parent) f.set("parent", initial.parent);
      if (initial.forwardAttachment) f.set("forwardAttachment", initial.forwardAttachment.id);
      const sv = server.current;
      if (sv.draftId) f.set("draftId", sv.draftId);
      if (sv.attachFrom) f.set("attachFrom", sv.attachFrom);
      for (const k of sv.kept) f.append("keep", String(k.index));
      for (const file of sv.files) f.append("file", file, file.name);
      if (sendAt) f.set("sendAt", sendAt.toISOString());
      return f;
    },
    [from, to, cc, bcc, subject, mode, plainText, initial],
  );

  const save = useCallback(async () => {
    if (sent.current) return;
    await saving.current;
    if (!dirty.current || sent.current) return;
    dirty.current = false;
    const uploading = server.current.files;
    setStatus("Saving…");
    const run = (async () => {
      try {
        const res = await postForm<{ draftId: string; attachments: ComposeAttachmentInfo[] }>("/api/compose", formData("save"), uploading.length ? setProgress : undefined);
        if (res.status !== 200) throw new Error(res.body.error ?? `HTTP ${res.status}`);
        const rest = server.current.files.filter((f) => !uploading.includes(f));
        server.current = { draftId: res.body.draftId, attachFrom: res.body.draftId, kept: res.body.attachments, files: rest };
        setKept(res.body.attachments);
        setFiles(rest);
        setStatus(`Draft saved at ${new Date().toLocaleTimeString()}`);
      } catch (err) {
        dirty.current = true;
        setStatus("");
        setError(`Draft not saved: ${(err as Error).message}`);
      } finally {
        setProgress(null);
      }
    })();
    saving.current = run;
    await run;
    saving.current = null;
  }, [formData]);

  const changed = useCallback(() => {
    dirty.current = true;
    setError("");
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void save(), AUTOSAVE_MS);
  }, [save]);

  // Every edit of a field schedules a save (the editor reports its own changes).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    changed();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [from, to, cc, bcc, subject, mode, plainText, files, kept.length]);

  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const send = async (sendAt?: Date) => {
    if (sent.current) return;
    if (!to.trim() && !cc.trim() && !bcc.trim()) {
      setError("Add at least one recipient");
      return;
    }
    if (timer.current) clearTimeout(timer.current);
    await saving.current;
    sent.current = true;
    setStatus(sendAt ? "Scheduling…" : "Sending…");
    try {
      const res = await postForm<{ pendingId: string | null; sendAt: string | null }>("/api/compose", formData("send", sendAt), server.current.files.length ? setProgress : undefined);
      if (res.status !== 200) throw new Error(res.body.error ?? `HTTP ${res.status}`);
      setDone({ pendingId: res.body.pendingId, sendAt: res.body.sendAt, scheduled: !!sendAt });
    } catch (err) {
      sent.current = false;
      setStatus("");
      setError((err as Error).message);
    } finally {
      setProgress(null);
    }
  };

  const addFiles = (list: FileList | File[]) => {
    const add = [...list];
    const size = add.reduce((n, f) => n + f.size, 0);
    if (total + size > maxBytes) {
      setError(`Attachments may total at most ${formatSize(maxBytes)} (this server's message limit); these would make ${formatSize(total + size)}`);
      return;
    }
    server.current.files = [...server.current.files, ...add];
    setFiles(server.current.files);
  };

  /** A new From brings its own signature: the old one is replaced where it still stands unedited. */
  const changeFrom = (next: string) => {
    const sig = (address: string) => withSignature(choices.find((c) => c.address === address)?.signature ?? "");
    const before = sig(from);
    const after = sig(next);
    setFrom(next);
    if (mode === "plain") {
      if (before.text && plainText.includes(before.text)) setPlainText(plainText.replace(before.text, after.text));
      else if (!before.text && initial.kind === "new") setPlainText(plainText + after.text);
      return;
    }
    const html = body.current.html;
    let updated: string | null = null;
    if (before.html && html.includes(before.html)) updated = html.replace(before.html, after.html);
    else if (!before.html && initial.kind === "new") updated = html + after.html;
    if (updated !== null) {
      body.current = { html: updated, text: body.current.text.replace(before.text.trim(), after.text.trim()) };
      setEditorKey((k) => k + 1);
    }
  };

  const switchMode = () => {
    if (mode === "rich") {
      setPlainText(body.current.text);
      setMode("plain");
    } else {
      body.current = { html: htmlOfText(plainText), text: plainText };
      setEditorKey((k) => k + 1);
      setMode("rich");
    }
  };

  if (done) return <SendStatus {...done} />;

  return (
    <form
      className={`mx-auto max-w-4xl rounded-xl border bg-white shadow-sm ${dragging ? "border-blue-500 ring-2 ring-blue-300" : "border-slate-200"}`}
      aria-label="Compose"
      data-testid="compose-form"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onKeyDown={(e) => {
        // Ctrl+Enter / ⌘+Enter sends, as in Gmail and Thunderbird.
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void send();
        }
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer.files);
      }}
    >
      <div className="flex items-center gap-2 border-b border-slate-200 px-4">
        <label htmlFor="compose-from" className="w-12 shrink-0 text-sm text-slate-500">
          From
        </label>
        <select id="compose-from" data-testid="compose-from" value={from} onChange={(e) => changeFrom(e.target.value)} className="min-w-0 flex-1 bg-transparent py-2 text-sm outline-none">
          {choices.map((c) => (
            <option key={c.address} value={c.address}>
              {c.name ? `${c.name} <${c.address}>` : c.address}
            </option>
          ))}
        </select>
        {!showCc && (
          <button type="button" onClick={() => setShowCc(true)} className="text-sm text-slate-600 hover:underline" data-testid="show-cc">
            Cc/Bcc
          </button>
        )}
      </div>
      <AddressInput label="To" name="to" value={to} onChange={setTo} autoFocus={!to} />
      {showCc && <AddressInput label="Cc" name="cc" value={cc} onChange={setCc} />}
      {showCc && <AddressInput label="Bcc" name="bcc" value={bcc} onChange={setBcc} />}
      <div className="flex items-center gap-2 border-b border-slate-200 px-4">
        <label htmlFor="compose-subject" className="w-12 shrink-0 text-sm text-slate-500">
          Subject
        </label>
        <input id="compose-subject" data-testid="compose-subject" value={subject} onChange={(e) => setSubject(e.target.value)} className="min-w-0 flex-1 bg-transparent py-2 text-sm outline-none" autoFocus={!!to && !subject} />
      </div>

      {mode === "rich" ? (
        <RichEditor
          key={editorKey}
          initialHtml={body.current.html}
          maxImageBytes={maxBytes}
          onError={setError}
          onChange={(html, text) => {
            body.current = { html, text };
            changed();
          }}
        />
      ) : (
        <textarea aria-label="Message body" data-testid="compose-text" value={plainText} onChange={(e) => setPlainText(e.target.value)} className="block min-h-64 w-full resize-y px-4 py-3 font-mono text-sm outline-none" />
      )}

      {(kept.length > 0 || files.length > 0 || initial.forwardAttachment) && (
        <ul className="flex flex-wrap gap-2 border-t border-slate-200 px-4 py-2" aria-label="Attachments" data-testid="compose-attachments">
          {initial.forwardAttachment && <li className="rounded-full bg-slate-100 px-3 py-1 text-sm">✉ {initial.forwardAttachment.subject || "(no subject)"}.eml</li>}
          {kept.map((a) => (
            <AttachmentChip
              key={`k${a.index}`}
              name={a.filename}
              size={a.size}
              uploaded
              onRemove={() => {
                server.current.kept = server.current.kept.filter((x) => x !== a);
                setKept(server.current.kept);
              }}
            />
          ))}
          {files.map((f, i) => (
            <AttachmentChip
              key={`f${i}`}
              name={f.name}
              size={f.size}
              uploaded={false}
              onRemove={() => {
                server.current.files = server.current.files.filter((x) => x !== f);
                setFiles(server.current.files);
              }}
            />
          ))}
        </ul>
      )}
      {progress !== null && (
        <div className="px-4 py-1">
          <progress className="w-full" max={1} value={progress} aria-label="Upload progress" data-testid="upload-progress" />
        </div>
      )}
      {error && (
        <p role="alert" className="border-t border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800" data-testid="compose-error">
          {error}
        </p>
      )}

      <div className="flex flex-wrap items-center gap-2 border-t border-slate-200 px-4 py-3">
        <button type="submit" className="rounded-full bg-blue-600 px-5 py-1.5 text-sm font-semibold text-white hover:bg-blue-700" data-testid="compose-send" title="Send (Ctrl+Enter)">
          Send
        </button>
        <button type="button" onClick={() => setScheduling((s) => !s)} aria-expanded={scheduling} className="rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100" data-testid="compose-schedule">
          Schedule…
        </button>
        <button type="button" onClick={() => picker.current?.click()} className="rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
          Attach
        </button>
        <input ref={picker} type="file" multiple hidden data-testid="compose-file" onChange={(e) => e.target.files && (addFiles(e.target.files), (e.target.value = ""))} />
        <button type="button" onClick={switchMode} className="rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100" data-testid="compose-mode">
          {mode === "rich" ? "Plain text" : "Rich text"}
        </button>
        <span className="ml-auto text-xs text-slate-500" role="status" aria-live="polite" data-testid="compose-status">
          {status}
        </span>
      </div>
      {scheduling && (
        <div className="flex flex-wrap items-center gap-2 border-t border-slate-200 px-4 py-3 text-sm">
          <button type="button" onClick={() => void send(tomorrowAt8())} className="rounded-full border border-slate-300 px-3 py-1.5 hover:bg-slate-50" data-testid="schedule-tomorrow">
            Tomorrow at 8:00
          </button>
          <label className="flex items-center gap-2">
            or at
            <input type="datetime-local" value={scheduleAt} onChange={(e) => setScheduleAt(e.target.value)} className="rounded border border-slate-300 px-2 py-1" data-testid="schedule-at" />
          </label>
          <button type="button" onClick={() => void send(new Date(scheduleAt))} className="rounded-full bg-slate-800 px-3 py-1.5 text-white hover:bg-slate-700" data-testid="schedule-send">
            Schedule send
          </button>
        </div>
      )}
    </form>
  );
}
