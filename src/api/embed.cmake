# SPDX-License-Identifier: GPL-2.0-or-later
# cmake -DIN=file -DOUT=file.c -P embed.cmake: IN as a NUL-terminated C array.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT} "/* Generated from openapi.json by embed.cmake: do not edit. */\n"
     "extern const char api_openapi_json[];\n"
     "const char api_openapi_json[] = {${hex} 0x00};\n")
