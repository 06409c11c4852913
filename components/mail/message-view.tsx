/**
 * One opened message: header fields, body (sanitised HTML in a sandboxed frame, or text),
 * attachments. Imports nothing of the server's, so the list's client-side pane shows it too.
 */
import Link from "next/link";
import type { RenderedAddress, RenderedMessage } from "@/lib/mime/render";
import { formatFullDate, formatSize, fullAddress, personName } from "@/lib/web/format";
import { safeFilename } from "@/lib/web/download";
import { LocalTime } from "./local-time";
import { PlainText } from "./plain-text";
import { MessageFrame } from "./message-frame";
import { FullLoad } from "./full-load";
import { RemoteContentNotice } from "./remote-content-notice";
import { AttachmentPreview } from "./attachment-preview";
import { DownloadIcon, PaperclipIcon } from "../ui/icons";

function AddressLine({ label, list, testId }: { label: string; list: RenderedAddress[]; testId: string }) {
  if (list.length === 0) return null;
  return (
    <div className="flex gap-2 text-sm">
      <dt className="w-12 shrink-0 text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words text-slate-700" data-testid={testId}>
        {list.map((a, i) => (
          <span key={i} title={a.address}>
            {i > 0 && ", "}
            {fullAddress(a)}
          </span>
        ))}
      </dd>
    </div>
  );
}

