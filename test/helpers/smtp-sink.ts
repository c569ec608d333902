/** A minimal loopback SMTP server (RFC 5321 happy path, no TLS) that keeps every message it receives. */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { TeardownHost } from './platform.js';

export interface SmtpMessage {
  from: string;
  to: string[];
  data: string;
  auth?: string;
}
export interface SmtpSink {
  port: number;
  messages: SmtpMessage[];
  next(timeoutMs?: number): Promise<SmtpMessage>;
}

export async function startSmtpSink(t: TeardownHost): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  const waiters: ((m: SmtpMessage) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let inData = false;
    let cur: SmtpMessage = { from: '', to: [], data: '' };
    let auth: string | undefined;
    const reply = (l: string) => sock.write(`${l}\r\n`);
    reply('220 sink ESMTP');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            const msg = { ...cur, auth };
            messages.push(msg);
            for (const w of waiters.splice(0)) w(msg);
            cur = { from: '', to: [], data: '' };
            reply('250 queued');
          } else cur.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          sock.write('250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
        } else if (verb === 'HELO') reply('250 sink');
        else if (verb === 'AUTH') {
          auth = Buffer.from(line.split(' ')[2] ?? '', 'base64').toString('utf8');
          reply('235 ok');
        } else if (verb === 'MAIL') {
          cur.from = line
            .replace(/^MAIL FROM:\s*/i, '')
            .replace(/[<>]/g, '')
            .split(' ')[0]!;
          reply('250 ok');
        } else if (verb === 'RCPT') {
          cur.to.push(line.replace(/^RCPT TO:\s*/i, '').replace(/[<>]/g, ''));
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go on');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          sock.end();
        } else reply('250 ok');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    messages,
    // generous: it resolves as soon as the mail arrives, and a sign-up (password hashing, SMTP
    // dialogue) took over 10 s on a machine at load 25
    next: (timeoutMs = 45000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no mail')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
}
