import { redirect } from "next/navigation";
import { requireSession } from "@/lib/web/session";

export default async function Home() {
  await requireSession("/");
  redirect("/mail/INBOX");
}
