// Dates in the reader's language.
import type { Timestamp } from "@bufbuild/protobuf/wkt";

import type { Language } from "./i18n";

export function toDate(stamp: Timestamp | undefined): Date | null {
  if (stamp === undefined) return null;
  return new Date(Number(stamp.seconds) * 1000 + Math.floor(stamp.nanos / 1e6));
}

export function formatDate(stamp: Timestamp | undefined, language: Language, withTime = false): string {
  const date = toDate(stamp);
  if (date === null) return "";
  return new Intl.DateTimeFormat(language, {
    dateStyle: "medium",
    ...(withTime ? { timeStyle: "short" } : {}),
  }).format(date);
}
