/**
 * Structured logs: one JSON line per event on stdout (stderr for warn/error), with
 * `msgId` (the queue id of a message) wherever a line concerns one message, so that
 * `grep '"msgId":"Q..."'` follows a mail end to end.
 */
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: Fields): void;
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

let minLevel: Level = (process.env.LOG_LEVEL as Level) in ORDER ? (process.env.LOG_LEVEL as Level) : "info";
let sink: (line: string, level: Level) => void = (line, level) => {
  (ORDER[level] >= ORDER.warn ? process.stderr : process.stdout).write(line + "\n");
};

export function setLogLevel(level: Level): void {
  minLevel = level;
}

/** Replaces where log lines go (tests capture them). */
export function setLogSink(fn: (line: string, level: Level) => void): void {
  sink = fn;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as NodeJS.ErrnoException).code };
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLogger(base: Fields = {}): Logger {
  const write = (level: Level, event: string, fields?: Fields) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const record: Fields = { time: new Date().toISOString(), level, event, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = serialise(v);
    sink(JSON.stringify(record), level);
  };
  return {
    debug: (e, f) => write("debug", e, f),
    info: (e, f) => write("info", e, f),
    warn: (e, f) => write("warn", e, f),
    error: (e, f) => write("error", e, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log = createLogger();
