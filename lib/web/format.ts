/** Display helpers shared by the server components (plain functions, no React). */
import type { AddressEntry } from "../mime/summary";

export function folderLabel(name: string): string {
  return name === "INBOX" ? "Inbox" : name;
}

export function folderHref(name: string, page?: number): string {
  const base = `/mail/${encodeURIComponent(name)}`;
  return page && page > 1 ? `${base}?page=${page}` : base;
}

export function messageHref(folder: string, id: string): string {
  return `/mail/${encodeURIComponent(folder)}/${encodeURIComponent(id)}`;
}

/** "Alice" or "alice@example.com". */
export function personName(a: { name: string; address: string }): string {
  return a.name.trim() || a.address || "(unknown)";
}

/** "Alice <alice@example.com>" or "alice@example.com". */
export function fullAddress(a: AddressEntry): string {
  const name = a.name.trim();
  if (!name) return a.address;
  return a.address ? `${name} <${a.address}>` : name;
}

export function formatSize(bytes: number | bigint): string {
  const n = Number(bytes);
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/**
 * One Intl.DateTimeFormat per locale, zone and options, kept: making one costs far more
 * than formatting with it (a list slice of 100 rows made four each, about 60 ms of a
 * loaded machine's time).
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const FORMATS_MAX = 256;

function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([locale ?? "", options]);
  let f = formats.get(key);
  if (!f) {
    if (formats.size >= FORMATS_MAX) formats.clear();
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

function sameDay(a: Date, b: Date, timeZone?: string): boolean {
  const f = dateFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  return f.format(a) === f.format(b);
}

/** The list's date column: the time for today, day and month this year, else the full date. */
export function formatListDate(date: Date, now = new Date(), opts: { locale?: string; timeZone?: string } = {}): string {
  const { locale, timeZone } = opts;
  if (sameDay(date, now, timeZone)) return formatTime(date, opts);
  const year = (d: Date) => dateFormat("en-CA", { timeZone, year: "numeric" }).format(d);
  if (year(date) === year(now)) return dateFormat(locale, { timeZone, day: "numeric", month: "short" }).format(date);
  return dateFormat(locale, { timeZone, day: "numeric", month: "short", year: "numeric" }).format(date);
}

/**
 * A time of day as the locale writes it (timeStyle "short"): "09:05" in en-GB and de,
 * "9:05 AM" in en-US; never a 12-hour time with a leading zero ("06:33 AM").
 */
export function formatTime(date: Date, opts: { locale?: string; timeZone?: string } = {}): string {
  return dateFormat(opts.locale, { timeZone: opts.timeZone, timeStyle: "short" }).format(date);
}

/** The message view's date: weekday, date and time (the time as the list writes it). */
export function formatFullDate(date: Date, opts: { locale?: string; timeZone?: string } = {}): string {
  const day = dateFormat(opts.locale, { timeZone: opts.timeZone, weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(date);
  return `${day}, ${formatTime(date, opts)}`;
}

/** A value that changes whenever any folder's messages or flags change (for the page watcher). */
export function folderState(folders: ReadonlyArray<{ id: string; highestModSeq: bigint; unread: number; total: number }>): string {
  return folders.map((f) => `${f.id}:${f.highestModSeq}:${f.unread}:${f.total}`).join(",");
}
