"""QR codes for print: segno's codes, with its placement of the codewords and its choice of data mask
computed in numpy.

segno (pure Python) spent about 5 of every 6 ms of a badge's QR code scoring the eight data masks module by
module (ISO/IEC 18004:2015 7.8.3), and most of the rest placing the codewords' bits one module at a time
(7.7.3): for 2,000 badges, over 10 seconds. `find_and_apply_best_mask` and `add_codewords` below take the
same matrix and return the same mask and modules (tests compare every module with segno's own on many codes):
the eight masks are scored at once as arrays, and the modules the bits go in are found once per size.
Installed into segno.encoder when this module is imported, so every code the product makes (badges,
postcards, the event's QR page) is segno's code, only sooner.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from segno import encoder as _encoder

# segno's own functions, replaced below (the tests compare every code with what these make).
SEGNO = {"find_and_apply_best_mask": _encoder.find_and_apply_best_mask,
         "add_codewords": _encoder.add_codewords, "make_final_message": _encoder.make_final_message}
_N3 = np.array((1, 0, 1, 1, 1, 0, 1), dtype=np.uint8)


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
_placements: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _function_matrix(size: int):
    """segno's matrix before the codewords: timing, finder and alignment patterns, reserved regions (0x2:
    free for data)."""
    function = _encoder.make_matrix(size, size)
    _encoder.add_finder_patterns(function, size, size)
    _encoder.add_alignment_patterns(function, size, size)
    return function


def _encoding_region(size: int) -> np.ndarray:
    """Where data modules are (masked), as segno finds it: not finder, timing, alignment, format, version
    or the dark module."""
    if size not in _regions:
        function = _function_matrix(size)
        function[-8][8] = 0x1
        _regions[size] = np.array([list(row) for row in function], dtype=np.uint8) > 0x1
    return _regions[size]


def _placement(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The modules codewords' bits go in, in order (ISO/IEC 18004:2015 7.7.3): segno's walk of two-module
    columns up and down from the right, done once per size instead of for every code."""
    if size not in _placements:
        free = _function_matrix(size)
        rows, columns = [], []
        for right in range(size - 1, 0, -2):
            if right <= 6:
                right -= 1
            for vertical in range(size):
                for z in range(2):
                    j = right - z
                    upwards = ((right & 2) == 0) ^ (j < 6)
                    i = (size - 1 - vertical) if upwards else vertical
                    if free[i][j] == 0x2:
                        rows.append(i)
                        columns.append(j)
        _placements[size] = (np.array(rows), np.array(columns))
    return _placements[size]


_error_maps: dict[tuple[int, int], np.ndarray] = {}
# Remainder bits after the codewords (ISO/IEC 18004:2015 7.6), by version, as segno adds them.
_REMAINDER = {**dict.fromkeys((2, 3, 4, 5, 6), 7), **dict.fromkeys(range(14, 21), 3),
              **dict.fromkeys(range(21, 28), 4), **dict.fromkeys(range(28, 35), 3)}


def _error_map(data_words: int, error_words: int) -> np.ndarray:
    """Reed–Solomon error correction of a block as a matrix over GF(2): the error words' bits are the sum
    (XOR) of the rows for the data bits that are set, because the remainder of the polynomial division is
    linear in the data. Each row is segno's own error words for a block with only that bit set."""
    key = (data_words, error_words)
    if key not in _error_maps:
        info = _encoder.consts.ECC[1][_encoder.consts.ERROR_LEVEL_L][0]._replace(
            num_blocks=1, num_total=data_words + error_words, num_data=data_words)
        rows = []
        for bit in range(data_words * 8):
            unit = np.zeros(data_words * 8, dtype=np.uint8)
            unit[bit] = 1
            _, (errors,) = _encoder.make_blocks((info,), _encoder.Buffer(unit.tobytes()))
            rows.append(np.unpackbits(np.frombuffer(bytes(errors), dtype=np.uint8)))
        _error_maps[key] = np.array(rows, dtype=np.uint8)
    return _error_maps[key]


def make_final_message(version, error, buff):
    """segno.encoder.make_final_message for QR codes: the blocks' error words (each one matrix product, see
    `_error_map`) and the interleaved bits made as arrays; Micro QR codes are left to segno."""
    if version < 1:
        return SEGNO["make_final_message"](version, error, buff)
    bits = np.frombuffer(bytes(buff.getbits()), dtype=np.uint8)
    codewords = np.packbits(bits)  # the last codeword padded with 0 bits, as segno's toints()
    data_blocks, error_blocks, start = [], [], 0
    for info in _encoder.consts.ECC[version][error]:
        error_words = info.num_total - info.num_data
        for _ in range(info.num_blocks):
            block = codewords[start:start + info.num_data]
            start += info.num_data
            data_blocks.append(block)
            # uint8 sums wrap at 256, which keeps their parity: & 1 is the XOR of the rows
            parity = np.unpackbits(block) @ _error_map(info.num_data, error_words) & 1
            error_blocks.append(np.packbits(parity))
    message = np.concatenate([_interleaved(data_blocks), _interleaved(error_blocks)])
    return _encoder.Buffer(np.unpackbits(message).tobytes() + bytes(_REMAINDER.get(version, 0)))


