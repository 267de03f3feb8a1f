"""Reading BPMN models and their pictures in tests: namespaces, parsing, the picture's stamp."""

import hashlib
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
#: Keyword of the model's SHA-256 in the pictures bpmn/render.mjs writes.
HASH_KEYWORD = "bpmn-source-sha256"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "svg": "http://www.w3.org/2000/svg",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


def q(name: str) -> str:
    """`bpmn:startEvent` -> ElementTree's `{namespace}startEvent`."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()  # noqa: S314 - our own committed files, not untrusted input


def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def only_process(definitions: ET.Element) -> ET.Element:
    found = definitions.findall("bpmn:process", NS)
    assert len(found) == 1, "the model holds exactly one process"
    return found[0]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def svg_model_hash(svg: Path) -> str | None:
    """The model hash bpmn/render.mjs stamped into an SVG (None: no stamp)."""
    metadata = parse(svg).find(f"svg:metadata[@id='{HASH_KEYWORD}']", NS)
    return None if metadata is None else metadata.get("data-sha256")


def svg_element_ids(svg: Path) -> set[str]:
    """Ids of the BPMN elements drawn in an SVG bpmn-js saved (labels left out)."""
    return {
        element.get("data-element-id", "")
        for element in parse(svg).iter()
        if element.get("data-element-id")
        and not element.get("data-element-id", "").endswith("_label")
    }


def png_text_chunks(data: bytes) -> dict[str, str]:
    """tEXt chunks of a PNG, checking the signature and every chunk's CRC on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    texts: dict[str, str] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r} chunk"
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            texts[keyword.decode("latin-1")] = text.decode("latin-1")
        offset += 12 + length
        if kind == b"IEND":
            break
    return texts
