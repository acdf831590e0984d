# SPDX-License-Identifier: GPL-2.0-or-later
# cmake -DSRC=web -DOUT=dir -P assemble.cmake: the dashboard as the daemon
# serves it: our files, and uPlot's two dist files from web/node_modules
# (`npm ci` in web/) under vendor/. Without them the page still works, with
# numbers instead of charts.
foreach(f index.html app.js style.css favicon.svg)
  if(EXISTS ${SRC}/${f})
    configure_file(${SRC}/${f} ${OUT}/${f} COPYONLY)
  endif()
endforeach()
set(dist ${SRC}/node_modules/uplot/dist)
if(EXISTS ${dist}/uPlot.iife.min.js AND EXISTS ${dist}/uPlot.min.css)
  file(MAKE_DIRECTORY ${OUT}/vendor)
  configure_file(${dist}/uPlot.iife.min.js ${OUT}/vendor/uPlot.iife.min.js COPYONLY)
  configure_file(${dist}/uPlot.min.css ${OUT}/vendor/uPlot.min.css COPYONLY)
else()
  message(WARNING "web/node_modules/uplot is missing (run `npm ci` in web/): "
                  "the dashboard will show numbers instead of charts")
endif()
