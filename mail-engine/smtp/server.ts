/**
 * The SMTP listeners, built on smtp-server:
 *  - MX (SMTP_PORT): mail for local domains from anyone; no AUTH, no relaying.
 *  - submission (SUBMISSION_PORT, STARTTLS before AUTH) and submissions
 *    (SUBMISSIONS_PORT, implicit TLS): authenticated users send as themselves.
 * A transaction gets its queue id at MAIL FROM; the id is in the 250 reply and in
 * every log line about the message. 250 is sent only after deliver() has made the
 * message durable; any failure before that answers 451 4.3.0.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerAuthentication } from "smtp-server";
import type { EngineContext } from "../context";
import { newQueueId } from "../../lib/domain/ids";
import { resolveRecipient, mayUseSender } from "../../lib/routing/resolve";
import { deliver, type DeliveryTarget } from "../../lib/store/deliver";
import { authenticate, AuthError, type AuthenticatedAccount } from "../../lib/auth/authenticate";
import { headerValues, newMessageIdHeader, rfc5322Date } from "../../lib/mime/headers";
import { checkSenderHeaders, headerSection } from "./sender-headers";
import { readMessage } from "./message-reader";
import { installEnhancedCodePatch, smtpError } from "./replies";
import { ConnectionPolicy } from "./connection-policy";
import { installConnectionPatch, type ConnectionExtension } from "./connection-patch";
import { unknownParameters, isBarePostmaster, postmasterTarget } from "./envelope-checks";

export type ListenerKind = "mx" | "submission" | "submissions";

/** Most recipients accepted in one transaction (RFC 5321 4.5.3.1.8 asks for at least 100). */
export const MAX_RECIPIENTS = 100;

interface Transaction {
  queueId: string;
  local: Map<string, DeliveryTarget>;
  remote: Set<string>;
  /** Local recipients as given, for the log. */
  accepted: string[];
}

export interface SmtpListeners {
  ports: Partial<Record<ListenerKind, number>>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Bind every enabled listener to a free port chosen by the system (tests). */
  randomPorts?: boolean;
}

