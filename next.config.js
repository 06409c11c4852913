/**
 * Next.js configuration of the web app. Server-only packages with native code, WASM or
 * dynamic requires are loaded by Node at run time instead of being bundled.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  experimental: {
    // The proxy (proxy.ts) buffers request bodies up to this size: compose uploads
    // attachments up to MAX_MESSAGE_SIZE in one multipart POST (plus the form's own fields).
    proxyClientMaxBodySize: Math.ceil((Number(process.env.MAX_MESSAGE_SIZE) || 52428800) * 1.1) + 1048576,
  },
  // The build type-checks the web app and the lib/ code it uses; `npm run typecheck` checks everything.
  typescript: { tsconfigPath: "tsconfig.web.json" },
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "@node-rs/argon2",
    "mailparser",
    "sanitize-html",
    "nodemailer",
  ],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
