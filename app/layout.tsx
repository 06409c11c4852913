import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { connection } from "next/server";
import { cookies } from "next/headers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Mail", template: "%s · Mail" },
  robots: { index: false, follow: false },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#2563eb", colorScheme: "light dark" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request: pages are per user, and the CSP nonce is per request.
  await connection();
  // The theme chosen in the header (components/theme-picker.tsx); none: the system's.
  const theme = (await cookies()).get("theme")?.value;
  return (
    <html lang="en" className="h-full" data-theme={theme === "light" || theme === "dark" ? theme : undefined}>
      <body className="h-full font-sans">{children}</body>
    </html>
  );
}
