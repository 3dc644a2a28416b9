"""One driver module per device family (registry names in parentheses):
``movesense`` (movesense), ``polar`` (polar), ``tindeq`` (tindeq), ``vernier_gdx``
(gdx-hd)."""
