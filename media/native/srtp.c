/*
 * SRTP's AES_CM_128_HMAC_SHA1_80 transform for RTP (RFC 3711), through the OpenSSL that Node itself
 * carries and exports (its headers ship with Node's, so nothing else is linked or downloaded).
 *
 * In JavaScript (srtp-cipher.ts) each packet costs a fresh HMAC object (Node cannot reset one), a
 * keystream buffer and its XOR loop, and three allocations: about 8 µs per packet each way on this
 * machine. Here the session keeps a keyed AES-CTR context and a keyed HMAC context, each packet
 * re-initialises only the counter and the MAC state, and a received packet is authenticated and
 * decrypted in place.
 *
 * The key derivation stays in JavaScript (once per session); this file gets the session keys.
 */
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED /* HMAC_CTX: the keyed context that is reset per packet */
#include <node_api.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

#define TAG_LEN 10
#define RTP_HEADER 12

typedef struct {
  EVP_CIPHER_CTX *ctr;
  HMAC_CTX *mac;
  uint8_t salt[14];
} srtp_session;

static void session_free(srtp_session *s) {
  if (!s) return;
  if (s->ctr) EVP_CIPHER_CTX_free(s->ctr);
  if (s->mac) HMAC_CTX_free(s->mac);
  free(s);
}

static void session_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  session_free((srtp_session *)data);
}

static int buffer_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return -1;
  *data = (uint8_t *)d;
  return 0;
}

static srtp_session *session_arg(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (srtp_session *)data;
}

static int uint32_arg(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

/* RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16); the low 16 bits count blocks. */
static int keystream_start(srtp_session *s, uint32_t ssrc, uint32_t roc, uint16_t seq) {
  uint8_t iv[16];
  memcpy(iv, s->salt, 14);
  iv[14] = iv[15] = 0;
  iv[4] ^= (uint8_t)(ssrc >> 24);
  iv[5] ^= (uint8_t)(ssrc >> 16);
  iv[6] ^= (uint8_t)(ssrc >> 8);
  iv[7] ^= (uint8_t)ssrc;
  iv[8] ^= (uint8_t)(roc >> 24);
  iv[9] ^= (uint8_t)(roc >> 16);
  iv[10] ^= (uint8_t)(roc >> 8);
  iv[11] ^= (uint8_t)roc;
  iv[12] ^= (uint8_t)(seq >> 8);
  iv[13] ^= (uint8_t)seq;
  return EVP_EncryptInit_ex(s->ctr, NULL, NULL, NULL, iv) == 1 ? 0 : -1;
}

/* The 80-bit tag over data || ROC (RFC 3711 §4.2) into tag[0..9]. */
static int auth_tag(srtp_session *s, const uint8_t *data, size_t len, uint32_t roc, uint8_t *tag) {
  uint8_t roc_be[4] = {(uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8), (uint8_t)roc};
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC_Init_ex(s->mac, NULL, 0, NULL, NULL) != 1) return -1; /* same key: back to the inner pad's state */
  if (HMAC_Update(s->mac, data, len) != 1 || HMAC_Update(s->mac, roc_be, 4) != 1) return -1;
  if (HMAC_Final(s->mac, mac, &mac_len) != 1 || mac_len < TAG_LEN) return -1;
  memcpy(tag, mac, TAG_LEN);
  return 0;
}

/* srtpSession(key16, salt14, auth20) -> external, or throws */
napi_value SrtpSession(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (addon_args(env, info, 3, argv, "srtpSession(key, salt, authKey)") != 0) return NULL;
  uint8_t *key, *salt, *auth;
  size_t key_len, salt_len, auth_len;
  if (buffer_arg(env, argv[0], &key, &key_len) != 0 || key_len != 16) return addon_fail(env, "key must be 16 bytes");
  if (buffer_arg(env, argv[1], &salt, &salt_len) != 0 || salt_len != 14) return addon_fail(env, "salt must be 14 bytes");
  if (buffer_arg(env, argv[2], &auth, &auth_len) != 0 || auth_len != 20) return addon_fail(env, "authKey must be 20 bytes");
  srtp_session *s = calloc(1, sizeof *s);
  if (!s) return addon_fail(env, "out of memory");
  memcpy(s->salt, salt, 14);
  s->ctr = EVP_CIPHER_CTX_new();
  s->mac = HMAC_CTX_new();
  if (!s->ctr || !s->mac || EVP_EncryptInit_ex(s->ctr, EVP_aes_128_ctr(), NULL, key, NULL) != 1 ||
      HMAC_Init_ex(s->mac, auth, (int)auth_len, EVP_sha1(), NULL) != 1) {
    session_free(s);
    return addon_fail(env, "OpenSSL could not set up the SRTP session");
  }
  napi_value out;
  if (napi_create_external(env, s, session_finalize, NULL, &out) != napi_ok) {
    session_free(s);
    return addon_fail(env, "could not wrap the SRTP session");
  }
  return out;
}

