"""The public site: the reading pages, their charts, the downloads and their data package, and
the releases, under the URL namespace ``casualties`` (``urls.py``, included by
``casualties.urls``). It lives in ``claims`` because every page reads claims and figures;
``casualties`` never imports it (README "How it is built")."""
