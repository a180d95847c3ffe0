import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The one comparison of a presented secret against a configured one, for every port that
 * takes one: the cluster token (internode AUTH, `Authorization: Bearer` on the master's and
 * the nodes' /v1 routes) and proxy.password (the proxy's RESP AUTH and HTTP /v1/kv). Both
 * sides are hashed first, so the constant-time comparison also hides the secret's length,
 * and the plain text is not kept.
 */
export class SecretCheck {
  private readonly digest: Buffer;

  private constructor(secret: string) {
    this.digest = sha256(secret);
  }

  /** The check of `secret`, or undefined when it is empty (no authentication configured). */
  static of(secret: string): SecretCheck | undefined {
    return secret === '' ? undefined : new SecretCheck(secret);
  }

  matches(candidate: Uint8Array | string): boolean {
    return timingSafeEqual(this.digest, sha256(candidate));
  }
}

/** `Authorization: Bearer <credentials>` -> the credentials; undefined for any other header. */
export function bearerCredentials(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+?)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function sha256(bytes: Uint8Array | string): Buffer {
  return typeof bytes === 'string' ? createHash('sha256').update(bytes, 'utf8').digest() : createHash('sha256').update(bytes).digest();
}
