/**
 * Module hooks (node:module `register`) that report every module an ES import resolves to, one
 * `advx-module URL` line on stderr each. Registered by module-recorder.ts.
 */
interface ResolveResult {
  url: string;
}

type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

export async function resolve(
  specifier: string,
  context: unknown,
  next: NextResolve,
): Promise<ResolveResult> {
  const result = await next(specifier, context);
  process.stderr.write(`advx-module ${result.url}\n`);
  return result;
}
