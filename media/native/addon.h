/* The media addon's parts (addon.c puts them together) and the helpers they share. */
#ifndef SWITCHBOARD_MEDIA_ADDON_H
#define SWITCHBOARD_MEDIA_ADDON_H
#include <node_api.h>

static inline napi_value addon_int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static inline napi_value addon_fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* One exported function, for a napi_property_descriptor table. */
#define ADDON_METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

void udp_send_init(napi_env env, napi_value exports);
void udp_recv_init(napi_env env, napi_value exports);

#endif
