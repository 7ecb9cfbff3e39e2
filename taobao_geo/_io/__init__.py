"""Private implementation of the loader; the public API is :mod:`taobao_geo.io`.

One module per step: ``readers`` (one per file format) -> ``tables`` (header detection, typed
columns) -> ``columns`` (coordinate and attribute columns) and ``coordtext`` (coordinates
written as text), ``encodings`` (text encodings), ``checks`` (the checks on the rows, against
the polygons of ``regions``), ``report`` (the :class:`~taobao_geo.io.LoadReport` and its
``Problem`` records), ``options`` (renamed option spellings) and ``build`` (all of them put
together).
"""
