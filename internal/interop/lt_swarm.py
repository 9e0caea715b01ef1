"""A small libtorrent DHT swarm on 127.0.0.1 for interoperability tests.

Usage: /usr/bin/python3 -c SCRIPT DIR [SESSIONS]

Starts SESSIONS (default 5) libtorrent sessions with the DHT on 127.0.0.1,
bootstrapped to each other only, the first one seeding a file written in
DIR. Prints one JSON line: {"dht": ["127.0.0.1:port", ...],
"seed_peer": "127.0.0.1:port", "infohash": "<hex>"}, then runs until stdin
closes or 120 s pass. Contacts no address other than 127.0.0.1.
"""
import json
import os
import sys
import time

import libtorrent as lt


def settings():
    return {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_enforce_node_id": False,
        "dht_prefer_verified_node_ids": False,
        "dht_ignore_dark_internet": False,
        "dht_block_ratelimit": 100000,
        "dht_upload_rate_limit": 10000000,
        "dht_sample_infohashes_interval": 1,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": 0,
    }


def main():
    workdir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sessions = [lt.session(settings()) for _ in range(n)]
    ports = [s.listen_port() for s in sessions]
    for i, s in enumerate(sessions):
        for j, p in enumerate(ports):
            if i != j:
                s.add_dht_node(("127.0.0.1", p))

    path = os.path.join(workdir, "interop-leak.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(256 * 1024))
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, workdir)
    ti = lt.torrent_info(lt.bencode(ct.generate()))
    h = sessions[0].add_torrent({"ti": ti, "save_path": workdir})

    deadline = time.time() + 30
    while time.time() < deadline:
        st = h.status()
        if st.is_seeding:
            break
        time.sleep(0.05)
    else:
        print(json.dumps({"error": "seeder never started seeding"}), flush=True)
        return
    h.force_dht_announce()

    print(json.dumps({
        "dht": ["127.0.0.1:%d" % p for p in ports],
        "seed_peer": "127.0.0.1:%d" % ports[0],
        "infohash": str(ti.info_hashes().v1),
    }), flush=True)

    end = time.time() + 120
    # Runs until the test closes stdin (or kills us).
    import select
    while time.time() < end:
        r, _, _ = select.select([sys.stdin], [], [], 1.0)
        if r and not sys.stdin.readline():
            break


if __name__ == "__main__":
    main()
