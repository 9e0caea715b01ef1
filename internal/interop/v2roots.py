# Prints "<path> <pieces root hex>" for each file given, as libtorrent
# computes it for a v2-only torrent. Run with /usr/bin/python3.
import os
import sys

import libtorrent as lt

for path in sys.argv[1:]:
    if os.path.getsize(path) == 0:
        print(path, "-")
        continue
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v2_only)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    info = ct.generate()[b"info"]
    node = info[b"file tree"][os.path.basename(path).encode()]
    print(path, node[b""][b"pieces root"].hex())
