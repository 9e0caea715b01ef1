"""A libtorrent peer on loopback for leakhunt's interop tests and for
'leakhunt validate'.

usage: python3 -c SCRIPT CONFIG_JSON

CONFIG_JSON: {"torrent": path, "save_path": dir, "host": a loopback
address, "port": n (0: any), "tcp": bool,
"utp": bool, "encryption": "tolerated"|"preferred"|"required",
"upload_mode": bool, "seed": bool, "create": optional {"file": path,
"piece_length": n, "mode": "v1"|"hybrid"}}

With "create", first makes a torrent of that file with libtorrent's own
hashing and writes it to "torrent". Adds the torrent (as a seed with "seed", else checking what save_path
holds), with DHT, LSD, UPnP and NAT-PMP off, listening on and connecting
from host only.
Prints one JSON line {"port": n} once the torrent is seeding (or, without
"seed", checked), then answers each "status" line on stdin with
{"downloaded": payload bytes received, "clients": [...]}; exits when stdin
closes.
"""
import json
import os
import sys
import time

import libtorrent as lt


def create(path, out, piece_length, mode):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    flags = lt.create_torrent.v1_only if mode == "v1" else 0
    ct = lt.create_torrent(fs, piece_length, flags=flags)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get("create"):
        c = cfg["create"]
        create(c["file"], cfg["torrent"], c["piece_length"], c["mode"])
    enc = cfg["encryption"]
    settings = {
        "listen_interfaces": "%s:%d" % (cfg["host"], cfg["port"]),
        "outgoing_interfaces": cfg["host"],
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_tcp": cfg["tcp"],
        "enable_outgoing_tcp": cfg["tcp"],
        "enable_incoming_utp": cfg["utp"],
        "enable_outgoing_utp": cfg["utp"],
        # 0 forced, 1 enabled; 1 plaintext, 2 rc4, 3 both.
        "in_enc_policy": 0 if enc == "required" else 1,
        "out_enc_policy": 0 if enc == "required" else 1,
        "allowed_enc_level": 2 if enc == "required" else 3,
        "prefer_rc4": enc != "tolerated",
        "user_agent": "lt-interop/2.0",
        "peer_fingerprint": "-LT2080-",
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
    }
    ses = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(cfg["torrent"])
    params.save_path = cfg["save_path"]
    # Not auto-managed: an auto-managed torrent stays paused, refusing
    # peers, until the session's queue gets round to it.
    params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    if cfg["seed"]:
        params.flags |= lt.torrent_flags.seed_mode
    if cfg["upload_mode"]:
        params.flags |= lt.torrent_flags.upload_mode
    h = ses.add_torrent(params)
    deadline = time.time() + 30
    listening = set()
    checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
    while True:
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                listening.add(a.socket_type)
            elif isinstance(a, lt.listen_failed_alert):
                print(json.dumps({"error": a.message()}), flush=True)
                return 1
        st = h.status()
        if (len(listening) == 2 and st.state not in checking and not (st.flags & lt.torrent_flags.paused)
                and (st.is_seeding or not cfg["seed"])):
            break
        if time.time() > deadline:
            print(json.dumps({"error": "torrent not ready: %s" % st.state}), flush=True)
            return 1
        ses.wait_for_alert(20)
    print(json.dumps({"port": ses.listen_port()}), flush=True)
    for line in sys.stdin:
        if line.strip() == "status":
            st = h.status()
            clients = [p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client
                       for p in h.get_peer_info()]
            print(json.dumps({"downloaded": st.total_payload_download, "clients": clients}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
