/**
 * Hides the password of every `scheme://user:password@host` (or a mistyped one) in a text (a URL,
 * or an error message that quotes one), and the value of credential-looking query parameters, so an
 * error about a connection string can be shown or logged without the credential in it.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(/(^|[\s"'/])([^\s:/@"']*):[^\s@/"']*@/g, '$1$2:***@')
    .replace(/([?&](?:password|pass|token|x-plex-token|secret)=)[^&\s"']*/gi, '$1***');
}
