"""The tfl -> TOSA lowering of tfl-legalize-to-tosa: builders, requantization, lowerings."""
