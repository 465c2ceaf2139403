"""tf -> tfl helpers: legalizers by op family, Flex ops, fusions after legalization, tf folding."""
