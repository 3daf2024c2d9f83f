"""The OGC API core runs without Flask or SQLAlchemy, over any FeatureStore."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import BACKEND

SCRIPT = r"""
import sys
for blocked in ("flask", "werkzeug", "sqlalchemy", "pymysql"):
    sys.modules[blocked] = None  # any import of these now fails

from geoapi.core.api import FeaturesAPI
from geoapi.core.errors import APIError
from geoapi.core.model import Collection, Feature, Page

class Memory:
    def __init__(self):
        self.c = Collection("pts", "Points", "", None)
        self.f = {1: Feature(1, "pts", {"type": "Point", "coordinates": [1.0, 1.0]}, {}),
                  2: Feature(2, "pts", {"type": "Point", "coordinates": [5.0, 5.0]}, {})}
    def list_collections(self): return [self.c]
    def get_collection(self, cid): return self.c if cid == "pts" else None
    def list_features(self, collection, query):
        bbox = query.bbox
        rows = [f for f in self.f.values() if bbox is None or (bbox.minx <= f.geometry["coordinates"][0] <= bbox.maxx
                and bbox.miny <= f.geometry["coordinates"][1] <= bbox.maxy)]
        page = rows[query.offset:query.offset + query.limit + 1]
        return Page(features=page[:query.limit], more=len(page) > query.limit)
    def get_feature(self, cid, fid): return self.f.get(fid)
    def create_feature(self, cid, g, p): self.f[3] = Feature(3, cid, g, p); return 3
    def replace_feature(self, cid, fid, g, p): return False
    def delete_feature(self, cid, fid): return self.f.pop(fid, None) is not None

api = FeaturesAPI(Memory(), title="t", description="d")
page = api.items("http://x/api", "pts", {"bbox": ["0,0,2,2"], "limit": ["1"]})
created = api.create("http://x/api", "pts", b'{"type":"Feature","geometry":{"type":"Point","coordinates":[3,3]},"properties":{}}',
                     "application/geo+json")
try:
    api.items("http://x/api", "pts", {"limit": ["0"]})
    error = None
except APIError as exc:
    error = exc.status
import json
print(json.dumps({"status": page.status, "ids": [f["id"] for f in page.body["features"]],
                  "created": [created.status, created.headers["Location"]], "error": error,
                  "flask": "flask" in sys.modules and sys.modules["flask"] is not None}))
"""


def test_core_needs_neither_flask_nor_sqlalchemy():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env={"PYTHONPATH": str(BACKEND)}, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"status": 200, "ids": [1], "created": [201, "http://x/api/collections/pts/items/3"], "error": 400, "flask": False}
