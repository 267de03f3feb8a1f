"""Reading BPMN and DMN XML safely, and collecting deployment problems in Zeebe's wording.

Resources are parsed with defusedxml, which refuses any DOCTYPE (and so every entity
declaration and external reference) as the parser meets it, after decoding: a check on raw
bytes misses a UTF-16 document. BPMN and DMN never need a DTD.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from zeebe_devengine.errors import InvalidArgumentError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MAX_RESOURCE_BYTES = 4 * 1024 * 1024
DEPLOY_ERRORS = "Expected to deploy new resources, but encountered the following errors:"


def q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def split(tag: object) -> tuple[str, str]:
    """'{ns}name' -> (ns, name); comments and processing instructions -> ('', '')."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


@dataclass(slots=True)
class Problems:
    """Everything wrong with one resource, reported at once as Zeebe does."""

    resource: str
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, element: str, message: str) -> None:
        self.items.append((element, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        # Zeebe's layout: "\n'<resource>': " then, per problem, "- Element: <id>\n
        # - ERROR: <message>\n" (the validation report is appended after the name).
        report = "".join(
            f"- Element: {element}\n    - ERROR: {message}\n" for element, message in self.items
        )
        raise deploy_error(f"'{self.resource}': {report}")


def deploy_error(text: str) -> InvalidArgumentError:
    """A refused deployment, worded as Zeebe's (each problem on a line after the preamble)."""
    return InvalidArgumentError(f"{DEPLOY_ERRORS}\n{text}")


def parse_xml(resource_name: str, content: bytes) -> ET.Element:
    if len(content) > MAX_RESOURCE_BYTES:
        raise deploy_error(f"'{resource_name}': the resource is larger than 4 MB")
    try:
        root: ET.Element = fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise deploy_error(
            f"'{resource_name}': XML with a DOCTYPE or entity declarations is not accepted"
        ) from None
    except ET.ParseError as exc:
        raise deploy_error(f"'{resource_name}': the XML is not well-formed: {exc}") from None
    except (ValueError, LookupError, RecursionError) as exc:  # encodings, deep nesting
        raise deploy_error(f"'{resource_name}': the XML cannot be read: {exc}") from None
    return root
