"""FEEL names made of several words: built-in functions, type names, properties.

The lexer yields single words; the parser joins the words listed here (``date and time``
followed by ``(`` is one function name, not ``date and time``, a conjunction).
"""

#: Built-in functions whose names contain spaces (feel-scala's list for Camunda 8.9).
FUNCTIONS = frozenset(
    {
        "date and time",
        "years and months duration",
        "get or else",
        "is defined",
        "string length",
        "upper case",
        "lower case",
        "substring before",
        "substring after",
        "starts with",
        "ends with",
        "is blank",
        "to base64",
        "round up",
        "round down",
        "round half up",
        "round half down",
        "random number",
        "list contains",
        "insert before",
        "index of",
        "distinct values",
        "duplicate values",
        "string join",
        "is empty",
        "get value",
        "get entries",
        "context put",
        "context merge",
        "put all",
        "day of week",
        "day of year",
        "week of year",
        "month of year",
        "last day of month",
        "met by",
        "overlaps before",
        "overlaps after",
        "finished by",
        "started by",
    }
)

#: Types after ``instance of``.
TYPES = frozenset(
    {
        "Any",
        "Null",
        "number",
        "string",
        "boolean",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
        "list",
        "context",
        "function",
        "range",
    }
)

#: Properties of temporal values and ranges whose names have a space.
PROPERTIES = frozenset({"time offset", "start included", "end included"})

#: Words that cannot be variable names.
KEYWORDS = frozenset(
    {
        "if",
        "then",
        "else",
        "for",
        "in",
        "return",
        "some",
        "every",
        "satisfies",
        "between",
        "instance",
        "of",
        "and",
        "or",
        "function",
        "true",
        "false",
        "null",
    }
)

LONGEST = max(len(name.split()) for name in FUNCTIONS | TYPES)
