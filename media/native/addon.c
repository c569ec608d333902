/* The media addon: UDP send (udp-send.c) and batched UDP receive (udp-recv.c). */
#define NAPI_VERSION 8
#include <node_api.h>

#include "addon.h"

static napi_value Init(napi_env env, napi_value exports) {
  udp_send_init(env, exports);
  udp_recv_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
