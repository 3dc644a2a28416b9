"""One driver module per device family; registry names in parentheses.

First wave: ``movesense`` (movesense), ``polar`` (polar), ``tindeq`` (tindeq),
``vernier_gdx`` (gdx-hd). Second wave: ``metawear`` (metawear), ``movella_dot``
(movella-dot), ``witmotion`` (witmotion), ``sig_force`` (sig-force, the generic fallback
for the Bluetooth SIG Weight Measurement and Force characteristics).
"""
