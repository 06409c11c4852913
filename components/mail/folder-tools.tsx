"use client";

/** Folder drop targets (drag messages onto a folder) and the folder create / rename / delete controls. */
import { useState, type ReactNode } from "react";
import { useRouter } from "next/navigation";
import { createFolderAction, deleteFolderAction, renameFolderAction, type FolderOutcome } from "@/app/mail/actions";
import { folderHref } from "@/lib/web/format";
import { runAction } from "./mail-list";

export function FolderDrop({ name, children }: { name: string; children: ReactNode }) {
  const router = useRouter();
  const [over, setOver] = useState(false);
  return (
    <li
      className={`shrink-0 rounded-full ${over ? "ring-2 ring-blue-500" : ""}`}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes("application/x-mail-ids")) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        let ids: unknown;
        try {
          ids = JSON.parse(e.dataTransfer.getData("application/x-mail-ids"));
        } catch {
          return;
        }
        if (!Array.isArray(ids) || ids.length === 0) return;
        e.preventDefault();
        void runAction({ ids: ids.map(String) }, { move: name }, () => router.refresh());
      }}
    >
      {children}
    </li>
  );
}

function useFolderChange() {
  const router = useRouter();
  const [error, setError] = useState("");
  const run = async (p: Promise<FolderOutcome>, go: (name: string) => string | null) => {
    const r = await p;
    if (!r.ok) return setError(r.error);
    setError("");
    const to = go(r.name);
    if (to) router.push(to);
    router.refresh();
  };
  return { error, run };
}

/** "New folder" under the folder list: "Parent/Child" makes a subfolder. */
export function NewFolder() {
  const [open, setOpen] = useState(false);
  const { error, run } = useFolderChange();
  if (!open) {
    return (
      <button type="button" className="hidden w-full rounded-md px-3 py-1.5 text-left text-sm text-slate-600 hover:bg-slate-100 md:block" onClick={() => setOpen(true)} data-testid="new-folder">
        + New folder
      </button>
    );
  }
  return (
    <form
      className="hidden px-3 py-1.5 md:block"
      onSubmit={(e) => {
        e.preventDefault();
        const name = String(new FormData(e.currentTarget).get("name") ?? "");
        void run(createFolderAction(name), (n) => folderHref(n)).then(() => setOpen(false));
      }}
    >
      <label className="block text-xs text-slate-600" htmlFor="new-folder-name">
        Folder name (use / to nest)
      </label>
      <input id="new-folder-name" name="name" autoFocus required maxLength={200} className="mt-1 w-full rounded border border-slate-300 px-2 py-1 text-sm" data-testid="new-folder-name" />
      {error && <p className="mt-1 text-xs text-red-700" role="alert">{error}</p>}
      <div className="mt-1 flex gap-2">
        <button type="submit" className="rounded bg-blue-600 px-2 py-1 text-xs font-medium text-white">
          Create
        </button>
        <button type="button" className="rounded px-2 py-1 text-xs text-slate-600" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Rename (or move, by giving a new parent path) and delete for one of the user's own folders. */
export function FolderMenu({ name, total }: { name: string; total: number }) {
  const [mode, setMode] = useState<"idle" | "rename" | "delete">("idle");
  const { error, run } = useFolderChange();
  const small = "rounded-md px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-100";
  return (
    <div className="flex flex-wrap items-center gap-1">
      {mode === "idle" && (
        <>
          <button type="button" className={small} onClick={() => setMode("rename")} data-testid="folder-rename">
            Rename or move
          </button>
          <button type="button" className={small} onClick={() => setMode("delete")} data-testid="folder-delete">
            Delete folder
          </button>
        </>
      )}
      {mode === "rename" && (
        <form
          className="flex items-center gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            void run(renameFolderAction(name, String(new FormData(e.currentTarget).get("to") ?? "")), (n) => folderHref(n));
          }}
        >
          <label className="sr-only" htmlFor="folder-new-name">
            New name (a path moves it)
          </label>
          <input id="folder-new-name" name="to" defaultValue={name} autoFocus required maxLength={200} className="rounded border border-slate-300 px-2 py-1 text-sm" data-testid="folder-new-name" />
          <button type="submit" className="rounded bg-blue-600 px-2 py-1 text-sm font-medium text-white">
            Save
          </button>
          <button type="button" className={small} onClick={() => setMode("idle")}>
            Cancel
          </button>
        </form>
      )}
      {mode === "delete" && (
        <span className="flex items-center gap-1 text-sm text-slate-700">
          Delete “{name}”{total > 0 ? ` and its ${total} message${total === 1 ? "" : "s"}` : ""},?
          <button type="button" className="rounded bg-red-600 px-2 py-1 text-sm font-medium text-white" onClick={() => void run(deleteFolderAction(name), () => "/mail/INBOX")} data-testid="folder-delete-confirm">
            Delete
          </button>
          <button type="button" className={small} onClick={() => setMode("idle")}>
            Cancel
          </button>
        </span>
      )}
      {error && <p className="w-full text-xs text-red-700" role="alert">{error}</p>}
    </div>
  );
}
