"use client";
/**
 * Loads the page again as a document of its own when it was reached by a client-side
 * navigation (a Link, a server action's redirect). Rendered only with a message shown
 * with its remote images: the page's Content-Security-Policy, which the message frame
 * (srcdoc) inherits, is the one of the document the tab loaded, and proxy.ts widens
 * img-src only for a document loaded at the message's ?images=1 address. Without this,
 * images the reader asked for would stay blocked after an in-app navigation.
 */
import { useEffect } from "react";

export function FullLoad() {
  useEffect(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    // The navigation entry is the document's own load (its URL after redirects); a fragment changes no policy.
    const bare = (url: string) => url.split("#")[0];
    if (!nav || bare(nav.name) !== bare(window.location.href)) window.location.replace(window.location.href);
  }, []);
  return null;
}
