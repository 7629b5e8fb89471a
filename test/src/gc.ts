import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// `global.gc` from --expose-gc does not reach jest's test context; this does.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full garbage collection, twice (the second collects what finalizers freed). */
export function forceGc(): void {
  gc();
  gc();
}
