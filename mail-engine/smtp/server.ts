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
import { SMTPServer, type SMTPServerOptions, type SMTPServerDataStream } from "smtp-server";
import type { EngineContext } from "../context";
import { mayUseSender } from "../../lib/routing/resolve";
import { isStoreError } from "../../lib/store";
import { rfc5322Date } from "../../lib/mime/headers";
import { completeHeaders } from "../../lib/submission/headers";
import { StreamingParse } from "../../lib/store/parse";
import { MAX_HEADER_BYTES, receiveMessage, type ReceivedMessage } from "./message-reader";
import { installEnhancedCodePatch, smtpError } from "./replies";
import { ConnectionPolicy } from "./connection-policy";
import { installConnectionPatch, type ConnectionExtension } from "./connection-patch";
import { onAuth } from "./on-auth";
import { onMailFrom } from "./on-mail-from";
import { onRcptTo } from "./on-rcpt-to";
import type { ListenerKind, Session, Transaction } from "./transaction";
import { listenErrorHint, PORT_VARIABLE } from "./listen-errors";
import { dnsResolver, type Verdict } from "./authentication";
import { checkReceived, junkTargets } from "./inbound-checks";
import { prismaLookup } from "../../lib/routing/resolve";
import { srsEncode, srsKey } from "../../lib/routing/srs";
import { parseAddress } from "../../lib/domain/address";
import { sendDsn } from "../queue/dsn-send";
export { listenErrorHint, PORT_VARIABLE } from "./listen-errors";

export { MAX_RECIPIENTS, type ListenerKind } from "./transaction";

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
  const resolver = isMx ? dnsResolver(config.dnsServers, config.dnsCacheMs / 1000) : null;

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
    // RFC 3461: RET/ENVID checked in on-mail-from.ts, NOTIFY/ORCPT in on-rcpt-to.ts, kept with the queue entry.
    hideDSN: false,
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

    onAuth: onAuth(ctx, log),
    onMailFrom: onMailFrom(ctx, kind, log, txns),
    onRcptTo: onRcptTo(ctx, kind, log, txns),

    onData(stream: SMTPServerDataStream, session: Session, cb) {
      const txn = txns.get(session.id);
      txns.delete(session.id);
      const started = Date.now();
      const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
      // One blob for the local copy and the queue: the queue skips the Return-Path line.
      const returnPath = Buffer.from(`Return-Path: <${mailFrom}>\r\n`);
      // Mail from the MX's own host and trusted networks is not checked (as submission is not).
      const checked = isMx && !policy.isExempt(session.remoteAddress);
      let verdict: Verdict | null = null;
      let parser: StreamingParse;
      let received: ReceivedMessage | null = null;
      StreamingParse.create()
        .then((p) => (parser = p))
        .then(() => receiveMessage(stream, {
        blobs,
        // A checked message is stored again after the checks, with its trace fields (inbound-checks.ts).
        sink: checked ? undefined : parser,
        prefix: (header) => {
          if (checked) return Buffer.alloc(0);
          // RFC 6409 8.2, 8.3: the submission server completes a missing Date and Message-ID.
          const extra = isMx ? "" : completeHeaders(header, config.hostname);
          return Buffer.concat([returnPath, Buffer.from(receivedHeader(config.hostname, session, txn?.queueId ?? "") + extra)]);
        },
      }))
        .then(async (first) => {
          let msg = first;
          received = msg;
          if (!txn) throw smtpError(503, "5.5.1", "Need MAIL FROM first");
          if (msg.sizeExceeded) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "size" });
            throw smtpError(552, "5.3.4", `Message exceeds the limit of ${config.maxMessageSize} bytes`);
          }
          if (msg.bareLineEnding) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "bare line ending", ip: session.remoteAddress });
            throw smtpError(550, "5.6.0", "Message contains a bare CR or LF; lines must end with CRLF");
          }
          if (!isMx) {
            const user = session.user!;
            if (!msg.headerComplete) throw smtpError(552, "5.3.4", `Message header section exceeds ${MAX_HEADER_BYTES} bytes`);
            // Author fields (From, Sender, Resent-From): see lib/submission/sender-headers.ts (loaded on the
            // first submission: its MIME libraries cost an MX-only engine ~10 MB).
            const { checkSenderHeaders } = await import("../../lib/submission/sender-headers");
            const refused = await checkSenderHeaders(msg.header, (addr) => mayUseSender(db, user, addr));
            if (refused) {
              log.warn("smtp.rejected", { cid: session.id, msgId: txn.queueId, reason: "sender headers", user: user.email, detail: refused.message });
              throw smtpError(refused.code, refused.enhanced, refused.code === 553 ? `${refused.message} (${user.email})` : refused.message);
            }
          }
          if (checked) {
            const checkStarted = Date.now();
            const out = await checkReceived({
              msg,
              session,
              mailFrom,
              hostname: config.hostname,
              resolver: resolver!,
              keyCacheMs: config.dnsCacheMs,
              lookup: ctx.lookup ?? prismaLookup(db),
              blobs,
              sink: parser,
              prefix: (auth) => Buffer.concat([returnPath, Buffer.from(auth + receivedHeader(config.hostname, session, txn.queueId))]),
            });
            msg = received = out.msg;
            verdict = out.verdict;
            log.info("smtp.auth", { cid: session.id, msgId: txn.queueId, ip: session.remoteAddress, action: verdict.action, results: verdict.summary, reason: verdict.reason || undefined, ms: Date.now() - checkStarted });
          }
          const inline = msg.inline;
          const blob = await msg.commit();
          // Small messages are parsed by the store's writer; large ones were parsed as they arrived.
          const parsed = inline ? null : parser.end();
          await ctx.store.deliver({
            raw: inline,
            blob,
            summary: parsed?.summary,
            structure: parsed?.structure,
            imap: parsed?.imap,
            queueId: txn.queueId,
            // DMARC quarantine and forged local From go to Junk (authentication.ts).
            targets: verdict?.action === "junk" ? await junkTargets(db, [...txn.local.values()]) : [...txn.local.values()],
            queue: txn.remote.size ? await queueRows(ctx, txn, mailFrom, session.user?.id ?? null, returnPath.length) : undefined,
            receivedFrom: `${kind} from ${session.clientHostname || session.remoteAddress} [${session.remoteAddress}] helo=${session.hostNameAppearsAs} mail from=<${mailFrom}>${session.user ? ` user=${session.user.email}` : ""}${verdict ? ` ${verdict.summary}${verdict.action === "junk" ? ` junk (${verdict.reason})` : ""}` : ""}`,
            quota: "grace",
          });
          if (txn.success.length && mailFrom) await reportDelivered(ctx, txn, mailFrom, msg.header);
          log.info("smtp.accepted", {
            cid: session.id,
            msgId: txn.queueId,
            ip: session.remoteAddress,
            from: mailFrom,
            to: txn.accepted,
            remote: [...txn.remote],
            size: blob.size,
            longestLine: msg.longestLine > 1000 ? msg.longestLine : undefined,
            user: session.user?.email,
            ms: Date.now() - started,
          });
          cb(null, `2.6.0 Ok: queued as ${txn.queueId}`);
        })
        .catch(async (err: unknown) => {
          await (received as ReceivedMessage | null)?.discard().catch(() => undefined);
          if (err && typeof (err as { responseCode?: number }).responseCode === "number") {
            const refused = (err as { verdict?: Verdict }).verdict;
            if (refused) log.warn("smtp.rejected", { cid: session.id, msgId: txn?.queueId, ip: session.remoteAddress, reason: refused.reason, results: refused.summary });
            const cause = (err as { cause?: unknown }).cause;
            if (cause) log.error("smtp.auth_failed", { cid: session.id, msgId: txn?.queueId, ip: session.remoteAddress, error: cause });
            return cb(err as Error);
          }
          if (isStoreError(err, "no-account")) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn?.queueId, reason: "recipient removed", detail: (err as Error).message });
            return cb(smtpError(550, "5.1.1", "Recipient mailbox no longer exists"));
          }
          if (isStoreError(err, "over-quota")) {
            log.warn("smtp.rejected", { cid: session.id, msgId: txn?.queueId, reason: "quota", detail: (err as Error).message });
            return cb(smtpError(452, "4.2.2", "Mailbox full; try again later"));
          }
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

