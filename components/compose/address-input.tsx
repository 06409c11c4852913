"use client";
/**
 * A recipients field (To, Cc, Bcc): comma-separated addresses, with suggestions for the
 * one being typed from /api/contacts (the account's own correspondents), as a WAI-ARIA
 * combobox: arrows move through the list, Enter or Tab takes a suggestion, Escape closes.
 */
import { useEffect, useId, useRef, useState } from "react";

interface Contact {
  name: string;
  address: string;
}

const lastToken = (value: string) => value.split(/[,;]/).pop()!.trim();

function display(c: Contact): string {
  if (!c.name) return c.address;
  return `${/[",;<>@]/.test(c.name) ? JSON.stringify(c.name) : c.name} <${c.address}>`;
}

export function AddressInput({ label, name, value, onChange, autoFocus }: { label: string; name: string; value: string; onChange(v: string): void; autoFocus?: boolean }) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Contact[]>([]);
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputId = useId();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const asked = useRef("");

  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const lookUp = (v: string) => {
    const q = lastToken(v);
    if (timer.current) clearTimeout(timer.current);
    if (q.length < 1) {
      setOpen(false);
      return;
    }
    timer.current = setTimeout(async () => {
      asked.current = q;
      const res = await fetch(`/api/contacts?q=${encodeURIComponent(q)}`).catch(() => null);
      if (!res?.ok || asked.current !== q) return;
      const { contacts } = (await res.json()) as { contacts: Contact[] };
      setItems(contacts);
      setActive(0);
      setOpen(contacts.length > 0);
    }, 120);
  };

  const take = (c: Contact) => {
    const parts = value.split(/[,;]/);
    parts.pop();
    const head = parts.map((p) => p.trim()).filter(Boolean);
    onChange([...head, display(c)].join(", ") + ", ");
    setOpen(false);
  };

  return (
    <div className="relative flex items-center gap-2 border-b border-slate-200 px-4">
      <label htmlFor={inputId} className="w-12 shrink-0 text-sm text-slate-500">
        {label}
      </label>
      <input
        id={inputId}
        name={name}
        data-testid={`compose-${name}`}
        type="text"
        autoComplete="off"
        autoFocus={autoFocus}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
          lookUp(e.target.value);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (!open) return;
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => (a + 1) % items.length);
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => (a - 1 + items.length) % items.length);
          } else if ((e.key === "Enter" || e.key === "Tab") && !e.ctrlKey && !e.metaKey && items[active]) {
            e.preventDefault();
            take(items[active]);
          } else if (e.key === "Escape") setOpen(false);
        }}
        className="min-w-0 flex-1 bg-transparent py-2 text-sm outline-none"
      />
      {open && (
        <ul id={listId} role="listbox" aria-label={`${label} suggestions`} className="absolute top-full left-16 z-30 mt-1 w-80 max-w-[90vw] overflow-hidden rounded-lg border border-slate-200 bg-white shadow-lg" data-testid="contact-suggestions">
          {items.map((c, i) => (
            <li
              key={c.address}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                take(c);
              }}
              className={`cursor-pointer px-3 py-2 text-sm ${i === active ? "bg-blue-50" : ""}`}
            >
              {c.name && <span className="font-medium text-slate-800">{c.name} </span>}
              <span className="text-slate-500">{c.address}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
