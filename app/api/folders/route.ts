import { apiRoute } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { folderState } from "@/lib/web/format";

/** The signed-in account's folders with unread counts, and a state token that changes with them. */
export const GET = apiRoute(async (_req, _ctx: unknown, account) => {
  const { db } = await getStore();
  const folders = await listFolders(db, account.id);
  return Response.json(
    {
      state: folderState(folders),
      folders: folders.map((f) => ({ name: f.name, specialUse: f.specialUse, total: f.total, unread: f.unread })),
    },
    { headers: { "cache-control": "no-store" } },
  );
});
