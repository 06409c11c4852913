/**
 * Outlook Autodiscover (public, see lib/web/client-setup). Outlook also writes the path
 * as /Autodiscover/Autodiscover.xml; proxy.ts rewrites any case of it to this one.
 */
import { autodiscoverGet, handleAutodiscover } from "@/lib/web/client-setup";

export const dynamic = "force-dynamic";

export function POST(req: Request): Promise<Response> {
  return handleAutodiscover(req);
}

export function GET(): Response {
  return autodiscoverGet();
}
