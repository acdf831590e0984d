#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A deterministic carrier rate deck for the import benchmark.

    gen_deck.py ROWS OUT.csv

Writes a header line and ROWS unique rates like a carrier's A-Z deck:
prefixes of 3 to 12 digits under real country codes (mostly 5 to 9
digits, as decks are), rates per minute with 4 to 6 decimals, a
connection fee on some rows, increments 60/60 or 1/1, an effective date
in 2024-2025. The same ROWS give the same file (seeded generator).

One known row is the check: the deck holds CHECK_PREFIX at CHECK_RATE
and no longer prefix of CHECK_NUMBER, so a route explain of CHECK_NUMBER
must pick it. Prints "CHECK_NUMBER CHECK_PREFIX CHECK_RATE BYTES".
"""
import random
import sys

CC = ("1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
      "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 212 213 216 234 254 255 256 "
      "351 352 353 354 355 358 359 370 371 372 375 380 381 385 386 420 421 852 853 855 880 "
      "886 960 961 962 966 971 972 974 977 994 995 998").split()
LENS = (3, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10, 11, 12)
CHECK_NUMBER, CHECK_PREFIX, CHECK_RATE = "+442079460123", "4420794", "0.004321"


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(20250131)
    digits = CHECK_NUMBER[1:]
    seen = {CHECK_PREFIX}
    lines = ["prefix,rate,connect_fee,increments,effective_from\n",
             "%s,%s,0,60/60,2025-01-01\n" % (CHECK_PREFIX, CHECK_RATE)]
    dates = ["2024-%02d-01" % m for m in range(1, 13)] + ["2025-%02d-01" % m for m in range(1, 7)]
    while len(lines) - 1 < rows:
        cc = rnd.choice(CC)
        n = max(rnd.choice(LENS), len(cc) + 1)
        p = cc + "".join(rnd.choice("0123456789") for _ in range(n - len(cc)))
        if len(p) > 12 or p in seen:
            continue
        if digits.startswith(p) and len(p) > len(CHECK_PREFIX):
            continue    # the check row must stay the longest match
        seen.add(p)
        dec = rnd.choice((4, 5, 6))
        rate = "%.*f" % (dec, rnd.randint(1, 600000) / 1e6)
        fee = "0" if rnd.random() < 0.8 else "%.4f" % (rnd.randint(1, 500) / 1e4)
        inc = "60/60" if rnd.random() < 0.6 else "1/1"
        lines.append("%s,%s,%s,%s,%s\n" % (p, rate, fee, inc, rnd.choice(dates)))
    data = "".join(lines).encode()
    with open(out, "wb") as f:
        f.write(data)
    print(CHECK_NUMBER, CHECK_PREFIX, CHECK_RATE, len(data))


if __name__ == "__main__":
    main()
