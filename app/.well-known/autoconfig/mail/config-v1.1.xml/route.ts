/** Thunderbird autoconfig at https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml (public, see lib/web/client-setup). */
import { handleAutoconfig } from "@/lib/web/client-setup";

export const dynamic = "force-dynamic";

export function GET(req: Request): Promise<Response> {
  return handleAutoconfig(req);
}
