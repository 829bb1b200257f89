# Draws the Box Connector icon source (1024x1024 RGBA) with no imaging library.
import math, struct, zlib
N = 1024
def rr_sdf(x, y, cx, cy, hw, hh, r):
    qx = abs(x - cx) - hw + r; qy = abs(y - cy) - hh + r
    return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r
def seg(px, py, ax, ay, bx, by):
    vx, vy = bx - ax, by - ay; wx, wy = px - ax, py - ay
    t = max(0, min(1, (wx*vx + wy*vy) / (vx*vx + vy*vy)))
    return math.hypot(wx - t*vx, wy - t*vy)
cx, cy, R = 512, 470, 250
hexp = [(cx + R*math.cos(math.radians(a)), cy + R*math.sin(math.radians(a))) for a in (-90, -30, 30, 90, 150, 210)]
segs = [(hexp[i], hexp[(i+1) % 6]) for i in range(6)]
segs += [((cx, cy), hexp[1]), ((cx, cy), hexp[3]), ((cx, cy), hexp[5])]
# cable from the cube down to a plug
segs += [((cx, cy + R), (cx, cy + R + 95))]
stroke = 34
def cover(x, y):
    bg = rr_sdf(x, y, 512, 512, 440, 440, 190)
    if bg > 0: return None
    t = (x + y) / (2 * N)
    col = (int(18 + (0 - 18) * t), int(120 + (72 - 120) * t), int(235 + (178 - 235) * t))
    d = min(seg(x, y, a[0], a[1], b[0], b[1]) for a, b in segs) - stroke
    plug = rr_sdf(x, y, cx, cy + R + 125, 62, 38, 14)
    dot = math.hypot(x - 760, y - 770) - 72
    if dot < 0: return (62, 205, 120)
    if min(d, plug) < 0: return (255, 255, 255)
    return col
rows = []
S = [0.25, 0.75]
for y in range(N):
    row = bytearray([0])
    for x in range(N):
        acc = [0, 0, 0, 0]
        for sy in S:
            for sx in S:
                c = cover(x + sx, y + sy)
                if c:
                    acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 1
        a = acc[3]
        if a:
            row += bytes([acc[0]//a, acc[1]//a, acc[2]//a, a*255//4])
        else:
            row += b"\0\0\0\0"
    rows.append(bytes(row))
raw = b"".join(rows)
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open("/work/main/icons/source.png", "wb").write(png)
