"""FEEL: the parser of the supported subset and its evaluator (with FEEL's null semantics)."""
