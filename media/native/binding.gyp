{
  "targets": [
    {
      "target_name": "udp_send",
      "sources": ["udp-send.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["udp-send.c"]}]]
    }
  ]
}
