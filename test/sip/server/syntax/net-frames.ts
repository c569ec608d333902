/** SIP messages captured on the wire (NET frames) in the drachtio-server transcripts. */
export const NET_FRAMES: { name: string; raw: string }[] = [
  {
    name: 'a3-raw-admin-probes #22 SRV->NET',
    raw: 'OPTIONS sip:nobody@127.0.0.1:5099 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKKa4ycU1BDSZ2Q\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=KjXaH0jZ3mUvm\r\nTo: <sip:nobody@127.0.0.1:5099>\r\nCall-ID: 647654fa-61b1-1240-4c84-b6d93286011f\r\nCSeq: 123155463 OPTIONS\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #13 NET->SRV',
    raw: 'INVITE sip:uas@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nSubject: sa-transcripts\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #18 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=4yrpep9em4mgj\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uas-answer\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #19 NET->SRV',
    raw: 'ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-5\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=4yrpep9em4mgj\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 1 ACK\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #23 NET->SRV',
    raw: 'BYE sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-7\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=4yrpep9em4mgj\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b1-uas-answer-bye-from-caller #27 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-7;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13267SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=4yrpep9em4mgj\r\nCall-ID: 1-13267@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #13 NET->SRV',
    raw: 'INVITE sip:uas@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13372-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13372-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #18 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13372-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=X3X0gpj0raBrF\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uas-answer\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #19 NET->SRV',
    raw: 'ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13372-1-4\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=X3X0gpj0raBrF\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #24 SRV->NET',
    raw: 'BYE sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKX1r32yv1QBm9N\r\nMax-Forwards: 70\r\nFrom: <sip:uas@127.0.0.1:5060>;tag=X3X0gpj0raBrF\r\nTo: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\nX-Reason: app-hangup\r\n\r\n',
  },
  {
    name: 'b2-uas-answer-bye-from-app #26 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKX1r32yv1QBm9N\r\nFrom: <sip:uas@127.0.0.1:5060>;tag=X3X0gpj0raBrF\r\nTo: "Alice" <sip:alice@127.0.0.1:5070>;tag=13372SIPpTag001\r\nCall-ID: 1-13372@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #13 NET->SRV',
    raw: 'INVITE sip:uas@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nSubject: sa-transcripts\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #18 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=rNrpve9r71rpN\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:5060;transport=tcp>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uas-answer\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #19 NET->SRV',
    raw: 'ACK sip:127.0.0.1:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-5\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=rNrpve9r71rpN\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 1 ACK\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #23 NET->SRV',
    raw: 'BYE sip:127.0.0.1:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-7\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=rNrpve9r71rpN\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'b3-uas-answer-over-tcp #27 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-15420-1-7;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15420SIPpTag001\r\nTo: <sip:uas@127.0.0.1:5060>;tag=rNrpve9r71rpN\r\nCall-ID: 1-15420@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'c-uas-reject-486 #13 NET->SRV',
    raw: 'INVITE sip:busy@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13437-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13437SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-13437@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'c-uas-reject-486 #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13437-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13437SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-13437@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'c-uas-reject-486 #18 SRV->NET',
    raw: 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13437-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13437SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=1g1XgUU614mrK\r\nCall-ID: 1-13437@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\nX-App: busy\r\n\r\n',
  },
  {
    name: 'c-uas-reject-486 #19 NET->SRV',
    raw: 'ACK sip:busy@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13437-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13437SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=1g1XgUU614mrK\r\nCall-ID: 1-13437@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #13 NET->SRV',
    raw: 'INVITE sip:ring@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'd-uas-caller-cancel #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #18 SRV->NET',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>;tag=g3vpjKvXK98UN\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\nX-App: ringing\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #20 NET->SRV',
    raw: 'CANCEL sip:ring@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #21 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>;tag=g3vpjKvXK98UN\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #22 SRV->NET',
    raw: 'SIP/2.0 487 Request Terminated\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>;tag=g3vpjKvXK98UN\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'd-uas-caller-cancel #23 NET->SRV',
    raw: 'ACK sip:ring@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13502-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=13502SIPpTag001\r\nTo: <sip:ring@127.0.0.1:5060>;tag=g3vpjKvXK98UN\r\nCall-ID: 1-13502@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #12 SRV->NET',
    raw: 'INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKZgeXvtcHej3Ne\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155345 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uac\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #13 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKZgeXvtcHej3Ne\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155345 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #16 NET->SRV',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKZgeXvtcHej3Ne\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>;tag=13637SIPpTag011\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155345 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #18 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKZgeXvtcHej3Ne\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>;tag=13637SIPpTag011\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155345 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length:   127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #22 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK0S7NyNXmBUS8S\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>;tag=13637SIPpTag011\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155345 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #25 SRV->NET',
    raw: 'BYE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK120e0ger83FUN\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>;tag=13637SIPpTag011\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155346 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e1-uac-invite-bye-from-app #28 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK120e0ger83FUN\r\nFrom: <sip:app@sa.test>;tag=Z4c4N4NNggrtp\r\nTo: <sip:bob@127.0.0.1:5080>;tag=13637SIPpTag011\r\nCall-ID: d77c7819-61b0-1240-f7b0-b6d93286011f\r\nCSeq: 123155346 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #12 SRV->NET',
    raw: 'INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKS1a8NNZHt630e\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155372 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uac\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #13 NET->SRV',
    raw: 'SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKS1a8NNZHt630e\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155372 INVITE\r\nProxy-Authenticate: Digest realm="sa.test", nonce="4f1e2d3c5b6a7980", algorithm=MD5, qop="auth"\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #14 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKS1a8NNZHt630e\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155372 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #20 SRV->NET',
    raw: 'INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKta40QggNQFtKa\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155373 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nProxy-Authorization: Digest username="alice", realm="sa.test", nonce="4f1e2d3c5b6a7980", uri="sip:bob@127.0.0.1:5080", response="2c1db5180155a6b54beedc8b4e802397", algorithm=MD5, qop=auth, nc=00000001, cnonce="74f9fcc2"\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uac\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #23 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKta40QggNQFtKa\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155373 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #24 NET->SRV',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKta40QggNQFtKa\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155373 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #26 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKta40QggNQFtKa\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155373 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length:   127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #30 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKUKXSSB1rmrg6N\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155373 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #33 SRV->NET',
    raw: 'BYE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKvvpjU6HvH16rH\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155374 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e2-uac-407-digest-retry #34 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKvvpjU6HvH16rH\r\nFrom: <sip:app@sa.test>;tag=SZa47eU57544j\r\nTo: <sip:bob@127.0.0.1:5080>;tag=14040SIPpTag011\r\nCall-ID: f7fd8ba2-61b0-1240-6b9a-b6d93286011f\r\nCSeq: 123155374 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e3-uac-rejected-486 #12 SRV->NET',
    raw: 'INVITE sip:busy@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKH4vypcKQp8KyD\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=HtD2HX9ZF4Fye\r\nTo: <sip:busy@127.0.0.1:5080>\r\nCall-ID: dc184812-61b0-1240-cba5-b6d93286011f\r\nCSeq: 123155349 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\nX-App: uac\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'e3-uac-rejected-486 #13 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKH4vypcKQp8KyD\r\nFrom: <sip:app@sa.test>;tag=HtD2HX9ZF4Fye\r\nTo: <sip:busy@127.0.0.1:5080>\r\nCall-ID: dc184812-61b0-1240-cba5-b6d93286011f\r\nCSeq: 123155349 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e3-uac-rejected-486 #16 NET->SRV',
    raw: 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKH4vypcKQp8KyD\r\nFrom: <sip:app@sa.test>;tag=HtD2HX9ZF4Fye\r\nTo: <sip:busy@127.0.0.1:5080>;tag=13773SIPpTag011\r\nCall-ID: dc184812-61b0-1240-cba5-b6d93286011f\r\nCSeq: 123155349 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'e3-uac-rejected-486 #17 SRV->NET',
    raw: 'ACK sip:busy@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKH4vypcKQp8KyD\r\nMax-Forwards: 70\r\nFrom: <sip:app@sa.test>;tag=HtD2HX9ZF4Fye\r\nTo: <sip:busy@127.0.0.1:5080>;tag=13773SIPpTag011\r\nCall-ID: dc184812-61b0-1240-cba5-b6d93286011f\r\nCSeq: 123155349 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #13 NET->SRV',
    raw: 'INVITE sip:b2b@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nX-Custom-A: from-a\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #14 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #18 SRV->NET',
    raw: 'INVITE sip:b2b@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKHeNaS51Fy4X8j\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155388 INVITE\r\nContact: "Alice" <sip:alice@127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 129\r\nX-B2B: yes\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #21 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKHeNaS51Fy4X8j\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155388 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #22 NET->SRV',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKHeNaS51Fy4X8j\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155388 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #25 SRV->NET',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #27 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKHeNaS51Fy4X8j\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155388 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nX-Custom-B: from-b\r\nContent-Type: application/sdp\r\nContent-Length:   127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #31 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKjQe3t0jKUDmUe\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155388 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #34 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #35 NET->SRV',
    raw: 'ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-4\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #39 NET->SRV',
    raw: 'INFO sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-6\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 2 INFO\r\nMax-Forwards: 70\r\nContent-Type: application/dtmf-relay\r\nContent-Length:    24\r\n\r\nSignal=5\r\nDuration=160\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #42 SRV->NET',
    raw: 'INFO sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKK07UvU3prpaea\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155389 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #44 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKK07UvU3prpaea\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155389 INFO\r\nContent-Type: text/plain\r\nContent-Length:     9\r\n\r\ninfo-ok\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #47 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-6;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 2 INFO\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\ninfo-ok\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #50 SRV->NET',
    raw: 'INVITE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKm90mypmtNZ00N\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155390 INVITE\r\nContact: "Alice" <sip:alice@127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 148\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=modified\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #52 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKm90mypmtNZ00N\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155390 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length:   139\r\n\r\nv=0\r\no=bob 53655765 2353687638 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #55 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKNjtD0H5Xj8pKH\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155390 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #57 NET->SRV',
    raw: 'BYE sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-9\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 3 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #61 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14242-1-9;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14242SIPpTag001\r\nTo: <sip:b2b@127.0.0.1:5060>;tag=jDSUFy68yN93a\r\nCall-ID: 1-14242@127.0.0.1\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #64 SRV->NET',
    raw: 'BYE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKpUK61cp1FHD6c\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155391 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'f-b2bua-info-reinvite-bye #67 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKpUK61cp1FHD6c\r\nFrom: "Alice" <sip:alice@127.0.0.1:5060>;tag=H4Z2D3N51cKHF\r\nTo: <sip:b2b@127.0.0.1:5080>;tag=14226SIPpTag011\r\nCall-ID: 0b1f0355-61b1-1240-c78a-b6d93286011f\r\nCSeq: 123155391 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #12 SRV->NET',
    raw: 'INVITE sip:ring@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #13 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #16 NET->SRV',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>;tag=13841SIPpTag011\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #19 SRV->NET',
    raw: 'CANCEL sip:ring@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 CANCEL\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #20 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>;tag=13841SIPpTag011\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 CANCEL\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #22 NET->SRV',
    raw: 'SIP/2.0 487 Request Terminated\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>;tag=13841SIPpTag011\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'g-uac-cancel-by-app #23 SRV->NET',
    raw: 'ACK sip:ring@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU5KBtXXDX0Bpe\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=UNaFH3e0jQrjj\r\nTo: <sip:ring@127.0.0.1:5080>;tag=13841SIPpTag011\r\nCall-ID: dec2e6f9-61b0-1240-3db8-b6d93286011f\r\nCSeq: 123155351 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'h-register-401-200 #13 NET->SRV',
    raw: 'REGISTER sip:sa.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14342-1-0\r\nFrom: <sip:alice@sa.test>;tag=14342SIPpTag001\r\nTo: <sip:alice@sa.test>\r\nCall-ID: 1-14342@127.0.0.1\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nExpires: 3600\r\nUser-Agent: sipp-sa-transcripts\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'h-register-401-200 #16 SRV->NET',
    raw: 'SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14342-1-0;rport=5070\r\nFrom: <sip:alice@sa.test>;tag=14342SIPpTag001\r\nTo: <sip:alice@sa.test>;tag=XjeXDXFXKQ2Dm\r\nCall-ID: 1-14342@127.0.0.1\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm="sa.test", nonce="a1b2c3d4e5f60718", algorithm=MD5, qop="auth"\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'h-register-401-200 #17 NET->SRV',
    raw: 'REGISTER sip:sa.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14342-1-3\r\nFrom: <sip:alice@sa.test>;tag=14342SIPpTag001\r\nTo: <sip:alice@sa.test>\r\nCall-ID: 1-14342@127.0.0.1\r\nCSeq: 2 REGISTER\r\nContact: <sip:alice@127.0.0.1:5070>\r\nAuthorization: Digest username="alice",realm="sa.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5060",nonce="a1b2c3d4e5f60718",response="abf846a16de4ab629617b38197256bbc",algorithm=MD5\r\nMax-Forwards: 70\r\nExpires: 3600\r\nUser-Agent: sipp-sa-transcripts\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'h-register-401-200 #21 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14342-1-3;rport=5070\r\nFrom: <sip:alice@sa.test>;tag=14342SIPpTag001\r\nTo: <sip:alice@sa.test>;tag=yU7NFr00g0r0F\r\nCall-ID: 1-14342@127.0.0.1\r\nCSeq: 2 REGISTER\r\nContact: <sip:alice@127.0.0.1:5070>;expires=3600\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'i-options-out-of-dialog #13 NET->SRV',
    raw: 'OPTIONS sip:ping@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14408-1-0\r\nFrom: <sip:alice@127.0.0.1:5070>;tag=14408SIPpTag001\r\nTo: <sip:ping@127.0.0.1:5060>\r\nCall-ID: 1-14408@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'i-options-out-of-dialog #16 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14408-1-0;rport=5070\r\nFrom: <sip:alice@127.0.0.1:5070>;tag=14408SIPpTag001\r\nTo: <sip:ping@127.0.0.1:5060>;tag=F2K7c645Ze15Q\r\nCall-ID: 1-14408@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'i2-options-sent-by-app #6 SRV->NET',
    raw: 'OPTIONS sip:probe@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKK70Z691gK2ryc\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=KFZ4X248XSU1S\r\nTo: <sip:probe@127.0.0.1:5080>\r\nCall-ID: 6f9632d7-61b1-1240-f691-b6d93286011f\r\nCSeq: 123155472 OPTIONS\r\nContent-Length: 0\r\nX-App: options-probe\r\n\r\n',
  },
  {
    name: 'i2-options-sent-by-app #7 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKK70Z691gK2ryc\r\nFrom: <sip:127.0.0.1:5060>;tag=KFZ4X248XSU1S\r\nTo: <sip:probe@127.0.0.1:5080>;tag=15210SIPpTag011\r\nCall-ID: 6f9632d7-61b1-1240-f691-b6d93286011f\r\nCSeq: 123155472 OPTIONS\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #15 NET->SRV',
    raw: 'INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nSubject: sa-transcripts\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #16 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #20 SRV->NET',
    raw: 'INVITE sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK83e50975-1b2b-4414-bd5d-b20f7b755632\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 69\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nSubject: sa-transcripts\r\nContent-Type: application/sdp\r\nContent-Length: 129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #22 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK83e50975-1b2b-4414-bd5d-b20f7b755632, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #23 NET->SRV',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK83e50975-1b2b-4414-bd5d-b20f7b755632, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #24 SRV->NET',
    raw: 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #25 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK83e50975-1b2b-4414-bd5d-b20f7b755632, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length:   127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #29 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length:   127\r\n\r\nv=0\r\no=bob 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #30 NET->SRV',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-5\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 ACK\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #32 SRV->NET',
    raw: 'ACK sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK.8H5H5922NpSF3NBZjNr30U0S2a\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-5;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 1 ACK\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #33 NET->SRV',
    raw: 'BYE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-7\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 2 BYE\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #35 SRV->NET',
    raw: 'BYE sip:bob@127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK.6p453ceD714gK2H1Fajp8K6QtH\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-7;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #37 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK.6p453ceD714gK2H1Fajp8K6QtH, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-7;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j-proxy-invite-remain-in-dialog #38 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14737-1-7;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14737SIPpTag001\r\nTo: <sip:bob@127.0.0.1:5060>;tag=14672SIPpTag011\r\nCall-ID: 1-14737@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #15 NET->SRV',
    raw: 'INVITE sip:busy@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #16 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #20 SRV->NET',
    raw: 'INVITE sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKa26ebc21-85ba-4dde-b166-2829562f26a0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv;rport=5070\r\nRecord-Route: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 69\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: 129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #21 NET->SRV',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKa26ebc21-85ba-4dde-b166-2829562f26a0, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #23 NET->SRV',
    raw: 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKa26ebc21-85ba-4dde-b166-2829562f26a0, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=15276SIPpTag011\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #24 SRV->NET',
    raw: 'ACK sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKa26ebc21-85ba-4dde-b166-2829562f26a0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=15276SIPpTag011\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #25 SRV->NET',
    raw: 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=15276SIPpTag011\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'j2-proxy-invite-rejected-486 #26 NET->SRV',
    raw: 'ACK sip:busy@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15292-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15292SIPpTag001\r\nTo: <sip:busy@127.0.0.1:5060>;tag=15276SIPpTag011\r\nCall-ID: 1-15292@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'k-ack-timeout-server-bye #15 NET->SRV',
    raw: 'INVITE sip:noack@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14906-1-0\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14906SIPpTag001\r\nTo: <sip:noack@127.0.0.1:5060>\r\nCall-ID: 1-14906@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'k-ack-timeout-server-bye #16 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14906-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14906SIPpTag001\r\nTo: <sip:noack@127.0.0.1:5060>\r\nCall-ID: 1-14906@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'k-ack-timeout-server-bye #20 SRV->NET',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-14906-1-0;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=14906SIPpTag001\r\nTo: <sip:noack@127.0.0.1:5060>;tag=US0HKHjtjmatK\r\nCall-ID: 1-14906@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'k-ack-timeout-server-bye #33 SRV->NET',
    raw: 'BYE sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU956yQ8y3cHgj\r\nMax-Forwards: 70\r\nFrom: <sip:noack@127.0.0.1:5060>;tag=US0HKHjtjmatK\r\nTo: "Alice" <sip:alice@127.0.0.1:5070>;tag=14906SIPpTag001\r\nCall-ID: 1-14906@127.0.0.1\r\nCSeq: 2 BYE\r\nReason: SIP;cause=200;text="ACK timeout"\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'k-ack-timeout-server-bye #34 NET->SRV',
    raw: 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKU956yQ8y3cHgj\r\nFrom: <sip:noack@127.0.0.1:5060>;tag=US0HKHjtjmatK\r\nTo: "Alice" <sip:alice@127.0.0.1:5070>;tag=14906SIPpTag001\r\nCall-ID: 1-14906@127.0.0.1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'l-invite-no-route #7 NET->SRV',
    raw: 'INVITE sip:nobody@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15356-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15356SIPpTag001\r\nTo: <sip:nobody@127.0.0.1:5060>\r\nCall-ID: 1-15356@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length:   129\r\n\r\nv=0\r\no=alice 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'l-invite-no-route #8 SRV->NET',
    raw: 'SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15356-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15356SIPpTag001\r\nTo: <sip:nobody@127.0.0.1:5060>\r\nCall-ID: 1-15356@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'l-invite-no-route #9 SRV->NET',
    raw: 'SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15356-1-inv;rport=5070\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15356SIPpTag001\r\nTo: <sip:nobody@127.0.0.1:5060>;tag=984j6jF4Dy56N\r\nCall-ID: 1-15356@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'l-invite-no-route #10 NET->SRV',
    raw: 'ACK sip:nobody@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-15356-1-inv\r\nFrom: "Alice" <sip:alice@127.0.0.1:5070>;tag=15356SIPpTag001\r\nTo: <sip:nobody@127.0.0.1:5060>;tag=984j6jF4Dy56N\r\nCall-ID: 1-15356@127.0.0.1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  },
  {
    name: 'm-uac-invite-no-answer-timeout #12 SRV->NET',
    raw: 'INVITE sip:silent@127.0.0.1:5085 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKKZB7egj8KXZmS\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=K714m4XXZX6eS\r\nTo: <sip:silent@127.0.0.1:5085>\r\nCall-ID: a97e95ea-61b1-1240-13a8-b6d93286011f\r\nCSeq: 123155521 INVITE\r\nContact: <sip:127.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 124\r\n\r\nv=0\r\no=- 1111 1 IN IP4 127.0.0.1\r\ns=drachtio-app\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  },
  {
    name: 'm2-options-no-answer-timeout #6 SRV->NET',
    raw: 'OPTIONS sip:silent@127.0.0.1:5085 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK65H259S8S8p8g\r\nMax-Forwards: 70\r\nFrom: <sip:127.0.0.1:5060>;tag=6ry4cgXg7Z6vD\r\nTo: <sip:silent@127.0.0.1:5085>\r\nCall-ID: 071cef57-61b2-1240-70ae-b6d93286011f\r\nCSeq: 123155599 OPTIONS\r\nContent-Length: 0\r\n\r\n',
  },
];