def _interleaved(blocks: list[np.ndarray]) -> np.ndarray:
    """The first codeword of each block, then the second of each, ... (shorter blocks run out first)."""
    longest = max(len(b) for b in blocks)
    table = np.full((len(blocks), longest), -1, dtype=np.int16)
    for n, block in enumerate(blocks):
        table[n, :len(block)] = block
    column_major = table.T.ravel()
    return column_major[column_major >= 0].astype(np.uint8)


def add_codewords(matrix, codewords, version):
    """segno.encoder.add_codewords for QR codes, every bit placed at once; Micro QR codes are left to
    segno."""
    if version < 1:
        return SEGNO["add_codewords"](matrix, codewords, version)
    size = len(matrix)
    rows, columns = _placement(size)
    bits = np.frombuffer(bytes(codewords.getbits()), dtype=np.uint8)
    if len(bits) > len(rows):  # pragma: no cover - segno's own check
        raise ValueError(f"Internal error: {len(bits)} bits for {len(rows)} modules")
    data = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(size, size).copy()
    data[rows[:len(bits)], columns[:len(bits)]] = bits
    for row, new in zip(matrix, data, strict=True):
        row[:] = new.tobytes()
    return None


def _n1(lines: np.ndarray) -> np.ndarray:
    """Each mask's runs of five or more same-coloured modules in a row or column: 3 + (length - 5) each.
    `lines`: (masks, rows then columns, modules)."""
    masks, count, size = lines.shape
    # Each line ended by a value no module has, so no run crosses two lines (or two masks).
    flat = np.concatenate([lines, np.full((masks, count, 1), 9, dtype=np.uint8)], axis=2).ravel()
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, flat.size))
    long = lengths >= 5
    return np.bincount(starts[long] // (count * (size + 1)), weights=lengths[long] - 2,
                       minlength=masks).astype(np.int64)


def _n2(masked: np.ndarray) -> np.ndarray:
    """Each mask's 2 × 2 blocks of one colour: 3 each."""
    a = masked[:, 1:, 1:]
    same = (a == masked[:, 1:, :-1]) & (a == masked[:, :-1, 1:]) & (a == masked[:, :-1, :-1])
    return 3 * same.sum(axis=(1, 2))


def _n3(lines: np.ndarray) -> np.ndarray:
    """segno's count of finder-like 1:1:3:1:1 patterns with four light modules on one side (40 each), per
    mask. The patterns are found for all lines at once; only the few found are walked in order, because
    segno searches on from idx + 7 after one it counts and from idx + 4 after one it does not."""
    masks, count, size = lines.shape
    found = np.ones((masks, count, size - 6), dtype=bool)
    for k, value in enumerate(_N3):
        found &= lines[:, :, k:size - 6 + k] == value
    mask_of, line_of, idx_of = np.nonzero(found)  # in order: mask, line, position
    # Non-zero modules before each position: any() of a slice as a difference of two sums.
    dark = np.zeros((masks, count, size + 1), dtype=np.int32)
    np.cumsum(lines != 0, axis=2, out=dark[:, :, 1:])
    at = dark[mask_of, line_of]
    before = at[np.arange(idx_of.size), idx_of] - at[np.arange(idx_of.size), np.maximum(idx_of - 4, 0)]
    after = (at[np.arange(idx_of.size), np.minimum(idx_of + 11, size)]
             - at[np.arange(idx_of.size), np.minimum(idx_of + 7, size)])
    counted = (idx_of == 0) | (idx_of == size - 7) | (before == 0) | (after == 0)
    scores = np.zeros(masks, dtype=np.int64)
    line, resume = None, 0
    for m, n, idx, hit in zip(mask_of.tolist(), line_of.tolist(), idx_of.tolist(), counted.tolist(),
                              strict=True):
        if (m, n) != line:
            line, resume = (m, n), 0
        if idx < resume:
            continue
        if hit:
            scores[m] += 40
            resume = idx + 7
        else:
            resume = idx + 4
    return scores


def _n4(masked: np.ndarray) -> np.ndarray:
    percent = masked.sum(axis=(1, 2)) / (masked.shape[1] * masked.shape[2])
    return 10 * (np.abs(percent * 100 - 50) / 5).astype(np.int64)


def find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    """segno.encoder.find_and_apply_best_mask for QR codes, the eight masks scored at once as arrays; Micro QR
    codes are left to segno."""
    if width != height or width < 21:
        return SEGNO["find_and_apply_best_mask"](matrix, width, height, proposed_mask)
    size = width
    if size not in _patterns:
        _patterns[size] = _mask_patterns(size) & _encoding_region(size)
    data = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(size, size)
    if proposed_mask is not None:
        # segno changes the caller's matrix in place when a mask is given, and returns it
        for row, new in zip(matrix, data ^ _patterns[size][proposed_mask], strict=True):
            row[:] = new.tobytes()
        return proposed_mask, matrix
    masked = data[np.newaxis] ^ _patterns[size]  # (8, size, size)
    lines = np.concatenate([masked, masked.transpose(0, 2, 1)], axis=1)  # rows, then columns
    scores = _n1(lines) + _n2(masked) + _n3(lines) + _n4(masked)
    best = int(np.argmin(scores))  # the first of equal scores, as segno's strict "<"
    return best, tuple(bytearray(row.tobytes()) for row in masked[best])


_encoder.find_and_apply_best_mask = find_and_apply_best_mask
_encoder.add_codewords = add_codewords
_encoder.make_final_message = make_final_message


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
        # zlib's default level: 9 took twice as long (0.5 ms a code) for no smaller a code
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")).decode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
