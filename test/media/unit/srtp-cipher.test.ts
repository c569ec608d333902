import t, { type Test } from 'tap';
import { createHmac } from 'node:crypto';
import { RtpHeader, RtpPacket, SrtpSession, SrtcpSession, SrtpAuthenticationError } from 'werift';
import {
  SrtpAesCmCipher,
  deriveSessionKeys,
  installSessionCiphers,
  type DtlsTransportLike,
} from '../../../media/endpoints/srtp-cipher.js';

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

function sessions(tt: Test): {
  werift: { srtp: SrtpSession; srtcp: SrtcpSession };
  ours: { srtp: SrtpSession; srtcp: SrtcpSession };
} {
  const a = {
    localMasterKey: hex('00112233445566778899aabbccddeeff'),
    localMasterSalt: hex('0102030405060708090a0b0c0d0e'),
    remoteMasterKey: hex('ffeeddccbbaa99887766554433221100'),
    remoteMasterSalt: hex('0e0d0c0b0a09080706050403020100').subarray(0, 14),
  };
  const b = {
    localMasterKey: a.remoteMasterKey,
    localMasterSalt: a.remoteMasterSalt,
    remoteMasterKey: a.localMasterKey,
    remoteMasterSalt: a.localMasterSalt,
  };
  const werift = { srtp: new SrtpSession({ keys: a, profile: 1 }), srtcp: new SrtcpSession({ keys: a, profile: 1 }) };
  const ours = { srtp: new SrtpSession({ keys: b, profile: 1 }), srtcp: new SrtcpSession({ keys: b, profile: 1 }) };
  tt.ok(installSessionCiphers(ours as unknown as DtlsTransportLike));
  return { werift, ours };
}

t.test('interoperates with werift SRTP both ways, across a sequence wrap', async (t) => {
  const { werift, ours } = sessions(t);
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

t.test('SRTCP interoperates and forged packets are refused', async (t) => {
  const { werift, ours } = sessions(t);
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
