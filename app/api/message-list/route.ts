import { apiRoute } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listSlice, parseSort } from "@/lib/store/list-sort";
import { toRows } from "@/lib/web/list-rows";

const NO_STORE = { "cache-control": "no-store" };

/**
 * A slice of one of the signed-in account's folders for the virtual list
 * (components/mail/virtual-rows.ts): `?folder=INBOX&sort=newest&start=200&limit=100`, and
 * `&after=<cursor>` (the previous slice's `next`) to find it by keyset instead of position.
 * Another account's folder is "not found", as one that does not exist.
 */
export const GET = apiRoute(async (req, _ctx: unknown, account) => {
  const q = new URL(req.url).searchParams;
  const folder = q.get("folder") ?? "";
  const start = Number.parseInt(q.get("start") ?? "0", 10);
  const limit = Number.parseInt(q.get("limit") ?? "100", 10);
  if (!folder || !Number.isFinite(start) || start < 0 || !Number.isFinite(limit) || limit < 1) {
    return Response.json({ error: "folder, start and limit are required" }, { status: 400, headers: NO_STORE });
  }
  const { db } = await getStore();
  const slice = await listSlice(db, account.id, folder, { sort: parseSort(q.get("sort")), start, limit, after: q.get("after") ?? undefined });
  if (!slice) return Response.json({ error: "no such folder" }, { status: 404, headers: NO_STORE });
  return Response.json(
    { start: slice.start, sort: slice.sort, total: slice.folder.total, next: slice.next, rows: toRows(slice.messages, slice.folder, [], new Date()) },
    { headers: NO_STORE },
  );
});
