{
  "targets": [
    {
      "target_name": "udp",
      "sources": ["udp-send.c", "udp-recv.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["udp-send.c", "udp-recv.c"]}]]
    }
  ]
}
