/**
 * Thunderbird autoconfig as https://autoconfig.<domain>/mail/config-v1.1.xml asks for it
 * (public, see lib/web/client-setup). This static segment wins over app/mail/[folder], so
 * a folder literally named "config-v1.1.xml" is not reachable by this URL in the webmail.
 */
import { handleAutoconfig } from "@/lib/web/client-setup";

export const dynamic = "force-dynamic";

export function GET(req: Request): Promise<Response> {
  return handleAutoconfig(req);
}
