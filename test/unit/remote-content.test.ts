import { test } from "node:test";
import assert from "node:assert/strict";
import { describeBlocked, isTrackingPixel } from "../../lib/mime/remote-content";
import { sanitizeEmailHtml } from "../../lib/mime/render";
import { safeFilename } from "../../lib/web/download";
import { fromAuthenticated, senderKey } from "../../lib/web/image-senders";

test("tracking pixels: tiny, hidden, or from a known open-tracking URL; an ordinary image is not one", () => {
  assert.equal(isTrackingPixel("https://n.example/a.gif", { width: "1", height: "1" }), true);
  assert.equal(isTrackingPixel("https://n.example/a.gif", { style: "width:1px;height:1px" }), true);
  assert.equal(isTrackingPixel("https://n.example/a.gif", { style: "display:none" }), true);
  assert.equal(isTrackingPixel("https://n.example/a.gif", { style: "opacity: 0" }), true);
  assert.equal(isTrackingPixel("https://u123.list-manage.com/track/open.php?u=1", {}), true);
  assert.equal(isTrackingPixel("https://x.sendgrid.net/wf/open?upn=abc", {}), true);
  assert.equal(isTrackingPixel("https://n.example/banner.png", { width: "600", height: "200" }), false);
  assert.equal(isTrackingPixel("https://n.example/logo.png", {}), false);
});

test("the sanitiser counts blocked images, tracking pixels and styles apart", () => {
  const { blocked, blockedRemoteContent } = sanitizeEmailHtml(
    `<img src="https://n.example/banner.png" width="600"><img src="https://n.example/o.gif" width="1" height="1">` +
      `<img src="//n.example/pr.png"><img srcset="https://n.example/a.png 1x"><div style="background:url(https://n.example/bg.png)">x</div><style>@import "https://n.example/s.css";</style>`,
  );
  assert.deepEqual(blocked, { images: 4, trackers: 1, styles: 2 });
  assert.equal(blockedRemoteContent, 6);
  assert.equal(describeBlocked(blocked), "4 remote images (1 tracking pixel) and 2 remote styles were blocked");
  assert.equal(describeBlocked({ images: 1, trackers: 1, styles: 0 }), "1 remote image (a tracking pixel) was blocked");
  assert.equal(describeBlocked({ images: 0, trackers: 0, styles: 1 }), "1 remote style was blocked");
});

test("file names lose bidirectional overrides and paths", () => {
  assert.equal(safeFilename("invoice\u202Efdp.exe"), "invoicefdp.exe");
  assert.equal(safeFilename("\u2067a\u2069b\u200f.txt"), "ab.txt");
  assert.equal(safeFilename("..\\..\\x.bat"), "_.._x.bat");
});

test("senderKey: a lower-case address or nothing", () => {
  assert.equal(senderKey(" News@Sender.Example "), "news@sender.example");
  assert.equal(senderKey(""), null);
  assert.equal(senderKey("not an address"), null);
  assert.equal(senderKey(`${"a".repeat(400)}@x.example`), null);
});

test("the sender list trusts a From our MX authenticated (dmarc=pass) or did not check; not one that failed, nor results under another name", () => {
  const host = "mx.example.net";
  const msg = (...fields: string[]) => Buffer.from([...fields, "From: news@sender.example", "Subject: s", "", "dmarc=pass in the body counts for nothing", ""].join("\r\n"));
  assert.equal(fromAuthenticated(msg(`Authentication-Results: ${host};\r\n spf=pass smtp.mailfrom=sender.example;\r\n dmarc=pass header.from=sender.example`), host), true);
  assert.equal(fromAuthenticated(msg(`Authentication-Results: ${host}; spf=pass smtp.mailfrom=x.example; dmarc=fail (p=none) header.from=sender.example`), host), false);
  assert.equal(fromAuthenticated(msg(`Authentication-Results: ${host}; dmarc=none header.from=sender.example`), host), false);
  assert.equal(fromAuthenticated(msg(`Authentication-Results: MX.EXAMPLE.NET; dmarc=fail`), host), false, "the authserv-id compares without case");
  // Ours is the first one under our name: one further down (or another server's) says nothing.
  assert.equal(fromAuthenticated(msg(`Authentication-Results: ${host}; dmarc=fail`, `Authentication-Results: ${host}; dmarc=pass`), host), false);
  assert.equal(fromAuthenticated(msg("Authentication-Results: other.example; dmarc=fail"), host), true, "not checked by us: local or trusted mail");
  assert.equal(fromAuthenticated(msg(), host), true);
});
