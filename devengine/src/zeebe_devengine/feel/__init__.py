"""FEEL: lexer, parser (expressions and unary tests), evaluator and built-in functions.

Public API: `parser.parse`, `parser.parse_attribute`, `parser.is_expression`,
`parser.parse_unary_tests`, `parser.Expression`; `evaluate.evaluate(expression, lookup,
clock=None)`, `evaluate.matches` (unary tests) and `evaluate.evaluate_value` (FEEL values).
"""
