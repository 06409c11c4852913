/** The signed-in user's Apple configuration profile (no password inside; see lib/client-setup/apple-mobileconfig). */
import { requireSession } from "@/app/_lib/session";
import { mobileconfigResponse } from "@/lib/web/client-setup";
import { NoMailServiceError } from "@/lib/client-setup/apple-mobileconfig";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const account = await requireSession("/setup");
  try {
    return mobileconfigResponse(account);
  } catch (err) {
    if (err instanceof NoMailServiceError) {
      return new Response(`No profile: ${err.message}\n`, { status: 503, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
    }
    throw err;
  }
}
