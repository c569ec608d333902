/* Helpers shared by the UDP send and receive halves of the addon. */
#ifndef SWITCHBOARD_UDP_COMMON_H
#define SWITCHBOARD_UDP_COMMON_H
#include <node_api.h>

static inline napi_value udp_int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static inline napi_value udp_fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

void udp_recv_init(napi_env env, napi_value exports);

#endif
