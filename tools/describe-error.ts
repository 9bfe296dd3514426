// "Name: message" of anything thrown: for the tests' failure messages, the test and benchmark
// pages, and the benchmark runners (no Node or DOM imports, so it runs everywhere).

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
