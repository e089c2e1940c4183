/**
 * A throwaway TLS identity for loopback test servers: an EC P-256 key and a self-signed X.509
 * certificate for 127.0.0.1/localhost, generated in memory (minimal DER encoding; no openssl,
 * nothing committed). The Graph client only sends its bearer token to https hosts, so the Graph
 * fake must speak TLS; `trustingFetchOptions` gives fetch a dispatcher that trusts this
 * certificate (and nothing else changes for the process).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const len = (n: number): Buffer => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const oid = (dotted: string): Buffer => {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const bytes = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
};
const integer = (b: Buffer) => tlv(0x02, (b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const utcTime = (d: Date) => tlv(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));

export interface TestTlsIdentity {
  key: string;
  cert: string;
}

export function selfSignedLoopbackCert(): TestTlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('incident-autopilot test server')))));
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const san = seq(oid('2.5.29.17'), tlv(0x04, seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost')))));
  const basicConstraints = seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff])))));
  const now = Date.now();
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(randomBytes(8)),
    ecdsaSha256,
    name,
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 7 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(san, basicConstraints)),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert };
}

interface Dispatcher {
  close(): Promise<void>;
}
type AgentCtor = new (options: { connect: { ca: string } }) => Dispatcher;

/**
 * fetch options whose dispatcher trusts `ca`. Node bundles undici without exporting its Agent;
 * the global dispatcher's constructor is that Agent (it exists once fetch has been used).
 */
export async function trustingFetchOptions(ca: string): Promise<{ options: Record<string, unknown>; close: () => Promise<void> }> {
  const key = Symbol.for('undici.globalDispatcher.1');
  if (!(globalThis as Record<symbol, unknown>)[key]) await fetch('http://127.0.0.1:9/').catch(() => undefined);
  const global = (globalThis as Record<symbol, unknown>)[key] as { constructor: AgentCtor } | undefined;
  if (!global) throw new Error('Cannot find the undici Agent behind fetch in this Node version.');
  const dispatcher = new global.constructor({ connect: { ca } });
  return { options: { dispatcher }, close: () => dispatcher.close() };
}
