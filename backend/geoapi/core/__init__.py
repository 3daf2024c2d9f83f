"""OGC API - Features core: request in, (status, headers, body) out. Knows nothing of Flask."""
