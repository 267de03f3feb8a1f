"""Messages: publication (buffered for its time to live) and correlation (now or 404)."""

from aiohttp import web

from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import read_body
from zeebe_devengine.rest.process_instances import MAX_WAIT_MS

routes = web.RouteTableDef()


@routes.post("/v2/messages/publication")
async def publish_message(request: web.Request) -> web.Response:
    body = await read_body(
        request,
        {"name", "correlationKey", "timeToLive", "messageId", "variables", "tenantId"},
    )
    tenant_id = prop.tenant(body)
    key = engine(request).publish_message(
        prop.text(body, "name", required=True),
        correlation_key=prop.text(body, "correlationKey"),
        time_to_live_ms=min(prop.integer(body, "timeToLive", default=0), MAX_WAIT_MS * 365),
        message_id=prop.text(body, "messageId"),
        variables=prop.document(body),
    )
    return web.json_response({"tenantId": tenant_id, "messageKey": str(key)})


@routes.post("/v2/messages/correlation")
async def correlate_message(request: web.Request) -> web.Response:
    body = await read_body(request, {"name", "correlationKey", "variables", "tenantId"})
    tenant_id = prop.tenant(body)
    message_key, instance_key = engine(request).correlate_message(
        prop.text(body, "name", required=True),
        correlation_key=prop.text(body, "correlationKey"),
        variables=prop.document(body),
    )
    return web.json_response(
        {
            "tenantId": tenant_id,
            "messageKey": str(message_key),
            "processInstanceKey": str(instance_key),
        }
    )
