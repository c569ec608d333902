/**
 * werift listens for DTLS only once its own ICE agent calls the connection up, which as the
 * controlled side comes a few milliseconds after the browser's: the browser's first ClientHello
 * lands in between and is dropped, and the handshake waits for the browser's retransmission
 * (~50 ms later in Chromium, more on a lossy path). Records that arrive before werift listens are
 * kept here and handed over the moment its DTLS server starts.
 */

/** The slice of werift's RTCDtlsTransport this needs. */
export interface EarlyDtlsTransport {
  state: string;
  onStateChange: { subscribe(fn: (state: string) => void): { unSubscribe(): void } };
  iceTransport: {
    connection: {
      onData: {
        subscribe(fn: (data: Buffer) => void): { unSubscribe(): void };
        execute(data: Buffer): void;
      };
    };
  };
}

/** A ClientHello flight is one or two records; anything more before the handshake is noise. */
const MAX_HELD = 8;

/** RFC 7983: DTLS records start with a byte in 20..63 on a socket shared with STUN and SRTP. */
const isDtlsRecord = (b: Buffer): boolean => b.length > 13 && b[0]! >= 20 && b[0]! <= 63;

const holding = new WeakSet<EarlyDtlsTransport>();

/** Holds DTLS records from the peer until the transport starts its handshake, then replays them. */
export function holdEarlyDtlsRecords(transport: EarlyDtlsTransport): void {
  if (transport.state !== 'new' || holding.has(transport)) return;
  holding.add(transport);
  const data = transport.iceTransport.connection.onData;
  const held: Buffer[] = [];
  const listening = data.subscribe((b) => {
    if (transport.state === 'new' && isDtlsRecord(b) && held.length < MAX_HELD) held.push(Buffer.from(b));
  });
  const states = transport.onStateChange.subscribe((state) => {
    if (state === 'new') return;
    listening.unSubscribe();
    states.unSubscribe();
    // 'connecting' is announced just before werift creates its DTLS socket, in the same turn:
    // the replay waits for that turn to end so the socket is there to read it.
    if (state === 'connecting' && held.length > 0)
      queueMicrotask(() => {
        for (const b of held.splice(0)) data.execute(b);
      });
  });
}
