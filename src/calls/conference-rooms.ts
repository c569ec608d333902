import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { MediaEndpoint, MediaMixer, MediaPort, MediaSessionPort } from './ports.js';

export interface ConferenceRoomsOptions {
  media: MediaPort;
  /**
   * Address the RTP links between a member's call and the room use (both ends are ours). Default:
   * whatever the endpoints advertise; set it when that is a public address the host cannot reach itself at.
   */
  linkAddress?: string;
  logger: Logger;
}

export interface ConferenceMember {
  /** The member's call's media session and the endpoint of its caller leg. */
  session: MediaSessionPort;
  endpoint: MediaEndpoint;
  logger: Logger;
}

export interface JoinOptions {
  muted?: boolean;
  /** Everyone leaves when this member leaves. */
  endOnExit?: boolean;
}

/** A room: its own media session and mixer; members join it over an RTP link from their own call. */
class Room extends EventEmitter<{ ended: [] }> {
  members = 0;
  closed = false;
  readonly ready: Promise<{ session: MediaSessionPort; mixer: MediaMixer }>;

  constructor(
    readonly key: string,
    media: MediaPort,
  ) {
    super();
    this.ready = (async () => {
      const session = await media.createSession();
      try {
        return { session, mixer: await session.createMixer() };
      } catch (err) {
        await session.close().catch(() => undefined);
        throw err;
      }
    })();
    // A room that never got its media is closed by its last (failed) member.
    this.ready.catch(() => undefined);
  }

  /** Ends every member's stay (end_on_exit). */
  end(): void {
    this.emit('ended');
  }

  async release(): Promise<void> {
    this.closed = true;
    this.removeAllListeners();
    const media = await this.ready.catch(() => undefined);
    if (!media) return;
    await media.mixer.close().catch(() => undefined);
    await media.session.close().catch(() => undefined);
  }
}

/**
 * Named conference rooms (a flow's CONFERENCE). Each call has its own media session, possibly in
 * another media worker, so a room cannot mix the callers' endpoints directly: it has a session and
 * mixer of its own, and each member is joined by a pair of RTP endpoints over loopback, one in the
 * member's session (bridged to its caller leg) and one in the room's (added to the mixer). The room
 * is made by its first member and released (mixer, session, ports) when its last member leaves.
 */
export class ConferenceRooms {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly opts: ConferenceRoomsOptions) {}

  /** Rooms open now. */
  get size(): number {
    return this.rooms.size;
  }

  /** Members of a room (0 when it is not open). */
  members(key: string): number {
    return this.rooms.get(key)?.members ?? 0;
  }

  /**
   * Joins `member` to room `key` until `signal` aborts or the room is ended by an `endOnExit`
   * member; resolves with why the stay ended. Rejects when the link could not be made.
   */
  async join(key: string, member: ConferenceMember, opts: JoinOptions, signal: AbortSignal): Promise<'left' | 'room ended'> {
    let room = this.rooms.get(key);
    if (!room || room.closed) {
      room = new Room(key, this.opts.media);
      this.rooms.set(key, room);
    }
    // Counted before any await: a member leaving meanwhile does not close the room under us.
    room.members++;
    let link: MediaEndpoint | undefined;
    let roomSide: MediaEndpoint | undefined;
    let mixer: MediaMixer | undefined;
    try {
      const media = await room.ready;
      mixer = media.mixer;
      link = await member.session.createEndpoint('rtp');
      roomSide = await media.session.createEndpoint('rtp');
      const answer = await roomSide.answer(this.local(await link.createOffer()));
      await link.setRemoteAnswer(this.local(answer));
      if (signal.aborted) return 'left';
      await member.session.bridge(member.endpoint, link);
      await mixer.add(roomSide, { muted: opts.muted === true });
      member.logger.info({ room: key, members: room.members }, 'joined the conference');
      const r = room;
      return await new Promise<'left' | 'room ended'>((resolve) => {
        const onEnded = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve('room ended');
        };
        const onAbort = (): void => {
          r.off('ended', onEnded);
          resolve('left');
        };
        r.once('ended', onEnded);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      if (opts.endOnExit) room.end();
      if (mixer && roomSide) await mixer.remove(roomSide).catch(() => undefined);
      // Closing the link ends its bridge with the caller leg, who is back with the flow.
      await Promise.all([link?.close(), roomSide?.close()].map((p) => p?.catch(() => undefined)));
      room.members--;
      if (room.members === 0 && !room.closed) {
        if (this.rooms.get(key) === room) this.rooms.delete(key);
        await room.release();
        this.opts.logger.info({ room: key }, 'conference closed');
      }
    }
  }

  /** Ends every room (shutdown): members' stays end and the rooms release as they leave. */
  close(): void {
    for (const room of this.rooms.values()) room.end();
  }

  /** The link SDP with our own reachable address, when one is configured. */
  private local(sdp: string): string {
    const a = this.opts.linkAddress;
    return a ? sdp.replace(/^c=IN IP4 \S+/gm, `c=IN IP4 ${a}`).replace(/^o=(\S+ \S+ \S+) IN IP4 \S+/gm, `o=$1 IN IP4 ${a}`) : sdp;
  }
}
