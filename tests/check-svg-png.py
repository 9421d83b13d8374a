#!/usr/bin/env python3
"""check-svg-png.py SVG PNG: the PNG that an SVG renderer made of apmatrix's map has the SVG's size, and every
cell of the grid shows the fill colour the SVG gives it (sampled inside the cell, away from its letter); the
axis labels are there. Prints "ok N cells" or what is wrong. Reads 8-bit RGB/RGBA PNGs with the standard
library only."""
import struct
import sys
import xml.etree.ElementTree as ET
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or colour not in (2, 6) or interlace:
        raise SystemExit("unexpected PNG format: depth %d colour %d interlace %d" % (depth, colour, interlace))
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def main():
    svg_path, png_path = sys.argv[1], sys.argv[2]
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(svg_path).getroot()
    width, height, rows, bpp = read_png(png_path)
    problems = []
    if (width, height) != (round(float(root.get("width"))), round(float(root.get("height")))):
        problems.append("PNG %dx%d, SVG %sx%s" % (width, height, root.get("width"), root.get("height")))
    cells = 0
    for rect in root.iter("{http://www.w3.org/2000/svg}rect"):
        if rect.get("data-state") is None:
            continue
        cells += 1
        x, y = int(float(rect.get("x"))) + 3, int(float(rect.get("y"))) + 3
        want = int(rect.get("fill")[1:], 16)
        px = rows[y][x * bpp:x * bpp + 3]
        got = (px[0] << 16) | (px[1] << 8) | px[2]
        if any(abs(((want >> s) & 0xff) - ((got >> s) & 0xff)) > 12 for s in (0, 8, 16)):
            problems.append("%s (%s): #%06x, want #%06x" % (rect.get("data-apqn"), rect.get("data-state"), got, want))
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    if not any(t.startswith("00 ") for t in texts):
        problems.append("no adapter label")
    if "Legend" not in texts:
        problems.append("no legend")
    print("; ".join(problems) if problems else "ok %d cells" % cells)


main()
