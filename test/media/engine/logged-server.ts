/**
 * A media server in a child process with one bridged PCMU call, so that a test can read what
 * the media workers log: they write pino lines straight to the process's stdout, which only a
 * parent process can capture. The child part runs when this file is started with `--child`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MediaServer } from '../../../media/index.js';
import { peerOffer } from './peer-sdp.js';

interface Ready {
  type: 'ready';
  ports: { a: number; b: number };
}

export interface LogLine {
  level: number;
  msg?: string;
  [k: string]: unknown;
}

export class LoggedMediaServer {
  /** Ports of the two bridged endpoints (RTP; RTCP is the next one up). */
  readonly ports: { a: number; b: number };
  private readonly child: ChildProcess;
  private readonly out: string[];

  private constructor(child: ChildProcess, ports: { a: number; b: number }, out: string[]) {
    this.child = child;
    this.ports = ports;
    this.out = out;
  }

  /** Bridges an endpoint answering `peerA` (PCMU) to one answering `peerB` (PCMU). */
  static async start(peerA: number, peerB: number): Promise<LoggedMediaServer> {
    // Without tap's loaders (its --import hooks in execArgv and NODE_OPTIONS): they cost a second or
    // more of start-up CPU and route every module the media server imports through a hooks thread.
    const child = fork(fileURLToPath(import.meta.url), ['--child', String(peerA), String(peerB)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const out: string[] = [];
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      out.push(...lines.filter((l) => l.length > 0));
    });
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (m: Ready) => resolve(m));
      child.once('exit', (code) => reject(new Error(`media server child exited ${code}`)));
    });
    return new LoggedMediaServer(child, ready.ports, out);
  }

  /** Every line logged so far, parsed (non-JSON output is kept as an error-level line). */
  lines(): LogLine[] {
    return this.out.map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { level: 50, msg: l };
      }
    });
  }

  close(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function runChild(peerA: number, peerB: number): Promise<void> {
  const base = 20000 + Math.floor(Math.random() * 18000) * 2;
  const ms = new MediaServer({
    workers: 1,
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: base, portMax: base + 99 },
    logger: pino({ level: 'debug' }),
  });
  await ms.start();
  const s = await ms.createSession();
  const a = await s.createEndpoint('rtp');
  const b = await s.createEndpoint('rtp');
  const ansA = await a.answer(peerOffer(peerA, 'PCMU'));
  const ansB = await b.answer(peerOffer(peerB, 'PCMU'));
  await s.bridge(a, b);
  const port = (sdp: string): number => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
  process.send?.({ type: 'ready', ports: { a: port(ansA), b: port(ansB) } } satisfies Ready);
}

if (process.argv[2] === '--child') {
  runChild(Number(process.argv[3]), Number(process.argv[4])).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
