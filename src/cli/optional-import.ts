import { RingcacheError } from '../runtime/index.js';

/**
 * The packages only `ringcache load` and `ringcache bench` use (HTTP load, Zipf key sampling).
 * They are optionalDependencies: `npm install ringcache` brings them, so both commands work out
 * of the box, while a server-only install (`npm install --omit=optional`) leaves them out and
 * the master, nodes and proxies never load them.
 */
export const LOAD_PACKAGES: readonly string[] = Object.freeze(['autocannon', 'zipfian-integer']);

/**
 * Runs `load` (a dynamic import of the load/ drivers); a missing optional package becomes a
 * coded error that says which one and how to get it, instead of Node's module-resolution trace.
 */
export async function importWithOptional<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = missingPackage(error);
    if (missing === undefined) throw error;
    throw new RingcacheError(
      'RC_ERR_MISSING_DEPENDENCY',
      `ringcache ${command} needs the optional package '${missing}', which is not installed (npm install --omit=optional leaves it out): run npm install ${LOAD_PACKAGES.join(' ')}`,
      { package: missing },
    );
  }
}

function missingPackage(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  // Node's text: "Cannot find package 'autocannon' imported from /.../http-driver.js".
  return LOAD_PACKAGES.find((name) => error.message.includes(`'${name}'`));
}
