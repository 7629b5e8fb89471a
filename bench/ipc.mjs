// The bench's one way to talk to a forked server or client process.

/**
 * Sends `message` (if any) to `child` and resolves with the first message
 * whose `cmd` is `reply`; rejects if the process exits first.
 */
export function call(child, message, reply) {
  const answer = new Promise((resolve, reject) => {
    const onExit = (code) => {
      child.off('message', onMessage);
      reject(new Error(`process exited (${code}) while waiting for ${reply}`));
    };
    const onMessage = (m) => {
      if (m.cmd === reply) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  if (message) child.send(message);
  return answer;
}

/**
 * The forked processes of a bench run, killed when it exits, and a bound on the
 * whole run: a stuck server or client ends it (and its children) after `minutes`.
 */
export function boundedRun(minutes) {
  const children = new Set();
  process.on('exit', () => children.forEach((child) => child.kill()));
  setTimeout(() => {
    console.error(`bench: gave up after ${minutes} minutes`);
    process.exit(2);
  }, minutes * 60_000).unref();
  return children;
}
