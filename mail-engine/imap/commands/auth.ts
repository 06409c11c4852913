/**
 * Signing in (RFC 3501 6.2): STARTTLS, LOGIN, AUTHENTICATE PLAIN (RFC 4616, with the
 * initial response of RFC 4959 SASL-IR). Passwords go through the one check
 * (lib/auth/authenticate.ts) with app passwords allowed and the client's address as
 * the lock-out key. Before TLS only a client on this host may send a password
 * (RFC 3501 6.2.3 LOGINDISABLED, RFC 8314).
 */
import { AuthError, authenticate } from "../../../lib/auth/authenticate";
import { atom, noMore, str } from "../parser/tokens";
import { bad, no, Silent, type Session } from "../session";
import type { CommandSpec } from "./types";

export const STARTTLS: CommandSpec = {
  states: ["not-authenticated"],
  noUpdates: true,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    if (s.secure || !s.upgrade) throw bad("TLS is already active");
    await s.send(`${cmd.tag} OK Begin TLS negotiation now\r\n`);
    // Anything the client sent after STARTTLS in the clear is dropped (RFC 3501 6.2.1).
    s.resetReader();
    s.socket.removeAllListeners("data");
    s.socket.removeAllListeners("close");
    const secure = s.upgrade(s.socket);
    s.secure = true;
    s.attach(secure);
    // The tagged OK was sent above: tell the session to send nothing more for this command.
    throw new Silent();
  },
};


async function signIn(s: Session, username: string, password: string): Promise<void> {
  if (!s.plaintextAllowed()) throw no("sign-in needs TLS first: use STARTTLS or the IMAPS port", "PRIVACYREQUIRED");
  try {
    const account = await authenticate(s.ctx.db, s.ctx.config, { username, password, ip: s.ip, allowAppPasswords: true });
    s.signedIn(account);
    s.log.info("imap.login", { cid: s.cid, ip: s.ip, user: account.email });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    s.log.warn("imap.login_failed", { cid: s.cid, ip: s.ip, user: username.slice(0, 200), reason: err.reason });
    // RFC 5530: AUTHENTICATIONFAILED for wrong credentials; a lock-out is temporary.
    throw no(err.reason === "locked" ? err.message : err.reason === "disabled" ? "the account is disabled" : "wrong user name or password", err.reason === "locked" ? "UNAVAILABLE" : "AUTHENTICATIONFAILED");
  }
}

export const LOGIN: CommandSpec = {
  states: ["not-authenticated"],
  async run(s, cmd) {
    noMore(cmd.args, 2);
    const user = str(cmd.args[0], "user name");
    const pass = str(cmd.args[1], "password");
    await signIn(s, user, pass);
    return { text: "signed in", code: `CAPABILITY ${s.capabilities().join(" ")}` };
  },
};

export const AUTHENTICATE: CommandSpec = {
  states: ["not-authenticated"],
  async run(s, cmd) {
    noMore(cmd.args, 2);
    const mech = atom(cmd.args[0], "mechanism").toUpperCase();
    if (mech !== "PLAIN") throw no(`mechanism ${mech.slice(0, 40)} is not supported; use PLAIN`);
    if (!s.plaintextAllowed()) throw no("sign-in needs TLS first: use STARTTLS or the IMAPS port", "PRIVACYREQUIRED");
    let response: string | null = cmd.args[1] ? str(cmd.args[1], "initial response") : null;
    if (response === null) {
      await s.send("+ \r\n");
      response = await s.nextLine();
      if (response === null) return;
    }
    if (response === "*") throw bad("authentication cancelled");
    if (response === "=") response = "";
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response)) throw bad("the response is not base64");
    const parts = Buffer.from(response, "base64").toString("utf8").split("\0");
    if (parts.length !== 3) throw bad("PLAIN needs authzid NUL authcid NUL password (RFC 4616)");
    const [authz, authc, pass] = parts;
    if (authz && authz.toLowerCase() !== authc.toLowerCase()) throw no("signing in as another user is not supported", "AUTHORIZATIONFAILED");
    await signIn(s, authc, pass);
    return { text: "signed in", code: `CAPABILITY ${s.capabilities().join(" ")}` };
  },
};

/** RFC 5161 ENABLE: CONDSTORE and QRESYNC (RFC 7162 3.1, 3.2.3: QRESYNC implies CONDSTORE), IMAP4rev2 (RFC 9051 6.3.1); other names are ignored, as the RFC asks. */
export const ENABLE: CommandSpec = {
  states: ["authenticated"],
  async run(s, cmd) {
    if (cmd.args.length === 0) throw bad("ENABLE needs at least one capability");
    const now: string[] = [];
    for (const a of cmd.args) {
      const name = atom(a, "capability").toUpperCase();
      if ((name === "CONDSTORE" || name === "QRESYNC" || name === "IMAP4REV2") && !s.enabled.has(name)) {
        s.enabled.add(name);
        now.push(name);
      }
      if (name === "QRESYNC") s.enabled.add("CONDSTORE");
    }
    await s.untagged(`ENABLED${now.map((n) => " " + (n === "IMAP4REV2" ? "IMAP4rev2" : n)).join("")}`);
  },
};
