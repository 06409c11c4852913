# syntax=docker/dockerfile:1
#
# One image for both processes of the mail suite (ARCHITECTURE.md): the default
# command `npm start` runs the web app and the mail engine together; docker-compose.yml
# runs them as two services from this same image with their own commands.
#
#   docker build -t mail-suite .
#   docker run -p 25:25 -p 587:587 -p 465:465 -p 143:143 -p 993:993 -p 110:110 -p 995:995 -p 3000:3000 \
#     -v maildata:/data -e MAIL_HOSTNAME=mail.example.com mail-suite

# ---------------------------------------------------------------------------
# deps: node_modules, with the tool chain for native modules (better-sqlite3 builds
# from source when no prebuilt binary matches), and both generated Prisma clients.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp uses the headers that ship with this Node instead of downloading them.
ENV npm_config_nodedir=/usr/local \
    NEXT_TELEMETRY_DISABLED=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    CHECKPOINT_DISABLE=1
# The postinstall script (scripts/prisma-generate.mjs) generates the Prisma clients into
# generated/ from prisma/ and prisma.config.ts, so those come in with the manifests.
COPY package.json package-lock.json* prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
# `npm install`, not `npm ci`: the lock file is not always in step with package.json
# (CI installs the same way). Dev dependencies are needed by `next build`
# (typescript, tailwindcss) and are kept: see the final stage.
RUN npm install --no-audit --no-fund

# ---------------------------------------------------------------------------
# build: the source, and the Next.js production build (.next).
FROM deps AS build
COPY . .
# The build must not depend on a database or on DATA_DIR; a scratch directory keeps any
# configuration read at build time away from /data.
RUN DATA_DIR=/tmp/build-data npm run build \
 && rm -rf /tmp/build-data .next/cache

# ---------------------------------------------------------------------------
# runtime
FROM node:20-bookworm-slim
WORKDIR /app
# tini as PID 1: forwards SIGTERM to `npm start` / node and reaps children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 mailsuite \
 && useradd --system --uid 10001 --gid mailsuite --create-home --home-dir /home/mailsuite --shell /usr/sbin/nologin mailsuite
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    DATA_DIR=/data \
    BIND_ADDRESS=0.0.0.0 \
    WEB_PORT=3000
# The application is owned by root and read-only for the service user; only /data (the
# SQLite file, blobs, generated TLS/DKIM keys, web secret) and Next's cache are writable.
# node_modules keeps the dev dependencies: `npm start` may rebuild the web app. The
# engine, mailctl and the start supervisor run from dist/ (compiled by `npm run build`
# above; no TypeScript loader at run time).
COPY --from=build /app /app
RUN mkdir -p /data /app/.next/cache \
 && chown mailsuite:mailsuite /data /app/.next/cache
VOLUME ["/data"]

# Ports below 1024 as a non-root user: the listeners keep their standard ports (25, 587,
# 465, 143, 993, 110, 995) and rely on the container's network namespace allowing unprivileged
# binds (net.ipv4.ip_unprivileged_port_start=0). Docker 20.10+ sets this for every
# container by default; docker-compose.yml also sets it explicitly. On a runtime that
# does not (or with --network host), run with
#   --sysctl net.ipv4.ip_unprivileged_port_start=0
# or move the listeners above 1024 (SMTP_PORT=2525 ...) and publish -p 25:2525 etc.
# No setcap/CAP_NET_BIND_SERVICE is needed this way.
EXPOSE 25 587 465 143 993 110 995 3000

USER mailsuite
ENTRYPOINT ["/usr/bin/tini", "--"]
# `npm start` without npm's own process: migrates, then runs the web app and the engine
# as two child processes (scripts/start.mjs).
CMD ["node", "scripts/start.mjs"]
