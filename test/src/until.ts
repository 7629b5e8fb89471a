/** Polls `predicate` every 5 ms until it holds; fails with `what` after `timeout` ms. */
export async function until(predicate: () => boolean, what: string, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeout) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
