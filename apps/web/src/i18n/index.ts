// The app's two catalogs and the current language (saved per browser).
import { createContext } from "preact";
import { useContext } from "preact/hooks";

import { en, type Catalog, type MessageKey } from "./en";
import { fr } from "./fr";

export type Language = "en" | "fr";
export const LANGUAGES: readonly Language[] = ["fr", "en"];
const CATALOGS: Record<Language, Catalog> = { en, fr };
const STORAGE_KEY = "agora.language";

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "fr") return saved;
  return navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
}

export function saveLanguage(language: Language): void {
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
}

export function translator(language: Language): Translate {
  const catalog = CATALOGS[language];
  return (key, values = {}) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
}

export interface I18n {
  language: Language;
  t: Translate;
  setLanguage: (language: Language) => void;
}

export const I18nContext = createContext<I18n>({
  language: "en",
  t: translator("en"),
  setLanguage: () => undefined,
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}
