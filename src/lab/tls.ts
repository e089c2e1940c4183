/**
 * A throwaway TLS identity for loopback fakes: an ECDSA P-256 key and a self-signed certificate
 * for 127.0.0.1/localhost, made at test time with node:crypto (no key material in the repo, no
 * openssl binary needed). Azure SDK pipelines refuse to send bearer tokens over plain http, so
 * fakes that the real SDKs talk to must speak https; the client trusts this certificate through
 * its `tlsOptions.ca`.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { trustingFetchOptions as trustingFetchOptionsNow } from '../adapters/tls-trust.js';

export interface TlsIdentity {
  /** PEM certificate; pass as `ca` to clients and `cert` to the server. */
  cert: string;
  /** PEM private key (PKCS#8) for the server. */
  key: string;
}

// Minimal DER encoding: just the types an X.509 v3 certificate needs.
function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body);
/**
 * A DER INTEGER of an unsigned big-endian value: minimal (no leading zero octet unless the next
 * octet's high bit needs it; OpenSSL refuses the certificate as "illegal padding" otherwise, which a
 * random serial starting with 0x00 hit one time in 512) and positive.
 */
export function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const value = bytes.length ? bytes.subarray(start) : Buffer.from([0]);
  return tlv(0x02, (value[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      chunk.unshift((v % 128) | (chunk.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}
function name(cn: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

/** A throwaway self-signed identity for 127.0.0.1 and localhost; `serial` only for tests (default: 12 random octets). */
export function createTlsIdentity(serial: Buffer = randomBytes(12)): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const now = Date.now();
  const subjectAltName = seq(
    oid('2.5.29.17'),
    tlv(0x04, seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost', 'ascii')))),
  );
  const tbs = seq(
    explicit(0, derInteger(Buffer.from([2]))),
    derInteger(serial),
    ecdsaSha256,
    name('127.0.0.1'),
    seq(utcTime(new Date(now - 60 * 60 * 1000)), utcTime(new Date(now + 24 * 60 * 60 * 1000))),
    name('127.0.0.1'),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(subjectAltName)),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The same throwaway identity under the name the Graph fake uses. */
export type TestTlsIdentity = TlsIdentity;
export const selfSignedLoopbackCert = (): TestTlsIdentity => createTlsIdentity();

/** fetch options whose dispatcher trusts `ca` (the product's own helper, see src/adapters/tls-trust.ts). */
export function trustingFetchOptions(ca: string): Promise<{ options: Record<string, unknown>; close: () => Promise<void> }> {
  return Promise.resolve(trustingFetchOptionsNow(ca));
}
