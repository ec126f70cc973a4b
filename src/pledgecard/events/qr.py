"""QR codes for print: segno's codes, with its choice of data mask computed in numpy.

segno (pure Python) spent about 5 of every 6 ms of a badge's QR code scoring the eight data masks module by
module (ISO/IEC 18004:2015 7.8.3): for 2,000 badges, 10 seconds. `find_and_apply_best_mask` below takes the
same matrix and returns the same mask and modules (tests compare it with segno's own on many codes), scoring
all eight masks as arrays. Installed into segno.encoder when this module is imported, so every code the
product makes (badges, postcards, the event's QR page) is segno's code, only sooner.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from segno import encoder as _encoder

_segno_find_and_apply_best_mask = _encoder.find_and_apply_best_mask
_N3 = bytes((1, 0, 1, 1, 1, 0, 1))


def _mask_patterns(size: int) -> np.ndarray:
    """The eight QR data masks (ISO/IEC 18004:2015 Table 10) for a size × size symbol, as 0/1 arrays."""
    i, j = np.indices((size, size))
    return np.array([
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        (((i + j) % 2) + (i * j) % 3) % 2 == 0,
    ], dtype=np.uint8)


_patterns: dict[int, np.ndarray] = {}
_regions: dict[int, np.ndarray] = {}


def _encoding_region(size: int) -> np.ndarray:
    """Where data modules are (masked), as segno finds it: not finder, timing, alignment, format, version
    or the dark module."""
    if size not in _regions:
        function = _encoder.make_matrix(size, size)
        _encoder.add_finder_patterns(function, size, size)
        _encoder.add_alignment_patterns(function, size, size)
        function[-8][8] = 0x1
        _regions[size] = np.array([list(row) for row in function], dtype=np.uint8) > 0x1
    return _regions[size]


def _n1(masked: np.ndarray) -> int:
    """Runs of five or more same-coloured modules in a row or column: 3 + (length - 5) each."""
    size = masked.shape[0]
    score = 0
    for lines in (masked, masked.T):
        # Rows one after another, each ended by a value no module has, so no run crosses two rows.
        flat = np.concatenate([lines, np.full((size, 1), 9, dtype=np.uint8)], axis=1).ravel()
        starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
        lengths = np.diff(np.append(starts, flat.size))
        long = lengths[lengths >= 5]
        score += int((long - 2).sum())
    return score


def _n2(masked: np.ndarray) -> int:
    """2 × 2 blocks of one colour: 3 each."""
    a = masked[1:, 1:]
    same = (a == masked[1:, :-1]) & (a == masked[:-1, 1:]) & (a == masked[:-1, :-1])
    return 3 * int(same.sum())


def _n3_line(line: bytes, size: int) -> int:
    """segno's count of finder-like 1:1:3:1:1 patterns with four light modules on one side (40 each)."""
    count = 0
    idx = line.find(_N3)
    while idx != -1:
        offset = idx + 7
        if idx in (0, size - 7) or not any(line[max(idx - 4, 0):min(idx, size)]) \
                or not any(line[max(offset, 0):min(offset + 4, size)]):
            count += 40
        else:
            offset = idx + 4
        idx = line.find(_N3, offset)
    return count


def _n3(masked: np.ndarray) -> int:
    size = masked.shape[0]
    return sum(_n3_line(row.tobytes(), size) for row in masked) + sum(
        _n3_line(col.tobytes(), size) for col in np.ascontiguousarray(masked.T))


def _n4(masked: np.ndarray) -> int:
    percent = float(masked.sum()) / masked.size
    return 10 * int(abs(percent * 100 - 50) / 5)


def find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    """segno.encoder.find_and_apply_best_mask for QR codes, vectorised; Micro QR codes are left to segno."""
    if width != height or width < 21:
        return _segno_find_and_apply_best_mask(matrix, width, height, proposed_mask)
    size = width
    if size not in _patterns:
        _patterns[size] = _mask_patterns(size) & _encoding_region(size)
    data = np.array([list(row) for row in matrix], dtype=np.uint8)
    candidates = range(8) if proposed_mask is None else (proposed_mask,)
    best, best_score, best_matrix = None, None, None
    for number in candidates:
        masked = data ^ _patterns[size][number]
        if proposed_mask is not None:
            best, best_matrix = number, masked
            break
        score = _n1(masked) + _n2(masked) + _n3(masked) + _n4(masked)
        if best_score is None or score < best_score:
            best, best_score, best_matrix = number, score, masked
    if proposed_mask is not None:
        # segno changes the caller's matrix in place when a mask is given, and returns it
        for row, new in zip(matrix, best_matrix, strict=True):
            row[:] = new.tobytes()
        return best, matrix
    return best, tuple(bytearray(row.tobytes()) for row in best_matrix)


_encoder.find_and_apply_best_mask = find_and_apply_best_mask


_DARK_TO_BLACK = bytes.maketrans(b"\x00\x01", b"\xff\x00")


def png_data_uri(code, border: int = 4) -> str:
    """The code as an 8-bit greyscale PNG of one pixel per module (with a `border`-module quiet zone), as a
    data URI. Written here rather than by segno: its 1-bit PNG made WeasyPrint convert every code to RGB and
    encode it twice with Pillow (about 2 ms a badge); a greyscale PNG it takes as it is, and embeds as a
    one-channel image."""
    size = len(code.matrix) + 2 * border
    quiet = b"\x00" + b"\xff" * size
    edge = b"\xff" * border
    rows = [quiet] * border + [b"\x00" + edge + bytes(row).translate(_DARK_TO_BLACK) + edge
                               for row in code.matrix] + [quiet] * border
    return "data:image/png;base64," + base64.b64encode(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")).decode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
