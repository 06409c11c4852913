import type { DefaultSession } from "next-auth";

declare module "next-auth" {
  interface User {
    /** The WebSession row this sign-in created. */
    sid?: string;
  }
  interface Session {
    sid?: string;
    user: { id: string; email: string; name: string } & Omit<NonNullable<DefaultSession["user"]>, "email" | "name">;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    sid?: string;
  }
}
