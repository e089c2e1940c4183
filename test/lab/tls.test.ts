/**
 * The lab's throwaway TLS identity (the Graph and ARM fakes serve HTTPS with it): a certificate
 * OpenSSL accepts whatever its random serial is. A serial starting with a zero octet used to be
 * encoded with that octet kept, which OpenSSL refuses ("illegal padding"): one start in 512 failed.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTlsIdentity, derInteger } from '../../src/lab/tls.js';

describe('DER integers', () => {
  it('are minimal and positive', () => {
    expect(derInteger(Buffer.from([0x00, 0x01, 0x02])).toString('hex')).toBe('02020102');
    expect(derInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex')).toBe('02017f');
    expect(derInteger(Buffer.from([0x00, 0x80])).toString('hex')).toBe('02020080');
    expect(derInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(derInteger(Buffer.from([0x00])).toString('hex')).toBe('020100');
    expect(derInteger(Buffer.from([0x02])).toString('hex')).toBe('020102');
  });
});

describe('the lab certificate', () => {
  it('parses whatever the serial starts with, and names 127.0.0.1 and localhost', () => {
    for (const serial of [Buffer.from('000102030405060708090a0b', 'hex'), Buffer.from('00ff0102030405060708090a', 'hex'), Buffer.from('ff0102030405060708090a0b', 'hex')]) {
      const identity = createTlsIdentity(serial);
      const cert = new X509Certificate(identity.cert);
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(cert.subjectAltName).toContain('DNS:localhost');
      expect(cert.checkPrivateKey(createPrivateKey(identity.key))).toBe(true);
    }
  });
});
