/**
 * What the reader is told about the remote content a message's HTML asked for: how many
 * images, how many of them look like tracking pixels, how many remote styles. The
 * sanitiser (render.ts) blocks them all the same; the names only help the reader decide
 * whether "Show images" is worth it.
 */

export interface BlockedRemoteContent {
  /** Remote images: <img src>, srcset, poster, background attributes. */
  images: number;
  /** Of those, the ones shaped like a tracking pixel (see isTrackingPixel). */
  trackers: number;
  /** Remote styles and fetches from CSS: url(), @import, image-set(), stylesheets dropped whole. */
  styles: number;
}

export const noneBlocked = (): BlockedRemoteContent => ({ images: 0, trackers: 0, styles: 0 });

export const totalBlocked = (b: BlockedRemoteContent) => b.images + b.styles;

/** A remote URL an <img> would fetch (http, https, or protocol-relative). */
export const REMOTE_URL = /^\s*(?:https?:)?\/\//i;

/**
 * Paths and hosts of the open-tracking endpoints of common mailing services (Mailchimp,
 * SendGrid, Mandrill, HubSpot, Mailgun, Salesforce, Campaign Monitor...), and the
 * generic words such endpoints use.
 */
const TRACKER_URL =
  /\/(?:wf\/open|track\/open|e\/o\/|open\.(?:php|aspx?|gif)|trk|track(?:ing)?\/|pixel|beacon|openrate|view\.gif|1x1|spacer\.gif)|list-manage\.com\/track|mandrillapp\.com\/track|sendgrid\.net\/wf|hubspotlinks|hs-analytics|mailgun\.org\/o|exct\.net|createsend\d*\.com\/t\/|mktoresp|pardot|emltrk|mailtrack|getnotify|bananatag|yesware|streak\.com/i;

/** A length of a few CSS pixels at most ("1", "1px", "0", "2px"). */
const TINY = /^\s*[0-3](?:\.\d+)?\s*(?:px)?\s*$/i;

function cssValue(style: string, prop: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${prop}\\s*:\\s*([^;]*)`, "i").exec(style);
  return m?.[1]?.replace(/!important/i, "").trim();
}

/**
 * A tracking pixel: an image the reader is not meant to see (1x1 or a few pixels,
 * hidden, or zero opacity) or one fetched from a known open-tracking URL.
 */
export function isTrackingPixel(src: string, attribs: Record<string, string | undefined>): boolean {
  if (TRACKER_URL.test(src)) return true;
  const style = attribs.style ?? "";
  const width = attribs.width ?? cssValue(style, "width");
  const height = attribs.height ?? cssValue(style, "height");
  if ((width !== undefined && TINY.test(width)) || (height !== undefined && TINY.test(height))) return true;
  const display = cssValue(style, "display");
  const visibility = cssValue(style, "visibility");
  const opacity = cssValue(style, "opacity");
  return display === "none" || visibility === "hidden" || (opacity !== undefined && Number.parseFloat(opacity) === 0);
}

/** The notice's sentence: "3 remote images (1 tracking pixel) and 2 remote styles were blocked". */
export function describeBlocked(b: BlockedRemoteContent): string {
  const parts: string[] = [];
  if (b.images > 0) {
    let s = `${b.images} remote image${b.images === 1 ? "" : "s"}`;
    if (b.trackers > 0) s += b.trackers === b.images ? (b.images === 1 ? " (a tracking pixel)" : " (all tracking pixels)") : ` (${b.trackers} tracking pixel${b.trackers === 1 ? "" : "s"})`;
    parts.push(s);
  }
  if (b.styles > 0) parts.push(`${b.styles} remote style${b.styles === 1 ? "" : "s"}`);
  const total = totalBlocked(b);
  return `${parts.join(" and ")} ${total === 1 ? "was" : "were"} blocked`;
}
