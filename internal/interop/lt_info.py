"""Prints how libtorrent reads a .torrent file: its v1 and v2 infohashes
(hex, "0"*40 / "0"*64 when absent) on the first line, then one line per
file: offset, size, 1 for a pad file (else 0), path.

usage: /usr/bin/python3 -c SCRIPT TORRENT
"""
import sys

import libtorrent as lt

ti = lt.torrent_info(sys.argv[1])
ih = ti.info_hashes()
print(ih.v1, ih.v2)
fs = ti.files()
for i in range(fs.num_files()):
    pad = 1 if fs.file_flags(i) & lt.file_storage.flag_pad_file else 0
    print(fs.file_offset(i), fs.file_size(i), pad, fs.file_path(i))
