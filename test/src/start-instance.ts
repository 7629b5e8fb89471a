import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts test/src/presence-instance.mjs — one app instance in its own process
 * on a shared Redis — and resolves once it listens: the process (to kill it
 * without a shutdown) and its port.
 */
export async function startPresenceInstance(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'presence-instance.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (data: Buffer) => {
        const match = /port (\d+)/.exec(data.toString());
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`the instance exited (${code})`)));
    });
    return { child, port };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
