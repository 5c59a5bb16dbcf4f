// With the `u` flag a surrogate pair is one code point, so only an unpaired surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether a string is well-formed Unicode. JavaScript strings may hold an unpaired surrogate, UTF-8
 * (and so PostgreSQL) cannot: the driver would store it as U+FFFD, so "a\ud800" and "a\udc00" would
 * become the same text while JavaScript still tells them apart.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