export async function startSmtp(ctx: EngineContext, opts: StartOptions = {}): Promise<SmtpListeners> {
  installEnhancedCodePatch();
  const { config } = ctx;
  const wanted: Array<[ListenerKind, number]> = [
    ["mx", config.smtpPort],
    ["submission", config.submissionPort],
    ["submissions", config.submissionsPort],
  ];
  const servers: SMTPServer[] = [];
  const ports: SmtpListeners["ports"] = {};
  try {
    for (const [kind, port] of wanted) {
      if (port === 0) continue;
      const server = createSmtpServer(ctx, kind);
      servers.push(server);
      ports[kind] = await listen(server, opts.randomPorts ? 0 : port, config.bindAddress, kind);
      ctx.log.info("smtp.listening", { listener: kind, address: config.bindAddress, port: ports[kind] });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw err;
  }
  return {
    ports,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}

/** The setting that chooses each listener's port, named in errors so the fix is obvious. */
export const PORT_VARIABLE: Record<ListenerKind, string> = { mx: "SMTP_PORT", submission: "SUBMISSION_PORT", submissions: "SUBMISSIONS_PORT" };

/** What to tell the operator when a listener cannot bind. */
export function listenErrorHint(kind: ListenerKind, port: number, code: string | undefined): string {
  const variable = PORT_VARIABLE[kind];
  if (code === "EADDRINUSE") return `another program uses port ${port}; stop it, or set ${variable} to a free port (0 disables the listener)`;
  if (code === "EACCES") {
    return `ports below 1024 need root or CAP_NET_BIND_SERVICE; as a normal user, use unprivileged ports: SMTP_PORT=2525 SUBMISSION_PORT=2587 SUBMISSIONS_PORT=2465 npm start (README, "Two commands")`;
  }
  return `check ${variable} and BIND_ADDRESS`;
}

function listen(server: SMTPServer, port: number, host: string, kind: ListenerKind): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${host}:${port} for ${kind} (${PORT_VARIABLE[kind]}): ${err.message} (${listenErrorHint(kind, port, err.code)})`));
    };
    server.server.once("error", onError);
    server.listen(port, host, () => {
      server.server.off("error", onError);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

type Session = SMTPServerSession & { user?: AuthenticatedAccount };

export function createSmtpServer(ctx: EngineContext, kind: ListenerKind): SMTPServer {
  const { config, db, blobs } = ctx;
  const log = ctx.log.child({ listener: kind });
  const isMx = kind === "mx";
  const txns = new Map<string, Transaction>();
  installEnhancedCodePatch();
  installConnectionPatch();
  const policy = new ConnectionPolicy({
    trustedNetworks: config.trustedNetworks,
    perClientLimit: config.smtpClientConnectionLimit,
    ratePerMinute: config.smtpClientConnectionRate,
    // The greeting pause guards the MX only, as postscreen does; submission clients sign in.
    greetPauseMs: isMx ? config.smtpGreetPauseMs : 0,
    greetPassTtlMs: config.smtpGreetPassTtlMs,
    commandDeadlineMs: config.smtpCommandDeadlineMs,
    dataDeadlineMs: config.smtpDataDeadlineMs,
  });
  const mailSuite: ConnectionExtension = { policy, log, authNeedsTls: kind === "submission" };

  const options: SMTPServerOptions = {
    name: config.hostname,
    // smtp-server writes "220 <name> ESMTP <banner>": the banner must not repeat the name.
    banner: "ready",
    secure: kind === "submissions",
    key: ctx.tls.key,
    cert: ctx.tls.cert,
    minVersion: "TLSv1.2",
    size: config.maxMessageSize,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true, // DSN arrives with the outbound queue (issue 4)
    hideREQUIRETLS: true,
    disableReverseLookup: true,
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: isMx,
    disabledCommands: isMx ? ["AUTH"] : [],
    authRequiredMessage: "5.7.0 Authentication required: sign in with AUTH before MAIL FROM",
    maxClients: 1000,
    socketTimeout: 5 * 60_000,
    closeTimeout: 30_000,
    logger: false,
    ...({ mailSuite } as object),

    onConnect(session, cb) {
      log.debug("smtp.connect", { cid: session.id, ip: session.remoteAddress });
      // RFC 8314 / 4954: no AUTH (not even advertised) until the connection is encrypted.
      if (kind === "submission") (session as Session & { disabledCommands?: string[] }).disabledCommands = ["AUTH"];
      cb();
    },

    onSecure(_socket, session, cb) {
      if (kind === "submission") (session as Session & { disabledCommands?: string[] }).disabledCommands = [];
      cb();
    },

    onAuth(auth: SMTPServerAuthentication, session: Session, cb) {
      authenticate(db, config, { username: auth.username ?? "", password: auth.password ?? "", ip: session.remoteAddress, allowAppPasswords: true })
        .then((account) => {
          // RFC 4616 2: an authorisation identity other than the authenticated one is
          // accepted only when the user may act as it; accounts cannot act as others.
          const authzid = (auth as { authzid?: string }).authzid ?? "";
          if (authzid && authzid.toLowerCase() !== account.email && authzid.toLowerCase() !== (auth.username ?? "").toLowerCase()) {
            log.warn("smtp.auth_failed", { cid: session.id, ip: session.remoteAddress, user: account.email, authzid, reason: "authzid" });
            return cb(smtpError(535, "5.7.8", `Authentication credentials invalid: ${account.email} may not act as ${authzid}`));
          }
          log.info("smtp.auth", { cid: session.id, ip: session.remoteAddress, user: account.email, method: auth.method });
          cb(null, { user: account });
        })
        .catch((err: unknown) => {
          if (err instanceof AuthError) {
            log.warn("smtp.auth_failed", { cid: session.id, ip: session.remoteAddress, user: auth.username, reason: err.reason });
            if (err.reason === "locked") return cb(smtpError(454, "4.7.0", "Too many failed sign-ins from your address; try again later"));
            return cb(smtpError(535, "5.7.8", "Authentication credentials invalid"));
          }
          log.error("smtp.auth_error", { cid: session.id, error: err });
          cb(smtpError(454, "4.7.0", "Temporary authentication failure; try again later"));
        });
    },

    onMailFrom(address: SMTPServerAddress, session: Session, cb) {
      const unknown = unknownParameters("MAIL", address);
      if (unknown.length) return cb(smtpError(555, "5.5.4", `MAIL FROM parameter not recognised or not implemented: ${unknown.join(" ")}`));
      const declared = declaredSize(address);
      if (declared > config.maxMessageSize) {
        return cb(smtpError(552, "5.3.4", `Message size ${declared} exceeds the limit of ${config.maxMessageSize} bytes`));
      }
      const finish = () => {
        const queueId = newQueueId();
        txns.set(session.id, { queueId, local: new Map(), remote: new Set(), accepted: [] });
        log.debug("smtp.mail_from", { cid: session.id, msgId: queueId, from: address.address });
        cb();
      };
      if (isMx) return finish();
      const user = session.user;
      if (!user) return cb(smtpError(530, "5.7.0", "Authentication required: use STARTTLS, then AUTH, before MAIL FROM"));
      mayUseSender(db, user, address.address)
        .then((ok) => (ok ? finish() : cb(smtpError(553, "5.7.1", `Sender address <${address.address}> is not yours to send as (${user.email})`))))
        .catch((err) => {
          log.error("smtp.mail_from_error", { cid: session.id, error: err });
          cb(smtpError(451, "4.3.0", "Temporary failure checking the sender; try again"));
        });
    },

    onRcptTo(address: SMTPServerAddress, session: Session, cb) {
      const txn = txns.get(session.id);
      if (!txn) return cb(smtpError(503, "5.5.1", "Need MAIL FROM first"));
      if (txn.accepted.length + txn.remote.size >= MAX_RECIPIENTS) return cb(smtpError(452, "4.5.3", "Too many recipients; send the rest in another transaction"));
      const unknown = unknownParameters("RCPT", address);
      if (unknown.length) return cb(smtpError(555, "5.5.4", `RCPT TO parameter not recognised or not implemented: ${unknown.join(" ")}`));
      const declared = session.envelope.mailFrom ? declaredSize(session.envelope.mailFrom) : 0;
      const lookup = ctx.lookup ?? db;
      (isBarePostmaster(address.address) ? postmasterTarget(db, lookup).then((a) => a ?? address.address) : Promise.resolve(address.address))
        .then(async (target) => ({ target, r: await resolveRecipient(lookup, target) }))
        .then(({ target, r }) => {
          switch (r.kind) {
            case "invalid":
              return cb(smtpError(501, "5.1.3", `Bad recipient address syntax: ${address.address}`));
            case "unknown":
              return cb(smtpError(550, "5.1.1", `No such user here: <${address.address}>`));
            case "disabled":
              return cb(smtpError(550, "5.2.1", `Mailbox disabled: <${address.address}>`));
            case "remote":
              if (isMx) return cb(smtpError(554, "5.7.1", `Relay access denied: <${address.address}> is not a local domain`));
              txn.remote.add(r.address);
              log.debug("smtp.rcpt", { cid: session.id, msgId: txn.queueId, to: r.address, remote: true });
              return cb();
            case "local": {
              const full = r.accounts.find((a) => a.quotaBytes > 0n && (a.usedBytes >= a.quotaBytes || a.usedBytes + BigInt(declared) > a.quotaBytes));
              if (full) return cb(smtpError(452, "4.2.2", `Mailbox full: <${address.address}>`));
              for (const a of r.accounts) if (!txn.local.has(a.id)) txn.local.set(a.id, { accountId: a.id, recipient: a.email });
              for (const f of r.forwards) txn.remote.add(f);
              txn.accepted.push(target);
              log.debug("smtp.rcpt", { cid: session.id, msgId: txn.queueId, to: target, ...(target !== address.address ? { given: address.address } : {}) });
              return cb();
            }
          }
        })
        .catch((err) => {
          log.error("smtp.rcpt_error", { cid: session.id, msgId: txn.queueId, error: err });
          cb(smtpError(451, "4.3.0", "Temporary failure looking up the recipient; try again"));
        });
    },

    onData(stream: SMTPServerDataStream, session: Session, cb) {
      const txn = txns.get(session.id);
      txns.delete(session.id);
      const started = Date.now();
      readMessage(stream)
        .then(async (msg) => {
          if (!txn) throw smtpError(503, "5.5.1", "Need MAIL FROM first");
          if (msg.sizeExceeded) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "size" });
            throw smtpError(552, "5.3.4", `Message exceeds the limit of ${config.maxMessageSize} bytes`);
          }
          if (msg.bareLineEnding) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "bare line ending", ip: session.remoteAddress });
            throw smtpError(550, "5.6.0", "Message contains a bare CR or LF; lines must end with CRLF");
          }
          const body = msg.data;
          let extra = "";
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          if (!isMx) {
            const user = session.user!;
            // Author fields (From, Sender, Resent-From): see sender-headers.ts.
            const refused = await checkSenderHeaders(headerSection(body), (addr) => mayUseSender(db, user, addr));
            if (refused) {
              log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "sender headers", user: user.email, detail: refused.message });
              throw smtpError(refused.code, refused.enhanced, refused.code === 553 ? `${refused.message} (${user.email})` : refused.message);
            }
            // RFC 6409 8.2, 8.3: the submission server completes a missing Date and Message-ID.
            if (headerValues(body, "date").length === 0) extra += `Date: ${rfc5322Date()}\r\n`;
            if (headerValues(body, "message-id").length === 0) extra += `Message-ID: ${newMessageIdHeader(config.hostname)}\r\n`;
          }
          const received = receivedHeader(config.hostname, session, txn.queueId);
          const forQueue = Buffer.concat([Buffer.from(received + extra), body]);
          const local = Buffer.concat([Buffer.from(`Return-Path: <${mailFrom}>\r\n`), forQueue]);
          await deliver(db, blobs, {
            raw: local,
            queueId: txn.queueId,
            targets: [...txn.local.values()],
            queue: txn.remote.size ? { raw: forQueue, mailFrom, accountId: session.user?.id ?? null, recipients: [...txn.remote] } : undefined,
            receivedFrom: `${kind} from ${session.clientHostname || session.remoteAddress} [${session.remoteAddress}] helo=${session.hostNameAppearsAs} mail from=<${mailFrom}>${session.user ? ` user=${session.user.email}` : ""}`,
          }, { writer: ctx.writer, summaries: ctx.summaries });
          log.info("smtp.accepted", {
            cid: session.id,
            msgId: txn.queueId,
            ip: session.remoteAddress,
            from: mailFrom,
            to: txn.accepted,
            remote: [...txn.remote],
            size: local.length,
            user: session.user?.email,
            ms: Date.now() - started,
          });
          cb(null, `2.6.0 Ok: queued as ${txn.queueId}`);
        })
        .catch((err: unknown) => {
          if (err && typeof (err as { responseCode?: number }).responseCode === "number") return cb(err as Error);
          const code = (err as NodeJS.ErrnoException)?.code;
          log.error("smtp.store_failed", { cid: session.id, msgId: txn?.queueId, error: err });
          if (code === "ENOSPC" || code === "SQLITE_FULL") return cb(smtpError(452, "4.3.1", "Insufficient system storage; try again later"));
          cb(smtpError(451, "4.3.0", "Temporary failure storing the message; try again later"));
        });
    },

    onClose(session) {
      txns.delete(session.id);
    },
  };
  const server = new SMTPServer(options);
  server.on("error", (err) => log.warn("smtp.connection_error", { error: err }));
  return server;
}

/** The trace header (RFC 5321 4.4) without a "for" clause, so one blob serves every recipient. */
function receivedHeader(hostname: string, session: Session, queueId: string): string {
  const helo = session.hostNameAppearsAs || "unknown";
  const tls = session.tlsOptions ? ` (${(session.tlsOptions as { version?: string }).version ?? "TLS"} cipher ${(session.tlsOptions as { name?: string }).name ?? ""})` : "";
  return `Received: from ${helo} ([${session.remoteAddress}])\r\n\tby ${hostname} (mail-suite) with ${session.transmissionType}${tls}\r\n\tid ${queueId}; ${rfc5322Date()}\r\n`;
}

/** The SIZE= parameter of MAIL FROM (RFC 1870), 0 when absent. */
function declaredSize(address: SMTPServerAddress): number {
  const args = address.args ? (address.args as Record<string, string>) : {};
  const n = Number(args.SIZE ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}
