{
  "targets": [
    {
      "target_name": "media",
      "sources": ["addon.c", "udp-send.c", "udp-recv.c", "srtp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["addon.c", "udp-send.c", "udp-recv.c", "srtp.c"]}]]
    }
  ]
}
