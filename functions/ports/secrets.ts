/**
 * Reads secret values (Secrets Manager in production, a local server in
 * tests). Values are never logged; adapters may cache them briefly.
 */
export interface SecretReader {
  /** The secret's current string value; throws SecretUnavailable when it cannot be read. */
  readSecretString(secretId: string): Promise<string>;
}

export class SecretUnavailable extends Error {
  override readonly name = 'SecretUnavailable' as const;
}
