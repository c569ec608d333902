/**
 * The B2BUA application of `npm run bench:sip`, in its own process as an srf application is deployed
 * (and as the issue measured it against the C++ drachtio-server): connected to the SIP server over
 * the drachtio protocol, it bridges every INVITE to the sipp UAS. The parent asks for this process's
 * CPU over IPC so that the server's and the application's costs are reported apart.
 */
import Srf from 'drachtio-srf';

type ToApp = { cmd: 'cpu' } | { cmd: 'stop' };

const [adminPort, secret, uasPort] = process.argv.slice(2);
const srf = new Srf();
srf.on('error', () => undefined);
srf.invite((req, res) => {
  srf
    .createB2BUA(req, res, `sip:bench@127.0.0.1:${uasPort}`, { localSdpB: req.body })
    .then(({ uas: a, uac: b }) => {
      // at the end of a run the app's socket may already be closed: the BYE then fails, quietly
      // (srf's typings say void; it returns a promise that rejects)
      const quietly = (p: unknown): void => void Promise.resolve(p).catch(() => undefined);
      a.on('destroy', () => quietly(b.destroy()));
      b.on('destroy', () => quietly(a.destroy()));
    })
    .catch(() => undefined);
});
srf.once('connect', () => process.send?.({ type: 'connected' }));
void srf.connect({ host: '127.0.0.1', port: Number(adminPort), secret });

process.on('message', (m: ToApp) => {
  if (m.cmd === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  if (m.cmd === 'stop') {
    try {
      srf.disconnect();
    } catch {
      /* not connected */
    }
    process.exit(0);
  }
});
// the parent's end is the only reason to live
process.on('disconnect', () => process.exit(0));
