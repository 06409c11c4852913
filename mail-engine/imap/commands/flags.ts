/** Flag lists in commands (RFC 3501 2.3.2): system flags and keywords. */
import type { SystemFlag } from "../../../lib/store";
import { atom, type Token } from "../parser/tokens";
import { bad } from "../session";

const SYSTEM: Record<string, SystemFlag> = { "\\SEEN": "seen", "\\ANSWERED": "answered", "\\FLAGGED": "flagged", "\\DELETED": "deleted", "\\DRAFT": "draft" };

export function parseFlags(items: Token[]): { flags: SystemFlag[]; keywords: string[] } {
  const flags = new Set<SystemFlag>();
  const keywords = new Set<string>();
  for (const t of items) {
    const v = atom(t, "flag");
    const sys = SYSTEM[v.toUpperCase()];
    if (sys) flags.add(sys);
    else if (v.toUpperCase() === "\\RECENT") throw bad("\\Recent cannot be set (RFC 3501 2.3.2)");
    else if (v.startsWith("\\")) throw bad(`unknown system flag ${v.slice(0, 40)}`);
    else if (!/^[^\s(){%*"\\\]\x00-\x1f\x7f]{1,100}$/.test(v)) throw bad(`not a keyword: ${v.slice(0, 40)}`);
    else keywords.add(v);
  }
  return { flags: [...flags], keywords: [...keywords] };
}
