/** C0 and C1 control characters, line and paragraph separators, and the replacement character. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = new RegExp('[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufffd]+', 'g');

/**
 * Text from a user's file (a weights path, a layer or tensor name, a parser's message quoting the input)
 * shown in a one-line error: control characters and line breaks become spaces.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
}
