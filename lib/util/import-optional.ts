/**
 * Imports an optional peer dependency, or `undefined` when it is not
 * installed. The name is a variable, so that neither TypeScript nor a
 * bundler needs the package.
 */
export async function importOptional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const code = (error as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return undefined;
    }
    throw error;
  }
}
