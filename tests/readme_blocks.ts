/**
 * The README's code blocks, for the tests that run its examples as written.
 *
 * @module
 */

const README = new URL("../README.md", import.meta.url);

/**
 * The code blocks fenced with ```` ```language ```` (`""` for plain fences) in the README
 * section headed `## heading`, its subsections included.
 */
export async function readmeBlocks(heading: string, language: string): Promise<string[]> {
  const readme = await Deno.readTextFile(README);
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README has no section "${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const fence = new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g");
  return [...section.matchAll(fence)].map((match) => match[1]!);
}
