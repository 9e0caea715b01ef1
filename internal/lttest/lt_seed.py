"""Seed one file with libtorrent on loopback for leakhunt's probe tests.

usage: lt_seed.py FILE TORRENT_OUT PIECE_LENGTH HOST [v1|hybrid]

Creates a v1 (default) or hybrid torrent of FILE with libtorrent (written
to TORRENT_OUT),
seeds it on HOST (loopback) with DHT, LSD, UPnP and NAT-PMP off, prints
"LISTEN <port>" once the torrent is seeding, and exits when stdin closes.
"""
import os
import sys
import time

import libtorrent as lt


def main():
    path, out, piece_len, host = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    mode = sys.argv[5] if len(sys.argv) > 5 else "v1"
    fs = lt.file_storage()
    lt.add_files(fs, path)
    flags = lt.create_torrent.v1_only if mode == "v1" else 0
    ct = lt.create_torrent(fs, piece_len, flags=flags)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    data = lt.bencode(ct.generate())
    with open(out, "wb") as f:
        f.write(data)
    iface = "[%s]:0" % host if ":" in host else "%s:0" % host
    ses = lt.session({
        "listen_interfaces": iface,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": True,
        "enable_incoming_tcp": True,
        "user_agent": "lt-seed-test/2.0",
        "peer_fingerprint": "-LT2080-",
        "alert_mask": 0,
    })
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(data)
    params.save_path = os.path.dirname(path)
    params.flags = lt.torrent_flags.seed_mode
    h = ses.add_torrent(params)
    deadline = time.time() + 30
    while not h.status().is_seeding:
        if time.time() > deadline:
            print("ERROR not seeding", flush=True)
            return 1
        time.sleep(0.02)
    print("LISTEN %d" % ses.listen_port(), flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
