"""The read-only JSON API at /api/v1/ (docs/api.md).

Anonymous, GET only, published data only, through Django REST framework; the OpenAPI 3 document
comes from drf-spectacular. ``views`` holds the resources, ``serializers`` what each shows (the
public columns of the downloads, never an editor's note or a record's sensitive fields),
``caching`` the ETag and Last-Modified of every answer, ``throttling`` the per-address limit.
"""
