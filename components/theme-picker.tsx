"use client";

import { useState } from "react";

export type Theme = "system" | "light" | "dark";

/** System, light or dark; kept in a cookie so the server renders the chosen theme (no flash). */
export function ThemePicker({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  return (
    <label className="hidden items-center text-sm text-slate-600 lg:flex">
      <span className="sr-only">Theme</span>
      <select
        value={theme}
        data-testid="theme"
        className="rounded-md border border-slate-200 bg-white px-1.5 py-1 text-sm text-slate-700"
        onChange={(e) => {
          const t = e.target.value as Theme;
          setTheme(t);
          document.cookie = `theme=${t}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
          if (t === "system") delete document.documentElement.dataset.theme;
          else document.documentElement.dataset.theme = t;
        }}
      >
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
