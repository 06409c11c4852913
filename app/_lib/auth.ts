/**
 * next-auth (v4) for the web app: a credentials provider whose only password check is
 * lib/auth authenticate() (account passwords only, no app passwords; failures counted
 * per client address and locked out like SMTP AUTH and IMAP), JWT sessions bound to a
 * WebSession row (see web-sessions.ts), the sign-in page at /login.
 */
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { loadConfig } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { authenticate, AuthError } from "@/lib/auth/authenticate";
import { createLogger } from "@/lib/log";
import { webSecret } from "@/lib/web/secret";
import { clientIp } from "@/lib/web/client-ip";
import { createWebSession, endWebSession } from "@/lib/web/web-sessions";

/** How long a sign-in lasts. */
export const SESSION_MAX_AGE_SECONDS = 14 * 24 * 60 * 60;

/**
 * Sign-in failures as the /login page receives them (?error=...). Anything else is shown
 * as a generic failure.
 */
export type SignInError = "invalid" | "locked" | "disabled" | "second-factor" | "unavailable";

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  code: z.string().trim().max(32).optional(),
});

const log = createLogger({ proc: "web", component: "auth" });

let options: NextAuthOptions | null = null;

/** The options, built on first use (not at import: `next build` imports this file). */
export function authOptions(): NextAuthOptions {
  if (options) return options;
  const config = loadConfig();
  // Without NEXTAUTH_URL, take the origin from the request (Host / X-Forwarded-*), so the
  // app works at whatever address it is reached on, e.g. http://127.0.0.1:PORT.
  if (!process.env.NEXTAUTH_URL && !process.env.AUTH_TRUST_HOST) process.env.AUTH_TRUST_HOST = "true";
  options = {
    secret: webSecret(config),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    jwt: { maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
          code: { label: "Code", type: "text" },
        },
        async authorize(credentials, req) {
          const input = credentialsSchema.safeParse(credentials ?? {});
          if (!input.success) throw new Error("invalid" satisfies SignInError);
          const ip = clientIp(req?.headers, { trustedProxies: config.trustedProxies });
          const userAgent = String(req?.headers?.["user-agent"] ?? "");
          const db = await getDb();
          try {
            const account = await authenticate(db, config, {
              username: input.data.email,
              password: input.data.password,
              ip,
              allowAppPasswords: false,
              secondFactor: input.data.code || undefined,
            });
            const session = await createWebSession(db, { accountId: account.id, ip, userAgent, maxAgeSeconds: SESSION_MAX_AGE_SECONDS });
            log.info("web.signin", { account: account.email, ip });
            return { id: account.id, email: account.email, name: account.displayName || account.email, sid: session.id };
          } catch (err) {
            if (err instanceof AuthError) {
              log.info("web.signin.failed", { reason: err.reason, ip });
              throw new Error(err.reason satisfies SignInError);
            }
            log.error("web.signin.error", { err });
            throw new Error("unavailable" satisfies SignInError);
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.sid = user.sid;
        }
        return token;
      },
      async session({ session, token }) {
        return {
          ...session,
          sid: token.sid,
          user: { id: token.sub ?? "", email: token.email ?? "", name: token.name ?? "" },
        };
      },
    },
    events: {
      async signOut({ token }) {
        if (token?.sid) await endWebSession(await getDb(), token.sid);
      },
    },
    logger: {
      error(code, metadata) {
        log.error("next-auth.error", { code, detail: metadata instanceof Error ? metadata.message : undefined });
      },
      warn(code) {
        if (code !== "NEXTAUTH_URL") log.warn("next-auth.warn", { code });
      },
      debug() {},
    },
  };
  return options;
}
