import { redirect } from "next/navigation";
import { requireSession } from "@/app/_lib/session";

export default async function Home() {
  await requireSession("/");
  redirect("/mail/INBOX");
}
