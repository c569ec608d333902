/* The media addon: UDP send (udp-send.c), batched UDP receive (udp-recv.c), SRTP (srtp.c). */
#define NAPI_VERSION 8
#include <node_api.h>

#include "addon.h"

#define METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      METHOD("send", Send),           METHOD("sendBatch", SendBatch), METHOD("sockaddr", Sockaddr),
      METHOD("ntop", Ntop),           METHOD("recvOpen", RecvOpen),   METHOD("recvAdd", RecvAdd),
      METHOD("recvRemove", RecvRemove), METHOD("recvClose", RecvClose), METHOD("srtpSession", SrtpSession),
      METHOD("srtpProtect", SrtpProtect), METHOD("srtpUnprotect", SrtpUnprotect),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
