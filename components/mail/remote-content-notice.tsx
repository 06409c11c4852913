/**
 * Above a message's HTML: what remote content was blocked (tracking pixels named as such),
 * with "Show images" for this message and "Always show images from <sender>" (the
 * account's list, app/settings); once images are shown, which rule showed them.
 */
import { describeBlocked, totalBlocked, type BlockedRemoteContent } from "@/lib/mime/remote-content";
import { alwaysShowImagesAction, stopShowingImagesAction } from "@/app/mail/actions";
import { ShieldIcon } from "../ui/icons";

const BUTTON = "shrink-0 rounded-md border bg-white px-2 py-1 font-medium";

export function RemoteContentNotice({
  blocked,
  shownImages,
  remoteImages,
  imagesHref,
  messageId,
  sender,
  senderAllowed,
}: {
  blocked: BlockedRemoteContent;
  /** Remote images the message shows (with remoteImages). */
  shownImages: number;
  /** The message is shown with its remote images. */
  remoteImages: boolean;
  /** Where "Show images" leads (this message with its images). */
  imagesHref?: string;
  messageId?: string;
  /** The From address the allow list would key on, when there is one. */
  sender?: string | null;
  /** The sender is on the account's list. */
  senderAllowed: boolean;
}) {
  const senderForm = (allow: boolean, testId: string, label: string) =>
    messageId && sender ? (
      <form action={allow ? alwaysShowImagesAction : stopShowingImagesAction}>
        <input type="hidden" name="id" value={messageId} />
        <button type="submit" data-testid={testId} className={`${BUTTON} ${allow ? "border-amber-300 text-amber-900 hover:bg-amber-100" : "border-slate-300 text-slate-700 hover:bg-slate-100"}`}>
          {label}
        </button>
      </form>
    ) : null;

  if (remoteImages) {
    // Nothing remote in this message: nothing to say (the sender's list is still reachable from settings).
    if (shownImages === 0 && blocked.styles === 0 && !senderAllowed) return null;
    return (
      <div className="mt-3 flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="remote-shown">
        <ShieldIcon className="h-4 w-4 shrink-0" />
        <span className="min-w-0 flex-1">
          {senderAllowed ? `Images are shown: you always show images from ${sender}.` : `${shownImages === 1 ? "1 remote image is" : `${shownImages} remote images are`} shown for this message.`}
          {blocked.styles > 0 && ` ${describeBlocked({ images: 0, trackers: 0, styles: blocked.styles })} (never loaded).`}
        </span>
        {senderAllowed ? senderForm(false, "stop-images-sender", "Stop showing images from this sender") : senderForm(true, "always-images-sender", `Always show images from ${sender}`)}
      </div>
    );
  }
  if (totalBlocked(blocked) === 0) return null;
  return (
    <div className="mt-3 flex flex-wrap items-center gap-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="remote-blocked">
      <ShieldIcon className="h-4 w-4 shrink-0" />
      <span className="min-w-0 flex-1" data-testid="remote-blocked-text">
        {describeBlocked(blocked)}: the sender would learn when and where you read this.
        {blocked.images === 0 && " Remote styles are never loaded."}
      </span>
      {blocked.images > 0 && imagesHref && (
        <a href={imagesHref} data-testid="show-images" className={`${BUTTON} border-amber-300 text-amber-900 hover:bg-amber-100`}>
          Show images
        </a>
      )}
      {blocked.images > 0 && senderForm(true, "always-images-sender", `Always show images from ${sender}`)}
    </div>
  );
}
