/**
 * Lets a test tell a running sipp scenario "go on now" instead of the scenario sleeping a fixed time:
 * the scenario waits with `<recv request="INFO">` (answering it 200), and the test sends that INFO
 * straight to sipp's port once what it wanted to observe has happened. sipp finds the call by its
 * Call-ID, so the scenario's sipp runs with `-cid_str` (see `sippCallId`).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/** sipp arguments giving call 1 a Call-ID the test knows, and that Call-ID. */
export function sippCallId(): { args: string[]; callId: string } {
  const id = `go-${randomBytes(6).toString('hex')}`;
  // %u is sipp's call number: the first call of the run is 1
  return { args: ['-cid_str', `${id}-%u`], callId: `${id}-1` };
}

/**
 * Sends one INFO with `callId` to the sipp at `127.0.0.1:port`. Once: sipp as a UAC answers it toward
 * its peer, not to the Via, so the sender never sees the 200, and a retransmission arriving after the
 * scenario has moved on would be an unexpected message that fails the call. Loopback does not lose
 * it; the test then waits for what the scenario does next (a BYE), which shows it arrived.
 */
export async function signalSipp(port: number, callId: string): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const info = [
    `INFO sip:go@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${sock.address().port};branch=z9hG4bK-go-${randomBytes(4).toString('hex')}`,
    'From: <sip:test@127.0.0.1>;tag=go',
    'To: <sip:go@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INFO',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    await new Promise<void>((resolve, reject) => sock.send(info, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  } finally {
    sock.close();
  }
}
