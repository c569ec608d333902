/**
 * The page for WebRtcEndpoint browser tests: a bare RTCPeerConnection with the fake microphone,
 * driven from the test through `window.peer` (page.evaluate). Served from a throwaway HTTP
 * server on 127.0.0.1 so getUserMedia has a real origin.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PAGE = `<!doctype html><html><body><audio id="remote" autoplay></audio><script>
const peer = {
  pc: null, dtmf: null, ctx: null, analyser: null,
  async start() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    this.pc = new RTCPeerConnection({ iceServers: [] });
    const sender = this.pc.addTrack(stream.getAudioTracks()[0], stream);
    this.dtmf = sender.dtmf;
    this.pc.ontrack = (e) => {
      const el = document.getElementById('remote');
      el.srcObject = e.streams[0] || new MediaStream([e.track]);
      el.play().catch(() => {});
      this.ctx = new AudioContext();
      const src = this.ctx.createMediaStreamSource(el.srcObject);
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 8192;
      src.connect(this.analyser);
    };
  },
  gathered() {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((r) => this.pc.addEventListener('icegatheringstatechange', () => { if (this.pc.iceGatheringState === 'complete') r(); }));
  },
  async offer() { await this.start(); await this.pc.setLocalDescription(await this.pc.createOffer()); await this.gathered(); return this.pc.localDescription.sdp; },
  async accept(sdp) { await this.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async answer(sdp) { await this.start(); await this.pc.setRemoteDescription({ type: 'offer', sdp }); await this.pc.setLocalDescription(await this.pc.createAnswer()); await this.gathered(); return this.pc.localDescription.sdp; },
  state() { return this.pc ? this.pc.connectionState : 'none'; },
  // our side answers DTLS passive, so it is connected a moment before the browser's transport is: wait for it
  async sendDtmf(tones, duration, gap) { for (let i = 0; i < 250 && !this.dtmf.canInsertDTMF; i++) await new Promise((r) => setTimeout(r, 20)); this.dtmf.insertDTMF(tones, duration || 100, gap || 70); },
  async inbound() {
    const stats = await this.pc.getStats();
    let out = { packetsReceived: 0, totalAudioEnergy: 0, codec: '' };
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') { out.packetsReceived = s.packetsReceived; out.totalAudioEnergy = s.totalAudioEnergy || 0; out.codecId = s.codecId; } });
    if (out.codecId) { const c = stats.get(out.codecId); out.codec = c ? c.mimeType : ''; }
    return out;
  },
  peakHz() {
    if (!this.analyser) return 0;
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    let best = 0; for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return best * this.ctx.sampleRate / this.analyser.fftSize;
  },
};
window.peer = peer;
</script></body></html>`;

export async function servePeerPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
