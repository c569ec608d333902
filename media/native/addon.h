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

/* Reads exactly n arguments into argv; 0, or -1 after throwing `usage`. */
static inline int addon_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= n) return 0;
  addon_fail(env, usage);
  return -1;
}

/* udp-send.c */
napi_value Send(napi_env env, napi_callback_info info);
napi_value SendBatch(napi_env env, napi_callback_info info);
napi_value Sockaddr(napi_env env, napi_callback_info info);
napi_value Ntop(napi_env env, napi_callback_info info);

/* udp-recv.c */
napi_value RecvOpen(napi_env env, napi_callback_info info);
napi_value RecvAdd(napi_env env, napi_callback_info info);
napi_value RecvRemove(napi_env env, napi_callback_info info);
napi_value RecvClose(napi_env env, napi_callback_info info);

/* srtp.c */
napi_value SrtpSession(napi_env env, napi_callback_info info);
napi_value SrtpProtect(napi_env env, napi_callback_info info);
napi_value SrtpUnprotect(napi_env env, napi_callback_info info);

#endif