/**
 * The queue entry of a message. Forwarded mail (alias destinations) leaves with an SRS
 * address at the forwarding domain when the sender's domain is not ours, so SPF at the
 * destination passes (forwarding is what breaks it, RFC 7208 appendix D). Only the MX
 * forwards for foreign senders, and it queues nothing else; submission senders are ours.
 * The null sender is never rewritten.
 */
async function queueRows(ctx: EngineContext, txn: Transaction, mailFrom: string, accountId: string | null, bodyOffset: number) {
  const lookup = ctx.lookup ?? prismaLookup(ctx.db);
  const forwarded = [...txn.forwards.keys()];
  const sender = parseAddress(mailFrom);
  const onlyForwards = forwarded.length === txn.remote.size;
  const rewrite = forwarded.length > 0 && onlyForwards && sender !== null && !(await lookup.domainExists(sender.domain));
  const from = rewrite ? srsEncode(srsKey(ctx.config), mailFrom, txn.forwards.get(forwarded[0])!) : mailFrom;
  return { mailFrom: from, accountId, recipients: [...txn.remote], bodyOffset, envId: txn.dsn.envid, ret: txn.dsn.ret, recipientDsn: txn.rcptDsn };
}

/**
 * The "delivered"/"expanded" DSN (RFC 3461 4.1, NOTIFY=SUCCESS) for local recipients, sent
 * once the message is stored and before the 250. The message is delivered whatever
 * becomes of the report, so a failure to write it is logged, not answered with an error
 * that would make the client send the message again.
 */
async function reportDelivered(ctx: EngineContext, txn: Transaction, mailFrom: string, header: Buffer): Promise<void> {
  const subject = { mailFrom, envId: txn.dsn.envid, ret: txn.dsn.ret, createdAt: new Date() };
  await sendDsn(ctx, txn.queueId, subject, header, txn.success).catch((err) => ctx.log.error("queue.dsn_failed", { msgId: txn.queueId, error: err, hint: "the message was delivered; its success report is lost" }));
}

/** The trace header (RFC 5321 4.4) without a "for" clause, so one blob serves every recipient. */
function receivedHeader(hostname: string, session: Session, queueId: string): string {
  const helo = session.hostNameAppearsAs || "unknown";
  const tls = session.tlsOptions ? ` (${(session.tlsOptions as { version?: string }).version ?? "TLS"} cipher ${(session.tlsOptions as { name?: string }).name ?? ""})` : "";
  return `Received: from ${helo} ([${session.remoteAddress}])\r\n\tby ${hostname} (mail-suite) with ${session.transmissionType}${tls}\r\n\tid ${queueId}; ${rfc5322Date()}\r\n`;
}
