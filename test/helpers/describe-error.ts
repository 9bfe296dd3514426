// "Name: message" of anything thrown, for test failure messages and the browser test pages.

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
