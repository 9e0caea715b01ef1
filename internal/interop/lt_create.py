"""Create torrents with libtorrent (an independent implementation of the
hashing) for tests.

Reads a JSON list of jobs on stdin: {"path": file or directory,
"out": torrent file to write, "piece_size": bytes, "mode": "v1"|"v2"|"hybrid"}.
Writes each torrent and prints a JSON list of {"out", "v1", "v2"} with the
infohashes libtorrent computes (hex, empty when absent).
Run with /usr/bin/python3 (python3-libtorrent 2.0).
"""
import json
import os
import sys

import libtorrent as lt

FLAGS = {
    "v1": lt.create_torrent.v1_only,
    "v2": lt.create_torrent.v2_only,
    "hybrid": 0,
}

out = []
for job in json.load(sys.stdin):
    fs = lt.file_storage()
    lt.add_files(fs, job["path"])
    ct = lt.create_torrent(fs, job["piece_size"], FLAGS[job["mode"]])
    ct.add_tracker("http://127.0.0.1:1/announce")
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(job["path"])))
    data = lt.bencode(ct.generate())
    with open(job["out"], "wb") as f:
        f.write(data)
    ih = lt.torrent_info(data).info_hashes()
    out.append({
        "out": job["out"],
        "v1": str(ih.v1) if ih.has_v1() else "",
        "v2": str(ih.v2) if ih.has_v2() else "",
    })
json.dump(out, sys.stdout)
