"""Drives an SMTP server with Python's smtplib for the DSN tests (test/integration/outbound-dsn.test.ts).

argv[1] is a JSON spec: host, port, optional user/password (STARTTLS then AUTH), sender,
mail_options, and either rcpt_options + recipients for smtplib.sendmail(), or
rcpts: [{to, options}] for one MAIL, a RCPT each and DATA when one was accepted.
Prints a JSON object with the DSN keyword's presence and every reply.
"""
import json
import smtplib
import ssl
import sys

spec = json.loads(sys.argv[1])
out = {"replies": []}
s = smtplib.SMTP(spec["host"], spec["port"], timeout=60)
s.ehlo()
if spec.get("user"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo()
    s.login(spec["user"], spec["password"])
out["dsn"] = s.has_extn("dsn")
msg = spec.get("message", "Subject: dsn test\r\n\r\nbody\r\n").encode()
if "recipients" in spec:
    try:
        refused = s.sendmail(spec["sender"], spec["recipients"], msg, mail_options=spec.get("mail_options", []), rcpt_options=spec.get("rcpt_options", []))
        out["refused"] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
        out["sent"] = True
    except smtplib.SMTPRecipientsRefused as e:
        out["refused"] = {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}
        out["sent"] = False
    except smtplib.SMTPSenderRefused as e:
        out["sender_refused"] = [e.smtp_code, e.smtp_error.decode()]
        out["sent"] = False
else:
    code, text = s.mail(spec["sender"], spec.get("mail_options", []))
    out["replies"].append(["MAIL", code, text.decode()])
    accepted = 0
    if code == 250:
        for r in spec["rcpts"]:
            code, text = s.rcpt(r["to"], r.get("options", []))
            out["replies"].append(["RCPT " + r["to"], code, text.decode()])
            accepted += code in (250, 251)
    if accepted and spec.get("data", True):
        code, text = s.data(msg)
        out["replies"].append(["DATA", code, text.decode()])
    else:
        s.rset()
s.quit()
print(json.dumps(out))
