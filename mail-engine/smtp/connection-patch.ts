/**
 * The connection policy inside smtp-server's connection object, where its public
 * options cannot reach:
 *  - smtp-server waits a fixed 100 ms before the greeting and answers an early talker
 *    "421 You talk too soon"; here the pause comes from the policy (none for exempt
 *    clients and recent passers), any byte sent during it is refused with
 *    554 5.5.1 (RFC 5321 3.1: the client must wait for the greeting; Postfix's
 *    postscreen calls this PREGREET), and a client that waited is remembered;
 *  - per-client connection limits are checked before the greeting (421 4.7.0);
 *  - deadlines: a command line must arrive whole within commandDeadlineMs of its first
 *    byte, and the message within dataDeadlineMs of the 354, else 421 4.4.2. The idle
 *    timeout alone lets a client that drips one byte a second hold a slot forever;
 *  - on submission (587), AUTH before STARTTLS gets RFC 3207's
 *    "530 5.7.0 Must issue a STARTTLS command first" instead of "500 not recognized".
 * It relies on private members of smtp-server's SMTPConnection and SMTPStream (init,
 * _setListeners, connectionReady, _createParser, _onCommand, _ready, _dataMode), so
 * package.json pins smtp-server's exact version; check this file when upgrading it.
 */
import type { Writable } from "node:stream";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import type { Logger } from "../../lib/log";
import type { ConnectionPolicy } from "./connection-policy";

/** What a listener hands to its connections, as the `mailSuite` option of SMTPServer. */
export interface ConnectionExtension {
  policy: ConnectionPolicy;
  log: Logger;
  /** Answer AUTH on a plaintext connection with 530 5.7.0 (submission on 587). */
  authNeedsTls: boolean;
}

interface ParserLike extends Writable {
  _dataMode: boolean;
  oncommand(command: Buffer, callback: () => void): void;
  startDataMode(maxBytes?: number): Writable;
  _write(chunk: Buffer, encoding: BufferEncoding, next: (err?: Error | null) => void): void;
}

/** The private surface of SMTPConnection this file uses. */
interface Conn {
  _server: { options: { mailSuite?: ConnectionExtension; maxClients?: number }; connections: Set<unknown> };
  _socket: NodeJS.EventEmitter;
  _ready: boolean;
  _closing: boolean;
  _closed: boolean;
  _upgrading: boolean;
  _nextHandler: unknown;
  secure: boolean;
  name: string;
  id: string;
  remoteAddress: string;
  init(): void;
  _setListeners(cb: () => void): void;
  connectionReady(): void;
  _createParser(): ParserLike;
  _onCommand(command: Buffer, callback?: () => void): void;
  _whenWritable(next: () => void): void;
  send(code: number, data: string, context?: unknown): void;
  close(): void;
  [STATE]?: ConnState;
}

interface ConnState {
  ext: ConnectionExtension;
  /** Set while the greeting pause runs. */
  pause: { timer: NodeJS.Timeout; started: number } | null;
  commandTimer: NodeJS.Timeout | null;
  dataTimer: NodeJS.Timeout | null;
}

const STATE = Symbol("mail-suite connection state");
let installed = false;

