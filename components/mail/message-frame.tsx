"use client";
/**
 * The sanitised HTML part in a sandboxed frame as tall as its content: no fixed height,
 * no inner scrollbar.
 *
 * Why `sandbox="allow-same-origin"` without `allow-scripts`: the page must learn the
 * height of the content, and there are two ways. (a) A script inside the frame posts its
 * height to the parent: that needs `allow-scripts`, so a script of the message would
 * only be held back by the sanitiser and the CSP, and every message would run our code.
 * (b) The parent reads the frame's document itself: that needs the same origin, which
 * `allow-same-origin` keeps, while the absent `allow-scripts` still forbids every
 * script in the frame (script elements, event handlers, javascript: URLs), whatever the
 * sanitiser misses. allow-same-origin without allow-scripts cannot be used to lift the
 * sandbox: only script could do that. Forms stay blocked (no allow-forms), as do top
 * navigation and plugins; links open in a new, unsandboxed tab (allow-popups...).
 * The frame also keeps its own CSP (default-src 'none', see lib/mime/render.ts) and the
 * page's, which it inherits as a srcdoc document. So (b).
 *
 * Measuring: the frame is set to height 0, its document's scrollHeight read and the
 * height set, all in one task (nothing is painted in between). At height 0 a viewport-
 * relative height (100vh, a percentage of the body) is 0, so content sized by the frame
 * cannot grow it in a loop. It runs on load, when the frame's width changes and when
 * its content's size changes (a ResizeObserver of the parent's realm: our code, not the
 * message's), bounded by MAX_HEIGHT.
 */
import { useEffect, useRef } from "react";

/** Beyond this the frame scrolls inside: a message is not allowed to make the page endless. */
const MAX_HEIGHT = 30_000;

export function MessageFrame({ srcDoc }: { srcDoc: string }) {
  const ref = useRef<HTMLIFrameElement>(null);

  useEffect(() => {
    const frame = ref.current;
    if (!frame) return;
    let observed: Element | null = null;
    const fit = () => {
      const doc = frame.contentDocument;
      const root = doc?.documentElement;
      if (!doc || !root || doc.readyState === "loading") return;
      frame.style.height = "0px";
      // A wide message (a fixed-width table) gets a horizontal scrollbar once the frame has a
      // height, and the bar takes some of it (innerHeight > clientHeight): that is added below.
      let height = Math.min(Math.ceil(root.scrollHeight), MAX_HEIGHT);
      frame.style.height = `${height}px`;
      const win = frame.contentWindow;
      if (win && win.innerHeight > root.clientHeight) height = Math.min(height + (win.innerHeight - root.clientHeight), MAX_HEIGHT);
      frame.style.height = `${height}px`;
      frame.dataset.fitted = String(height); // for the browser test: fitted at least once
      if (doc.body && observed !== doc.body) {
        observed = doc.body;
        observer.observe(doc.body);
      }
    };
    const observer = new ResizeObserver(() => fit());
    observer.observe(frame);
    frame.addEventListener("load", fit);
    fit(); // already loaded before hydration
    return () => {
      frame.removeEventListener("load", fit);
      observer.disconnect();
    };
  }, [srcDoc]);

  return (
    <iframe
      ref={ref}
      title="Message body"
      data-testid="message-html"
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      referrerPolicy="no-referrer"
      srcDoc={srcDoc}
      className="block w-full border-0"
      style={{ height: 320 }}
    />
  );
}
