// What went wrong and what to do, in the reader's language; never a stack trace.
import { Code, ConnectError } from "@connectrpc/connect";

import type { Translate } from "./i18n";

export function describeError(error: unknown, t: Translate): string {
  if (!(error instanceof ConnectError)) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TypeError) return t("error.unavailable");
    return t("error.other", { message });
  }
  switch (error.code) {
    case Code.Unauthenticated:
      return t("error.unauthenticated");
    case Code.PermissionDenied:
      return t("error.permission");
    case Code.NotFound:
      return t("error.notFound");
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.AlreadyExists:
      return t("error.invalid", { message: error.rawMessage });
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.Unknown:
      return t("error.unavailable");
    default:
      return t("error.other", { message: error.rawMessage });
  }
}
