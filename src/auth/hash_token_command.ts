/**
 * `rafter hash-token`: reads a token on standard input and prints its
 * SHA-256, the `tokenSha256` of an auth file. The token never appears on
 * the command line, so it stays out of shell history and process lists.
 *
 * @module
 */

import { hashToken } from "./token_hash.ts";

/** Shortest token accepted: shorter ones are too easy to guess from a leaked hash. */
export const TOKEN_CHARS_MIN = 16;
/** Longest token accepted. */
export const TOKEN_CHARS_MAX = 1024;
/** Most characters read from standard input: a token and its line break. */
const INPUT_CHARS_MAX = TOKEN_CHARS_MAX + 2;
const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * The token in `input` (one trailing newline dropped), checked: 16 to 1024
 * printable ASCII characters without spaces, so it fits in a header as is.
 * Throws a `RangeError` saying what is wrong.
 *
 * @example
 * ```ts
 * import { tokenFromInput } from "./hash_token_command.ts";
 * if (tokenFromInput("0123456789abcdef\n") !== "0123456789abcdef") throw new Error();
 * ```
 */
export function tokenFromInput(input: string): string {
  const token = input.replace(/\r?\n$/, "");
  if (token.length < TOKEN_CHARS_MIN) {
    throw new RangeError(
      `Token must be at least ${TOKEN_CHARS_MIN} characters, got ${token.length}: make one with "openssl rand -hex 32"`,
    );
  }
  if (token.length > TOKEN_CHARS_MAX) {
    throw new RangeError(`Token must be at most ${TOKEN_CHARS_MAX} characters`);
  }
  if (!PRINTABLE.test(token)) {
    throw new RangeError("Token must be printable ASCII without spaces or line breaks");
  }
  return token;
}

async function readInput(stdin: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stdin.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.length > INPUT_CHARS_MAX) {
      throw new RangeError(`Token must be at most ${TOKEN_CHARS_MAX} characters`);
    }
  }
  return text;
}

/**
 * Runs the command on `stdin`, printing the hash with `print`; answers the
 * exit status (0, or 1 after printing why with `fail`).
 *
 * @example
 * ```ts
 * import { runHashToken } from "./hash_token_command.ts";
 * const out: string[] = [];
 * const stdin = ReadableStream.from([new TextEncoder().encode("0123456789abcdef\n")]);
 * const status = await runHashToken(stdin, (line) => out.push(line), () => {});
 * if (status !== 0 || out[0]?.length !== 64) throw new Error();
 * ```
 */
export async function runHashToken(
  stdin: ReadableStream<Uint8Array>,
  print: (line: string) => void,
  fail: (line: string) => void,
): Promise<number> {
  try {
    print(hashToken(tokenFromInput(await readInput(stdin))));
    return 0;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    fail(`rafter: ${error.message}`);
    return 1;
  }
}
