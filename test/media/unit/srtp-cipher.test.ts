import t, { type Test } from 'tap';
import { createHmac } from 'node:crypto';
import { RtpHeader, RtpPacket, SrtpSession, SrtcpSession, SrtpAuthenticationError } from 'werift';
import {
  SrtpAesCmCipher,
  deriveSessionKeys,
  installSessionCiphers,
  srtpNative,
  type DtlsTransportLike,
} from '../../../media/endpoints/srtp-cipher.js';
import { SrtpAesGcmCipher } from '../../../media/endpoints/srtp-gcm-cipher.js';

/** werift's profile numbers: AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM (what Chrome picks). */
const PROFILES = [
  { profile: 1, name: 'AES-CM', ours: 'aes-cm', saltLength: 14 },
  { profile: 7, name: 'AES-GCM', ours: 'aes-gcm', saltLength: 12 },
] as const;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('key derivation matches RFC 3711 B.3', async (t) => {
  const k = deriveSessionKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
  t.equal(k.srtpKey.toString('hex'), 'c61e7a93744f39ee10734afe3ff7a087');
  t.equal(k.srtpSalt.toString('hex'), '30cbbc08863d8c85d49db34a9ae1');
  t.equal(k.srtpAuth.toString('hex'), 'cebe321f6ff7716b6fd4ab49af256a156d38baa4');
});

t.test('AES-CM keystream matches RFC 3711 B.2', async (t) => {
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const salt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD');
  const c = new SrtpAesCmCipher({
    srtpKey: key,
    srtpSalt: salt,
    srtpAuth: Buffer.alloc(20),
    srtcpKey: key,
    srtcpSalt: salt,
    srtcpAuth: Buffer.alloc(20),
  });
  const header = new RtpHeader({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 });
  const out = c.encryptRtp(header, Buffer.alloc(48), 0);
  t.equal(
    out.subarray(12, 60).toString('hex'),
    'e03ead0935c95e80e166b16dd92b4eb4' + 'd23513162b02d0f72a43a2fe4a5f97ab' + '41e95b3bb0a2e8dd477901e4fca894c0',
  );
  // The tag is HMAC-SHA1 over header || ciphertext || ROC, truncated to 80 bits.
  const expected = createHmac('sha1', Buffer.alloc(20))
    .update(out.subarray(0, 60))
    .update(Buffer.alloc(4))
    .digest()
    .subarray(0, 10);
  t.same(out.subarray(60), expected);
});

function sessions(
  tt: Test,
  p: (typeof PROFILES)[number] = PROFILES[0],
): {
  werift: { srtp: SrtpSession; srtcp: SrtcpSession };
  ours: { srtp: SrtpSession; srtcp: SrtcpSession };
} {
  const a = {
    localMasterKey: hex('00112233445566778899aabbccddeeff'),
    localMasterSalt: hex('0102030405060708090a0b0c0d0e').subarray(0, p.saltLength),
    remoteMasterKey: hex('ffeeddccbbaa99887766554433221100'),
    remoteMasterSalt: hex('0e0d0c0b0a09080706050403020100').subarray(0, p.saltLength),
  };
  const b = {
    localMasterKey: a.remoteMasterKey,
    localMasterSalt: a.remoteMasterSalt,
    remoteMasterKey: a.localMasterKey,
    remoteMasterSalt: a.localMasterSalt,
  };
  const { profile } = p;
  const werift = { srtp: new SrtpSession({ keys: a, profile }), srtcp: new SrtcpSession({ keys: a, profile }) };
  const ours = { srtp: new SrtpSession({ keys: b, profile }), srtcp: new SrtcpSession({ keys: b, profile }) };
  tt.equal(installSessionCiphers(ours as unknown as DtlsTransportLike), p.ours, `our ${p.name} transform installed`);
  return { werift, ours };
}

for (const p of PROFILES)
  t.test(`${p.name}: interoperates with werift SRTP both ways, across a sequence wrap`, async (t) => {
    const { werift, ours } = sessions(t, p);
    for (let i = 0; i < 40; i++) {
      const seq = (65520 + i) & 0xffff;
      const payload = Buffer.from(Array.from({ length: 20 + i * 7 }, (_, j) => (j * 31 + i) & 0xff));
      const header = new RtpHeader({
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: i * 960,
        ssrc: 0x11223344,
        marker: i === 0,
      });
      const fromUs = ours.srtp.encrypt(payload, header);
      t.same(RtpPacket.deSerialize(werift.srtp.decrypt(fromUs)).payload, payload, `werift reads ours seq ${seq}`);
      const fromThem = werift.srtp.encrypt(
        payload,
        new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: i * 960, ssrc: 0x55667788 }),
      );
      t.same(RtpPacket.deSerialize(ours.srtp.decrypt(fromThem)).payload, payload, `we read werift's seq ${seq}`);
    }
  });