export function installConnectionPatch(): void {
  if (installed) return;
  installed = true;
  const proto = (SMTPConnection as unknown as { prototype: Conn }).prototype;
  const originalInit = proto.init;
  const originalCreateParser = proto._createParser;
  const originalOnCommand = proto._onCommand;

  proto.init = function (this: Conn) {
    const ext = this._server.options.mailSuite;
    if (!ext) return originalInit.call(this);
    const state = stateOf(this, ext);
    // Counted from the accept, before any handshake, so slow handshakes count too.
    const admission = ext.policy.admit(this.remoteAddress);
    const socket = this._socket;
    socket.once("close", () => {
      if (admission.ok) admission.release();
      clearTimers(state);
    });
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        return this.send(421, `4.7.0 ${this.name} Too many connected clients, try again in a moment`);
      }
      if (!admission.ok) {
        ext.log.warn("smtp.connection_refused", { cid: this.id, ip: this.remoteAddress, reason: admission.reason, limit: admission.reason === "rate" ? ext.policy.settings.ratePerMinute : ext.policy.settings.perClientLimit });
        return this.send(421, `4.7.0 ${this.name} ${admission.text}`); // 421 closes the connection
      }
      if (admission.pauseMs === 0) return this.connectionReady();
      state.pause = {
        started: Date.now(),
        timer: setTimeout(() => {
          state.pause = null;
          if (this._closing || this._closed) return;
          ext.policy.recordPass(this.remoteAddress);
          this.connectionReady();
        }, admission.pauseMs),
      };
      state.pause.timer.unref();
    });
  };

  proto._createParser = function (this: Conn) {
    const parser = originalCreateParser.call(this);
    const ext = this._server.options.mailSuite;
    if (!ext) return parser;
    // The constructor creates the first parser, before init(): the state starts here.
    const state = stateOf(this, ext);
    const write = parser._write.bind(parser);
    parser._write = (chunk, encoding, next) => {
      if (state.pause) {
        const waited = Date.now() - state.pause.started;
        clearTimeout(state.pause.timer);
        state.pause = null;
        ext.log.warn("smtp.early_talker", { cid: this.id, ip: this.remoteAddress, afterMs: waited, bytes: chunk.length, sample: chunk.subarray(0, 40).toString("latin1") });
        this.send(554, `5.5.1 ${this.name} Protocol error: you talked before the greeting; wait for the 220 reply`);
        this.close();
        return next();
      }
      if (this._ready && !parser._dataMode && !state.commandTimer) {
        state.commandTimer = setTimeout(() => onDeadline(this, state, "command"), ext.policy.settings.commandDeadlineMs);
        state.commandTimer.unref();
      }
      return write(chunk, encoding, next);
    };
    const oncommand = parser.oncommand;
    parser.oncommand = (command, callback) => {
      if (state.commandTimer) {
        clearTimeout(state.commandTimer);
        state.commandTimer = null;
      }
      return oncommand.call(parser, command, callback);
    };
    const startDataMode = parser.startDataMode.bind(parser);
    parser.startDataMode = (maxBytes) => {
      const stream = startDataMode(maxBytes);
      clearTimeout(state.dataTimer ?? undefined);
      state.dataTimer = setTimeout(() => onDeadline(this, state, "data"), ext.policy.settings.dataDeadlineMs);
      state.dataTimer.unref();
      // The parser ends the stream at the final dot; a closed connection destroys it.
      const done = () => {
        clearTimeout(state.dataTimer ?? undefined);
        state.dataTimer = null;
      };
      stream.once("finish", done);
      stream.once("close", done);
      return stream;
    };
    return parser;
  };

  proto._onCommand = function (this: Conn, command: Buffer, callback?: () => void) {
    const ext = this[STATE]?.ext;
    if (ext?.authNeedsTls && !this.secure && !this._upgrading && this._ready && !this._nextHandler) {
      const name = (command || "").toString().split(" ", 1)[0].toUpperCase();
      if (name === "AUTH") {
        this.send(530, "5.7.0 Must issue a STARTTLS command first");
        setImmediate(() => this._whenWritable(callback ?? (() => false)));
        return;
      }
    }
    return originalOnCommand.call(this, command, callback);
  };
}

function stateOf(conn: Conn, ext: ConnectionExtension): ConnState {
  return (conn[STATE] ??= { ext, pause: null, commandTimer: null, dataTimer: null });
}

function onDeadline(conn: Conn, state: ConnState, phase: "command" | "data"): void {
  if (phase === "command") state.commandTimer = null;
  else state.dataTimer = null;
  if (conn._closing || conn._closed) return;
  const ms = phase === "command" ? state.ext.policy.settings.commandDeadlineMs : state.ext.policy.settings.dataDeadlineMs;
  state.ext.log.warn("smtp.deadline_exceeded", { cid: conn.id, ip: conn.remoteAddress, phase, limitMs: ms });
  const what = phase === "command" ? "Command line not completed" : "Message data not completed";
  conn.send(421, `4.4.2 ${conn.name} ${what} within ${Math.round(ms / 1000)} s; closing connection`); // 421 closes
}

function clearTimers(state: ConnState): void {
  if (state.pause) clearTimeout(state.pause.timer);
  state.pause = null;
  clearTimeout(state.commandTimer ?? undefined);
  clearTimeout(state.dataTimer ?? undefined);
  state.commandTimer = state.dataTimer = null;
}