/*
 * srtpProtect(session, out, head, payload, roc) -> length written to out, or -1.
 * out receives head (copied), the encrypted payload and the tag; it must hold all three.
 */
napi_value SrtpProtect(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (addon_args(env, info, 5, argv, "srtpProtect(session, out, head, payload, roc)") != 0) return NULL;
  srtp_session *s = session_arg(env, argv[0]);
  uint8_t *out, *head, *payload;
  size_t out_len, head_len, payload_len;
  uint32_t roc;
  if (!s || buffer_arg(env, argv[1], &out, &out_len) != 0 || buffer_arg(env, argv[2], &head, &head_len) != 0 ||
      buffer_arg(env, argv[3], &payload, &payload_len) != 0 || uint32_arg(env, argv[4], &roc) != 0)
    return addon_fail(env, "srtpProtect(session, out, head, payload, roc)");
  if (head_len < RTP_HEADER || out_len < head_len + payload_len + TAG_LEN) return addon_int(env, -1);
  memmove(out, head, head_len);
  uint32_t ssrc = (uint32_t)head[8] << 24 | (uint32_t)head[9] << 16 | (uint32_t)head[10] << 8 | head[11];
  uint16_t seq = (uint16_t)(head[2] << 8 | head[3]);
  int n = 0;
  if (keystream_start(s, ssrc, roc, seq) != 0 ||
      (payload_len > 0 && EVP_EncryptUpdate(s->ctr, out + head_len, &n, payload, (int)payload_len) != 1) ||
      (size_t)n != payload_len)
    return addon_int(env, -1);
  size_t body = head_len + payload_len;
  if (auth_tag(s, out, body, roc, out + body) != 0) return addon_int(env, -1);
  return addon_int(env, (int32_t)(body + TAG_LEN));
}

/*
 * srtpUnprotect(session, packet, payloadOffset, roc) -> length of the plain RTP packet (the tag cut
 * off), or -1 when it does not authenticate. Decrypts in place: the caller owns the buffer.
 */
napi_value SrtpUnprotect(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (addon_args(env, info, 4, argv, "srtpUnprotect(session, packet, payloadOffset, roc)") != 0) return NULL;
  srtp_session *s = session_arg(env, argv[0]);
  uint8_t *packet;
  size_t len;
  uint32_t offset, roc;
  if (!s || buffer_arg(env, argv[1], &packet, &len) != 0 || uint32_arg(env, argv[2], &offset) != 0 ||
      uint32_arg(env, argv[3], &roc) != 0)
    return addon_fail(env, "srtpUnprotect(session, packet, payloadOffset, roc)");
  if (len < RTP_HEADER + TAG_LEN || offset < RTP_HEADER || offset > len - TAG_LEN) return addon_int(env, -1);
  size_t body = len - TAG_LEN;
  uint8_t expected[TAG_LEN];
  if (auth_tag(s, packet, body, roc, expected) != 0) return addon_int(env, -1);
  if (CRYPTO_memcmp(expected, packet + body, TAG_LEN) != 0) return addon_int(env, -1);
  uint32_t ssrc = (uint32_t)packet[8] << 24 | (uint32_t)packet[9] << 16 | (uint32_t)packet[10] << 8 | packet[11];
  uint16_t seq = (uint16_t)(packet[2] << 8 | packet[3]);
  int n = 0;
  size_t enc_len = body - offset;
  if (keystream_start(s, ssrc, roc, seq) != 0 ||
      (enc_len > 0 && EVP_EncryptUpdate(s->ctr, packet + offset, &n, packet + offset, (int)enc_len) != 1) ||
      (size_t)n != enc_len)
    return addon_int(env, -1);
  return addon_int(env, (int32_t)body);
}