for (const p of PROFILES)
  t.test(`${p.name}: SRTCP interoperates and forged packets are refused`, async (t) => {
    const { werift, ours } = sessions(t, p);
    const rtcp = Buffer.concat([hex('80c80006'), hex('11223344'), Buffer.alloc(20, 7)]);
    t.same(werift.srtcp.decrypt(ours.srtcp.encrypt(rtcp)), rtcp);
    t.same(ours.srtcp.decrypt(werift.srtcp.encrypt(rtcp)), rtcp);
    const forged = Buffer.from(
      werift.srtp.encrypt(Buffer.alloc(160, 1), new RtpHeader({ payloadType: 0, sequenceNumber: 5, timestamp: 0, ssrc: 9 })),
    );
    forged[20] ^= 1;
    t.throws(() => ours.srtp.decrypt(forged), SrtpAuthenticationError);
    const forgedRtcp = Buffer.from(werift.srtcp.encrypt(rtcp));
    forgedRtcp[10] ^= 1;
    t.throws(() => ours.srtcp.decrypt(forgedRtcp), SrtpAuthenticationError);
  });

t.test(
  "AES-GCM: our transform sits in the SRTP contexts, agrees with Node's own GCM, and refuses a forged tag or header",
  async (t) => {
    const { werift, ours } = sessions(t, PROFILES[1]);
    const ctx = (ours.srtp as unknown as { localContext: { cipher: unknown } }).localContext;
    t.type(ctx.cipher, SrtpAesGcmCipher);
    const payload = Buffer.alloc(90, 0x5a);
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: 7, timestamp: 960, ssrc: 0xcafe, marker: true });
    const packet = ours.srtp.encrypt(payload, header);
    t.equal(packet.length, 12 + 90 + 16, 'header, ciphertext, 16-byte tag');
    // RFC 7714: the IV is (00 00 || SSRC || ROC || SEQ) XOR the 12-byte session salt; the header is the AAD.
    const cipher = ctx.cipher as unknown as { key: Buffer; salt: Buffer };
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(0xcafe, 2);
    iv.writeUInt16BE(7, 10);
    for (let i = 0; i < 12; i++) iv[i] ^= cipher.salt[i];
    const { createDecipheriv } = await import('node:crypto');
    const d = createDecipheriv('aes-128-gcm', cipher.key, iv);
    d.setAAD(packet.subarray(0, 12));
    d.setAuthTag(packet.subarray(12 + 90));
    t.same(Buffer.concat([d.update(packet.subarray(12, 12 + 90)), d.final()]), payload, 'Node decrypts it');
    t.same(RtpPacket.deSerialize(werift.srtp.decrypt(packet)).payload, payload);
    for (const at of [1, 20, packet.length - 1]) {
      const forged = Buffer.from(
        werift.srtp.encrypt(payload, new RtpHeader({ payloadType: 111, sequenceNumber: 9, timestamp: 0, ssrc: 3 })),
      );
      forged[at] ^= 1;
      t.throws(() => ours.srtp.decrypt(forged), SrtpAuthenticationError, `a bit flipped at byte ${at}`);
    }
  },
);

t.test("AES-CM: the addon's transform and ours in JavaScript write the same bytes and read each other's", async (t) => {
  if (!srtpNative) {
    t.pass('the media addon is not built here: the JavaScript transform serves (covered above)');
    return;
  }
  const keys = deriveSessionKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
  const native = new SrtpAesCmCipher(keys, srtpNative);
  const js = new SrtpAesCmCipher(keys, null);
  t.equal(native.via, 'native');
  t.equal(js.via, 'js');
  for (const [i, roc] of [0, 1, 0x12345678].entries()) {
    const payload = Buffer.from(Array.from({ length: 1 + i * 97 }, (_, j) => (j * 13 + i) & 0xff));
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: 65535 - i, timestamp: i * 960, ssrc: 0xdeadbeef });
    const a = native.encryptRtp(header, payload, roc);
    const b = js.encryptRtp(header, payload, roc);
    t.same(a, b, `same SRTP packet (${payload.length} bytes, ROC ${roc})`);
    const h = { ...header, payloadOffset: 12, padding: false, paddingSize: 0, serializeSize: 12, serialize: () => a };
    t.same(js.decryptRtp(a, roc, h)[0].subarray(12), payload, 'JavaScript reads the addon');
    const inPlace = Buffer.from(b);
    const plain = native.unprotect(inPlace, roc, h);
    t.equal(plain.buffer, inPlace.buffer, 'decrypted in the packet it came in');
    t.same(plain.subarray(12), payload, 'the addon reads JavaScript');
    const wrongRoc = Buffer.from(b);
    t.throws(() => native.unprotect(wrongRoc, roc + 1, h), SrtpAuthenticationError, 'the ROC is authenticated');
    t.same(wrongRoc, b, 'a refused packet is left as it came');
  }
  // padding: a count running past the payload is refused; a good one is read
  const payload = Buffer.concat([Buffer.alloc(20, 9), Buffer.from([0, 0, 3])]);
  const header = new RtpHeader({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, padding: true });
  const packet = js.encryptRtp(header, payload, 0);
  const h = { ...header, payloadOffset: 12, padding: true, paddingSize: 0, serializeSize: 12, serialize: () => packet };
  native.unprotect(Buffer.from(packet), 0, h);
  t.equal(h.paddingSize, 3);
  const bad = js.encryptRtp(header, Buffer.concat([Buffer.alloc(4), Buffer.from([200])]), 0);
  t.throws(() => native.unprotect(Buffer.from(bad), 0, h), SrtpAuthenticationError, 'padding past the payload');
  t.equal(
    srtpNative.srtpUnprotect(srtpNative.srtpSession(keys.srtpKey, keys.srtpSalt, keys.srtpAuth), Buffer.alloc(15), 12, 0),
    -1,
    'shorter than header and tag: refused',
  );
});