export function MessageView({
  rendered,
  fallbackSubject,
  fallbackDate,
  view,
  viewHref,
  attachmentHref,
  messageId,
  imagesHref,
  remoteImages = false,
  senderAllowed = false,
  srcDoc,
}: {
  rendered: RenderedMessage;
  /** The frame's document for the HTML body (lib/mime/render htmlDocument, made on the server). */
  srcDoc: string;
  fallbackSubject: string;
  fallbackDate: Date;
  view: "html" | "text";
  viewHref: (view: "html" | "text") => string;
  attachmentHref: (index: number) => string;
  /** Where "Show images" leads (the same message with its remote images); absent once shown. */
  imagesHref?: string;
  /** The message was rendered with its remote images (the reader asked). */
  remoteImages?: boolean;
  /** The sender is on the account's "always show images" list. */
  senderAllowed?: boolean;
  /** Shows Reply / Reply all / Forward links to the compose page for this message. */
  messageId?: string;
}) {
  const subject = rendered.subject.trim() || fallbackSubject.trim() || "(no subject)";
  const date = rendered.date ?? fallbackDate;
  const sender = rendered.from[0];
  const hasHtml = rendered.html !== null;
  const hasText = rendered.text !== null && rendered.text.trim() !== "";
  const showHtml = hasHtml && (view === "html" || !hasText);
  // Names as the download will be saved: no path, no control or bidi-override characters.
  const listed = rendered.attachments.filter((a) => !a.inline).map((a) => ({ ...a, filename: safeFilename(a.filename, `attachment-${a.index + 1}`) }));

  return (
    <article className="mx-auto max-w-5xl">
      <h1 className="px-1 text-xl font-semibold break-words text-slate-900 sm:text-2xl" data-testid="message-subject-heading">
        {subject}
      </h1>

      <div className="mt-4 flex items-start gap-3 rounded-xl border border-slate-200 bg-white p-4">
        <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold uppercase text-indigo-700" aria-hidden="true">
          {sender ? personName(sender).slice(0, 1) : "?"}
        </span>
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
            <p className="min-w-0 break-words" data-testid="message-from">
              <span className="font-semibold text-slate-900" data-testid="message-from-name">
                {sender ? personName(sender) : "(unknown sender)"}
              </span>
              {sender?.name && sender.address && <span className="text-sm text-slate-500"> &lt;{sender.address}&gt;</span>}
            </p>
          </div>
          <dl className="mt-2 space-y-0.5">
            {/* The sender is the line above; a second From appears only for several authors (RFC 5322 3.6.2). */}
            {rendered.from.length > 1 && <AddressLine label="From" list={rendered.from.slice(1)} testId="message-from-more" />}
            <AddressLine label="To" list={rendered.to} testId="message-to" />
            <AddressLine label="Cc" list={rendered.cc} testId="message-cc" />
            <AddressLine label="Bcc" list={rendered.bcc} testId="message-bcc" />
            <AddressLine label="Reply" list={rendered.replyTo} testId="message-reply-to" />
            <div className="flex gap-2 text-sm">
              <dt className="w-12 shrink-0 text-slate-500">Date</dt>
              <dd className="text-slate-700" data-testid="message-date">
                <LocalTime iso={date.toISOString()} mode="full" initial={formatFullDate(date)} />
              </dd>
            </div>
          </dl>
        </div>
      </div>

      {messageId && (
        <nav className="mt-3 flex flex-wrap gap-2 text-sm" aria-label="Answer">
          {([["reply", "Reply"], ["replyAll", "Reply all"], ["forward", "Forward"], ["forwardAttachment", "Forward as attachment"]] as const).map(([param, label]) => (
            <Link prefetch={false} key={param} href={`/mail/compose?${param}=${encodeURIComponent(messageId)}`} className="rounded-full border border-slate-300 bg-white px-3 py-1 font-medium text-slate-700 hover:bg-slate-50" data-testid={`compose-${param}`}>
              {label}
            </Link>
          ))}
        </nav>
      )}

      {hasHtml && hasText && (
        <div className="mt-4 flex items-center gap-1 text-sm" role="tablist" aria-label="Message format">
          {(["html", "text"] as const).map((v) => (
            <Link
              prefetch={false}
              key={v}
              href={viewHref(v)}
              replace
              role="tab"
              aria-selected={(v === "html") === showHtml}
              className={`rounded-full px-3 py-1 font-medium ${(v === "html") === showHtml ? "bg-slate-800 text-white" : "text-slate-600 hover:bg-slate-200"}`}
            >
              {v === "html" ? "Formatted" : "Plain text"}
            </Link>
          ))}
        </div>
      )}

      {showHtml && remoteImages && <FullLoad />}
      {showHtml && (
        <RemoteContentNotice
          blocked={rendered.blocked}
          shownImages={rendered.shownImages}
          remoteImages={remoteImages}
          imagesHref={imagesHref}
          messageId={messageId}
          sender={sender?.address || null}
          senderAllowed={senderAllowed}
        />
      )}

      <div className="mt-4 overflow-x-auto rounded-xl border border-slate-200 bg-white" data-testid="message-body" data-message-id={messageId}>
        {showHtml ? (
          <MessageFrame srcDoc={srcDoc} />
        ) : hasText ? (
          <div className="p-5">
            <PlainText text={rendered.text ?? ""} />
          </div>
        ) : (
          <p className="p-5 text-sm text-slate-500 italic">This message has no text.</p>
        )}
      </div>

      {listed.length > 0 && (
        <section className="mt-5" aria-labelledby="attachments-heading">
          <h2 id="attachments-heading" className="mb-2 flex items-center gap-2 px-1 text-sm font-semibold text-slate-700">
            <PaperclipIcon className="h-4 w-4" />
            {listed.length} attachment{listed.length === 1 ? "" : "s"}
          </h2>
          <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3" data-testid="attachments">
            {listed.map((a) => (
              <li key={a.index} className="flex items-center gap-3 rounded-lg border border-slate-200 bg-white px-3 py-2">
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm font-medium text-slate-800" title={a.filename} data-testid="attachment-name">
                    {a.filename}
                  </p>
                  <p className="truncate text-xs text-slate-500">
                    {a.contentType} · {formatSize(a.size)}
                  </p>
                </div>
                {a.preview && <AttachmentPreview kind={a.preview} filename={a.filename} href={attachmentHref(a.index)} />}
                <a
                  href={attachmentHref(a.index)}
                  download={a.filename}
                  className="flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-slate-600 hover:bg-slate-100"
                  aria-label={`Download ${a.filename}`}
                  data-testid="attachment-download"
                >
                  <DownloadIcon className="h-4 w-4" />
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
