"""Write BPMN models with events and scopes in code (tests): snippets beyond `builder`.

model(start("s"), catch("wait", timer("timeDuration", "PT1M")), ..., declarations=(
    message("m", "order-paid", key="= orderId"),))
"""

from xml.sax.saxutils import escape, quoteattr

from zeebe_devengine.bpmn.builder import definitions, process


def model(*elements: str, declarations: tuple[str, ...] = (), process_id: str = "p") -> bytes:
    return definitions(process(process_id, *elements), *declarations).encode()


def message(message_id: str, name: str, key: str | None = None) -> str:
    extension = (
        f"<bpmn:extensionElements><zeebe:subscription correlationKey={quoteattr(key)}/>"
        "</bpmn:extensionElements>"
        if key is not None
        else ""
    )
    attributes = f"id={quoteattr(message_id)} name={quoteattr(name)}"
    return f"<bpmn:message {attributes}>{extension}</bpmn:message>"


def timer(kind: str, text: str) -> str:
    inner = f"<bpmn:{kind}>{escape(text)}</bpmn:{kind}>"
    return f"<bpmn:timerEventDefinition>{inner}</bpmn:timerEventDefinition>"


def catch(element_id: str, definition: str) -> str:
    return (
        f'<bpmn:intermediateCatchEvent id="{element_id}">{definition}</bpmn:intermediateCatchEvent>'
    )


def message_ref(message_id: str) -> str:
    return f'<bpmn:messageEventDefinition messageRef="{message_id}"/>'


def boundary(element_id: str, attached: str, definition: str, *, interrupting: bool = True) -> str:
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{element_id}" attachedToRef="{attached}"{cancel}>'
        f"{definition}</bpmn:boundaryEvent>"
    )


def start(element_id: str, definition: str = "", *, interrupting: bool = True) -> str:
    flag = "" if interrupting else ' isInterrupting="false"'
    return f'<bpmn:startEvent id="{element_id}"{flag}>{definition}</bpmn:startEvent>'


def sub_process(element_id: str, *inner: str, event: bool = False) -> str:
    flag = ' triggeredByEvent="true"' if event else ""
    return f'<bpmn:subProcess id="{element_id}"{flag}>{"".join(inner)}</bpmn:subProcess>'


def element(tag: str, element_id: str, body: str = "") -> str:
    return f'<bpmn:{tag} id="{element_id}">{body}</bpmn:{tag}>'
